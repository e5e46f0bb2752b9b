"""GET|PUT /api/v1/me: who you are, and the two settings you change yourself."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from backend.accounts.models import ProjectRole, User
from backend.accounts.services import user_settings_update
from backend.audit.models import Event

pytestmark = pytest.mark.django_db

URL = reverse("me")


@pytest.fixture
def manager(grant_users):
    user = grant_users["manager"]
    User.objects.filter(pk=user.pk).update(first_name="Ilze", last_name="Ozola")
    user.refresh_from_db()
    return user


def _settings(user) -> tuple:
    user.refresh_from_db()
    return user.language, user.reminder_days


def _settings_events() -> list[Event]:
    return list(Event.objects.filter(verb="user.settings_changed"))


def test_me_shows_the_account_settings_and_roles(api_client, grant, manager):
    api_client.force_authenticate(manager)

    response = api_client.get(URL)

    assert response.status_code == 200
    assert response.json() == {
        "username": "pm",
        "name": "Ilze Ozola",
        "email": "pm@example.org",
        "organisation": {
            "id": manager.organisation_id,
            "short_name": manager.organisation.short_name,
        },
        "is_agency_officer": False,
        "language": "en",
        "reminder_days": [14, 0],
        "roles": [
            {
                "project_id": grant.pk,
                "acronym": grant.acronym,
                "role": "manager",
                "acting_for": "GAUJA",
            }
        ],
    }


def test_an_officer_has_no_organisation_and_acts_for_nobody(
    api_client, grant, other_grant, grant_users
):
    officer = grant_users["officer"]
    ProjectRole.objects.create(user=officer, project=other_grant, role="officer")
    api_client.force_authenticate(officer)

    data = api_client.get(URL).json()

    assert (data["organisation"], data["is_agency_officer"]) == (None, True)
    assert data["roles"] == [
        {"project_id": grant.pk, "acronym": grant.acronym, "role": "officer", "acting_for": None},
        {
            "project_id": other_grant.pk,
            "acronym": other_grant.acronym,
            "role": "officer",
            "acting_for": None,
        },
    ]


def test_someone_with_no_role_sees_an_empty_list(api_client, grant_users):
    api_client.force_authenticate(grant_users["stranger"])

    data = api_client.get(URL).json()

    assert (data["username"], data["roles"]) == ("nobody", [])


def test_anonymous_requests_get_401(api_client, grant_users):
    assert api_client.get(URL).status_code == 401
    assert api_client.put(URL, {"language": "lv"}, format="json").status_code == 401
    assert _settings(grant_users["manager"]) == ("en", [14, 0])


def test_me_takes_the_same_queries_whatever_the_number_of_roles(
    api_client, grant, other_grant, grant_users, django_assert_max_num_queries
):
    officer = grant_users["officer"]
    api_client.force_authenticate(officer)
    with django_assert_max_num_queries(3) as one_role:
        assert len(api_client.get(URL).json()["roles"]) == 1
    ProjectRole.objects.create(user=officer, project=other_grant, role="officer")
    with django_assert_max_num_queries(len(one_role)):
        assert len(api_client.get(URL).json()["roles"]) == 2


# -- changing settings -------------------------------------------------------------------------


def test_put_changes_language_and_reminder_days_and_records_one_event(api_client, manager):
    api_client.force_authenticate(manager)

    response = api_client.put(URL, {"language": "lv", "reminder_days": [30, 7, 0]}, format="json")

    assert response.status_code == 200
    assert (response.json()["language"], response.json()["reminder_days"]) == ("lv", [30, 7, 0])
    assert _settings(manager) == ("lv", [30, 7, 0])
    [event] = _settings_events()
    assert (event.actor_id, event.actor_name, event.project_id) == (manager.pk, "pm", None)
    assert (event.object_type, event.object_id, event.object_repr) == (
        "user",
        str(manager.pk),
        "pm",
    )
    assert event.before == {"language": "en", "reminder_days": [14, 0]}
    assert event.after == {"language": "lv", "reminder_days": [30, 7, 0]}


def test_put_changes_only_the_fields_given(api_client, manager):
    api_client.force_authenticate(manager)

    response = api_client.put(URL, {"reminder_days": []}, format="json")

    assert response.status_code == 200
    assert _settings(manager) == ("en", [])
    assert _settings_events()[0].after == {"language": "en", "reminder_days": []}


def test_put_ignores_the_read_only_fields(api_client, manager):
    api_client.force_authenticate(manager)
    organisation_id = manager.organisation_id

    response = api_client.put(
        URL,
        {
            "username": "boss",
            "email": "boss@example.org",
            "is_agency_officer": True,
            "organisation": None,
            "language": "lv",
        },
        format="json",
    )

    assert response.status_code == 200
    manager.refresh_from_db()
    assert (
        manager.username,
        manager.email,
        manager.is_agency_officer,
        manager.organisation_id,
        manager.language,
    ) == ("pm", "pm@example.org", False, organisation_id, "lv")


def test_putting_the_same_settings_records_nothing(api_client, manager):
    api_client.force_authenticate(manager)

    response = api_client.put(URL, {"language": "en", "reminder_days": [14, 0]}, format="json")

    assert response.status_code == 200
    assert _settings_events() == []


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"reminder_days": [7, 7]},
            [{"path": "reminder_days", "message": "Give each number of days once."}],
        ),
        (
            {"reminder_days": [91]},
            [
                {
                    "path": "reminder_days",
                    "message": "Each number of days must be a whole number from 0 to 90.",
                }
            ],
        ),
        (
            {"reminder_days": [-1]},
            [
                {
                    "path": "reminder_days",
                    "message": "Each number of days must be a whole number from 0 to 90.",
                }
            ],
        ),
        (
            {"reminder_days": [1.5]},
            [
                {
                    "path": "reminder_days",
                    "message": "Each number of days must be a whole number from 0 to 90.",
                }
            ],
        ),
        (
            {"reminder_days": [True]},
            [
                {
                    "path": "reminder_days",
                    "message": "Each number of days must be a whole number from 0 to 90.",
                }
            ],
        ),
        (
            {"reminder_days": [1, 2, 3, 4, 5, 6]},
            [{"path": "reminder_days", "message": "Give a list of at most 5 numbers of days."}],
        ),
        (
            {"reminder_days": "7"},
            [{"path": "reminder_days", "message": "Give a list of at most 5 numbers of days."}],
        ),
        (
            {"reminder_days": None},
            [{"path": "reminder_days", "message": "Give a list of at most 5 numbers of days."}],
        ),
        (
            {"language": "de"},
            [{"path": "language", "message": '"de" is not allowed; use one of: en, lv.'}],
        ),
        (
            {"language": "lv", "reminder_days": [3, 3]},
            [{"path": "reminder_days", "message": "Give each number of days once."}],
        ),
        (
            {"language": None, "reminder_days": [100]},
            [
                {"path": "language", "message": '"None" is not allowed; use one of: en, lv.'},
                {
                    "path": "reminder_days",
                    "message": "Each number of days must be a whole number from 0 to 90.",
                },
            ],
        ),
    ],
    ids=[
        "duplicate",
        "above-90",
        "negative",
        "fraction",
        "boolean",
        "six",
        "not-a-list",
        "null",
        "language",
        "one-bad-one-good",
        "both-bad",
    ],
)
def test_bad_settings_are_400_at_their_field_and_nothing_is_saved(
    api_client, manager, body, errors
):
    api_client.force_authenticate(manager)

    response = api_client.put(URL, body, format="json")

    assert response.status_code == 400
    assert response.json() == {"detail": "Your settings were not saved.", "errors": errors}
    assert _settings(manager) == ("en", [14, 0])
    assert _settings_events() == []


def test_a_body_that_is_not_an_object_is_400(api_client, manager):
    api_client.force_authenticate(manager)

    response = api_client.put(URL, [1, 2], format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Your settings were not saved.",
        "errors": [{"path": "", "message": "Send a JSON object."}],
    }
    assert _settings_events() == []


@pytest.mark.parametrize("method", ["patch", "post", "delete"])
def test_other_methods_are_405(api_client, manager, method):
    api_client.force_authenticate(manager)

    response = getattr(api_client, method)(URL, {"language": "lv"}, format="json")

    assert response.status_code == 405
    assert _settings(manager) == ("en", [14, 0])


def test_the_service_refuses_an_anonymous_user():
    with pytest.raises(PermissionDenied, match=r"^Sign in to change your settings\.$"):
        user_settings_update(user=AnonymousUser(), language="lv")

    assert _settings_events() == []
