"""Celery tasks: the watchers. Tasks take ids, are idempotent (they bring flags in line with
what they find, however often they run), and so acknowledge late and are rejected back to the
broker when their worker process dies (``reject_on_worker_lost``): a task cut off by a lost
worker runs again, on a living process at once, or, when the whole worker died, on another
worker once the broker's visibility timeout has passed (settings.GRANTWATCH_VISIBILITY_TIMEOUT).
The reminders and digests are idempotent by their own records: what was sent today (this week)
is not sent again.

Each task has explicit time limits (settings.GRANTWATCH_TASK_TIME_LIMITS). Only the ping's
result is stored: nobody reads the others', and storing them made every publish wait on the
result backend."""

import datetime
import os
import socket
import time

from celery import group, shared_task
from celery.signals import task_failure
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from backend.common.dates import brussels_today
from backend.grants.selectors import active_project_ids
from backend.reporting.models import REPORT_DUE_DAYS
from monitoring.checks import check_projects
from monitoring.digest import digests_send
from monitoring.reminders import DeliveryFailed, reminders_send
from monitoring.summaries import projects_without_summary, summaries_recompute
from monitoring.sweeps import (
    sweep_batch_finish,
    sweep_batches_resend,
    sweep_group_record,
    sweep_start,
    task_failure_record,
)

TRANSIENT = (OperationalError, InterfaceError)


def _options(name: str, *, idempotent: bool = True, **options) -> dict[str, object]:
    """The task's name, its time limits from settings, and, for an idempotent task, late
    acknowledgement that survives a dead worker process, with no stored result."""
    soft, hard = settings.GRANTWATCH_TASK_TIME_LIMITS[name]
    if idempotent:
        options = {
            "acks_late": True,
            "reject_on_worker_lost": True,
            "ignore_result": True,
            **options,
        }
    return {"name": name, "soft_time_limit": soft, "time_limit": hard, **options}


@shared_task(**_options("monitoring.ping", idempotent=False))
def ping(token: str) -> dict[str, object]:
    """Answer with the token and where it was run: proves a worker took the task and
    sent the result back through the result backend."""
    return {"token": token, "hostname": socket.gethostname(), "pid": os.getpid()}


@shared_task(
    **_options(
        "monitoring.check_projects", autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5
    )
)
def check_projects_task(
    project_ids: list[int],
    reason: str = "",
    sweep_id: int | None = None,
    batch_number: int | None = None,
) -> dict[str, object]:
    """Check these projects. A batch of a sweep (``sweep_id``, ``batch_number``) then marks
    itself finished, and the sweep when it was the last one pending.

    A check a change asked for (through the outbox) first clears its projects' queued marks,
    before it reads anything: a change committed from now on is relayed as a check of its own,
    one committed before is read by this check (``monitoring.outbox``)."""
    if sweep_id is None:
        from monitoring.outbox import checks_queued_clear  # the outbox imports this module

        checks_queued_clear(project_ids)
    if settings.GRANTWATCH_CHECK_DELAY_SECONDS:
        time.sleep(settings.GRANTWATCH_CHECK_DELAY_SECONDS)
    result = check_projects(project_ids, now=timezone.now())
    if sweep_id is not None and batch_number is not None:
        sweep_batch_finish(sweep_id=sweep_id, number=batch_number, now=timezone.now())
    return {
        "projects": len(project_ids),
        "reason": reason,
        "raised": len(result.raised),
        "resolved": len(result.resolved),
    }


@shared_task(
    **_options(
        "monitoring.fill_summaries", autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5
    )
)
def fill_summaries_task(project_ids: list[int]) -> dict[str, object]:
    """Write these projects' summaries without checking them (their flags stay as they are)."""
    summaries_recompute(project_ids, now=timezone.now())
    return {"projects": len(project_ids)}


@shared_task(**_options("monitoring.sweep", autoretry_for=TRANSIENT, max_retries=3))
def sweep_task(batch_size: int | None = None) -> dict[str, object]:
    """Check every active project, in batches handed to the workers as a group. A project is
    watched until its final report is overdue (the day after the deadline), so that a missing
    final report is flagged.

    The sweep is recorded (``monitoring.sweeps``): it counts as successful once every batch
    has finished, which is what the metric of the last successful sweep reports."""
    size = batch_size or settings.GRANTWATCH_SWEEP_BATCH_SIZE
    ids = active_project_ids(brussels_today(), days_after_end=REPORT_DUE_DAYS + 1)
    batches = [ids[start : start + size] for start in range(0, len(ids), size)]
    run = sweep_start(batches=batches, now=timezone.now())
    result = group(
        check_projects_task.s(batch, reason="sweep", sweep_id=run.pk, batch_number=number)
        for number, batch in enumerate(batches, start=1)
    ).apply_async()
    sweep_group_record(sweep_id=run.pk, group_id=result.id or "")
    # Projects no check has summed up (ended before the summaries existed, say): the portfolio
    # would count them green. Their summaries are written, in batches, without checking them.
    # Those the batches check get theirs from their check: on a new database, every project
    # would be summed up twice, the batches' work done again behind them.
    missing = projects_without_summary(besides=ids)
    for start in range(0, len(missing), size):
        fill_summaries_task.delay(missing[start : start + size])
    return {
        "projects": len(ids),
        "batches": len(batches),
        "group_id": result.id,
        "sweep_id": run.pk,
        "summaries_filled": len(missing),
    }


@shared_task(
    **_options(
        "monitoring.send_reminders",
        autoretry_for=(*TRANSIENT, DeliveryFailed),
        retry_backoff=True,
        max_retries=5,
    )
)
def send_reminders_task() -> dict[str, object]:
    """Today's reminder e-mails (daily, 07:00 Brussels). Safe to run again: what was sent
    today is not sent again. If some e-mails failed, the task fails after sending the others
    and its retry sends the failed ones."""
    result = reminders_send(now=timezone.now())
    if result.failed:
        raise DeliveryFailed(f"reminders to {len(result.failed)} users failed: {result.failed}")
    return {"users": result.users, "reminders": result.reminders, "skipped": result.skipped}


@shared_task(
    **_options(
        "monitoring.send_digests",
        autoretry_for=(*TRANSIENT, DeliveryFailed),
        retry_backoff=True,
        max_retries=5,
    )
)
def send_digests_task() -> dict[str, object]:
    """The officers' weekly digest (Mondays, 07:30 Brussels). Safe to run again: an officer
    gets one digest per ISO week. Failed e-mails fail the task, whose retry sends them."""
    result = digests_send(now=timezone.now())
    if result.failed:
        raise DeliveryFailed(f"digests to {len(result.failed)} officers failed: {result.failed}")
    return {"week": result.week, "sent": result.sent, "skipped": result.skipped}


@shared_task(**_options("monitoring.sweep_resend", autoretry_for=TRANSIENT, max_retries=3))
def sweep_resend_task() -> dict[str, object]:
    """Send again the sweep batches that have not finished a visibility timeout after they
    were sent (every five minutes, from the schedule). By then the broker would have handed a
    batch whose worker died to another worker; a batch still missing was lost (or failed for
    good), and checking its projects again is safe. Each batch is sent at most
    settings.GRANTWATCH_SWEEP_BATCH_MAX_SENDS times in all."""
    batches = sweep_batches_resend(
        now=timezone.now(),
        older_than=datetime.timedelta(seconds=settings.GRANTWATCH_VISIBILITY_TIMEOUT),
        max_sends=settings.GRANTWATCH_SWEEP_BATCH_MAX_SENDS,
    )
    for batch in batches:
        check_projects_task.delay(
            batch.project_ids, reason="sweep", sweep_id=batch.sweep_id, batch_number=batch.number
        )
    return {"resent": [[batch.sweep_id, batch.number] for batch in batches]}


@task_failure.connect(weak=False, dispatch_uid="monitoring.record_task_failure")
def _record_task_failure(sender=None, task_id=None, exception=None, **kwargs) -> None:
    """A task failed for good (Celery sends ``task_failure`` after the last retry): keep a row
    for the metric ``grantwatch_task_failures_total``."""
    task_failure_record(
        task_name=getattr(sender, "name", None) or str(sender),
        task_id=task_id or "",
        exception=exception if exception is not None else Exception("unknown"),
    )
