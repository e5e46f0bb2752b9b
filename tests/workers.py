"""Starting a real Celery worker process for a test, on its own queue."""

import os
import signal
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path

from celery import Celery

CELERY = str(Path(sys.executable).with_name("celery"))


@contextmanager
def running_worker(environment: dict[str, str], log_path: Path, queue: str | None = None):
    """Run ``celery --app backend.config worker`` with these environment variables, consuming a
    queue of its own (or ``queue``); yield the queue name and the worker's process id. The
    worker's output goes to ``log_path``."""
    queue = queue or f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, **environment}
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
    command = [
        CELERY,
        "--app",
        "backend.config",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "INFO",
    ]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield queue, worker.pid
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def client_app(broker_url: str, result_backend: str, transport_options=None) -> Celery:
    """A bare Celery client that talks to the worker only through the broker and backend."""
    app = Celery("test-client", broker=broker_url, backend=result_backend, set_as_current=False)
    app.conf.broker_transport_options = transport_options or {}
    app.conf.accept_content = ["json"]
    app.conf.task_serializer = "json"
    return app
