"""The system's own metrics, for Prometheus: ``GET /metrics``.

What is exported
----------------
- Requests: django-prometheus's middleware (``django_http_*``: requests by method and view,
  responses by status, latency histograms).
- Database: django-prometheus's database metrics (``django_db_new_connections_total``,
  ``django_db_execute_total``, ``django_db_execute_many_total``, ``django_db_errors_total``,
  ``django_db_query_duration_seconds``), fed by an execute wrapper that this module installs on
  every new connection (``connection_created``), not by django-prometheus's database ENGINE
  wrappers: the settings, the tests and the CI keep the plain ENGINE names, and the wrapper
  works the same for SQLite and PostgreSQL.
- Compliance and the watchers (``ComplianceCollector``, read from the database and the broker
  at scrape time, so they are the database's counts at that moment, whichever gunicorn worker
  answers):

  ================================================== =========================================
  ``grantwatch_open_flags{kind,severity}``           open flags, every kind x severity (0 too)
  ``grantwatch_projects_in_breach``                  projects with an open eligibility_breach
  ``grantwatch_instalments_blocked``                 open instalment_blocked flags
  ``grantwatch_instalments_ready``                   open instalment_ready flags
  ``grantwatch_sweep_last_success_timestamp_seconds`` end of the last sweep whose batches all
                                                     finished (0: none yet)
  ``grantwatch_sweep_last_success_duration_seconds`` its duration, start to last batch
  ``grantwatch_sweep_last_success_projects``         the projects it checked
  ``grantwatch_sweep_last_started_timestamp_seconds`` start of the last sweep, finished or not
  ``grantwatch_sweep_unfinished_batch_age_seconds`` age of the oldest unfinished batch of the
                                                     sweeps since the last successful one (0: none)
  ``grantwatch_sweep_unfinished_batches``            how many such batches
  ``grantwatch_task_failures_total{task}``           tasks failed for good (``TaskFailure`` rows)
  ``grantwatch_outbox_pending_checks``               checks asked for and not yet handed to the
                                                     broker (``PendingCheck`` rows)
  ``grantwatch_outbox_oldest_age_seconds``           age of the oldest of them (0: none)
  ``grantwatch_database_up``                         1 if the compliance queries succeeded
  ``grantwatch_broker_up``                           1 if the broker accepted a connection
  ``grantwatch_broker_queue_length{queue}``          messages waiting in each task queue
  ``grantwatch_workers_alive``                       workers answering a ping (cached briefly)
  ================================================== =========================================

Instalments blocked and ready are counted from the open flags the watchers keep (each
instalment has at most one open flag per state), i.e. as of the last check, not re-evaluated
at scrape time.

Protection
----------
``/metrics`` answers only a request with ``Authorization: Bearer <GRANTWATCH_METRICS_TOKEN>``
(403 otherwise); with no token configured it does not exist (404).

Several processes
-----------------
Under gunicorn with several workers, set ``PROMETHEUS_MULTIPROC_DIR`` (docker-compose.yml does,
see ``backend/config/gunicorn.py``): prometheus_client then keeps the request and database
metrics of every worker process in files there, and the scrape adds them up. The compliance
metrics do not need it: they are read from the database.
"""

import datetime
import hmac
import logging
import os
import threading
import time

from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connections
from django.db.backends.signals import connection_created
from django.db.models import Count, Min, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.db.metrics import (
    connections_total,
    errors_total,
    execute_many_total,
    execute_total,
    query_duration_seconds,
)
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from monitoring.health import broker_connection, queue_length
from monitoring.models import Flag, FlagKind, Severity, SweepBatch, SweepRun, TaskFailure
from monitoring.outbox import outbox_depth

logger = logging.getLogger("monitoring.metrics")

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)

# Workers are pinged at most this often per process; a ping waits this long for answers.
PING_CACHE_SECONDS = 20.0
PING_TIMEOUT_SECONDS = 1.0


# -- database metrics ---------------------------------------------------------------------------


def observe_query(execute, sql, params, many, context):
    """A Django execute wrapper counting and timing every statement."""
    connection = context["connection"]
    alias, vendor = connection.alias, connection.vendor
    count = 1
    if many:
        try:
            count = len(params)
        except TypeError:  # an iterator of parameter lists
            count = 1
        execute_many_total.labels(alias, vendor).inc(count)
    execute_total.labels(alias, vendor).inc(count)
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    except Exception as error:
        errors_total.labels(alias, vendor, type(error).__name__).inc()
        raise
    finally:
        query_duration_seconds.labels(alias, vendor).observe(time.perf_counter() - started)


def _install_query_observer(connection) -> None:
    # First in the list: Django's execute_wrapper() context manager appends and pops the last.
    if observe_query not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, observe_query)


def _on_connection_created(sender, connection, **kwargs) -> None:
    connections_total.labels(connection.alias, connection.vendor).inc()
    _install_query_observer(connection)


def install_database_metrics() -> None:
    """Observe every connection opened from now on, and those of this thread already open."""
    connection_created.connect(
        _on_connection_created, weak=False, dispatch_uid="monitoring.metrics.database"
    )
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _install_query_observer(connection)


# -- compliance and watchers --------------------------------------------------------------------


class _WorkerPing:
    """The Celery app's ``control.ping`` answers, cached for PING_CACHE_SECONDS per process."""

    def __init__(self):
        self._lock = threading.Lock()
        self._value: int | None = None
        self._expires = 0.0

    def alive(self, connection) -> int:
        with self._lock:
            if self._value is not None and time.monotonic() < self._expires:
                return self._value
            replies = current_app.control.ping(timeout=PING_TIMEOUT_SECONDS, connection=connection)
            self._value = len(replies or [])
            self._expires = time.monotonic() + PING_CACHE_SECONDS
            return self._value

    def forget(self) -> None:
        with self._lock:
            self._value, self._expires = None, 0.0


worker_ping = _WorkerPing()


def _timestamp(value) -> float:
    return value.timestamp() if value is not None else 0.0


class ComplianceCollector:
    """Reads the flag store, the sweep record, the failed tasks and the outbox (7 queries), and
    probes the broker, at every scrape."""

    def collect(self):
        yield from self._database()
        yield from self._broker()

    def _database(self):
        up = GaugeMetricFamily(
            "grantwatch_database_up", "1 if the compliance metrics could be read from the database."
        )
        try:
            families = list(self._compliance())
        except DatabaseError:
            logger.warning("event=metrics_database_unreachable", exc_info=True)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _compliance(self):
        yield from self._flag_metrics()
        yield from self._sweep_metrics()
        yield from self._stale_check_metrics()
        yield from self._failure_metrics()
        yield from self._outbox_metrics()

    def _flag_metrics(self):
        """Open flags by kind and severity, projects in breach, instalments blocked and ready:
        two queries."""
        open_flags = Flag.objects.filter(resolved_at__isnull=True).order_by()
        counts = {
            (kind, severity): count
            for kind, severity, count in open_flags.values("kind", "severity")
            .annotate(count=Count("id"))
            .values_list("kind", "severity", "count")
        }
        flags = GaugeMetricFamily(
            "grantwatch_open_flags",
            "Open flags, by kind and severity.",
            labels=["kind", "severity"],
        )
        for kind in FlagKind.values:
            for severity in Severity.values:
                flags.add_metric([kind, severity], counts.get((kind, severity), 0))
        yield flags

        in_breach = (
            open_flags.filter(kind=FlagKind.ELIGIBILITY_BREACH)
            .values("project_id")
            .distinct()
            .count()
        )
        yield GaugeMetricFamily(
            "grantwatch_projects_in_breach",
            "Projects with an open eligibility_breach flag.",
            value=in_breach,
        )

        def of_kind(kind):
            return sum(count for (k, _), count in counts.items() if k == kind)

        yield GaugeMetricFamily(
            "grantwatch_instalments_blocked",
            "Instalments with an open instalment_blocked flag.",
            value=of_kind(FlagKind.INSTALMENT_BLOCKED),
        )
        yield GaugeMetricFamily(
            "grantwatch_instalments_ready",
            "Instalments with an open instalment_ready flag (ready for payment).",
            value=of_kind(FlagKind.INSTALMENT_READY),
        )

    def _sweep_metrics(self):
        """The last successful sweep and the last one started: two queries."""
        success = (
            SweepRun.objects.filter(finished_at__isnull=False)
            .order_by("-finished_at", "-id")
            .only("finished_at", "duration_seconds", "projects")
            .first()
        )
        yield GaugeMetricFamily(
            "grantwatch_sweep_last_success_timestamp_seconds",
            "When the last successful sweep (every batch finished) finished, Unix time; 0: never.",
            value=_timestamp(success.finished_at if success else None),
        )
        yield GaugeMetricFamily(
            "grantwatch_sweep_last_success_duration_seconds",
            "How long the last successful sweep took, from its start to its last batch.",
            value=(success.duration_seconds or 0.0) if success else 0.0,
        )
        yield GaugeMetricFamily(
            "grantwatch_sweep_last_success_projects",
            "The projects the last successful sweep checked.",
            value=success.projects if success else 0,
        )
        started = SweepRun.objects.order_by("-started_at", "-id").values_list(
            "started_at", flat=True
        )
        yield GaugeMetricFamily(
            "grantwatch_sweep_last_started_timestamp_seconds",
            "When the last sweep started, finished or not, Unix time; 0: never.",
            value=_timestamp(started.first()),
        )

    def _stale_check_metrics(self):
        """Checks that were handed out and have not been done: the unfinished batches of the
        sweeps started since the last successful sweep started (an older unfinished sweep has
        been overtaken), their number and the age of the oldest, counted from its sweep's
        start. One query."""
        last_success_start = (
            SweepRun.objects.filter(finished_at__isnull=False)
            .order_by("-started_at", "-id")
            .values("started_at")[:1]
        )
        pending = SweepBatch.objects.filter(
            finished_at__isnull=True,
            sweep__finished_at__isnull=True,
            sweep__started_at__gt=Coalesce(Subquery(last_success_start), Value(EPOCH)),
        )
        oldest = pending.order_by().aggregate(oldest=Min("sweep__started_at"), count=Count("id"))
        age = (timezone.now() - oldest["oldest"]).total_seconds() if oldest["oldest"] else 0.0
        yield GaugeMetricFamily(
            "grantwatch_sweep_unfinished_batch_age_seconds",
            "Age of the oldest unfinished sweep batch (since its sweep started), among the "
            "sweeps started after the last successful one; 0: none.",
            value=max(age, 0.0),
        )
        yield GaugeMetricFamily(
            "grantwatch_sweep_unfinished_batches",
            "Unfinished sweep batches of the sweeps started after the last successful one.",
            value=oldest["count"],
        )

    def _outbox_metrics(self):
        """The outbox of checks (``monitoring.outbox``): its depth and its oldest row's age, one
        query. Rows stay there while the broker is down or beat's relay does not run."""
        waiting, age = outbox_depth()
        yield GaugeMetricFamily(
            "grantwatch_outbox_pending_checks",
            "Checks asked for by a change and not yet handed to the broker.",
            value=waiting,
        )
        yield GaugeMetricFamily(
            "grantwatch_outbox_oldest_age_seconds",
            "Age of the oldest check waiting in the outbox; 0: none.",
            value=age,
        )

    def _failure_metrics(self):
        """The tasks that failed for good, by task: one query."""
        failures = CounterMetricFamily(
            "grantwatch_task_failures",
            "Celery tasks that failed for good (after their retries), by task.",
            labels=["task"],
        )
        for task, count in (
            TaskFailure.objects.order_by()
            .values("task_name")
            .annotate(count=Count("id"))
            .values_list("task_name", "count")
        ):
            failures.add_metric([task], count)
        yield failures

    def _broker(self):
        up = GaugeMetricFamily("grantwatch_broker_up", "1 if the broker accepted a connection.")
        length = GaugeMetricFamily(
            "grantwatch_broker_queue_length", "Messages waiting in the queue.", labels=["queue"]
        )
        workers = GaugeMetricFamily(
            "grantwatch_workers_alive", "Celery workers that answered a ping."
        )
        queues = (settings.GRANTWATCH_CHECKS_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE)
        try:
            with broker_connection() as connection:
                waiting = {queue: queue_length(connection, queue) for queue in queues}
                alive = worker_ping.alive(connection)
        except Exception as error:  # the broker's or its transport's error: it is down
            logger.warning("event=metrics_broker_unreachable error=%s", type(error).__name__)
            up.add_metric([], 0)
            workers.add_metric([], 0)
            yield up
            yield workers
            return
        up.add_metric([], 1)
        for queue, count in waiting.items():
            length.add_metric([queue], count)
        workers.add_metric([], alive)
        yield up
        yield length
        yield workers


class _Forward:
    """Another registry's metrics, as one collector of a per-scrape registry."""

    def __init__(self, registry):
        self.registry = registry

    def collect(self):
        return self.registry.collect()


def scrape_registry() -> CollectorRegistry:
    """What one scrape exports: the process's (or, in multiprocess mode, every gunicorn
    worker's) request and database metrics, and the compliance metrics."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(ComplianceCollector())
    return registry


def _authorized(request, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )


@never_cache
@require_GET
def metrics(request):
    token = getattr(settings, "GRANTWATCH_METRICS_TOKEN", "")
    if not token:
        raise Http404("metrics are not enabled")
    if not _authorized(request, token):
        return HttpResponse(
            "Forbidden: send Authorization: Bearer <GRANTWATCH_METRICS_TOKEN>.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)


install_database_metrics()
