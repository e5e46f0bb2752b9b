"""Helpers for the periodic-report tests: URLs, dates, row counts, and a report of a first
period brought to the point where it can be submitted (the demo's, or the small grant of
tests/reporting/conftest.py, which has the demo's calendar)."""

import datetime
from zoneinfo import ZoneInfo

import time_machine

from backend.audit.models import Event
from backend.grants.models import Participation
from backend.reporting import services
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage
from tests.helpers import row_counts  # noqa: F401 - the suite's one row count, used here

BRUSSELS = ZoneInfo("Europe/Brussels")
# RP1 of the demo runs 2024-03-01 to 2025-08-31; its report is due 2025-10-30.
AFTER_RP1 = datetime.datetime(2025, 9, 15, 10, 0, tzinfo=BRUSSELS)
DURING_RP1 = datetime.datetime(2025, 8, 31, 23, 59, tzinfo=BRUSSELS)
# The last deliverable of RP1 to be due, left late (and justified) by ready_to_submit().
LATE_CODE = "D1.3"


def travel(moment: datetime.datetime = AFTER_RP1):
    return time_machine.travel(moment, tick=False)


def url(project, suffix: str = "") -> str:
    return f"/api/v1/projects/{project.pk}/reports/{suffix}"


def period(project, number: int = 1) -> ReportingPeriod:
    return ReportingPeriod.objects.select_related("project").get(project=project, number=number)


def participation(project, short_name: str) -> Participation:
    return Participation.objects.get(project=project, short_name=short_name)


def work_package(project, number: int) -> WorkPackage:
    return WorkPackage.objects.select_related("project").get(project=project, number=number)


def deliverable(project, code: str) -> Deliverable:
    return Deliverable.objects.get(project=project, code=code)


def verbs() -> list[str]:
    return list(Event.objects.order_by("id").values_list("verb", flat=True))


def accept(project, *codes: str, on: str = "2025-05-05") -> None:
    day = datetime.date.fromisoformat(on)
    Deliverable.objects.filter(project=project, code__in=codes).update(
        status="accepted", delivered_on=day, approved_on=day
    )


def submit_deliverables(project, *codes: str, on: str = "2025-05-05") -> None:
    Deliverable.objects.filter(project=project, code__in=codes).update(
        status="submitted", delivered_on=datetime.date.fromisoformat(on)
    )


def rp1_codes(project) -> list[str]:
    """The codes of the deliverables due in RP1."""
    end = period(project, 1).end_date
    return list(
        Deliverable.objects.filter(project=project, due_on__lte=end)
        .order_by("position", "id")
        .values_list("code", flat=True)
    )


def entry(number: int, text: str = "Did the work.") -> dict:
    return {"work_package": number, "activities": text, "outputs": "", "narrative": ""}


def ready_to_submit(project, users, *, technical_part: str = "What we did in RP1.") -> None:
    """RP1 with a technical part, ZILEMED's and GAUJA's contributions locked, every work
    package declared not completed, every RP1 deliverable accepted but D1.3 (LATE_CODE), which
    is justified."""
    rp1 = period(project, 1)
    manager, partner = users["manager"], users["partner_contact"]
    accept(project, *[code for code in rp1_codes(project) if code != LATE_CODE])
    services.report_update(period=rp1, user=manager, technical_part=technical_part)
    for user, short_name in ((partner, "ZILEMED"), (manager, "GAUJA")):
        who = participation(project, short_name)
        services.contribution_save(
            period=rp1, participation=who, user=user, entries=[entry(1, f"{short_name} work")]
        )
        services.contribution_lock(period=rp1, participation=who, user=user)
    for wp in WorkPackage.objects.filter(project=project).select_related("project"):
        services.declaration_save(period=rp1, work_package=wp, user=manager, completed=False)
    services.justification_save(
        period=rp1,
        deliverable=deliverable(project, LATE_CODE),
        user=manager,
        text="The survey closed late.",
    )
