"""Structured logs: one JSON object per line, each carrying what ties it to its origin.

- ``request_id``: django-guid's correlation id of the HTTP request (taken from the request's
  ``X-Request-ID`` header when it is a valid UUID, else generated, and returned in the
  response's ``X-Request-ID``). django-guid's Celery integration hands it on to the tasks the
  request queued, so a task's lines carry the request id of the request that caused them.
- ``user_id``: the id of the authenticated user of the request, once the request has
  identified its user (the filter never makes the query that identifies it).
- ``task_id``: the id of the Celery task being run.

``ContextFilter`` adds the three to every record that reaches the console handler (settings
``LOGGING``); ``RequestLogMiddleware`` writes one line per request (logger
``grantwatch.request``): method, path, status, duration, with the request and user ids.
"""

import logging
import time
from contextvars import ContextVar

from django.core.signals import request_finished
from django.utils.functional import empty

request_logger = logging.getLogger("grantwatch.request")

# The request being served by this thread (or task of an async server), for the filter.
_current_request: ContextVar = ContextVar("grantwatch_current_request", default=None)

# Paths probed every few seconds by machines: logged at DEBUG, not INFO.
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def _guid() -> str | None:
    try:
        from django_guid import get_guid
    except ImportError:  # pragma: no cover - django-guid is a dependency
        return None
    return get_guid()


def _user_id(request) -> int | None:
    """The request's user id if the request has identified its user: ``request.user`` is a
    lazy object until something reads it, and reading it here would cost a query."""
    if request is None:
        return None
    user = request.__dict__.get("user")
    if user is None:
        return None
    wrapped = getattr(user, "_wrapped", user)
    if wrapped is empty or wrapped is None:
        return None
    if not getattr(wrapped, "is_authenticated", False):
        return None
    return wrapped.pk


def _task_id(record: logging.LogRecord) -> str | None:
    try:
        from celery._state import get_current_task
    except ImportError:  # pragma: no cover - Celery is a dependency
        return None
    task = get_current_task()
    task_id = getattr(getattr(task, "request", None), "id", None) if task is not None else None
    if task_id:
        return task_id
    # Celery's own lines about a task ("Task ... succeeded") name it in their ``data``.
    data = getattr(record, "data", None)
    if isinstance(data, dict) and isinstance(data.get("id"), str):
        return data["id"]
    return None


class ContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id`` and ``task_id`` to every record (None when not in a
    request or a task). Attach it to handlers, so that it sees the records of every logger."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _guid()
        if not hasattr(record, "user_id"):
            record.user_id = _user_id(_current_request.get())
        if not hasattr(record, "task_id"):
            record.task_id = _task_id(record)
        return True


class RequestLogMiddleware:
    """One log line per request, written when the response is ready. It comes before
    django-guid's middleware, so the line has the request id. The request id and the request
    are forgotten when the response is closed (``request_finished``), not here: Django logs
    4xx and 5xx responses ("django.request") after the middlewares, and those lines should
    carry them too; and nothing logged after the request should."""

    def __init__(self, get_response):
        self.get_response = get_response
        request_finished.connect(
            _forget_request, weak=False, dispatch_uid="grantwatch.forget_request"
        )

    def __call__(self, request):
        _current_request.set(request)
        started = time.perf_counter()
        status = 500
        try:
            response = self.get_response(request)
            status = response.status_code
            return response
        finally:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            level = logging.DEBUG if request.path in QUIET_PATHS else logging.INFO
            fields = {
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
            }
            request_logger.log(
                level,
                "%s %s %s %.1fms",
                request.method,
                request.path,
                status,
                duration_ms,
                extra=fields,
            )


def _forget_request(**kwargs) -> None:
    _current_request.set(None)
    try:
        from django_guid import clear_guid
    except ImportError:  # pragma: no cover
        return
    clear_guid()


def json_formatter_config() -> dict:
    """The JSON formatter, for settings.LOGGING and gunicorn's logconfig_dict."""
    return {
        "()": "pythonjsonlogger.json.JsonFormatter",
        "fmt": "%(levelname)s %(name)s %(message)s",
        "rename_fields": {"levelname": "level", "name": "logger"},
        "timestamp": "time",
    }
