"""The watchers' own record: each sweep with its batches, and the tasks that failed for good.

The sweep (``monitoring.tasks.sweep_task``) records a ``SweepRun`` with one ``SweepBatch`` per
check task it hands out; each check task marks its batch finished, and the batch that finds no
other batch pending marks the sweep finished (successful). A batch keeps its project ids and
when it was sent: one that has not finished long after (its worker died and the broker did not
hand it out again, or its task failed for good) is sent again by ``monitoring.sweep_resend``, a
bounded number of times. The metrics read these rows at scrape time (``monitoring.metrics``):
the last successful sweep's time and duration, and the age of the oldest unfinished batch.

Celery's ``task_failure`` signal (connected in ``monitoring.tasks``) records a ``TaskFailure``
in the worker, where the web process's metrics can count it.
"""

import datetime
import logging
from collections.abc import Sequence

from django.db import DatabaseError, transaction
from django.utils import timezone

from monitoring.models import SweepBatch, SweepRun, TaskFailure

logger = logging.getLogger("monitoring.sweeps")

MESSAGE_MAX_LENGTH = 2000


def sweep_start(*, batches: Sequence[Sequence[int]], now: datetime.datetime) -> SweepRun:
    """Record a sweep about to hand out these batches of project ids (each sent ``now``). A
    sweep with nothing to check is finished (and successful) at once."""
    with transaction.atomic():
        run = SweepRun.objects.create(
            started_at=now,
            projects=sum(len(batch) for batch in batches),
            batches=len(batches),
            finished_at=None if batches else now,
            duration_seconds=None if batches else 0.0,
        )
        SweepBatch.objects.bulk_create(
            SweepBatch(
                sweep=run, number=number, projects=len(ids), project_ids=list(ids), sent_at=now
            )
            for number, ids in enumerate(batches, start=1)
        )
    logger.info(
        "event=sweep_started sweep_id=%s projects=%s batches=%s",
        run.pk,
        run.projects,
        run.batches,
        extra={
            "event": "sweep_started",
            "sweep_id": run.pk,
            "projects": run.projects,
            "batches": run.batches,
        },
    )
    return run


def sweep_group_record(*, sweep_id: int, group_id: str) -> None:
    """Note the Celery group that carries the sweep's batches (to look their results up)."""
    SweepRun.objects.filter(pk=sweep_id).update(group_id=group_id)


def sweep_batch_finish(*, sweep_id: int, number: int, now: datetime.datetime) -> bool:
    """Mark batch ``number`` of the sweep finished; if no batch is pending any more, mark the
    sweep finished. Returns whether this call finished the sweep.

    Safe to run twice and concurrently: each step is a conditional update, committed before the
    next is taken, so the last batch to commit sees every other batch finished, and only one
    call sets the sweep's end."""
    SweepBatch.objects.filter(sweep_id=sweep_id, number=number, finished_at__isnull=True).update(
        finished_at=now
    )
    if SweepBatch.objects.filter(sweep_id=sweep_id, finished_at__isnull=True).exists():
        return False
    started_at = (
        SweepRun.objects.filter(pk=sweep_id, finished_at__isnull=True)
        .values_list("started_at", flat=True)
        .first()
    )
    if started_at is None:
        return False  # unknown, or finished already
    finished = SweepRun.objects.filter(pk=sweep_id, finished_at__isnull=True).update(
        finished_at=now, duration_seconds=max((now - started_at).total_seconds(), 0.0)
    )
    if finished:
        logger.info(
            "event=sweep_finished sweep_id=%s duration_seconds=%.3f",
            sweep_id,
            (now - started_at).total_seconds(),
            extra={
                "event": "sweep_finished",
                "sweep_id": sweep_id,
                "duration_seconds": (now - started_at).total_seconds(),
            },
        )
    return bool(finished)


def sweep_batches_resend(
    *, now: datetime.datetime, older_than: datetime.timedelta, max_sends: int
) -> list[SweepBatch]:
    """The batches to send again: not finished, last sent longer ago than ``older_than``, sent
    fewer than ``max_sends`` times, of a sweep that has not finished. Each is recorded as sent
    once more, now, before it is returned; a batch sent ``max_sends`` times is given up (its
    sweep stays unfinished, which the stale-check metric and the sweep alert show).

    Safe to run concurrently: the rows are locked, and a row another call holds is skipped."""
    with transaction.atomic():
        batches = list(
            SweepBatch.objects.select_for_update(skip_locked=True)
            .filter(
                finished_at__isnull=True,
                sweep__finished_at__isnull=True,
                sent_at__lt=now - older_than,
                sends__lt=max_sends,
            )
            .exclude(project_ids=[])
            .order_by("sweep_id", "number")
        )
        for batch in batches:
            batch.sends += 1
            batch.sent_at = now
        SweepBatch.objects.bulk_update(batches, ["sends", "sent_at"])
    for batch in batches:
        logger.warning(
            "event=sweep_batch_resent sweep_id=%s batch=%s sends=%s",
            batch.sweep_id,
            batch.number,
            batch.sends,
            extra={
                "event": "sweep_batch_resent",
                "sweep_id": batch.sweep_id,
                "batch": batch.number,
                "sends": batch.sends,
            },
        )
    return batches


def task_failure_record(
    *, task_name: str, task_id: str, exception: BaseException, now: datetime.datetime | None = None
) -> TaskFailure | None:
    """Record a task that failed for good. Never raises: the failure may be the database's
    own, and a failing failure handler must not hide the task's error (it is logged instead)."""
    try:
        with transaction.atomic():  # a savepoint: a failed insert leaves the caller's block usable
            return TaskFailure.objects.create(
                task_name=task_name[:200],
                task_id=(task_id or "")[:255],
                exception=type(exception).__name__[:200],
                message=str(exception)[:MESSAGE_MAX_LENGTH],
                failed_at=now or timezone.now(),
            )
    except DatabaseError:
        logger.exception(
            "event=task_failure_not_recorded task=%s task_id=%s",
            task_name,
            task_id,
            extra={"event": "task_failure_not_recorded", "task": task_name},
        )
        return None
