"""gunicorn's configuration for the web container.

    gunicorn --config python:backend.config.gunicorn backend.config.wsgi:application ...

- prometheus_client's multiprocess mode: with ``PROMETHEUS_MULTIPROC_DIR`` set, each worker
  process keeps its request and database metrics in files there, and ``/metrics`` adds them up
  (monitoring/metrics.py). The folder is emptied when gunicorn starts (the files of a previous
  run would be counted again) and a dead worker's files are marked dead.
- gunicorn's own log (start, worker boots and timeouts) as JSON lines, like the application's;
  no access log: the application writes one line per request (backend/config/logging.py).
- Limits on a request's line and headers (gunicorn's defaults, written out so that they are not
  raised by accident). gunicorn has no limit on a body: a body larger than Django will read
  (GRANTWATCH_MAX_REQUEST_BYTES, refused from its stated length before it is read) must be
  stopped by the proxy in front (nginx: client_max_body_size), and a worker that a slow client
  holds is ended after ``timeout`` seconds.
- Each worker, once it has loaded the application, also loads what its first requests would
  (the URL patterns with every view, form and serializer module they import, the translation
  catalogues of every language, the project's templates compiled), and then leaves all of it
  out of the garbage collector's scans (``gc.freeze``); it scans its youngest objects every
  GRANTWATCH_WORKER_GC_THRESHOLD allocations instead of Python's 700. Otherwise the
  collector walks those objects again and again, and the request that happens to trigger a
  full collection waits for it: measured in process on a 10,000-project database, 70-80 ms
  full collections put single requests of 40 ms pages at 85-130 ms; loaded and frozen, and
  with the higher threshold, no collection took over 21 ms.

Options given on the command line (--bind, --workers, ...) win over this file.
"""

import os
from pathlib import Path

from backend.config.logging import json_formatter_config

accesslog = None

limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
timeout = 30
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": json_formatter_config()},
    "handlers": {
        "error_console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False},
    },
    "root": {"level": "INFO", "handlers": []},
}


def _multiproc_dir() -> Path | None:
    value = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
    return Path(value) if value else None


def on_starting(server) -> None:
    folder = _multiproc_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    if _multiproc_dir() is None:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    """Called in each worker after it has loaded the application."""
    from backend.config.collector import collector_for_worker

    _load_what_requests_would()
    collector_for_worker()


def _load_what_requests_would() -> None:
    """The URL patterns (importing every view) indexed for reverse() in each language, each
    language's translation catalogue, and the project's own templates compiled into the
    template loaders' cache (not those of the installed packages, which the admin uses)."""
    from django.conf import settings
    from django.template import engines
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Portfolio")
            # Reading it imports the URL configuration once, and indexes the names that
            # reverse() looks up, once per language.
            resolver.reverse_dict  # noqa: B018
    root = Path(__file__).resolve().parents[2]
    for engine in engines.all():
        for folder in map(Path, engine.template_dirs):
            if not folder.is_relative_to(root) or "site-packages" in folder.parts:
                continue
            for template in sorted(folder.rglob("*.html")):
                engine.get_template(template.relative_to(folder).as_posix())
