"""Every service that changes the record records one audit event: who, what, on which project,
the state before and after; a refused call records nothing."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from backend.amendments.errors import AmendmentConflict, AmendmentInvalid
from backend.amendments.services import (
    amendment_approve,
    amendment_create,
    amendment_reject,
    amendment_submit,
    amendment_update,
)
from backend.audit.models import Event
from backend.common.errors import InvalidInput
from backend.grantfile.errors import GrantFileInvalid
from backend.grantfile.services import grant_file_import
from backend.grants.models import Project
from monitoring.flags import FlagAlreadyResolved, flag_acknowledge, flag_resolve
from monitoring.models import Flag
from tests.amendments.helpers import DOWN_TO_SEVEN, terminate
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SUBMITTED = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
SUBMITTED_ON = datetime.date(2026, 5, 4)


def _events(**filters) -> list[Event]:
    return list(Event.objects.filter(**filters).order_by("id"))


def _only_event(verb: str) -> Event:
    events = _events(verb=verb)
    assert len(events) == 1, [event.verb for event in events]
    return events[0]


# -- grant import ------------------------------------------------------------------------------


def test_an_import_by_an_agency_officer_records_grant_imported(spec_example_bytes):
    officer = UserFactory(username="importer", is_agency_officer=True)

    project = grant_file_import(content=spec_example_bytes, user=officer)

    event = _only_event("grant.imported")
    assert (event.actor_id, event.actor_name, event.project_id) == (
        officer.pk,
        "importer",
        project.pk,
    )
    assert (event.object_type, event.object_id, event.object_repr) == (
        "project",
        str(project.pk),
        f"SECOVE ({project.grant_agreement_number})",
    )
    assert event.before is None
    assert event.after == {
        "grant_agreement_number": project.grant_agreement_number,
        "acronym": "SECOVE",
        "participants": project.participations.count(),
    }


def test_an_import_from_the_command_line_records_the_system_as_actor(spec_example_bytes):
    project = grant_file_import(content=spec_example_bytes)

    event = _only_event("grant.imported")
    assert (event.actor_id, event.actor_name, event.project_id) == (None, "", project.pk)


def test_the_import_api_records_the_importing_user(api_client, spec_example_bytes):
    officer = UserFactory(username="api-importer", is_agency_officer=True)
    api_client.force_authenticate(officer)

    response = api_client.post(
        "/api/v1/grants/import", spec_example_bytes, content_type="application/yaml"
    )

    assert response.status_code == 201, response.content
    event = _only_event("grant.imported")
    assert (event.actor_name, event.project_id) == ("api-importer", response.json()["id"])


def test_a_refused_import_records_nothing(spec_example_bytes):
    stranger = UserFactory(username="not-an-officer")

    with pytest.raises(PermissionDenied):
        grant_file_import(content=spec_example_bytes, user=stranger)
    with pytest.raises(GrantFileInvalid):
        grant_file_import(content=b"grant_agreement_number: 12\n")

    assert (Project.objects.count(), Event.objects.count()) == (0, 0)


def test_an_import_of_a_grant_already_there_records_nothing_more(spec_example_bytes):
    grant_file_import(content=spec_example_bytes)

    with pytest.raises(GrantFileInvalid):
        grant_file_import(content=spec_example_bytes)

    assert len(_events(verb="grant.imported")) == 1


# -- amendments --------------------------------------------------------------------------------


def _draft(demo, manager, justification="A partner leaves."):
    return amendment_create(
        project=demo,
        user=manager,
        justification=justification,
        changes=[terminate("NORDLYS", "2026-06-30")],
    )


def _submitted(demo, manager, changes=None):
    draft = amendment_create(
        project=demo,
        user=manager,
        justification="A partner leaves.",
        changes=changes or [terminate("NORDLYS", "2026-06-30")],
    )
    with time_machine.travel(SUBMITTED, tick=False):
        return amendment_submit(request=draft, user=manager)


def test_creating_a_draft_records_amendment_created(demo, users):
    draft = _draft(demo, users["manager"])

    event = _only_event("amendment.created")
    assert (event.actor_name, event.project_id, event.object_type, event.object_id) == (
        "pm",
        demo.pk,
        "amendmentrequest",
        str(draft.pk),
    )
    assert event.object_repr == f"CARETECH (101143210) amendment {draft.pk}"
    assert (event.before, event.after, event.note) == (
        None,
        {"status": "draft", "changes": 1},
        "A partner leaves.",
    )


def test_updating_a_draft_records_amendment_updated(demo, users):
    draft = _draft(demo, users["manager"])

    amendment_update(
        request=draft,
        user=users["manager"],
        justification="Two partners leave.",
        changes=[terminate("NORDLYS", "2026-06-30"), terminate("FJORDVIK", "2026-06-30")],
    )

    event = _only_event("amendment.updated")
    assert (event.actor_name, event.project_id) == ("pm", demo.pk)
    assert (event.before, event.after, event.note) == (
        {"status": "draft", "changes": 1},
        {"status": "draft", "changes": 2},
        "Two partners leave.",
    )


def test_submitting_records_amendment_submitted(demo, users):
    amendment = _submitted(demo, users["manager"])

    event = _only_event("amendment.submitted")
    assert (event.actor_name, event.project_id, event.object_id) == (
        "pm",
        demo.pk,
        str(amendment.pk),
    )
    assert (event.before, event.after, event.note) == (
        {"status": "draft"},
        {"status": "submitted", "changes": 1, "decision_due_on": "2026-06-18"},
        "A partner leaves.",
    )


def test_approving_records_amendment_approved(demo, users):
    amendment = _submitted(demo, users["manager"])

    amendment_approve(request=amendment, user=users["officer"], note="Fine.", today=SUBMITTED_ON)

    event = _only_event("amendment.approved")
    assert (event.actor_name, event.project_id, event.object_id) == (
        "po",
        demo.pk,
        str(amendment.pk),
    )
    assert (event.before, event.after, event.note) == (
        {"status": "submitted"},
        {"status": "approved", "changes": 1, "override_justification": ""},
        "Fine.",
    )


def test_approving_a_breach_records_the_override(demo, users):
    amendment = _submitted(
        demo, users["manager"], [terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN]
    )

    amendment_approve(
        request=amendment,
        user=users["officer"],
        note="Noted.",
        override_justification="Replacements are being found.",
        today=SUBMITTED_ON,
    )

    assert _only_event("amendment.approved").after == {
        "status": "approved",
        "changes": 6,
        "override_justification": "Replacements are being found.",
    }


def test_rejecting_records_amendment_rejected(demo, users):
    amendment = _submitted(demo, users["manager"])

    amendment_reject(request=amendment, user=users["officer"], note="Not justified.")

    event = _only_event("amendment.rejected")
    assert (event.actor_name, event.project_id) == ("po", demo.pk)
    assert (event.before, event.after, event.note) == (
        {"status": "submitted"},
        {"status": "rejected"},
        "Not justified.",
    )


def test_refused_amendment_steps_record_nothing(demo, users):
    draft = _draft(demo, users["manager"])
    submitted = _submitted(demo, users["manager"])
    before = Event.objects.count()

    with pytest.raises(PermissionDenied):
        amendment_create(project=demo, user=users["partner_contact"], justification="x", changes=[])
    with pytest.raises(PermissionDenied):
        amendment_update(request=draft, user=users["officer"], justification="x", changes=[])
    with pytest.raises(AmendmentConflict):
        amendment_update(request=submitted, user=users["manager"], justification="x", changes=[])
    with pytest.raises(AmendmentInvalid):
        amendment_update(
            request=draft,
            user=users["manager"],
            justification="x",
            changes=[terminate("NOBODY", "2026-06-30")],
        )
    with pytest.raises(AmendmentConflict):
        amendment_submit(request=submitted, user=users["manager"])
    with pytest.raises(PermissionDenied):
        amendment_approve(request=submitted, user=users["manager"], today=SUBMITTED_ON)
    with pytest.raises(AmendmentConflict):
        amendment_approve(request=draft, user=users["officer"], today=SUBMITTED_ON)
    with pytest.raises(AmendmentConflict):  # past the 45 days: counts as rejected
        amendment_approve(
            request=submitted,
            user=users["officer"],
            today=SUBMITTED_ON + datetime.timedelta(days=46),
        )
    with pytest.raises(AmendmentInvalid):
        amendment_reject(request=submitted, user=users["officer"], note=" ")
    with pytest.raises(PermissionDenied):
        amendment_reject(request=submitted, user=users["other_officer"], note="No.")

    assert Event.objects.count() == before


# -- flags -------------------------------------------------------------------------------------


@pytest.fixture
def flag(demo):
    now = timezone.now()
    return Flag.objects.create(
        project=demo,
        kind="deliverable_overdue",
        severity="medium",
        fingerprint="deliverable_overdue:D1.1",
        explanation={"en": "D1.1 is overdue."},
        first_seen_at=now,
        last_seen_at=now,
    )


def test_acknowledging_a_flag_records_flag_acknowledged(flag, users):
    at = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(at, tick=False):
        flag_acknowledge(flag=flag, user=users["officer"], note="Asked the coordinator.")

    event = _only_event("flag.acknowledged")
    assert (event.actor_name, event.project_id, event.object_type, event.object_id) == (
        "po",
        flag.project_id,
        "flag",
        str(flag.pk),
    )
    assert event.before == {
        "acknowledged_at": None,
        "acknowledged_by": None,
        "acknowledgement_note": "",
    }
    assert event.after == {
        "acknowledged_at": "2026-05-04T10:00:00+00:00",
        "acknowledged_by": users["officer"].pk,
        "acknowledgement_note": "Asked the coordinator.",
    }
    assert event.note == "Asked the coordinator."


def test_resolving_a_flag_records_flag_resolved(flag, users):
    at = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)
    with time_machine.travel(at, tick=False):
        flag_resolve(flag=flag, user=users["admin"], note="Delivered by e-mail.")

    event = _only_event("flag.resolved")
    assert (event.actor_name, event.project_id) == ("root", flag.project_id)
    assert event.before == {
        "resolved_at": None,
        "resolution": "",
        "resolved_by": None,
        "resolution_note": "",
        "suppressed": False,
    }
    assert event.after == {
        "resolved_at": "2026-05-04T10:00:00+00:00",
        "resolution": "manual",
        "resolved_by": users["admin"].pk,
        "resolution_note": "Delivered by e-mail.",
        "suppressed": True,
    }
    assert event.note == "Delivered by e-mail."


def test_refused_triage_records_nothing(flag, users):
    with pytest.raises(PermissionDenied):
        flag_acknowledge(flag=flag, user=users["manager"], note="Seen.")
    with pytest.raises(PermissionDenied):
        flag_resolve(flag=flag, user=users["other_officer"], note="Done.")
    with pytest.raises(InvalidInput):
        flag_resolve(flag=flag, user=users["officer"], note="  ")
    flag_resolve(flag=flag, user=users["officer"], note="Done.")
    with pytest.raises(FlagAlreadyResolved):
        flag_acknowledge(flag=flag, user=users["officer"], note="Seen.")
    with pytest.raises(FlagAlreadyResolved):
        flag_resolve(flag=flag, user=users["officer"], note="Again.")

    assert [event.verb for event in _events(object_type="flag")] == ["flag.resolved"]


def test_the_watchers_raising_and_resolving_flags_record_no_event(demo):
    from monitoring.flags import Finding, flags_sync

    finding = Finding(
        project_id=demo.pk,
        kind="deliverable_overdue",
        severity="medium",
        fingerprint="deliverable_overdue:D1.1",
        explanation={"en": "D1.1 is overdue."},
    )
    scope = {"project_ids": [demo.pk], "kinds": ["deliverable_overdue"]}
    before = Event.objects.count()

    raised = flags_sync(**scope, findings=[finding], now=timezone.now())
    resolved = flags_sync(**scope, findings=[], now=timezone.now())

    assert (len(raised.raised), len(resolved.resolved)) == (1, 1)
    assert Event.objects.count() == before
