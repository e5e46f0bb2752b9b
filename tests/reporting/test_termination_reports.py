"""Termination reports (brief 4.4, edge case 25): when a beneficiary leaves by an approved
amendment, the coordinator's termination report and report on the distribution of payments are
due 30 days after its last day (the consortium asked) or 60 (the agency decided), and flagged as
overdue from the day after; none is due when the next periodic report falls due within 30 days.

On CARETECH (tests/conftest.py's ``demo``): RP1's report is due 2025-10-30, RP2's (M19-36, ends
2027-02-28) 2027-04-29, RP3's 2028-04-29. Terminations are submitted on 2026-05-04 and approved
on 2026-05-20, through the amendment services, as the officer approves them."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.amendments.services import amendment_approve, amendment_create, amendment_submit
from backend.amendments.validation import ChangeInput
from backend.audit.models import Event
from backend.common.dates import BRUSSELS
from backend.reporting.models import TerminationReport
from backend.reporting.terminations import (
    PeriodDue,
    termination_due,
    termination_report_send,
)
from monitoring.checks import check_projects
from monitoring.models import Flag, FlagKind
from monitoring.terminations import termination_report_findings

pytestmark = pytest.mark.django_db

SUBMITTED = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=BRUSSELS)
APPROVED = datetime.datetime(2026, 5, 20, 9, 0, tzinfo=BRUSSELS)


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def noon(text: str) -> datetime.datetime:
    return datetime.datetime.combine(day(text), datetime.time(12, 0), tzinfo=BRUSSELS)


def terminated(demo, users, participant: str, left_on: str, initiated_by=None):
    """The participant's termination, approved; its termination report."""
    change = ChangeInput(
        kind="terminate_participation",
        participant=participant,
        effective_on=day(left_on),
        initiated_by=initiated_by,
    )
    with time_machine.travel(SUBMITTED, tick=False):
        draft = amendment_create(
            project=demo, user=users["manager"], justification="Leaves.", changes=[change]
        )
        amendment_submit(request=draft, user=users["manager"])
    with time_machine.travel(APPROVED, tick=False):
        amendment_approve(
            request=draft,
            user=users["officer"],
            note="Approved.",
            override_justification="Approved as asked.",
        )
    return TerminationReport.objects.select_related("participation").get(
        participation__project=demo, participation__short_name=participant
    )


def open_flags(project) -> dict[str, Flag]:
    return {
        flag.fingerprint: flag
        for flag in Flag.objects.filter(
            project=project, kind=FlagKind.TERMINATION_REPORT_OVERDUE, resolved_at__isnull=True
        )
    }


# -- the deadline (pure) --------------------------------------------------------------------------


PERIODS = [
    PeriodDue(period_id=1, number=1, due_on=day("2025-10-30")),
    PeriodDue(period_id=2, number=2, due_on=day("2027-04-29")),
]


@pytest.mark.parametrize(
    ("left_on", "initiated_by", "due_on", "skipped_for"),
    [
        ("2026-06-30", "consortium", "2026-07-30", None),
        ("2026-06-30", "agency", "2026-08-29", None),
        # The periodic report due on the 30th day after the departure covers it...
        ("2027-03-30", "consortium", "2027-04-29", 2),
        ("2027-04-29", "agency", "2027-06-28", 2),
        # ... not one due on the 31st, nor one due before the departure.
        ("2027-03-29", "consortium", "2027-04-28", None),
        ("2027-04-30", "consortium", "2027-05-30", None),
    ],
)
def test_the_reports_are_due_30_or_60_days_after_the_last_day_unless_a_periodic_report_covers(
    left_on, initiated_by, due_on, skipped_for
):
    due = termination_due(
        left_on=day(left_on),
        initiated_by=initiated_by,
        report_days=30,
        agency_report_days=60,
        skip_days=30,
        periods=PERIODS,
    )
    assert due.due_on == day(due_on)
    assert (due.skipped_for and due.skipped_for.number) == skipped_for


# -- opening, through the approval ----------------------------------------------------------------


def test_approving_a_consortium_termination_opens_its_reports_due_in_30_days(demo, users):
    report = terminated(demo, users, "ZSTW", "2026-06-30")

    assert report.project == demo
    assert report.participation.left_on == day("2026-06-30")
    assert (report.initiated_by, report.due_on, report.skipped_for) == (
        "consortium",
        day("2026-07-30"),
        None,
    )
    assert not report.complete


def test_an_agency_termination_gives_60_days(demo, users):
    report = terminated(demo, users, "ZSTW", "2026-06-30", initiated_by="agency")

    assert (report.initiated_by, report.due_on, report.skipped_for) == (
        "agency",
        day("2026-08-29"),
        None,
    )


def test_no_separate_reports_when_the_next_periodic_report_is_due_within_30_days(demo, users):
    covered = terminated(demo, users, "ZSTW", "2027-03-30")
    not_covered = terminated(demo, users, "FJORDVIK", "2027-03-29")

    assert covered.skipped_for.number == 2
    assert covered.complete
    assert not_covered.skipped_for is None
    assert not_covered.due_on == day("2027-04-28")


def test_an_associated_partner_leaving_opens_no_report(demo, users):
    associated = demo.participations.filter(role="associated_partner").first()
    change = ChangeInput(
        kind="terminate_participation",
        participant=associated.short_name,
        effective_on=day("2026-06-30"),
    )
    with time_machine.travel(SUBMITTED, tick=False):
        draft = amendment_create(
            project=demo, user=users["manager"], justification="Leaves.", changes=[change]
        )
        amendment_submit(request=draft, user=users["manager"])
    with time_machine.travel(APPROVED, tick=False):
        amendment_approve(request=draft, user=users["officer"], note="", override_justification="")

    associated.refresh_from_db()
    assert associated.left_on == day("2026-06-30")
    assert not TerminationReport.objects.filter(participation=associated).exists()


# -- edge case 25: overdue -------------------------------------------------------------------------


def test_edge_case_25_not_sent_30_days_after_a_consortium_termination_is_overdue(demo, users):
    report = terminated(demo, users, "ZSTW", "2026-06-30")
    fingerprint = f"termination_report_overdue:{report.pk}"

    check_projects([demo.pk], now=noon("2026-07-30"))  # the 30th day: still in time
    assert open_flags(demo) == {}

    check_projects([demo.pk], now=noon("2026-07-31"))
    flag = open_flags(demo)[fingerprint]
    assert flag.severity == "medium"
    assert flag.message("en") == (
        "ZSTW left on 2026-06-30. Its termination report and the report on the distribution "
        "of payments were due on 2026-07-30 and have not been sent."
    )
    assert flag.message("lv").startswith("ZSTW")  # in Latvian once the catalogue has it
    assert flag.explanation["details"] == {
        "termination_report_id": report.pk,
        "participation_id": report.participation_id,
        "participant": "ZSTW",
        "left_on": "2026-06-30",
        "initiated_by": "consortium",
        "due_on": "2026-07-30",
        "missing": ["termination", "distribution"],
    }

    # One report sent: the flag says which one is still missing.
    with time_machine.travel(noon("2026-08-03"), tick=False):
        termination_report_send(report=report, user=users["manager"], which="termination")
    check_projects([demo.pk], now=noon("2026-08-03"))
    flag = open_flags(demo)[fingerprint]
    assert flag.message("en") == (
        "ZSTW left on 2026-06-30. The report on the distribution of payments was due on "
        "2026-07-30 and has not been sent."
    )
    assert flag.explanation["details"]["missing"] == ["distribution"]

    # More than 30 days late: one step more severe.
    check_projects([demo.pk], now=noon("2026-08-30"))
    assert open_flags(demo)[fingerprint].severity == "high"

    # Both sent: resolved.
    with time_machine.travel(noon("2026-09-01"), tick=False):
        termination_report_send(report=report, user=users["manager"], which="distribution")
    check_projects([demo.pk], now=noon("2026-09-01"))
    assert open_flags(demo) == {}
    assert Flag.objects.get(fingerprint=fingerprint).resolved_at is not None


def test_edge_case_25_an_agency_termination_is_overdue_after_60_days(demo, users):
    report = terminated(demo, users, "ZSTW", "2026-06-30", initiated_by="agency")

    check_projects([demo.pk], now=noon("2026-07-31"))  # a consortium's 30 days are over
    assert open_flags(demo) == {}
    check_projects([demo.pk], now=noon("2026-08-29"))
    assert open_flags(demo) == {}

    check_projects([demo.pk], now=noon("2026-08-30"))
    flag = open_flags(demo)[f"termination_report_overdue:{report.pk}"]
    assert flag.explanation["details"]["initiated_by"] == "agency"
    assert flag.explanation["details"]["due_on"] == "2026-08-29"


def test_edge_case_25_skipped_reports_are_never_overdue(demo, users):
    covered = terminated(demo, users, "ZSTW", "2027-03-30")
    late = terminated(demo, users, "FJORDVIK", "2027-03-29")

    check_projects([demo.pk], now=noon("2027-06-30"))

    assert set(open_flags(demo)) == {f"termination_report_overdue:{late.pk}"}
    assert covered.skipped_for is not None


def test_the_findings_take_one_query_whatever_the_number_of_projects(demo, users, other_project):
    terminated(demo, users, "ZSTW", "2026-06-30")
    terminated(demo, users, "FJORDVIK", "2026-06-30", initiated_by="agency")

    with CaptureQueriesContext(connection) as queries:
        findings = termination_report_findings([demo.pk, other_project.pk], day("2026-09-15"))

    assert len(queries) == 1
    assert sorted(f.explanation["details"]["participant"] for f in findings) == [
        "FJORDVIK",
        "ZSTW",
    ]


# -- the services ---------------------------------------------------------------------------------


def test_sending_records_the_day_the_user_and_one_audit_event(demo, users):
    report = terminated(demo, users, "ZSTW", "2026-06-30")
    sent = datetime.datetime(2026, 7, 10, 9, 30, tzinfo=BRUSSELS)

    with time_machine.travel(sent, tick=False):
        termination_report_send(report=report, user=users["manager"], which="distribution")

    report.refresh_from_db()
    assert report.distribution_submitted_at == sent
    assert report.distribution_submitted_by == users["manager"]
    assert report.report_submitted_at is None
    event = Event.objects.get(verb="termination_report.distribution_sent")
    assert (event.actor, event.project_id, event.object_id) == (
        users["manager"],
        demo.pk,
        str(report.pk),
    )
    assert event.before["distribution_submitted_at"] is None
    assert event.after["distribution_submitted_by"] == users["manager"].pk
