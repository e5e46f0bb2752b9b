"""Separation of duties: a project's agency officer is agency staff and no member of its
consortium. The role's own check (``ProjectRole.clean``), the service that grants roles, the
admin's forms and the database each refuse a role that would mix the two; and every deciding
service asks again at the moment of the decision, so that a role that no longer fits (its holder
no longer agency staff, or come to work for a participant, or a row written past the checks)
decides nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from backend.accounts.models import ProjectRole, User
from backend.accounts.permissions import project_access
from backend.accounts.services import project_role_grant
from backend.amendments.models import AmendmentRequest
from backend.amendments.services import amendment_reject
from backend.audit.models import Event
from backend.common.errors import Conflict, InvalidInput
from backend.payments.services import instalment_approve
from backend.reporting.services import report_approve
from monitoring.flags import flag_acknowledge
from monitoring.models import Flag

pytestmark = pytest.mark.django_db

NOT_AGENCY_STAFF = (
    "nobody is not agency staff: only users flagged as agency officers can be a project's officer."
)
MEMBER = (
    "pm works on this project for the consortium (as its manager or a partner contact) and "
    "cannot be its agency officer."
)
PARTICIPANT = (
    "nobody works for an organisation taking part in this project and cannot be its agency officer."
)
ALREADY_OFFICER = (
    "po is an agency officer of this project and cannot also work on it for the consortium."
)


def participation(project, short_name: str):
    return project.participations.get(short_name=short_name)


def _clean_errors(**fields) -> dict:
    with pytest.raises(ValidationError) as refused:
        ProjectRole(**fields).full_clean()
    return refused.value.message_dict


def _flag_agency_staff(user) -> None:
    User.objects.filter(pk=user.pk).update(is_agency_officer=True)
    user.is_agency_officer = True


# -- the role's own check -------------------------------------------------------------------------


def test_a_user_who_is_not_agency_staff_cannot_be_an_officer(grant, grant_users):
    errors = _clean_errors(user=grant_users["stranger"], project=grant, role="officer")
    assert errors == {"role": [NOT_AGENCY_STAFF]}


def test_a_consortium_member_cannot_be_the_projects_officer(grant, grant_users):
    """Even flagged as agency staff, the manager of the project cannot be its officer."""
    manager = grant_users["manager"]
    _flag_agency_staff(manager)
    assert _clean_errors(user=manager, project=grant, role="officer") == {"role": [MEMBER]}


def test_a_partner_contact_cannot_be_the_projects_officer(grant, grant_users):
    contact = grant_users["partner_contact"]
    _flag_agency_staff(contact)
    errors = _clean_errors(user=contact, project=grant, role="officer")
    assert errors == {"role": [MEMBER.replace("pm ", "pc ")]}


def test_agency_staff_working_for_a_participant_cannot_be_its_officer(grant, grant_users):
    """No role on the project, but the user's organisation (LVTDA) takes part in it."""
    user = grant_users["stranger"]
    user.organisation_id = participation(grant, "LVTDA").organisation_id
    user.is_agency_officer = True
    user.save()
    assert _clean_errors(user=user, project=grant, role="officer") == {"role": [PARTICIPANT]}


def test_the_projects_officer_cannot_be_given_a_consortium_role(grant, grant_users):
    errors = _clean_errors(
        user=grant_users["officer"],
        project=grant,
        role="partner_contact",
        participation=participation(grant, "ZILEMED"),
    )
    assert errors == {"role": [ALREADY_OFFICER]}


def test_agency_staff_outside_the_consortium_may_be_an_officer(grant, grant_users):
    """The other grant's officer, with no tie to this grant, may hold this one too."""
    ProjectRole(user=grant_users["other_officer"], project=grant, role="officer").full_clean()


def test_an_officer_stays_agency_staff_while_the_role_is_held(grant, grant_users):
    officer = User.objects.get(pk=grant_users["officer"].pk)
    officer.is_agency_officer = False
    with pytest.raises(ValidationError) as refused:
        officer.full_clean()
    assert refused.value.message_dict == {
        "is_agency_officer": [
            "The user is an agency officer of a project; take that role away first."
        ]
    }
    officer.is_agency_officer = True
    officer.organisation_id = participation(grant, "GAUJA").organisation_id
    with pytest.raises(ValidationError) as refused:
        officer.full_clean()
    assert refused.value.message_dict == {
        "organisation": [
            "The organisation takes part in a project the user is the agency officer of."
        ]
    }


# -- the service that grants roles ----------------------------------------------------------------


def _written() -> tuple[int, int]:
    return ProjectRole.objects.count(), Event.objects.count()


@pytest.mark.parametrize(
    ("username", "role", "acting_for", "message"),
    [
        ("stranger", "officer", None, NOT_AGENCY_STAFF),
        ("officer", "manager", "GAUJA", ALREADY_OFFICER),
    ],
)
def test_the_service_refuses_a_role_that_mixes_the_duties(
    grant, grant_users, username, role, acting_for, message
):
    before = _written()
    with pytest.raises(InvalidInput) as refused:
        project_role_grant(
            actor=grant_users["admin"],
            user=grant_users[username],
            project=grant,
            role=role,
            participation=participation(grant, acting_for) if acting_for else None,
        )
    assert [error.as_dict() for error in refused.value.errors] == [
        {"path": "role", "message": message}
    ]
    assert refused.value.detail == "The role was not given."
    assert _written() == before


def test_the_service_refuses_the_consortiums_manager_as_officer(grant, grant_users):
    manager = grant_users["manager"]
    _flag_agency_staff(manager)
    before = _written()
    with pytest.raises(InvalidInput) as refused:
        project_role_grant(actor=None, user=manager, project=grant, role="officer")
    assert refused.value.errors[0].message == MEMBER
    assert _written() == before


def test_the_service_gives_a_role_that_fits_and_records_it(grant, grant_users):
    other_officer = grant_users["other_officer"]
    role = project_role_grant(
        actor=grant_users["admin"], user=other_officer, project=grant, role="officer"
    )
    assert ProjectRole.objects.get(user=other_officer, project=grant) == role
    event = Event.objects.get(verb="project_role.granted")
    assert (event.actor, event.project_id, event.after["user"], event.after["role"]) == (
        grant_users["admin"],
        grant.pk,
        "po-other",
        "officer",
    )
    assert project_access(other_officer, grant.pk).officer


def test_only_administrators_grant_roles_and_a_role_is_held_once(grant, grant_users):
    before = _written()
    with pytest.raises(PermissionDenied) as refused:
        project_role_grant(
            actor=grant_users["officer"],
            user=grant_users["other_officer"],
            project=grant,
            role="officer",
        )
    assert str(refused.value) == "Only administrators give users roles on projects."
    with pytest.raises(Conflict) as again:
        project_role_grant(actor=None, user=grant_users["officer"], project=grant, role="officer")
    assert again.value.message == f"po already holds this role on {grant}."
    assert _written() == before


# -- the admin's forms ----------------------------------------------------------------------------


def test_the_admin_refuses_a_consortium_member_as_officer(client, grant, grant_users):
    manager = grant_users["manager"]
    _flag_agency_staff(manager)
    client.force_login(grant_users["admin"])
    before = _written()

    response = client.post(
        reverse("admin:accounts_projectrole_add"),
        {"user": manager.pk, "project": grant.pk, "role": "officer", "participation": ""},
    )

    assert response.status_code == 200  # the form again, with the reason
    assert MEMBER in response.content.decode()
    assert _written() == before


def _user_change_form(user, rows: list[dict]) -> dict:
    """The admin's change form of ``user`` as posted, with ``rows`` as new project roles."""
    data = {
        "username": user.username,
        "email": user.email,
        "is_active": "on",
        "is_agency_officer": "on",
        "language": "en",
        "reminder_days": "[14, 0]",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00:00",
        "project_roles-TOTAL_FORMS": str(len(rows)),
        "project_roles-INITIAL_FORMS": "0",
        "project_roles-MIN_NUM_FORMS": "0",
        "project_roles-MAX_NUM_FORMS": "1000",
    }
    for number, row in enumerate(rows):
        for name, value in row.items():
            data[f"project_roles-{number}-{name}"] = value
    return data


def test_the_admin_refuses_officer_and_consortium_roles_given_together(
    client, other_grant, grant_users
):
    """Neither role is saved yet, so each passes its own check: the form of the user's roles
    refuses the pair."""
    user = grant_users["stranger"]
    _flag_agency_staff(user)
    client.force_login(grant_users["admin"])
    before = _written()
    rows = [
        {"project": other_grant.pk, "role": "officer"},
        {
            "project": other_grant.pk,
            "role": "partner_contact",
            "participation": participation(other_grant, "ACME").pk,
        },
    ]

    response = client.post(
        reverse("admin:accounts_user_change", args=[user.pk]), _user_change_form(user, rows)
    )

    assert response.status_code == 200
    assert (
        "A user cannot be both the agency officer and a member of the consortium of "
        "OTHERCOVE" in response.content.decode()
    )
    assert _written() == before


# -- the database ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "role", "acting_for"),
    [
        ("stranger", "officer", None),  # not agency staff
        ("manager", "officer", None),  # the consortium's manager (flagged below)
        ("officer", "partner_contact", "ZILEMED"),  # the officer, as a partner contact
    ],
)
def test_the_database_refuses_a_row_written_past_the_checks(
    grant, grant_users, username, role, acting_for
):
    user = grant_users[username]
    if username == "manager":
        _flag_agency_staff(user)
    before = _written()
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectRole.objects.create(
            user=user,
            project=grant,
            role=role,
            participation=participation(grant, acting_for) if acting_for else None,
        )
    assert _written() == before


def test_the_database_refuses_an_officer_working_for_a_participant(grant, grant_users):
    user = grant_users["stranger"]
    User.objects.filter(pk=user.pk).update(
        is_agency_officer=True, organisation_id=participation(grant, "LVTDA").organisation_id
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProjectRole.objects.create(user=user, project=grant, role="officer")
    assert not ProjectRole.objects.filter(user=user).exists()


# -- the decision, asked again --------------------------------------------------------------------


def _no_longer_agency_staff(grant, officer) -> str:
    User.objects.filter(pk=officer.pk).update(is_agency_officer=False)
    return (
        "Your officer role on this project does not count: only agency staff act as a "
        "project's officers."
    )


def _now_working_for_a_participant(grant, officer) -> str:
    User.objects.filter(pk=officer.pk).update(
        organisation_id=participation(grant, "ZILEMED").organisation_id
    )
    return "Your officer role on this project does not count: your organisation takes part in it."


def _a_consortium_row_past_the_database(grant, officer) -> str:
    """A partner-contact row for the officer, written with the database's triggers off (as a
    restore or a hand-made fix could)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        ProjectRole.objects.create(
            user=officer,
            project=grant,
            role="partner_contact",
            participation=participation(grant, "ZILEMED"),
        )
    return (
        "Your officer role on this project does not count: you also work on it for the consortium."
    )


def _decide_amendment(grant, officer, manager):
    request = AmendmentRequest.objects.create(
        project=grant,
        status="submitted",
        justification="Add a partner.",
        created_by=manager,
        submitted_by=manager,
        submitted_at=timezone.now() - datetime.timedelta(days=2),
        decision_due_on=timezone.localdate() + datetime.timedelta(days=43),
    )
    try:
        amendment_reject(request=request, user=officer, note="No.")
    finally:
        request.refresh_from_db()
        assert (request.status, request.decided_by) == ("submitted", None)


def _approve_report(grant, officer, manager):
    report_approve(period=grant.reporting_periods.get(number=1), user=officer)


def _approve_instalment(grant, officer, manager):
    instalment_approve(project=grant, key="prefinancing", user=officer)


def _triage_flag(grant, officer, manager):
    now = timezone.now()
    flag = Flag.objects.create(
        project=grant,
        kind="eligibility_breach",
        severity="high",
        fingerprint="eligibility_breach:test",
        explanation={"en": "A breach."},
        first_seen_at=now,
        last_seen_at=now,
    )
    try:
        flag_acknowledge(flag=flag, user=officer, note="Seen.")
    finally:
        flag.refresh_from_db()
        assert flag.acknowledged_by is None


@pytest.mark.parametrize(
    "decide", [_decide_amendment, _approve_report, _approve_instalment, _triage_flag]
)
@pytest.mark.parametrize(
    "spoil",
    [
        _no_longer_agency_staff,
        _now_working_for_a_participant,
        pytest.param(_a_consortium_row_past_the_database, marks=pytest.mark.postgres),
    ],
)
def test_a_role_that_no_longer_fits_decides_nothing(grant, grant_users, spoil, decide):
    """The officer's role was given rightly; what changed since is found at the decision."""
    officer = grant_users["officer"]
    reason = spoil(grant, officer)
    events = Event.objects.count()

    with pytest.raises(PermissionDenied) as refused:
        decide(grant, officer, grant_users["manager"])

    assert str(refused.value) == reason
    assert Event.objects.count() == events
