"""Helpers for work-plan tests: deliverables brought to a status through the services, and
what a refusal must leave untouched."""

import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings

from backend.audit.models import Event
from backend.workplan.models import Deliverable, DueDateRevision, EvidenceFile, Milestone
from backend.workplan.services import (
    deliverable_accept,
    deliverable_evidence_upload,
    deliverable_submit,
)
from tests.workplan.files import PDF, upload

BRUSSELS = ZoneInfo("Europe/Brussels")
# The day most tests run on: D1.1 is long overdue, D5.4 not yet due.
TODAY = datetime.date(2026, 5, 4)


def at(day: datetime.date, hour: int = 10):
    """Travel to a day in Brussels (the clock stands still)."""
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, tzinfo=BRUSSELS), tick=False
    )


def make_draft(deliverable, user, name="report.pdf", content=PDF) -> Deliverable:
    return deliverable_evidence_upload(
        deliverable=deliverable, user=user, upload=upload(name, content)
    )


def make_submitted(deliverable, manager, day=datetime.date(2026, 4, 20)) -> Deliverable:
    make_draft(deliverable, manager)
    return deliverable_submit(deliverable=deliverable, user=manager, today=day)


def make_accepted(deliverable, manager, officer, day=datetime.date(2026, 4, 27)) -> Deliverable:
    make_submitted(deliverable, manager)
    return deliverable_accept(deliverable=deliverable, user=officer, today=day)


def stored_files() -> list[str]:
    """The files in MEDIA_ROOT (each test has its own)."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def record_state(deliverable: Deliverable | None = None, milestone: Milestone | None = None):
    """Everything a refused step must leave as it was."""
    return {
        "deliverable": None
        if deliverable is None
        else Deliverable.objects.filter(pk=deliverable.pk).values().get(),
        "milestone": None
        if milestone is None
        else Milestone.objects.filter(pk=milestone.pk).values().get(),
        "files": list(EvidenceFile.objects.values()),
        "revisions": list(DueDateRevision.objects.values()),
        "events": Event.objects.count(),
        "stored": stored_files(),
    }


def events(verb: str) -> list[Event]:
    return list(Event.objects.filter(verb=verb).order_by("id"))
