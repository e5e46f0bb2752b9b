"""Every model of the grant record has an admin page, and its pages open with data in them."""

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from backend.accounts.calendar_feeds import key_digest
from backend.accounts.calendar_models import CalendarFeed
from backend.demo.loading import demo_load
from backend.grants.models import (
    Organisation,
    OrganisationRestriction,
    OrganisationUpdate,
    Participation,
    ParticipationRoleChange,
    Project,
    ProjectSuspension,
    ThirdParty,
)
from backend.reporting.models import TerminationReport
from tests.factories import UserFactory

APPS = ["accounts", "grants", "workplan", "reporting", "audit"]
MODELS = [model for label in APPS for model in apps.get_app_config(label).get_models()]


def test_every_model_has_an_admin_page():
    missing = [model._meta.label for model in MODELS if not admin.site.is_registered(model)]
    assert missing == []


def _life_records() -> None:
    """A row of each record of a grant's later life, which the demo grant has not lived."""
    project = Project.objects.first()
    participation = Participation.objects.filter(project=project, role="beneficiary").first()
    organisation = participation.organisation
    day = datetime.date(2025, 1, 1)
    ParticipationRoleChange.objects.create(
        participation=participation,
        effective_on=day,
        previous_role="coordinator",
        role="beneficiary",
        source="Test entry",
    )
    OrganisationUpdate.objects.create(
        organisation=organisation,
        effective_on=day,
        previous_legal_name="Old name",
        legal_name=organisation.legal_name,
        source="Test entry",
    )
    ProjectSuspension.objects.create(
        project=project, started_on=day, ended_on=day + datetime.timedelta(days=10)
    )
    ThirdParty.objects.create(
        project=project, organisation=organisation, kind="subcontractor", started_on=day
    )
    TerminationReport.objects.create(project=project, participation=participation, due_on=day)
    CalendarFeed.objects.create(
        user=UserFactory(username="subscriber"), digest=key_digest("k"), created_at=timezone.now()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_the_admin_pages_of_each_model_open(client, model, settings):
    settings.DEBUG = True  # the demo loader refuses production settings
    demo_load(password="grantwatch-demo", portfolio=False)
    OrganisationRestriction.objects.create(
        organisation=Organisation.objects.first(),
        kind="sanctions_list",
        valid_from=datetime.date(2025, 1, 1),
        reference="Test entry",
    )
    _life_records()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    opts = model._meta
    instance = model.objects.first()
    assert instance is not None, f"the demo has no {opts.label}"

    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    change = client.get(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[instance.pk])
    )
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))

    # What only the services write (the work record's state, the audit trail) is shown read
    # only: no add page.
    addable = admin.site._registry[model].has_add_permission(add.wsgi_request)
    assert (changelist.status_code, change.status_code, add.status_code) == (
        200,
        200,
        200 if addable else 403,
    )


READ_ONLY = [
    "workplan.EvidenceFile",
    "workplan.DueDateRevision",
    "audit.Event",
    "grants.OrganisationUpdate",
    "grants.ParticipationRoleChange",
    "grants.ProjectSuspension",
    *(model._meta.label for model in apps.get_app_config("reporting").get_models()),
]


@pytest.mark.parametrize("label", READ_ONLY)
def test_the_work_records_state_and_the_audit_trail_are_read_only_in_the_admin(label, rf):
    """Changed through the services only, which check the workflow and write the trail."""
    request = rf.get("/")
    request.user = UserFactory.build(username="root", is_superuser=True, is_staff=True)
    model_admin = admin.site._registry[apps.get_model(label)]
    assert (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
        model_admin.has_view_permission(request),
    ) == (False, False, False, True)
