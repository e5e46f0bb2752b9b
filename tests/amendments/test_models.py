"""What the database itself refuses, the decision date, and the admin pages."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from backend.amendments.models import (
    DECISION_DAYS,
    AmendmentChange,
    AmendmentRequest,
)
from backend.amendments.services import amendment_create
from tests.amendments.helpers import add, terminate

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=datetime.UTC)


def _refused(**fields) -> bool:
    try:
        with transaction.atomic():
            fields.setdefault("position", 1)
            fields.setdefault("effective_on", datetime.date(2026, 6, 30))
            AmendmentChange.objects.create(**fields)
    except IntegrityError:
        return True
    return False


@pytest.fixture
def draft(demo, manager) -> AmendmentRequest:
    return AmendmentRequest.objects.create(project=demo, created_by=manager)


def test_the_decision_period_is_45_days():
    assert DECISION_DAYS == 45


def test_a_draft_has_no_decision_date(draft):
    assert draft.decision_due_on is None
    assert not draft.is_deemed_rejected(datetime.date(2099, 1, 1))


SUBMITTED = {
    "status": "submitted",
    "justification": "x",
    "submitted_at": NOON,
    "decision_due_on": datetime.date(2026, 6, 18),
}


@pytest.mark.parametrize(
    ("_case", "fields"),
    [
        ("submitted without a justification", {**SUBMITTED, "justification": ""}),
        ("submitted without a date", {**SUBMITTED, "submitted_at": None}),
        ("approved without a decision date", {**SUBMITTED, "status": "approved"}),
        ("a draft with a decision date", {"decided_at": NOON}),
        (
            "an override on a rejection",
            {**SUBMITTED, "status": "rejected", "decided_at": NOON, "override_justification": "x"},
        ),
        ("an unknown status", {"status": "cancelled"}),
    ],
)
def test_the_database_refuses_an_inconsistent_request(demo, manager, _case, fields):
    people = {"submitted_by": manager} if "submitted_at" in fields else {}
    if "decided_at" in fields:
        people["decided_by"] = manager

    with pytest.raises(IntegrityError), transaction.atomic():
        AmendmentRequest.objects.create(project=demo, created_by=manager, **fields, **people)


def test_the_database_accepts_a_consistent_decision(demo, manager):
    AmendmentRequest.objects.create(
        project=demo,
        created_by=manager,
        **{**SUBMITTED, "status": "approved", "override_justification": "x"},
        submitted_by=manager,
        decided_at=NOON,
        decided_by=manager,
    )


def test_the_database_refuses_changes_missing_what_their_kind_needs(demo, draft, other_project):
    zstw = demo.participations.get(short_name="ZSTW")
    ukelb = demo.participations.get(short_name="UKELB")
    good_addition = {"kind": "add_beneficiary", "pic": "993000030", "short_name": "NEW"}

    assert _refused(request=draft, kind="terminate_participation")  # whom?
    assert _refused(request=draft, kind="terminate_participation", participation=zstw, pic="1")
    assert _refused(request=draft, **{**good_addition, "pic": "12345"})
    assert _refused(request=draft, **{**good_addition, "short_name": ""})
    assert _refused(request=draft, **good_addition, participation=zstw)
    assert _refused(request=draft, kind="add_affiliated_entity", pic="993000030", short_name="N")
    assert _refused(request=draft, **good_addition, affiliated_to=ukelb)
    assert _refused(request=draft, kind="change_organisation_country", participation=zstw)
    assert _refused(request=draft, kind="change_organisation_types", participation=zstw)
    assert _refused(
        request=draft, kind="terminate_participation", participation=zstw, new_types=["ngo"]
    )
    assert _refused(request=draft, kind="merge", participation=zstw)
    # ... and accepts what they do need, once per position.
    assert not _refused(request=draft, **good_addition)
    assert _refused(request=draft, kind="terminate_participation", participation=zstw)
    assert not _refused(
        request=draft, kind="change_organisation_types", participation=zstw, position=2,
        new_types=["ngo"],
    )  # fmt: skip


def test_every_amendment_model_has_admin_pages_that_open(client, demo, manager, users):
    amendment = amendment_create(
        project=demo, user=manager, justification="x", changes=[terminate("ZSTW", "2026-06-30")]
    )
    client.force_login(users["admin"])

    for model, instance in (
        ("amendmentrequest", amendment),
        ("amendmentchange", amendment.changes.get()),
    ):
        pages = [
            reverse(f"admin:amendments_{model}_changelist"),
            reverse(f"admin:amendments_{model}_change", args=[instance.pk]),
            reverse(f"admin:amendments_{model}_add"),
        ]
        assert [client.get(page).status_code for page in pages] == [200, 200, 200]


def test_a_project_with_amendment_requests_can_still_be_deleted(demo, manager):
    amendment_create(
        project=demo,
        user=manager,
        justification="x",
        changes=[
            terminate("ZSTW", "2026-06-30"),
            add(
                "add_affiliated_entity",
                effective_on="2026-06-30",
                pic="993000031",
                short_name="LAB",
                legal_name="Lab",
                country="DE",
                types=["research"],
                affiliated_to="UKELB",
            ),
        ],
    )

    demo.delete()

    assert AmendmentChange.objects.count() == 0
