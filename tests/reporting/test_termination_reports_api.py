"""The termination reports' API: everyone who sees the project reads them; the project's
managers record the sending of each report; a refusal (403 with the reason, 404 out of sight,
400 naming the field, 409 for a step the state does not allow) writes nothing."""

import datetime

import pytest
import time_machine

from backend.audit.models import Event
from backend.common.dates import BRUSSELS
from backend.reporting.models import TerminationReport
from tests.reporting.test_termination_reports import day, noon, terminated

pytestmark = pytest.mark.django_db

SENT = datetime.datetime(2026, 7, 10, 9, 30, tzinfo=BRUSSELS)


def _list(project) -> str:
    return f"/api/v1/projects/{project.pk}/termination-reports"


def _submit(project, report) -> str:
    return f"{_list(project)}/{report.pk}/submit"


def _sent_state(report) -> tuple:
    report.refresh_from_db()
    return (
        report.report_submitted_at,
        report.report_submitted_by_id,
        report.distribution_submitted_at,
        report.distribution_submitted_by_id,
    )


@pytest.fixture
def report(demo, users) -> TerminationReport:
    return terminated(demo, users, "ZSTW", "2026-06-30")


@pytest.mark.parametrize("role", ["officer", "manager", "partner_contact", "admin"])
def test_everyone_who_sees_the_project_reads_its_termination_reports(
    api_client, demo, users, report, role
):
    api_client.force_authenticate(users[role])
    with time_machine.travel(noon("2026-07-31"), tick=False):
        response = api_client.get(_list(demo))

    assert response.status_code == 200
    assert response.json()["count"] == 1
    [item] = response.json()["results"]
    assert item == {
        "id": report.pk,
        "participant": {
            "id": report.participation_id,
            "short_name": "ZSTW",
            "role": "beneficiary",
            "left_on": "2026-06-30",
        },
        "initiated_by": "consortium",
        "due_on": "2026-07-30",
        "skipped_for": None,
        "state": "overdue",
        "missing": ["termination", "distribution"],
        "termination_report": {"sent_at": None, "sent_by": None},
        "distribution_report": {"sent_at": None, "sent_by": None},
    }


def test_the_list_says_due_before_the_deadline_and_skipped_when_covered(api_client, demo, users):
    terminated(demo, users, "ZSTW", "2027-03-30")
    terminated(demo, users, "FJORDVIK", "2027-03-29")
    api_client.force_authenticate(users["officer"])

    with time_machine.travel(noon("2027-04-10"), tick=False):
        items = api_client.get(_list(demo)).json()["results"]

    assert [(i["participant"]["short_name"], i["due_on"], i["state"]) for i in items] == [
        ("FJORDVIK", "2027-04-28", "due"),
        ("ZSTW", "2027-04-29", "skipped"),
    ]
    assert [(i["skipped_for"], i["missing"]) for i in items] == [
        (None, ["termination", "distribution"]),
        (2, []),
    ]


@pytest.mark.parametrize("role", ["stranger", "other_officer", "other_manager"])
def test_a_project_out_of_sight_is_a_404(api_client, demo, users, report, role):
    api_client.force_authenticate(users[role])

    assert api_client.get(_list(demo)).status_code == 404
    response = api_client.post(_submit(demo, report), {"report": "termination"}, format="json")
    assert response.status_code == 404
    assert _sent_state(report) == (None, None, None, None)


def test_another_projects_report_is_a_404(api_client, demo, users, report, other_project):
    api_client.force_authenticate(users["admin"])
    url = f"/api/v1/projects/{other_project.pk}/termination-reports/{report.pk}/submit"

    assert api_client.post(url, {"report": "termination"}, format="json").status_code == 404
    assert _sent_state(report) == (None, None, None, None)


@pytest.mark.parametrize(
    ("role", "reason"),
    [
        ("officer", "Only the project's managers and administrators record the sending"),
        ("partner_contact", "Only the project's managers and administrators record the sending"),
    ],
)
def test_only_the_managers_record_a_report_sent(api_client, demo, users, report, role, reason):
    api_client.force_authenticate(users[role])
    events = Event.objects.count()

    with time_machine.travel(SENT, tick=False):
        response = api_client.post(_submit(demo, report), {"report": "termination"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith(reason)
    assert _sent_state(report) == (None, None, None, None)
    assert Event.objects.count() == events


def test_a_manager_records_each_report_sent(api_client, demo, users, report):
    api_client.force_authenticate(users["manager"])

    with time_machine.travel(SENT, tick=False):
        response = api_client.post(_submit(demo, report), {"report": "termination"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["termination_report"] == {"sent_at": "2026-07-10T09:30:00+02:00", "sent_by": "pm"}
    assert body["distribution_report"] == {"sent_at": None, "sent_by": None}
    assert (body["state"], body["missing"]) == ("due", ["distribution"])
    event = Event.objects.get(verb="termination_report.termination_sent")
    assert (event.actor, event.object_id) == (users["manager"], str(report.pk))

    with time_machine.travel(noon("2026-08-02"), tick=False):
        response = api_client.post(_submit(demo, report), {"report": "distribution"}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["distribution_report"]["sent_by"] == "pm"
    assert (body["state"], body["missing"]) == ("complete", [])
    report.refresh_from_db()
    assert report.complete


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "Say which report was sent: termination, distribution."),
        ({"report": ""}, "Say which report was sent: termination, distribution."),
        (
            {"report": "final"},
            '"final" is not a termination report; use one of: termination, distribution.',
        ),
        (
            {"report": ["termination"]},
            "\"['termination']\" is not a termination report; use one of: termination, "
            "distribution.",
        ),
    ],
)
def test_a_bad_report_name_is_a_400_naming_the_field(
    api_client, demo, users, report, body, message
):
    api_client.force_authenticate(users["manager"])
    events = Event.objects.count()

    with time_machine.travel(SENT, tick=False):
        response = api_client.post(_submit(demo, report), body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "report", "message": message}]
    assert _sent_state(report) == (None, None, None, None)
    assert Event.objects.count() == events


def test_a_report_sent_twice_is_a_409(api_client, demo, users, report):
    api_client.force_authenticate(users["manager"])
    with time_machine.travel(SENT, tick=False):
        api_client.post(_submit(demo, report), {"report": "termination"}, format="json")
    before = _sent_state(report)

    with time_machine.travel(noon("2026-07-20"), tick=False):
        response = api_client.post(_submit(demo, report), {"report": "termination"}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "The termination report of ZSTW was already sent on 2026-07-10."
    )
    assert _sent_state(report) == before


def test_no_report_is_sent_before_the_participant_leaves_nor_when_covered(
    api_client, demo, users, report
):
    covered = terminated(demo, users, "FJORDVIK", "2027-03-30")
    api_client.force_authenticate(users["manager"])

    with time_machine.travel(noon("2026-06-30"), tick=False):
        early = api_client.post(_submit(demo, report), {"report": "termination"}, format="json")
    with time_machine.travel(noon("2027-04-01"), tick=False):
        skipped = api_client.post(_submit(demo, covered), {"report": "termination"}, format="json")

    assert early.status_code == 409
    assert early.json()["detail"] == (
        "ZSTW takes part until 2026-06-30: its termination reports can be sent from the day after."
    )
    assert skipped.status_code == 409
    assert skipped.json()["detail"] == (
        "No termination reports are due for FJORDVIK: the periodic report of RP2 covers its "
        "departure."
    )
    assert _sent_state(report) == _sent_state(covered) == (None, None, None, None)
    assert day("2026-06-30") == report.participation.left_on
