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
- Each worker, once it has loaded the application, leaves what it loaded (modules, settings,
  URL patterns, translation catalogues) out of the garbage collector's scans (``gc.freeze``):
  otherwise every full collection walks those few hundred thousand objects again, and the
  request that happens to trigger one waits for it.

Options given on the command line (--bind, --workers, ...) win over this file.
"""

import gc
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
    gc.freeze()
