"""The one way the grant record tells the watchers it changed.

Services call ``projects_changed`` inside their transaction; the check is queued only once the
transaction commits, so a worker never looks at a change that was rolled back or is not yet
visible.

A bulk writer that makes many changes in a row (the demo loader) can collect them instead with
``changes_collected``: inside that block nothing is queued, and the writer checks the collected
projects itself, once, when it is done."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction


@dataclass
class CollectedChanges:
    """What changed inside a ``changes_collected`` block."""

    project_ids: set[int] = field(default_factory=set)
    everything: bool = False  # reference data changed: every project needs a check


_collector: ContextVar[CollectedChanges | None] = ContextVar("seam_collector", default=None)


@contextmanager
def changes_collected() -> Iterator[CollectedChanges]:
    """Collect the changes made in this block instead of queueing their checks."""
    collected = CollectedChanges()
    token = _collector.set(collected)
    try:
        yield collected
    finally:
        _collector.reset(token)


def projects_changed(project_ids: Iterable[int], *, reason: str) -> None:
    ids = sorted({int(project_id) for project_id in project_ids})
    if not ids:
        return
    collected = _collector.get()
    if collected is not None:
        collected.project_ids.update(ids)
        return

    def queue() -> None:
        from monitoring.tasks import check_projects_task

        check_projects_task.delay(ids, reason=reason)

    transaction.on_commit(queue)


def all_projects_changed(*, reason: str) -> None:
    """Reference data that many projects read changed (a country's status): sweep them all."""
    collected = _collector.get()
    if collected is not None:
        collected.everything = True
        return

    def queue() -> None:
        from monitoring.tasks import sweep_task

        sweep_task.delay()

    transaction.on_commit(queue)
