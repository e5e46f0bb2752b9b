"""The demo project comes with a work record in every state the screens show, written through
the services (each step an audit event), and loading the demo again adds nothing."""

import datetime

import pytest
import time_machine

from backend.audit.models import Event
from backend.grants.dates import BRUSSELS
from backend.grants.demo import demo_load
from backend.reporting.models import PeriodicReport, ReportVersion
from backend.workplan.models import Deliverable, DueDateRevision, EvidenceFile, Milestone
from monitoring.models import Flag

pytestmark = pytest.mark.django_db

LOADED_ON = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=BRUSSELS)  # M33 of CARETECH


@pytest.fixture
def demo_loaded(settings, django_capture_on_commit_callbacks):
    settings.DEBUG = True
    with (
        time_machine.travel(LOADED_ON, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        return demo_load(password="grantwatch-demo")


def _statuses() -> dict[str, str]:
    return dict(Deliverable.objects.values_list("code", "status"))


def test_the_deliverables_due_before_the_load_are_delivered_but_one(demo_loaded):
    statuses = _statuses()
    due = dict(Deliverable.objects.values_list("code", "due_on"))
    past = {code for code, day in due.items() if day < LOADED_ON.date()}

    assert statuses["D5.4"] == "pending"  # left overdue
    assert statuses["D7.4"] == "draft"
    assert {statuses[code] for code in past - {"D5.4"}} <= {"submitted", "accepted"}
    assert statuses["D3.3"] == "accepted"
    assert {code for code, status in statuses.items() if status == "submitted"} == {
        code for code in past if Deliverable.objects.get(code=code).due_month > 24
    } - {"D5.4"}


def test_the_demo_shows_history_a_revision_and_an_overdue_flag(demo_loaded):
    revised = Deliverable.objects.get(code="D3.6")
    assert EvidenceFile.objects.filter(deliverable__code="D2.4", current=False).count() == 1
    assert DueDateRevision.objects.get().deliverable == revised
    assert revised.due_on > LOADED_ON.date()
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
    assert report.first_submitted_at.date() == datetime.date(2025, 10, 20)
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
    } <= verbs
    assert demo_loaded.work_record_loaded is True


def test_loading_the_demo_again_adds_nothing(demo_loaded, settings):
    events = Event.objects.count()
    files = EvidenceFile.objects.count()

    with time_machine.travel(LOADED_ON + datetime.timedelta(days=1), tick=False):
        again = demo_load(password="grantwatch-demo")

    assert again.work_record_loaded is False
    assert (Event.objects.count(), EvidenceFile.objects.count()) == (events, files)
