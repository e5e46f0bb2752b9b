"""The admin shows the dated history: an organisation's updates, the role changes and the
suspensions are written by the services only (read only here); a third party may be edited,
and its project is checked again."""

import datetime

import pytest
from django.urls import reverse

from backend.grants.models import (
    OrganisationUpdate,
    ParticipationRoleChange,
    ProjectSuspension,
    ThirdParty,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def history(demo):
    gauja = demo.participations.get(short_name="GAUJA")
    return {
        OrganisationUpdate: OrganisationUpdate.objects.create(
            organisation=gauja.organisation,
            effective_on=D(2026, 1, 1),
            previous_country_id="LV",
            country_id="EE",
            source="Participant register",
        ),
        ParticipationRoleChange: ParticipationRoleChange.objects.create(
            participation=gauja,
            effective_on=D(2026, 1, 1),
            previous_role="coordinator",
            role="beneficiary",
            source="Amendment 1",
        ),
        ProjectSuspension: ProjectSuspension.objects.create(
            project=demo, started_on=D(2026, 2, 1), ended_on=D(2026, 3, 1), reason="Force majeure"
        ),
        ThirdParty: ThirdParty.objects.create(
            project=demo,
            organisation=gauja.organisation,
            kind="subcontractor",
            started_on=D(2026, 1, 1),
            description="Catering",
        ),
    }


# A value of each row that its list shows.
SHOWN = {
    OrganisationUpdate: "Participant register",
    ParticipationRoleChange: "Amendment 1",
    ProjectSuspension: "Force majeure",
    ThirdParty: "Catering",
}


@pytest.mark.parametrize(
    ("model", "addable"),
    [
        (OrganisationUpdate, False),
        (ParticipationRoleChange, False),
        (ProjectSuspension, False),
        (ThirdParty, True),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)),
)
def test_the_admin_shows_the_dated_history(client, history, model, addable):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    opts = model._meta
    instance = history[model]

    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    change = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    )
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))

    assert (changelist.status_code, change.status_code, add.status_code) == (
        200,
        200,
        200 if addable else 403,
    )
    assert SHOWN[model].encode() in changelist.content
