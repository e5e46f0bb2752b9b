"""Recording a milestone as achieved: who may, the date and verification rules, recording twice,
ids out of the project, and the audit event."""

import pytest

from backend.workplan.models import Milestone
from backend.workplan.services import milestone_achieve
from tests.workplan.helpers import TODAY, events, record_state

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
REFUSED = "Only the project's managers and administrators record a milestone as achieved."
GOOD = {"achieved_on": "2024-04-20", "verification": "Minutes signed by all 20 partners."}


def _url(milestone, suffix="achieve"):
    return f"/api/v1/projects/{milestone.project_id}/milestones/{milestone.pk}/{suffix}"


def _as(api_client, grant_users, role):
    if role != ANONYMOUS:
        api_client.force_authenticate(grant_users[role])
    return api_client


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_or_admin_records_a_milestone_as_achieved(
    api_client, grant_users, ms1, today, role
):
    response = _as(api_client, grant_users, role).post(_url(ms1), GOOD, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["achieved"], body["overdue"], body["achieved_on"]) == (True, False, "2024-04-20")
    assert body["achievement_evidence"] == "Minutes signed by all 20 partners."
    assert body["achieved_recorded_by"] == grant_users[role].username
    assert body["achieved_recorded_at"].startswith("2026-05-04T")
    milestone = Milestone.objects.get(pk=ms1.pk)
    assert milestone.achieved_on.isoformat() == "2024-04-20"
    assert milestone.achieved_recorded_by == grant_users[role]
    [event] = events("milestone.achieved")
    assert event.actor == grant_users[role]
    assert event.project_id == ms1.project_id
    assert (event.object_type, event.object_id) == ("milestone", str(ms1.pk))
    assert event.before == {"achieved_on": None, "achievement_evidence": ""}
    assert event.after == {
        "achieved_on": "2024-04-20",
        "achievement_evidence": "Minutes signed by all 20 partners.",
    }


def test_it_may_be_achieved_today(api_client, grant_users, ms1, today):
    api_client.force_authenticate(grant_users["manager"])
    response = api_client.post(
        _url(ms1), {"achieved_on": TODAY.isoformat(), "verification": "Late minutes."}
    )
    assert response.status_code == 200
    assert response.json()["achieved_on"] == "2026-05-04"


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("officer", 403),
        ("partner_contact", 403),
        ("other_partner", 403),
        ("other_officer", 404),
        ("other_manager", 404),
        ("stranger", 404),
        (ANONYMOUS, 401),
    ],
)
def test_others_may_not_record_it(api_client, grant_users, ms1, today, role, code):
    before = record_state(milestone=ms1)

    response = _as(api_client, grant_users, role).post(_url(ms1), GOOD, format="json")

    assert response.status_code == code
    if code == 403:
        assert response.json() == {"detail": REFUSED}
    assert record_state(milestone=ms1) == before


def test_recording_twice_is_a_conflict(api_client, grant_users, ms1, today):
    api_client.force_authenticate(grant_users["manager"])
    assert api_client.post(_url(ms1), GOOD, format="json").status_code == 200
    before = record_state(milestone=ms1)

    response = api_client.post(
        _url(ms1), {"achieved_on": "2024-04-25", "verification": "Again."}, format="json"
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This milestone was already recorded as achieved on 2024-04-20."
    }
    assert record_state(milestone=ms1) == before


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        (
            {"achieved_on": "2026-05-05", "verification": "Done."},
            [
                {
                    "path": "achieved_on",
                    "message": "A milestone cannot be achieved in the future (today is "
                    "2026-05-04).",
                }
            ],
        ),
        (
            {"achieved_on": "2024-02-29", "verification": "Done."},
            [
                {
                    "path": "achieved_on",
                    "message": "The project starts on 2024-03-01; a milestone cannot be achieved "
                    "before.",
                }
            ],
        ),
        (
            {"achieved_on": "2024-04-20"},
            [
                {
                    "path": "verification",
                    "message": "Say how the means of verification show the milestone achieved.",
                }
            ],
        ),
        (
            {"achieved_on": "2027-01-01", "verification": "  "},
            [
                {
                    "path": "achieved_on",
                    "message": "A milestone cannot be achieved in the future (today is "
                    "2026-05-04).",
                },
                {
                    "path": "verification",
                    "message": "Say how the means of verification show the milestone achieved.",
                },
            ],
        ),
        (
            {"achieved_on": "20/04/2024", "verification": "Done."},
            [
                {
                    "path": "achieved_on",
                    "message": "Date has wrong format. Use one of these formats instead: "
                    "YYYY-MM-DD.",
                }
            ],
        ),
        (
            {"verification": "Done."},
            [{"path": "achieved_on", "message": "This field is required."}],
        ),
    ],
)
def test_bad_input_is_refused_naming_each_field(api_client, grant_users, ms1, today, data, errors):
    before = record_state(milestone=ms1)
    api_client.force_authenticate(grant_users["manager"])

    response = api_client.post(_url(ms1), data, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == errors
    assert record_state(milestone=ms1) == before


def test_a_milestone_of_another_project_is_not_found(
    api_client, grant_users, grant, other_grant, today
):
    theirs = other_grant.milestones.first()
    before = record_state(milestone=theirs)
    api_client.force_authenticate(grant_users["admin"])

    achieve = api_client.post(
        f"/api/v1/projects/{grant.pk}/milestones/{theirs.pk}/achieve", GOOD, format="json"
    )
    detail = api_client.get(f"/api/v1/projects/{grant.pk}/milestones/{theirs.pk}/")
    unknown = api_client.get(f"/api/v1/projects/{grant.pk}/milestones/999999/")

    assert (achieve.status_code, detail.status_code, unknown.status_code) == (404, 404, 404)
    assert record_state(milestone=theirs) == before


def test_the_milestone_detail(api_client, grant_users, grant, today):
    ms8 = grant.milestones.get(code="MS8")
    api_client.force_authenticate(grant_users["officer"])

    response = api_client.get(_url(ms8, ""))

    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["lead"], body["work_packages"]) == ("MS8", "LVTDA", [7])
    # M27 ends on 2026-05-31: not overdue yet on 2026-05-04.
    assert (body["due_month"], body["due_date"], body["overdue"]) == (27, "2026-05-31", False)


def test_the_service_refuses_before_reading_the_input(grant_users, ms1, today):
    from django.core.exceptions import PermissionDenied

    before = record_state(milestone=ms1)
    with pytest.raises(PermissionDenied, match=REFUSED):
        milestone_achieve(
            milestone=ms1, user=grant_users["officer"], achieved_on=None, verification=None
        )
    assert record_state(milestone=ms1) == before
