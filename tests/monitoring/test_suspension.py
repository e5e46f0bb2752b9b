"""A suspension of the project and the termination of the grant, as the watchers see them: a
deadline falling in a suspension is neither overdue nor reminded while it lasts and comes the
suspended days later once work resumed; every payment deadline stands still meanwhile; after
a termination nothing planned after the last day is due.

The demo (CARETECH) starts 2024-03-01: D1.3 and D3.3 are due in M18 (2025-08-31), D1.2 in M6
(2024-08-31), D5.4 in M28 (2026-06-30); RP1 (M1-18) ends 2025-08-31, its report due
2025-10-30."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from backend.grants.models import Project, ProjectSuspension
from backend.reporting.models import PeriodicReport, ReportStatus
from backend.workplan.models import Deliverable, ReportingPeriod
from monitoring.checks import check_projects
from monitoring.deadlines import deadline_in_force, reports_not_received
from monitoring.models import Flag
from monitoring.reminders import reminders_send

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(year, month, day, hour=10) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=BRUSSELS)


def check(project, moment: datetime.datetime) -> None:
    with time_machine.travel(moment, tick=False):
        check_projects([project.pk], now=timezone.now())


def flagged(project, kind: str) -> dict[str, dict]:
    """The open flags of a kind: their explanation's details, by the item's code (or the
    report's period)."""
    found = {}
    for flag in Flag.objects.filter(project=project, kind=kind, resolved_at__isnull=True):
        details = flag.explanation["details"]
        found[details.get("code") or f"RP{details.get('reporting_period')}"] = details
    return found


def suspend(project, start: datetime.date, end: datetime.date | None = None) -> None:
    ProjectSuspension.objects.create(project=project, started_on=start, ended_on=end)


def test_the_deadline_in_force_of_a_suspended_day():
    suspensions = [(datetime.date(2025, 8, 1), datetime.date(2025, 9, 1))]
    assert deadline_in_force(datetime.date(2025, 8, 31), suspensions) == (
        datetime.date(2025, 10, 1),
        31,
    )
    assert deadline_in_force(datetime.date(2025, 7, 31), suspensions) == (
        datetime.date(2025, 7, 31),
        0,
    )
    assert deadline_in_force(datetime.date(2025, 9, 1), suspensions) == (
        datetime.date(2025, 9, 1),
        0,
    )
    assert deadline_in_force(datetime.date(2025, 8, 1), [(datetime.date(2025, 8, 1), None)]) == (
        None,
        0,
    )


def test_no_overdue_flag_for_a_deadline_in_an_open_suspension(demo):
    suspend(demo, datetime.date(2025, 8, 1))

    check(demo, at(2025, 11, 15))

    deliverables = flagged(demo, "deliverable_overdue")
    # Due before the suspension: overdue as ever. Due in it: not while it lasts.
    assert "D1.2" in deliverables
    assert "D1.3" not in deliverables
    assert "D3.3" not in deliverables
    assert flagged(demo, "report_overdue") == {}


def test_without_the_suspension_the_same_deadlines_are_overdue(demo):
    check(demo, at(2025, 11, 15))

    assert {"D1.2", "D1.3", "D3.3"} <= set(flagged(demo, "deliverable_overdue"))
    assert set(flagged(demo, "report_overdue")) == {"RP1"}


def test_once_resumed_a_deadline_in_the_suspension_comes_the_suspended_days_later(demo):
    # Suspended for 31 days, from 2025-08-01; work resumed on 2025-09-01.
    suspend(demo, datetime.date(2025, 8, 1), datetime.date(2025, 9, 1))

    check(demo, at(2025, 10, 1, 23))
    assert "D1.3" not in flagged(demo, "deliverable_overdue")

    check(demo, at(2025, 10, 2))
    d13 = flagged(demo, "deliverable_overdue")["D1.3"]
    assert (d13["due_on"], d13["due_month"]) == ("2025-10-01", 18)
    # RP1's report, due 2025-10-30, is after the suspension: not moved.
    assert next((r.number, r.due_on) for r in reports_not_received([demo.pk])) == (
        1,
        datetime.date(2025, 10, 30),
    )


def test_the_payment_deadline_stands_still_during_a_suspension(api_client, demo, users):
    rp1 = ReportingPeriod.objects.get(project=demo, number=1)
    PeriodicReport.objects.create(
        project=demo,
        reporting_period=rp1,
        status=ReportStatus.SUBMITTED,
        submitted_at=at(2025, 10, 1),
        first_submitted_at=at(2025, 10, 1),
    )
    api_client.force_authenticate(users["officer"])

    def rp1_instalment(moment) -> dict:
        with time_machine.travel(moment, tick=False):
            response = api_client.get(f"/api/v1/projects/{demo.pk}/instalments/")
        assert response.status_code == 200, response.content
        return next(i for i in response.json()["instalments"] if i["key"] == "rp1")

    before = rp1_instalment(at(2025, 11, 20))
    assert (before["payment_days"], before["payment_due_on"], before["suspended_days"]) == (
        90,
        "2025-12-30",
        0,
    )

    # Open since 2025-11-01: on 2025-11-20 the deadline has stood still 19 days.
    suspend(demo, datetime.date(2025, 11, 1))
    running = rp1_instalment(at(2025, 11, 20))
    assert (running["payment_due_on"], running["suspended_days"]) == ("2026-01-18", 19)

    # Resumed on 2025-11-11: ten days, whatever the day it is read.
    ProjectSuspension.objects.filter(project=demo).update(ended_on=datetime.date(2025, 11, 11))
    after = rp1_instalment(at(2026, 2, 1))
    assert (after["payment_due_on"], after["suspended_days"]) == ("2026-01-09", 10)


def _reminder_lines(moment, mailoutbox) -> list[str]:
    mailoutbox.clear()
    with time_machine.travel(moment, tick=False):
        reminders_send()
    return [
        line
        for message in mailoutbox
        if "pm@example.org" in message.to
        for line in message.body.splitlines()
        if line.startswith("- ")
    ]


def test_no_reminder_while_suspended_and_the_moved_date_once_resumed(users, demo, mailoutbox):
    title = Deliverable.objects.get(project=demo, code="D5.4").title
    suspend(demo, datetime.date(2026, 6, 1))

    # 14 days before D5.4's planned date, the project is suspended: nothing is reminded.
    assert _reminder_lines(at(2026, 6, 16, 7), mailoutbox) == []

    # Work resumed on 2026-07-01: 30 days suspended, D5.4 is due on 2026-07-30.
    ProjectSuspension.objects.filter(project=demo).update(ended_on=datetime.date(2026, 7, 1))
    assert _reminder_lines(at(2026, 6, 16, 7), mailoutbox) == []
    assert _reminder_lines(at(2026, 7, 16, 7), mailoutbox) == [
        f'- Deliverable D5.4 "{title}": due in 14 days, M28 · 2026-07-30'
    ]


def test_after_a_termination_nothing_due_after_the_last_day_is_flagged(demo):
    Project.objects.filter(pk=demo.pk).update(terminated_on=datetime.date(2025, 6, 30))

    check(demo, at(2026, 1, 15))

    due_by_then = set(
        Deliverable.objects.filter(
            project=demo, due_on__lte=datetime.date(2025, 6, 30)
        ).values_list("code", flat=True)
    )
    assert due_by_then
    assert set(flagged(demo, "deliverable_overdue")) == due_by_then
    # RP1 is cut at the last day: its report, the final one, was due 60 days later; RP2 and
    # RP3 start after the last day and are gone.
    rp1 = flagged(demo, "report_overdue")
    assert list(rp1) == ["RP1"]
    assert (rp1["RP1"]["period_end"], rp1["RP1"]["due_on"]) == ("2025-06-30", "2025-08-29")
