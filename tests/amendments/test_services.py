"""Amendment services: drafts, submission, the agency's decision, and approval applying every
change to the grant record at once."""

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from backend.amendments import apply, services
from backend.amendments.errors import AmendmentConflict, AmendmentInvalid
from backend.amendments.models import AmendmentRequest
from backend.amendments.selectors import amendments_past_decision_date
from backend.amendments.services import (
    amendment_approve,
    amendment_create,
    amendment_reject,
    amendment_submit,
    amendment_update,
)
from backend.grantfile.services import grant_file_import
from backend.grants.models import Organisation, Participation
from tests.amendments.helpers import (
    DOWN_TO_SEVEN,
    add,
    day,
    new_organisation,
    row_counts,
    terminate,
)
from tests.conftest import DEMO

pytestmark = pytest.mark.django_db

# A Brussels morning; the 45 days count from this date.
SUBMITTED = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
SUBMITTED_ON = datetime.date(2026, 5, 4)


def _submitted(
    project, manager, changes, justification="Partner restructuring."
) -> AmendmentRequest:
    amendment = amendment_create(
        project=project, user=manager, justification=justification, changes=changes
    )
    with time_machine.travel(SUBMITTED, tick=False):
        return amendment_submit(request=amendment, user=manager)


def _participation(project, short_name) -> Participation:
    return project.participations.select_related("organisation").get(short_name=short_name)


def _errors(refused) -> list[dict]:
    return [error.as_dict() for error in refused.value.errors]


# -- every kind of change, applied ---------------------------------------------------------------


def test_approval_applies_every_kind_of_change(demo, other_project, manager, po):
    amendment = _submitted(
        demo,
        manager,
        [
            add(
                effective_on="2026-07-01",
                **new_organisation(
                    "NEWCO", "993000010", "SE", ["enterprise", "vet_provider_tertiary"]
                ),
            ),
            # A PIC the system knows (from the other project): its record is used.
            add(
                "add_affiliated_entity",
                effective_on="2026-07-01",
                pic="999999003",
                short_name="ACME-LAB",
                affiliated_to="UKELB",
            ),
            add(
                "add_associated_partner",
                effective_on="2026-07-01",
                **new_organisation("CITY", "993000011", "LV", ["public_authority"]),
            ),
            terminate("ZSTW", "2026-06-30"),
            add("change_coordinator", participant="UKELB", effective_on="2026-07-01"),
            add(
                "change_organisation_country",
                participant="NORDLYS",
                country="SE",
                effective_on="2026-07-01",
            ),
            add(
                "change_organisation_types",
                participant="POHJATAHT",
                types=["research", "enterprise"],
                effective_on="2026-07-01",
            ),
        ],
    )
    positions_before = max(demo.participations.values_list("position", flat=True))

    approved = amendment_approve(
        request=amendment, user=po, note="Fine.", today=SUBMITTED_ON + datetime.timedelta(days=3)
    )

    assert (approved.status, approved.decided_by, approved.decision_note) == (
        "approved",
        po,
        "Fine.",
    )
    assert approved.override_justification == ""
    newco = _participation(demo, "NEWCO")
    assert (newco.role, newco.joined_on, newco.left_on, newco.position) == (
        "beneficiary",
        day("2026-07-01"),
        None,
        positions_before + 1,
    )
    assert (newco.organisation.legal_name, newco.organisation.country_id) == (
        "NEWCO Legal Name",
        "SE",
    )
    assert newco.organisation.types == ["enterprise", "vet_provider_tertiary"]
    lab = _participation(demo, "ACME-LAB")
    assert lab.organisation == Organisation.objects.get(pic="999999003")  # not a copy
    assert (lab.role, lab.affiliated_to.short_name, lab.position) == (
        "affiliated_entity",
        "UKELB",
        positions_before + 2,
    )
    city = _participation(demo, "CITY")
    assert (city.role, city.organisation.types) == ("associated_partner", ["public_authority"])
    assert _participation(demo, "ZSTW").left_on == day("2026-06-30")
    assert _participation(demo, "UKELB").role == "coordinator"
    assert _participation(demo, "GAUJA").role == "beneficiary"
    assert _participation(demo, "NORDLYS").organisation.country_id == "SE"
    assert _participation(demo, "POHJATAHT").organisation.types == ["enterprise", "research"]


def test_a_partial_takeover_terminates_and_adds_in_one_approval(demo, manager, po):
    """Scenario 14: the transfer date is the leaver's last day and the newcomer's first."""
    amendment = _submitted(
        demo,
        manager,
        [
            terminate("SESUPE", "2026-09-30"),
            add(
                effective_on="2026-09-30",
                **new_organisation("SESUPE-2", "993000012", "LT", ["enterprise"]),
            ),
        ],
    )

    amendment_approve(request=amendment, user=po, today=SUBMITTED_ON)

    assert _participation(demo, "SESUPE").left_on == day("2026-09-30")
    assert _participation(demo, "SESUPE-2").joined_on == day("2026-09-30")


# -- a breach needs an override ------------------------------------------------------------------


def test_approving_a_breach_without_an_override_is_refused_and_writes_nothing(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN])
    before = row_counts()

    with pytest.raises(AmendmentInvalid) as refused:
        amendment_approve(request=amendment, user=po, note="", today=SUBMITTED_ON)

    assert _errors(refused) == [
        {
            "path": "override_justification",
            "message": "With these changes the consortium would be in breach: the minimum number "
            "of full partners from 2026-07-01. Approving needs an override justification.",
        }
    ]
    assert row_counts() == before
    amendment.refresh_from_db()
    assert amendment.status == "submitted"
    assert not demo.participations.filter(left_on__isnull=False).exclude(short_name="LINDENAU")


def test_approving_a_breach_with_an_override_records_it_and_applies_the_changes(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN])

    amendment_approve(
        request=amendment,
        user=po,
        note="Replacement partners are being found.",
        override_justification="  The consortium will add a partner by September.  ",
        today=SUBMITTED_ON,
    )

    amendment.refresh_from_db()
    assert amendment.status == "approved"
    assert amendment.override_justification == "The consortium will add a partner by September."
    assert sorted(
        demo.participations.filter(left_on=day("2026-06-30")).values_list("short_name", flat=True)
    ) == sorted(DOWN_TO_SEVEN)


def test_an_override_is_not_recorded_when_nothing_breaks(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])

    amendment_approve(
        request=amendment, user=po, override_justification="Just in case.", today=SUBMITTED_ON
    )

    amendment.refresh_from_db()
    assert (amendment.status, amendment.override_justification) == ("approved", "")


# -- all or nothing ------------------------------------------------------------------------------


def test_approval_is_atomic_when_a_change_fails_in_the_middle(demo, manager, po, monkeypatch):
    amendment = _submitted(
        demo,
        manager,
        [
            terminate("LVTDA", "2026-06-30"),
            add(
                effective_on="2026-07-01",
                **new_organisation("NEWCO", "993000013", "LV", ["sector_representative"]),
            ),
            add("change_coordinator", participant="UKELB", effective_on="2026-07-01"),
        ],
    )
    before = row_counts()

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(apply, "_add_participation", broken)

    with pytest.raises(RuntimeError, match="the disk is full"):
        amendment_approve(request=amendment, user=po, today=SUBMITTED_ON)

    assert row_counts() == before
    assert _participation(demo, "LVTDA").left_on is None  # the first change was undone
    assert _participation(demo, "GAUJA").role == "coordinator"
    amendment.refresh_from_db()
    assert (amendment.status, amendment.decided_at) == ("submitted", None)


def test_approval_checks_the_changes_again_against_todays_record(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])
    # Meanwhile the record says ZSTW left earlier (e.g. another amendment).
    Participation.objects.filter(project=demo, short_name="ZSTW").update(left_on=day("2025-12-31"))
    before = row_counts()

    with pytest.raises(AmendmentInvalid) as refused:
        amendment_approve(request=amendment, user=po, today=SUBMITTED_ON)

    assert _errors(refused) == [
        {
            "path": "changes[0].participant",
            "message": '"ZSTW" does not take part in the project on 2026-06-30.',
        }
    ]
    assert row_counts() == before


def test_a_new_pic_recorded_differently_since_the_draft_is_refused_at_approval(
    demo, manager, po, other_project
):
    amendment = _submitted(
        demo,
        manager,
        [
            add(
                effective_on="2026-07-01",
                **new_organisation("NEWCO", "993000014", "LV", ["enterprise"]),
            )
        ],
    )
    Organisation.objects.create(
        pic="993000014", legal_name="NEWCO Legal Name", short_name="NEWCO", country_id="EE"
    ).type_entries.create(code="enterprise")

    with pytest.raises(AmendmentInvalid) as refused:
        amendment_approve(request=amendment, user=po, today=SUBMITTED_ON)

    assert _errors(refused) == [
        {
            "path": "changes[0].country",
            "message": 'The organisation with PIC 993000014 is recorded with country "EE". '
            "Leave it out, or change the organisation first.",
        }
    ]


# -- the decision period -------------------------------------------------------------------------


def test_the_decision_is_due_45_days_after_submission_in_brussels(demo, manager):
    # 23:30 UTC on 3 May is already 4 May in Brussels.
    amendment = amendment_create(
        project=demo, user=manager, justification="Why.", changes=[terminate("ZSTW", "2026-06-30")]
    )
    with time_machine.travel(datetime.datetime(2026, 5, 3, 23, 30, tzinfo=datetime.UTC)):
        amendment = amendment_submit(request=amendment, user=manager)

    assert amendment.decision_due_on == day("2026-06-18")
    assert not amendment.is_deemed_rejected(day("2026-06-18"))
    assert amendment.is_deemed_rejected(day("2026-06-19"))


def test_on_day_45_a_request_can_still_be_approved(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])

    amendment_approve(request=amendment, user=po, today=SUBMITTED_ON + datetime.timedelta(45))

    assert AmendmentRequest.objects.get(pk=amendment.pk).status == "approved"


def test_on_day_46_a_request_counts_as_rejected_and_cannot_be_approved(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])
    before = row_counts()

    with pytest.raises(AmendmentConflict) as refused:
        amendment_approve(request=amendment, user=po, today=SUBMITTED_ON + datetime.timedelta(46))

    assert refused.value.message == (
        "No decision was taken by 2026-06-18, the end of the decision period: the request counts "
        "as rejected and has to be launched again."
    )
    assert row_counts() == before


def test_a_request_past_its_decision_date_can_still_be_rejected_explicitly(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])

    with time_machine.travel(datetime.datetime(2026, 7, 1, 9, 0, tzinfo=datetime.UTC)):
        amendment_reject(request=amendment, user=po, note="Too late; launch it again.")

    amendment.refresh_from_db()
    assert (amendment.status, amendment.decision_note) == ("rejected", "Too late; launch it again.")


def test_the_watchers_find_requests_past_their_decision_date(demo, manager):
    overdue = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])
    amendment_create(project=demo, user=manager, justification="", changes=[])  # a draft

    on_day_45 = amendments_past_decision_date(today=day("2026-06-18"))
    on_day_46 = amendments_past_decision_date(today=day("2026-06-19"), project_ids=[demo.pk])

    assert list(on_day_45) == []
    assert list(on_day_46) == [overdue]


# -- the watchers are told -----------------------------------------------------------------------


def test_approval_queues_the_watchers_check_after_commit(
    demo, manager, po, django_capture_on_commit_callbacks
):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        amendment_approve(request=amendment, user=po, today=SUBMITTED_ON)

    assert len(callbacks) == 1


def test_an_organisation_change_tells_the_watchers_of_every_project_it_takes_part_in(
    demo, manager, po, monkeypatch
):
    # A second copy of the demo shares its organisations (the import reuses known PICs).
    twin = grant_file_import(content=DEMO.read_bytes().replace(b'"101143210"', b'"101143211"'))
    told = []
    monkeypatch.setattr(
        services, "projects_changed", lambda ids, *, reason: told.append((sorted(ids), reason))
    )
    amendment = _submitted(
        demo,
        manager,
        [
            add(
                "change_organisation_country",
                participant="NORDLYS",
                country="SE",
                effective_on="2026-07-01",
            )
        ],
    )
    told.clear()

    amendment_approve(request=amendment, user=po, today=SUBMITTED_ON)

    assert told == [(sorted([demo.pk, twin.pk]), "amendment approved")]
    assert _participation(twin, "NORDLYS").organisation.country_id == "SE"


# -- steps out of order and who may take them ----------------------------------------------------


def test_submitting_needs_a_justification_and_a_change(demo, manager):
    amendment = amendment_create(project=demo, user=manager, justification="  ", changes=[])
    before = row_counts()

    with pytest.raises(AmendmentInvalid) as refused:
        amendment_submit(request=amendment, user=manager)

    assert _errors(refused) == [
        {"path": "justification", "message": "Give a justification before submitting."},
        {"path": "changes", "message": "Give at least one change."},
    ]
    assert row_counts() == before


def test_a_draft_update_replaces_its_justification_and_changes(demo, manager):
    amendment = amendment_create(
        project=demo,
        user=manager,
        justification="First.",
        changes=[terminate("ZSTW", "2026-06-30")],
    )

    amendment_update(
        request=amendment,
        user=manager,
        justification="Second.",
        changes=[terminate("HOIVA", "2026-09-30"), terminate("ZSTW", "2026-09-30")],
    )

    amendment.refresh_from_db()
    assert amendment.justification == "Second."
    assert [
        (c.position, c.participation.short_name, c.effective_on) for c in amendment.changes.all()
    ] == [(1, "HOIVA", day("2026-09-30")), (2, "ZSTW", day("2026-09-30"))]


@pytest.mark.parametrize(
    ("step", "message"),
    [
        ("update", 'Only a draft can be changed; this request is "Submitted".'),
        ("submit", 'Only a draft can be submitted; this request is "Submitted".'),
    ],
)
def test_a_submitted_request_cannot_be_changed_or_submitted_again(demo, manager, step, message):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])
    before = row_counts()

    def take_step():
        if step == "update":
            return amendment_update(request=amendment, user=manager, justification="x", changes=[])
        return amendment_submit(request=amendment, user=manager)

    with pytest.raises(AmendmentConflict) as refused:
        take_step()

    assert refused.value.message == message
    assert row_counts() == before


def test_a_draft_cannot_be_approved_or_rejected(demo, manager, po):
    draft = amendment_create(
        project=demo, user=manager, justification="x", changes=[terminate("ZSTW", "2026-06-30")]
    )

    with pytest.raises(AmendmentConflict) as approving:
        amendment_approve(request=draft, user=po, today=SUBMITTED_ON)
    with pytest.raises(AmendmentConflict) as rejecting:
        amendment_reject(request=draft, user=po, note="No.")

    assert approving.value.message == (
        'Only a submitted request can be approved; this request is "Draft".'
    )
    assert rejecting.value.message == (
        'Only a submitted request can be rejected; this request is "Draft".'
    )


def test_a_decided_request_cannot_be_decided_again(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])
    amendment_reject(request=amendment, user=po, note="No.")

    with pytest.raises(AmendmentConflict) as refused:
        amendment_approve(request=amendment, user=po, today=SUBMITTED_ON)

    assert refused.value.message == (
        'Only a submitted request can be approved; this request is "Rejected".'
    )


def test_rejecting_needs_a_note(demo, manager, po):
    amendment = _submitted(demo, manager, [terminate("ZSTW", "2026-06-30")])

    with pytest.raises(AmendmentInvalid) as refused:
        amendment_reject(request=amendment, user=po, note=" ")

    assert _errors(refused) == [{"path": "note", "message": "Say why the request is rejected."}]


def test_the_services_check_permission_themselves(demo, users):
    with pytest.raises(PermissionDenied, match="Only the project's managers"):
        amendment_create(project=demo, user=users["officer"], justification="", changes=[])
    amendment = _submitted(demo, users["manager"], [terminate("ZSTW", "2026-06-30")])
    with pytest.raises(PermissionDenied, match="Only the project's agency officers"):
        amendment_approve(request=amendment, user=users["manager"], today=SUBMITTED_ON)
