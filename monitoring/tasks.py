"""Celery tasks: the watchers. Tasks take ids, are idempotent (they bring flags in line with
what they find, however often they run), and so acknowledge late: a task cut off by a lost
worker runs again."""

import os
import socket

from celery import group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.grants.dates import brussels_today
from backend.grants.selectors import active_project_ids
from monitoring.checks import check_projects

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(name="monitoring.ping")
def ping(token: str) -> dict[str, object]:
    """Answer with the token and where it was run: proves a worker took the task and
    sent the result back through the result backend."""
    return {"token": token, "hostname": socket.gethostname(), "pid": os.getpid()}


@shared_task(
    name="monitoring.check_projects",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=5,
)
def check_projects_task(project_ids: list[int], reason: str = "") -> dict[str, object]:
    result = check_projects(project_ids, now=timezone.now())
    return {
        "projects": len(project_ids),
        "reason": reason,
        "raised": len(result.raised),
        "resolved": len(result.resolved),
    }


@shared_task(name="monitoring.sweep", acks_late=True, autoretry_for=TRANSIENT, max_retries=3)
def sweep_task(batch_size: int | None = None) -> dict[str, object]:
    """Check every active project, in batches handed to the workers as a group."""
    size = batch_size or settings.GRANTWATCH_SWEEP_BATCH_SIZE
    ids = active_project_ids(brussels_today())
    batches = [ids[start : start + size] for start in range(0, len(ids), size)]
    result = group(check_projects_task.s(batch, reason="sweep") for batch in batches).apply_async()
    result.save()
    return {"projects": len(ids), "batches": len(batches), "group_id": result.id}
