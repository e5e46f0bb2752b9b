"""GET /api/v1/projects/<id>/contacts/: who holds a role on the project."""

import pytest
from django.urls import reverse

from backend.accounts.models import ProjectRole, User
from tests import factories
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _url(project) -> str:
    return reverse("project-contacts", args=[project.pk])


def test_the_contacts_list_every_role_by_role_then_name(api_client, grant, grant_users):
    User.objects.filter(username="pm").update(first_name="Ilze", last_name="Ozola")
    ProjectRole.objects.filter(user=grant_users["manager"]).update(is_primary=True)
    api_client.force_authenticate(grant_users["partner_contact"])

    response = api_client.get(_url(grant))

    assert response.status_code == 200
    assert response.json() == {
        "count": 4,
        "next": None,
        "previous": None,
        "results": [
            {
                "name": "Ilze Ozola",
                "username": "pm",
                "email": "pm@example.org",
                "role": "manager",
                "acting_for": "GAUJA",
                "is_primary": True,
            },
            {
                "name": "",
                "username": "po",
                "email": "po@example.org",
                "role": "officer",
                "acting_for": None,
                "is_primary": False,
            },
            {
                "name": "",
                "username": "pc",
                "email": "pc@example.org",
                "role": "partner_contact",
                "acting_for": "ZILEMED",
                "is_primary": False,
            },
            {
                "name": "",
                "username": "pc-other",
                "email": "pc-other@example.org",
                "role": "partner_contact",
                "acting_for": "LVTDA",
                "is_primary": False,
            },
        ],
    }


def test_the_other_projects_contacts_are_its_own(api_client, other_grant, grant_users):
    api_client.force_authenticate(grant_users["other_manager"])

    response = api_client.get(_url(other_grant))

    assert [item["username"] for item in response.json()["results"]] == ["pm-other", "po-other"]


@pytest.mark.parametrize("who", ["admin", "officer", "manager", "partner_contact", "other_partner"])
def test_whoever_sees_the_project_sees_its_contacts(api_client, grant, grant_users, who):
    api_client.force_authenticate(grant_users[who])

    response = api_client.get(_url(grant))

    assert (response.status_code, response.json()["count"]) == (200, 4)


@pytest.mark.parametrize("who", ["other_officer", "other_manager", "stranger"])
def test_others_get_404(api_client, grant, grant_users, who):
    api_client.force_authenticate(grant_users[who])

    response = api_client.get(_url(grant))

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_anonymous_gets_401(api_client, grant, grant_users):
    assert api_client.get(_url(grant)).status_code == 401


def test_the_contacts_take_the_same_queries_whatever_their_number(
    api_client, grant, grant_users, django_assert_max_num_queries
):
    api_client.force_authenticate(grant_users["officer"])
    with django_assert_max_num_queries(5) as few:
        assert api_client.get(_url(grant)).json()["count"] == 4
    factories.BeneficiaryFactory.create_batch(4, project=grant)  # six besides the contacts'
    organisation_ids = dict(grant.participations.values_list("short_name", "organisation_id"))
    for participation in grant.participations.exclude(short_name__in=["ZILEMED", "LVTDA"])[:6]:
        user = UserFactory(
            username=f"pc-{participation.short_name.lower()}",
            organisation_id=organisation_ids[participation.short_name],
        )
        ProjectRole.objects.create(
            user=user, project=grant, role="partner_contact", participation=participation
        )
    with django_assert_max_num_queries(len(few)):
        assert len(api_client.get(_url(grant)).json()["results"]) == 10
