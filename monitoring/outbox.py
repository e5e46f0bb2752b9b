"""The outbox of checks: the watchers' side of the seam (``backend.common.seam``).

A change to the grant record asks for a check of its projects inside its own transaction
(``outbox_record``): a ``PendingCheck`` row per project, coalesced (a project waiting for a check
has one row, however many changes ask for it). The row exists exactly when the change commits.
The relay (``outbox_relay``) hands the rows to the broker, one ``check_projects_task`` per batch
of projects (a ``sweep_task`` for the row ``all``), and deletes them only once the broker took
the task. It runs

- right after the change commits (``outbox_relay_now``): with short broker timeouts and no
  publish retries, and it never raises, so a request never fails, nor waits more than a moment,
  because the broker is down;
- every few seconds from beat (``relay_outbox_task``), for what the first attempt could not
  send: the checks run once the broker is back.

The checks go to the checks queue (settings.GRANTWATCH_CHECKS_QUEUE), which the workers serve
before the sweep's: a change's flag does not wait behind a sweep.

Checks of one project are coalesced twice. A project waiting in the outbox has one row, however
many changes ask for it. And once its check is queued, a change that commits before that check
starts needs no check of its own: the queued check reads the record when it starts, after the
change. The relay marks the projects of the checks it queues (``checks_queued_mark``, in the
cache, which every web process and worker shares); the check task clears its projects' marks as
it starts, before it reads anything (``checks_queued_clear``); a row whose project is marked is
deleted without a task. A mark expires after ``QUEUED_MARK_SECONDS``, so a check lost before it
started (its queue purged) holds back later changes' checks for that long at most.

A failed publish leaves its rows, with the attempt counted and the error kept; the metrics
report how many rows wait and how old the oldest is (``monitoring.metrics``).
"""

import datetime
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, Min
from django.utils import timezone
from kombu import Connection

from monitoring.models import OUTBOX_EVERYTHING, PendingCheck
from monitoring.tasks import check_projects_task, sweep_task

logger = logging.getLogger("monitoring.outbox")

# Seconds the attempt right after a commit waits for the broker; the beat relay waits longer.
IMMEDIATE_TIMEOUT = 0.3
RELAY_TIMEOUT = 3.0
# Rows the attempt after a commit sends at most (the rest wait for beat's relay).
IMMEDIATE_LIMIT = 500
RELAY_LIMIT = 20_000
REASON_LENGTH = 200
# How long a queued check stands for the changes after it (see the module's docstring).
QUEUED_MARK_SECONDS = 60


def project_key(project_id: int) -> str:
    return f"project:{int(project_id)}"


# -- recording, inside the change's transaction -------------------------------------------------


def _upsert(rows: list[tuple[str, int | None]], reason: str) -> None:
    """One statement: a row per key, or one more request on the row already waiting."""
    now = timezone.now()
    table = connection.ops.quote_name(PendingCheck._meta.db_table)
    key = connection.ops.quote_name("key")
    values = ", ".join(["(%s, %s, %s, 1, %s, %s, 0, '')"] * len(rows))
    params: list[object] = []
    for row_key, project_id in rows:
        params += [row_key, project_id, reason[:REASON_LENGTH], now, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({key}, project_id, reason, requests, requested_at, "
            f"last_requested_at, attempts, last_error) VALUES {values} "
            f"ON CONFLICT ({key}) DO UPDATE SET requests = {table}.requests + 1, "
            "reason = excluded.reason, last_requested_at = excluded.last_requested_at",
            params,
        )


def outbox_record(project_ids: Iterable[int], reason: str) -> list[str]:
    """Ask for a check of these projects, in the caller's transaction; return the rows' keys."""
    ids = sorted({int(project_id) for project_id in project_ids})
    rows = [(project_key(project_id), project_id) for project_id in ids]
    for start in range(0, len(rows), 1000):
        _upsert(rows[start : start + 1000], reason)
    return [row_key for row_key, _ in rows]


def outbox_record_everything() -> list[str]:
    """Ask for a sweep of every project (reference data changed), in the caller's transaction."""
    _upsert([(OUTBOX_EVERYTHING, None)], "reference data changed")
    return [OUTBOX_EVERYTHING]


# -- queued checks ------------------------------------------------------------------------------


def _queued_key(project_id: int) -> str:
    return f"monitoring:check_queued:{int(project_id)}"


def checks_queued(project_ids: Iterable[int]) -> set[int]:
    """Those of these projects whose check is queued and has not started."""
    keys = {_queued_key(project_id): int(project_id) for project_id in project_ids}
    if not keys:
        return set()
    return {keys[key] for key in cache.get_many(list(keys))}


def checks_queued_mark(project_ids: Iterable[int]) -> None:
    cache.set_many(
        {_queued_key(project_id): 1 for project_id in project_ids}, timeout=QUEUED_MARK_SECONDS
    )


def checks_queued_clear(project_ids: Iterable[int]) -> None:
    """A check of these projects starts (or was never queued): a change from now on needs a
    check of its own. Never raises: a cache that fails costs coalescing, not the check."""
    try:
        cache.delete_many([_queued_key(project_id) for project_id in project_ids])
    except Exception:
        logger.warning("event=checks_queued_clear_failed", exc_info=True)


# -- relaying, after the commit and from beat ---------------------------------------------------


@dataclass
class RelayResult:
    sent: int = 0  # rows handed to the broker (and deleted)
    tasks: int = 0  # tasks published
    coalesced: int = 0  # rows (among ``sent``) whose project's check was already queued
    failed: int = 0  # rows left waiting because a publish failed
    error: str = ""


def _eager() -> bool:
    return bool(check_projects_task.app.conf.task_always_eager)


@contextmanager
def _broker(timeout: float) -> Iterator[Connection | None]:
    """A connection to the broker with short timeouts and no retries (None when tasks run
    eagerly, as in the tests, where nothing is published)."""
    if _eager():
        yield None
        return
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    url = settings.CELERY_BROKER_URL
    if url.rstrip("/") == "filesystem:":
        url = "filesystem://localhost/"
    if url.startswith(("redis://", "rediss://")):
        options.update(socket_connect_timeout=timeout, socket_timeout=timeout, max_retries=0)
    broker = Connection(url, connect_timeout=timeout, transport_options=options)
    try:
        broker.ensure_connection(
            max_retries=1, interval_start=0, interval_step=0, interval_max=0, timeout=timeout
        )
        yield broker
    finally:
        broker.release()


def _publish(task, broker: Connection | None, args: list, kwargs: dict, **options) -> None:
    """Send one task, once: no retries, no subscription to its result."""
    if broker is None:
        task.apply_async(args=args, kwargs=kwargs, **options)
        return
    task.apply_async(
        args=args, kwargs=kwargs, connection=broker, retry=False, ignore_result=True, **options
    )


def _publish_check(broker: Connection | None, ids: list[int], reason: str) -> None:
    """Queue a check of these projects on the checks queue, marked as queued first (a check
    run at once, as in the tests, clears the marks itself); unmarked again if it fails."""
    checks_queued_mark(ids)
    try:
        _publish(
            check_projects_task,
            broker,
            [ids],
            {"reason": reason},
            queue=settings.GRANTWATCH_CHECKS_QUEUE,
        )
    except BaseException:
        checks_queued_clear(ids)
        raise


def _batches(rows: list[PendingCheck]) -> Iterator[tuple[list[PendingCheck], Callable]]:
    """The rows grouped into tasks: the sweep first (it checks everything), then the projects in
    batches of the sweep's size."""
    everything = [row for row in rows if row.key == OUTBOX_EVERYTHING]
    if everything:
        yield everything, lambda broker: _publish(sweep_task, broker, [], {})
    projects = [row for row in rows if row.key != OUTBOX_EVERYTHING]
    size = settings.GRANTWATCH_SWEEP_BATCH_SIZE
    for start in range(0, len(projects), size):
        batch = projects[start : start + size]
        ids = [row.project_id for row in batch]
        reason = "; ".join(sorted({row.reason for row in batch if row.reason}))[:REASON_LENGTH]
        yield (
            batch,
            lambda broker, ids=ids, reason=reason: _publish_check(broker, ids, reason),
        )


def _failed(rows: list[PendingCheck], error: BaseException) -> str:
    message = f"{type(error).__name__}: {error}"[:1000]
    PendingCheck.objects.filter(pk__in=[row.pk for row in rows]).update(
        attempts=F("attempts") + 1, last_attempt_at=timezone.now(), last_error=message
    )
    return message


def _coalesce(rows: list[PendingCheck], result: RelayResult) -> list[PendingCheck]:
    """Delete the rows of projects whose check is queued and not started (that check covers
    their changes); return the others."""
    try:
        queued = checks_queued(row.project_id for row in rows if row.key != OUTBOX_EVERYTHING)
    except Exception:  # the cache's: send every row
        logger.warning("event=outbox_coalesce_failed", exc_info=True)
        return rows
    covered = [row for row in rows if row.key != OUTBOX_EVERYTHING and row.project_id in queued]
    if covered:
        PendingCheck.objects.filter(pk__in=[row.pk for row in covered]).delete()
        result.sent += len(covered)
        result.coalesced += len(covered)
    covered_pks = {row.pk for row in covered}
    return [row for row in rows if row.pk not in covered_pks]


def _send(rows: list[PendingCheck], timeout: float, result: RelayResult) -> None:
    rows = _coalesce(rows, result)
    if not rows:
        return
    pending = list(rows)
    try:
        with _broker(timeout) as broker:
            for batch, send in _batches(rows):
                send(broker)
                PendingCheck.objects.filter(pk__in=[row.pk for row in batch]).delete()
                result.sent += len(batch)
                result.tasks += 1
                sent = {row.pk for row in batch}
                pending = [row for row in pending if row.pk not in sent]
    except Exception as error:  # the broker's or its transport's error: it is down
        result.failed = len(pending)
        result.error = _failed(pending, error)


def outbox_relay(
    *, keys: Iterable[str] | None = None, limit: int = RELAY_LIMIT, timeout: float = RELAY_TIMEOUT
) -> RelayResult:
    """Hand the waiting rows (those of ``keys``, or all) to the broker, oldest first; delete each
    batch's rows once its task is published. Rows another relay is sending are skipped."""
    result = RelayResult()
    with transaction.atomic():
        rows = PendingCheck.objects.select_for_update(skip_locked=True).order_by(
            "requested_at", "id"
        )
        if keys is not None:
            rows = rows.filter(key__in=list(keys))
        rows = list(rows[:limit])
        if rows:
            _send(rows, timeout, result)
    if result.failed:
        logger.warning(
            "event=outbox_publish_failed sent=%d waiting=%d error=%s",
            result.sent,
            result.failed,
            result.error,
        )
    elif result.sent:
        logger.info(
            "event=outbox_relayed sent=%d tasks=%d coalesced=%d",
            result.sent,
            result.tasks,
            result.coalesced,
        )
    return result


def outbox_relay_now(keys: list[str]) -> None:
    """The attempt right after a commit: sends this change's rows if the broker takes them at
    once, and never raises (beat's relay sends whatever is left)."""
    try:
        outbox_relay(keys=keys, limit=IMMEDIATE_LIMIT, timeout=IMMEDIATE_TIMEOUT)
    except Exception:
        logger.warning("event=outbox_relay_failed keys=%d", len(keys), exc_info=True)


def outbox_depth(now: datetime.datetime | None = None) -> tuple[int, float]:
    """How many rows wait, and the age in seconds of the oldest (0: none): one query."""
    now = now or timezone.now()
    state = PendingCheck.objects.order_by().aggregate(count=Count("id"), oldest=Min("requested_at"))
    age = (now - state["oldest"]).total_seconds() if state["oldest"] else 0.0
    return state["count"], max(age, 0.0)


@shared_task(name="monitoring.relay_outbox", ignore_result=True)
def relay_outbox_task() -> dict[str, object]:
    """Beat's relay, every few seconds: send the checks still waiting in the outbox."""
    result = outbox_relay()
    return {
        "sent": result.sent,
        "tasks": result.tasks,
        "coalesced": result.coalesced,
        "waiting": result.failed,
    }
