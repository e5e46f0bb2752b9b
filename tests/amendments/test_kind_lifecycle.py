"""The suspension and resumption of the project and the termination of the grant
(``suspend_project``, ``resume_project``, ``terminate_grant``) through the API: the what-if
(nothing written), the approval (applied at once, in the audit trail) and the refusals
(nothing written, the field named).

The demo (CARETECH) starts 2024-03-01 for 48 months: RP1 M1-18 (ends 2025-08-31), RP2
M19-36 (ends 2027-02-28), RP3 M37-48 (balance, ends 2028-02-29). Requests are made on
2026-05-04."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.audit.models import Event
from backend.grants.models import Project, ProjectSuspension
from backend.grants.selectors import consortia
from backend.workplan.models import ReportingPeriod
from monitoring.deadlines import reports_not_received
from tests.amendments.helpers import row_counts

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=BRUSSELS)


def _url(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/amendments/{suffix}"


def change(kind: str, effective_on: str) -> dict:
    return {"kind": kind, "effective_on": effective_on}


def approved(api_client, project, users, changes, justification="Works stopped.") -> dict:
    """Drafted and submitted by the manager, approved by the officer, on NOW."""
    with time_machine.travel(NOW, tick=False):
        api_client.force_authenticate(users["manager"])
        created = api_client.post(
            _url(project), {"justification": justification, "changes": changes}, format="json"
        )
        assert created.status_code == 201, created.content
        amendment = created.json()["id"]
        assert api_client.post(_url(project, f"{amendment}/submit")).status_code == 200
        api_client.force_authenticate(users["officer"])
        response = api_client.post(
            _url(project, f"{amendment}/approve"), {"note": "Agreed."}, format="json"
        )
    assert response.status_code == 200, response.content
    return response.json()


def what_if(api_client, project, users, changes):
    api_client.force_authenticate(users["manager"])
    with time_machine.travel(NOW, tick=False):
        return api_client.post(_url(project, "what-if"), {"changes": changes}, format="json")


def schedule(api_client, project, users, moment=NOW) -> dict:
    api_client.force_authenticate(users["officer"])
    with time_machine.travel(moment, tick=False):
        response = api_client.get(f"/api/v1/projects/{project.pk}/instalments/")
    assert response.status_code == 200, response.content
    return {item["key"]: item for item in response.json()["instalments"]}


# -- suspension and resumption -------------------------------------------------------------------


def test_the_what_if_of_a_suspension_writes_nothing_and_keeps_the_consortium(
    api_client, demo, users
):
    before = row_counts()

    response = what_if(api_client, demo, users, [change("suspend_project", "2026-06-01")])

    assert response.status_code == 200, response.content
    assert row_counts() == before
    body = response.json()
    assert body["effective_on"] == "2026-06-01"
    assert body["verdict_before"]["status"] == body["verdict"]["status"]
    assert body["breach_dates"] == []
    # The schedule's dates and amounts do not move; only the payment deadlines stand still
    # while suspended (tests/monitoring/test_suspension.py).
    assert body["money"] is not None
    assert [item["changed"] for item in body["money"]["instalments"]] == [False] * 4


def test_an_approved_suspension_and_resumption_are_recorded_with_their_events(
    api_client, demo, users
):
    approved(api_client, demo, users, [change("suspend_project", "2026-06-01")])

    suspension = ProjectSuspension.objects.get(project=demo)
    assert (suspension.started_on, suspension.ended_on, suspension.reason) == (
        datetime.date(2026, 6, 1),
        None,
        "Works stopped.",
    )
    event = Event.objects.get(verb="project.suspended")
    assert (event.project_id, event.actor.username) == (demo.pk, "po")
    assert (event.before, event.after) == (
        {"suspended": False},
        {"suspended": True, "suspended_from": "2026-06-01"},
    )

    approved(api_client, demo, users, [change("resume_project", "2026-07-15")], "Works go on.")

    suspension.refresh_from_db()
    assert (suspension.started_on, suspension.ended_on) == (
        datetime.date(2026, 6, 1),
        datetime.date(2026, 7, 15),
    )
    event = Event.objects.get(verb="project.resumed")
    assert event.after == {
        "suspended": False,
        "suspended_from": "2026-06-01",
        "resumed_on": "2026-07-15",
    }
    assert Event.objects.filter(verb="amendment.approved").count() == 2


def test_a_suspension_and_its_resumption_in_one_request(api_client, demo, users):
    approved(
        api_client,
        demo,
        users,
        [change("suspend_project", "2026-06-01"), change("resume_project", "2026-06-11")],
    )

    assert list(
        ProjectSuspension.objects.filter(project=demo).values_list("started_on", "ended_on")
    ) == [(datetime.date(2026, 6, 1), datetime.date(2026, 6, 11))]


@pytest.mark.parametrize(
    ("_case", "suspended", "changes", "path", "message"),
    [
        (
            "a resumption of a project not suspended",
            None,
            [change("resume_project", "2026-06-01")],
            "changes[0].kind",
            "The project is not suspended; there is nothing to resume.",
        ),
        (
            "a resumption on the first suspended day",
            datetime.date(2026, 6, 1),
            [change("resume_project", "2026-06-01")],
            "changes[0].effective_on",
            "The project is suspended from 2026-06-01; work resumes on a later day.",
        ),
        (
            "a second suspension",
            datetime.date(2026, 4, 1),
            [change("suspend_project", "2026-06-01")],
            "changes[0].kind",
            "The project is already suspended from 2026-04-01; resume it first.",
        ),
        (
            "a suspension with details",
            None,
            [{**change("suspend_project", "2026-06-01"), "details": {"reason": "x"}}],
            "changes[0].details",
            "A change of this kind does not use this field.",
        ),
    ],
)
def test_a_refused_suspension_or_resumption_writes_nothing_and_names_the_field(
    api_client, demo, users, _case, suspended, changes, path, message
):
    if suspended is not None:
        ProjectSuspension.objects.create(project=demo, started_on=suspended)
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo), {"justification": "Works.", "changes": changes}, format="json"
        )

    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "The amendment request was not saved.",
        "errors": [{"path": path, "message": message}],
    }
    assert row_counts() == before


# -- termination of the grant ------------------------------------------------------------------


def test_the_what_if_of_a_termination_ends_the_schedule_at_the_last_day(api_client, demo, users):
    before = row_counts()

    response = what_if(api_client, demo, users, [change("terminate_grant", "2026-06-30")])

    assert response.status_code == 200, response.content
    assert row_counts() == before
    body = response.json()
    assert [entry["starts_on"] for entry in body["changes_over_time"]] == ["2026-06-30"]
    # RP2 ends on the last day and pays the balance, due with its report 60 days later; RP3
    # goes.
    assert [
        (i["key"], i["kind"], i["due_on_before"], i["due_on_after"])
        for i in body["money"]["instalments"]
        if i["changed"]
    ] == [
        ("rp2", "balance", "2027-04-29", "2026-08-29"),
        ("rp3", "balance", "2028-04-29", None),
    ]
    assert body["money"]["instalments"][3]["projected_after"] is None


def test_an_approved_termination_ends_the_grant_and_its_schedule(api_client, demo, users):
    ProjectSuspension.objects.create(project=demo, started_on=datetime.date(2026, 4, 1))

    approved(api_client, demo, users, [change("terminate_grant", "2026-06-30")], "No funds.")

    demo.refresh_from_db()
    assert (demo.terminated_on, demo.last_day) == (
        datetime.date(2026, 6, 30),
        datetime.date(2026, 6, 30),
    )
    # The periods stay recorded; the schedule and the deadlines end with the grant.
    assert ReportingPeriod.objects.filter(project=demo).count() == 3
    assert [(r.number, r.period_end, r.due_on) for r in reports_not_received([demo.pk])] == [
        (1, datetime.date(2025, 8, 31), datetime.date(2025, 10, 30)),
        (2, datetime.date(2026, 6, 30), datetime.date(2026, 8, 29)),
    ]
    instalments = schedule(api_client, demo, users)
    assert [(key, item["kind"], item["due_on"]) for key, item in instalments.items()] == [
        ("prefinancing", "prefinancing", "2024-03-15"),
        ("rp1", "interim", "2025-10-30"),
        ("rp2", "balance", "2026-08-29"),
    ]
    # The suspension still open ends with the grant.
    assert ProjectSuspension.objects.get(project=demo).ended_on == datetime.date(2026, 7, 1)
    event = Event.objects.get(verb="project.terminated")
    assert (event.actor.username, event.before, event.after) == (
        "po",
        {"terminated_on": None, "last_day": "2028-02-29"},
        {"terminated_on": "2026-06-30", "last_day": "2026-06-30"},
    )
    # The eligibility is judged up to the last day only.
    consortium, _rules = consortia([demo.pk])[demo.pk]
    assert consortium.end_date == datetime.date(2026, 6, 30)


def test_a_second_termination_is_refused_and_writes_nothing(api_client, demo, users):
    Project.objects.filter(pk=demo.pk).update(terminated_on=datetime.date(2026, 8, 31))
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo),
            {"justification": "End.", "changes": [change("terminate_grant", "2026-06-30")]},
            format="json",
        )

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "path": "changes[0].kind",
            "message": "The grant is already terminated, with 2026-08-31 as its last day.",
        }
    ]
    assert row_counts() == before


def test_a_termination_after_the_end_is_refused_at_its_date(api_client, demo, users):
    before = row_counts()

    response = what_if(api_client, demo, users, [change("terminate_grant", "2028-03-31")])

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "path": "changes[0].effective_on",
            "message": "The project ends on 2028-02-29; a change cannot take effect after.",
        }
    ]
    assert row_counts() == before
