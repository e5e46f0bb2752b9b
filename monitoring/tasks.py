"""Celery tasks: the watchers."""

import os
import socket

from celery import shared_task


@shared_task(name="monitoring.ping")
def ping(token: str) -> dict[str, object]:
    """Answer with the token and where it was run: proves a worker took the task and
    sent the result back through the result backend."""
    return {"token": token, "hostname": socket.gethostname(), "pid": os.getpid()}
