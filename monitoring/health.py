"""Health endpoints for the container runtime and the load balancer, and the broker probes the
metrics share with them.

- ``/healthz``: the process is up and answers (no database, no broker): 200 ``{"status": "ok"}``.
- ``/readyz``: the database answers a query and the broker accepts a connection: 200 with each
  part "ok", else 503 with the part that failed, e.g. ``{"status": "unavailable",
  "checks": {"database": "ok", "broker": "unreachable"}}``. Errors are logged, not shown: the
  endpoint needs no authentication and names no host or exception text.

Both read the settings at request time (``CELERY_BROKER_URL`` and its transport options), with
a short timeout (``GRANTWATCH_HEALTH_TIMEOUT`` seconds), so a broker that is down answers 503
in about that time instead of hanging the probe.
"""

import logging
from contextlib import contextmanager, suppress

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

logger = logging.getLogger("monitoring.health")

OK = "ok"
UNREACHABLE = "unreachable"


def _timeout() -> float:
    return float(getattr(settings, "GRANTWATCH_HEALTH_TIMEOUT", 2.0))


@contextmanager
def broker_connection():
    """A kombu connection to the broker the settings name now, with short timeouts, connected
    (raises kombu's OperationalError, or the transport's own error, when it cannot be)."""
    timeout = _timeout()
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    url = settings.CELERY_BROKER_URL
    if url.rstrip("/") == "filesystem:":
        url = "filesystem://localhost/"  # the same, without kombu's warning about no host name
    if url.startswith(("redis://", "rediss://")):
        options.setdefault("socket_connect_timeout", timeout)
        options.setdefault("socket_timeout", timeout)
        options.setdefault("max_retries", 0)
    connection = Connection(url, connect_timeout=timeout, transport_options=options)
    try:
        connection.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=timeout
        )
        yield connection
    finally:
        connection.release()


def queue_length(connection: Connection, queue: str) -> int:
    """Messages waiting in ``queue`` (0 for a queue the broker does not know yet: Redis drops
    the key of an empty list)."""
    from amqp.exceptions import ChannelError

    channel = connection.channel()
    try:
        return channel.queue_declare(queue=queue, passive=True).message_count
    except ChannelError:
        return 0
    finally:
        # Closing a channel of a broken connection: nothing is left to do.
        with suppress(Exception):
            channel.close()


def check_database() -> str:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("event=readyz_database_unreachable", exc_info=True)
        return UNREACHABLE
    return OK


def check_broker() -> str:
    try:
        with broker_connection() as connection:
            # The transport connects lazily: a queue lookup makes it talk to the broker.
            queue_length(connection, settings.CELERY_TASK_DEFAULT_QUEUE)
    except Exception as error:  # kombu's OperationalError, or a transport's own: not ready
        logger.warning("event=readyz_broker_unreachable error=%s", type(error).__name__)
        return UNREACHABLE
    return OK


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": OK})


@never_cache
@require_GET
def readyz(request):
    checks = {"database": check_database(), "broker": check_broker()}
    ready = all(value == OK for value in checks.values())
    return JsonResponse(
        {"status": OK if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
