"""The demo project comes with a work record in every state the screens show, written through
the services (each step an audit event), and loading the demo again adds nothing."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from backend.audit.models import Event
from backend.common.dates import BRUSSELS, add_months
from backend.demo.loading import demo_load
from backend.payments.models import Instalment, Payment
from backend.payments.rules import schedule
from backend.payments.selectors import grant_facts
from backend.reporting.models import PeriodicReport, ReportVersion
from backend.workplan.models import Deliverable, DueDateRevision, EvidenceFile, Milestone
from monitoring.models import Flag

pytestmark = pytest.mark.django_db

# The demo's dates move with the day it is loaded, so that the story below holds on any day:
# the day the tests run, the last day of a month, a leap day, the first day of a year.
LOAD_DAYS = {
    "today": datetime.datetime.now(BRUSSELS).replace(hour=9, minute=0, second=0, microsecond=0),
    "month-end": datetime.datetime(2027, 5, 31, 9, 0, tzinfo=BRUSSELS),
    "leap-day": datetime.datetime(2028, 2, 29, 9, 0, tzinfo=BRUSSELS),
    "new-year": datetime.datetime(2030, 1, 1, 9, 0, tzinfo=BRUSSELS),
}


@pytest.fixture(params=list(LOAD_DAYS), ids=list(LOAD_DAYS))
def loaded_on(request) -> datetime.datetime:
    return LOAD_DAYS[request.param]


@pytest.fixture
def demo_loaded(settings, loaded_on, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with (
        time_machine.travel(loaded_on, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return demo_load(password="grantwatch-demo", portfolio=False)


def _statuses() -> dict[str, str]:
    return dict(Deliverable.objects.values_list("code", "status"))


def test_the_deliverables_due_before_the_load_are_delivered_but_one(demo_loaded, loaded_on):
    statuses = _statuses()
    due = dict(Deliverable.objects.values_list("code", "due_on"))
    past = {code for code, day in due.items() if day < loaded_on.date()}

    assert statuses["D5.4"] == "pending"  # left overdue
    assert statuses["D7.4"] == "draft"
    assert {statuses[code] for code in past - {"D5.4"}} <= {"submitted", "accepted"}
    assert statuses["D3.3"] == "accepted"
    assert {code for code, status in statuses.items() if status == "submitted"} == {
        code for code in past if Deliverable.objects.get(code=code).due_month > 24
    } - {"D5.4"}


def test_the_demo_shows_history_a_revision_and_an_overdue_flag(demo_loaded, loaded_on):
    revised = Deliverable.objects.get(code="D3.6")
    assert EvidenceFile.objects.filter(deliverable__code="D2.4", current=False).count() == 1
    assert DueDateRevision.objects.get().deliverable == revised
    assert revised.due_on > loaded_on.date()
    assert Milestone.objects.get(code="MS8").achieved_on is None
    assert set(
        Flag.objects.filter(resolved_at__isnull=True, kind__endswith="_overdue").values_list(
            "fingerprint", flat=True
        )
    ) == {
        f"deliverable_overdue:{Deliverable.objects.get(code='D5.4').pk}",
        f"milestone_overdue:{Milestone.objects.get(code='MS8').pk}",
    }


def test_the_first_report_was_sent_back_once_then_approved(demo_loaded):
    report = PeriodicReport.objects.get(reporting_period__number=1)
    versions = list(ReportVersion.objects.filter(report=report).order_by("number"))

    assert report.status == "approved"
    assert [(v.number, v.decision) for v in versions] == [
        (1, "changes_requested"),
        (2, "approved"),
    ]
    assert "312 learners" not in versions[0].content["technical_part"]
    assert "312 learners" in versions[1].content["technical_part"]
    # Fifty days after RP1's end (month 18), well within the 60 days.
    rp1_end = report.reporting_period.end_date
    assert report.first_submitted_at.date() == rp1_end + datetime.timedelta(days=50)
    assert report.approved_at.date() == rp1_end + datetime.timedelta(days=100)
    assert report.justifications.get().deliverable.code == "D3.3"
    assert PeriodicReport.objects.get(reporting_period__number=2).status == "draft"


def test_every_step_of_the_demo_is_in_the_audit_trail(demo_loaded):
    verbs = set(Event.objects.values_list("verb", flat=True))
    assert {
        "grant.imported",
        "deliverable.evidence_uploaded",
        "deliverable.submitted",
        "deliverable.accepted",
        "deliverable.revision_requested",
        "deliverable.due_date_revised",
        "milestone.achieved",
        "contribution.saved",
        "contribution.locked",
        "work_package.declared",
        "work_package.completion_waived",
        "report.justification_saved",
        "report.submitted",
        "report.changes_requested",
        "report.approved",
        "instalment.approved",
        "payment.recorded",
    } <= verbs
    assert demo_loaded.work_record_loaded is True


def test_loading_the_demo_again_adds_nothing(demo_loaded, loaded_on):
    events = Event.objects.count()
    files = EvidenceFile.objects.count()
    payments = (Instalment.objects.count(), Payment.objects.count())

    with time_machine.travel(loaded_on + datetime.timedelta(days=1), tick=False):
        again = demo_load(password="grantwatch-demo", portfolio=False)

    assert again.work_record_loaded is False
    assert (Event.objects.count(), EvidenceFile.objects.count()) == (events, files)
    assert (Instalment.objects.count(), Payment.objects.count()) == payments


def test_the_pre_financing_was_approved_and_paid_on_its_due_date(demo_loaded):
    """40 % of EUR 3,998,750.00, due 30 days after the signature (as in the file: signed on
    the 14th of the month before the start), which is later than 10 days before the start."""
    project = demo_loaded.project
    assert project.start_date.day == 1
    assert project.signed_on == add_months(project.start_date, -1).replace(day=14)
    due = project.signed_on + datetime.timedelta(days=30)
    assert due > project.start_date - datetime.timedelta(days=10)
    instalment = Instalment.objects.get(project=project)
    payment = Payment.objects.get(project=project)

    assert (instalment.key, instalment.kind, instalment.amount_eur) == (
        "prefinancing",
        "prefinancing",
        Decimal("1599500.00"),
    )
    assert instalment.approved_at.date() == due - datetime.timedelta(days=7)
    assert payment.instalment == instalment
    assert (payment.direction, payment.amount_eur, payment.paid_on, payment.reference) == (
        "payment",
        Decimal("1599500.00"),
        due,
        f"EACEA/{due.year}/CARETECH/PF",
    )
    # Two people see the payment: one officer approves, another records it.
    assert (instalment.approved_by.username, payment.recorded_by.username) == (
        "officer",
        "officer2",
    )
    assert payment.recorded_by.project_roles.get(project=project).role == "officer"


def test_the_demo_shows_a_paid_pre_financing_and_nothing_due_for_the_first_interim(
    demo_loaded, loaded_on
):
    """RP1's work packages run the whole project: nothing is due for it, which reads "nothing
    due" (grey) and raises no flag, not "blocked" (issue 15, point 6)."""
    today = loaded_on.date()
    facts = grant_facts([demo_loaded.project.pk], today=today)[demo_loaded.project.pk]
    statuses = {item.key: item for item in schedule(facts, today)}

    assert statuses["prefinancing"].status == "paid"
    assert statuses["prefinancing"].payment_late is False
    assert statuses["rp1"].status == "nothing_due"
    assert [reason.code for reason in statuses["rp1"].reasons] == ["amount_above_zero"]
    open_flags = set(
        Flag.objects.filter(
            project=demo_loaded.project,
            resolved_at__isnull=True,
            kind__in=["instalment_ready", "instalment_blocked", "payment_late"],
        ).values_list("fingerprint", flat=True)
    )
    assert open_flags == set()
