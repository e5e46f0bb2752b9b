"""The one way the grant record tells the watchers it changed.

Services call ``projects_changed`` inside their transaction. The watchers record the request for
a check right there, in the same transaction (their outbox), so the request exists exactly when
the change commits and is gone when it is rolled back; once the transaction commits, they try to
hand it to a worker at once. That attempt never raises into the caller: when the broker is down
the request waits in the outbox until the watchers' relay can send it.

The record sits below the watchers and never imports them: the watchers plug in how they record
and relay (``watchers_connect``, called by the monitoring app when Django is ready). A change
reported before anything is plugged in is an error, not a silently skipped check.

A bulk writer that makes many changes in a row (the demo loader) can collect them instead with
``changes_collected``: inside that block nothing is recorded, and the writer checks the collected
projects itself, once, when it is done."""

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction


@dataclass
class CollectedChanges:
    """What changed inside a ``changes_collected`` block."""

    project_ids: set[int] = field(default_factory=set)
    everything: bool = False  # reference data changed: every project needs a check


@dataclass(frozen=True)
class Watchers:
    """How the watchers hear of a change: ``projects`` and ``everything`` record the request in
    the caller's transaction and return its keys; ``relay`` is called with them once the
    transaction has committed, and must not raise."""

    projects: Callable[[list[int], str], list[str]]  # (project ids, reason) -> keys
    everything: Callable[[], list[str]]
    relay: Callable[[list[str]], None]


_watchers: list[Watchers] = []


def watchers_connect(watchers: Watchers) -> None:
    """Plug the watchers in (once; connecting again replaces them)."""
    _watchers[:] = [watchers]


def _connected() -> Watchers:
    if not _watchers:
        raise RuntimeError("No watchers are connected: is the monitoring app installed?")
    return _watchers[0]


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

    watchers = _connected()
    keys = watchers.projects(ids, reason)
    transaction.on_commit(lambda: watchers.relay(keys), robust=True)


def all_projects_changed() -> None:
    """Reference data that many projects read changed (a country's status): sweep them all."""
    collected = _collector.get()
    if collected is not None:
        collected.everything = True
        return

    watchers = _connected()
    keys = watchers.everything()
    transaction.on_commit(lambda: watchers.relay(keys), robust=True)
