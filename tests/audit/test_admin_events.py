"""Edits in the admin are audit events too: added, changed and deleted rows, inline rows
included, with the fields before and after; a password never reaches the trail."""

import pytest

from backend.accounts.models import ProjectRole
from backend.audit.models import Event
from backend.grants.models import OrganisationType
from tests import factories
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(client, db):
    user = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(user)
    return user


def _organisation_form(organisation, **changes):
    return {
        "pic": organisation.pic,
        "legal_name": organisation.legal_name,
        "short_name": organisation.short_name,
        "country": organisation.country_id,
        "type_entries-TOTAL_FORMS": "0",
        "type_entries-INITIAL_FORMS": "0",
        "restrictions-TOTAL_FORMS": "0",
        "restrictions-INITIAL_FORMS": "0",
        **changes,
    }


@pytest.fixture
def organisation(db):
    """A Norwegian enterprise."""
    return factories.OrganisationFactory(
        short_name="NORDLYS", country=factories.CountryFactory(code="NO"), types=["enterprise"]
    )


def test_a_change_in_the_admin_records_the_fields_before_and_after(client, root, organisation):

    response = client.post(
        f"/admin/grants/organisation/{organisation.pk}/change/",
        _organisation_form(organisation, country="UA"),
    )

    assert response.status_code == 302
    event = Event.objects.get(verb="organisation.changed_in_admin")
    assert (event.actor_name, event.object_id, event.note) == (
        "root",
        str(organisation.pk),
        "admin",
    )
    assert (event.before["country"], event.after["country"]) == ("NO", "UA")


def test_an_inline_row_added_and_a_row_deleted_in_the_admin_are_recorded(
    client, root, organisation
):
    form = _organisation_form(
        organisation,
        **{
            "type_entries-TOTAL_FORMS": "1",
            "type_entries-0-code": "social_partner",
            "type_entries-0-organisation": str(organisation.pk),
        },
    )

    added = client.post(f"/admin/grants/organisation/{organisation.pk}/change/", form)
    entry = OrganisationType.objects.get(organisation=organisation, code="social_partner")
    deleted = client.post(f"/admin/grants/organisationtype/{entry.pk}/delete/", {"post": "yes"})

    assert (added.status_code, deleted.status_code) == (302, 302)
    assert Event.objects.get(verb="organisationtype.added_in_admin").after["code"] == (
        "social_partner"
    )
    gone = Event.objects.get(verb="organisationtype.deleted_in_admin")
    assert (gone.object_id, gone.before["code"], gone.after) == (
        str(entry.pk),
        "social_partner",
        None,
    )


def test_a_role_given_in_the_admin_is_recorded_against_its_project(client, root):
    project = factories.ProjectFactory()
    # Only agency staff take an officer role.
    user = UserFactory(username="newcomer", is_agency_officer=True)

    response = client.post(
        "/admin/accounts/projectrole/add/",
        {"user": user.pk, "project": project.pk, "role": "officer", "participation": ""},
    )

    assert response.status_code == 302
    role = ProjectRole.objects.get(user=user)
    event = Event.objects.get(verb="projectrole.added_in_admin")
    assert (event.project_id, event.object_id, event.after["role"]) == (
        project.pk,
        str(role.pk),
        "officer",
    )


def test_a_password_never_reaches_the_trail(client, root):
    user = UserFactory(username="someone", first_name="Old")
    form = {
        "username": "someone",
        "first_name": "New",
        "last_name": "",
        "email": user.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "language": "en",
        "reminder_days": "[14, 0]",
        "project_roles-TOTAL_FORMS": "0",
        "project_roles-INITIAL_FORMS": "0",
    }

    response = client.post(f"/admin/accounts/user/{user.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get(verb="user.changed_in_admin")
    assert (event.before["first_name"], event.after["first_name"]) == ("Old", "New")
    assert "password" not in event.before
    assert "password" not in event.after
