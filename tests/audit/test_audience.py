"""Who reads an event: its audience, set by the service that records it, applied by one selector
(``backend.audit.selectors.audience_filter``) to every read of the trail; and the migration that
narrowed the draft events recorded before audiences existed."""

import importlib

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from backend.accounts.permissions import project_access
from backend.amendments.services import amendment_create, amendment_submit
from backend.audit.models import Audience, Event
from backend.audit.selectors import project_activity
from backend.audit.services import event_record
from backend.reporting.services import contribution_lock, contribution_save
from backend.workplan.services import deliverable_evidence_delete, deliverable_evidence_upload
from tests import factories
from tests.amendments.helpers import terminate
from tests.workplan.files import PDF, upload

pytestmark = pytest.mark.django_db

ROLES = ("partner_contact", "other_partner", "manager", "officer", "admin")


def _entries(text: str) -> list[dict]:
    return [{"work_package": 1, "activities": text, "outputs": "", "narrative": ""}]


def _feed(api_client, user, project, query: str = "") -> dict:
    api_client.force_authenticate(user)
    response = api_client.get(f"/api/v1/projects/{project.pk}/activity/?page_size=200&{query}")
    assert response.status_code == 200, response.content
    return response.json()


def _verbs(body: dict) -> list[str]:
    return sorted(event["verb"] for event in body["results"])


@pytest.fixture
def drafts(grant, grant_users):
    """ZILEMED's draft contribution (saved twice), LVTDA's locked one, a draft amendment
    request and a submitted one, and a draft deliverable's file, uploaded and deleted."""
    period = grant.reporting_periods.get(number=1)
    zilemed = grant.participations.get(short_name="ZILEMED")
    lvtda = grant.participations.get(short_name="LVTDA")
    pc, pc_other, pm = (
        grant_users[role] for role in ("partner_contact", "other_partner", "manager")
    )
    contribution_save(period=period, participation=zilemed, user=pc, entries=_entries("one"))
    contribution_save(period=period, participation=zilemed, user=pc, entries=_entries("two"))
    contribution_save(period=period, participation=lvtda, user=pc_other, entries=_entries("b"))
    contribution_lock(period=period, participation=lvtda, user=pc_other)
    changes = [terminate("GAUJMALA", grant.month_end(20).isoformat())]
    amendment_create(project=grant, user=pm, justification="Draft.", changes=changes)
    submitted = amendment_create(project=grant, user=pm, justification="Sent.", changes=changes)
    amendment_submit(request=submitted, user=pm)
    deliverable = grant.deliverables.get(code="D1.1")
    deliverable_evidence_upload(deliverable=deliverable, user=pm, upload=upload("a.pdf", PDF))
    deliverable_evidence_delete(deliverable=deliverable, user=pm)
    return {"zilemed": zilemed, "lvtda": lvtda}


def test_the_services_record_a_drafts_events_for_the_drafts_readers(grant, drafts):
    audiences = {
        (event.verb, event.audience, event.audience_participation_id)
        for event in Event.objects.filter(project=grant)
    }
    zilemed, lvtda = drafts["zilemed"].pk, drafts["lvtda"].pk
    assert audiences == {
        ("contribution.saved", Audience.PARTICIPATION, zilemed),
        ("contribution.saved", Audience.PARTICIPATION, lvtda),
        # Locking says that it is locked, not what it says.
        ("contribution.locked", Audience.PROJECT, None),
        ("amendment.created", Audience.MANAGERS, None),
        # A submitted request (with its justification) is the agency's to read.
        ("amendment.submitted", Audience.PROJECT, None),
        ("deliverable.evidence_uploaded", Audience.CONSORTIUM, None),
        ("deliverable.evidence_deleted", Audience.CONSORTIUM, None),
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reads_the_events_of_the_drafts_it_may_read(
    api_client, grant, grant_users, drafts, role
):
    body = _feed(api_client, grant_users[role], grant)
    saved = {
        event["object_id"]: event["after"]
        for event in body["results"]
        if event["verb"] == "contribution.saved"
    }
    seen = {"contribution.saved": len(saved), "amendment.created": 0, "deliverable.": 0}
    for event in body["results"]:
        if event["verb"] == "amendment.created":
            seen["amendment.created"] += 1
        elif event["verb"].startswith("deliverable.evidence"):
            seen["deliverable."] += 1
    expected = {
        "partner_contact": {"contribution.saved": 1, "amendment.created": 0, "deliverable.": 2},
        "other_partner": {"contribution.saved": 1, "amendment.created": 0, "deliverable.": 2},
        "manager": {"contribution.saved": 2, "amendment.created": 2, "deliverable.": 2},
        "officer": {"contribution.saved": 0, "amendment.created": 0, "deliverable.": 0},
        "admin": {"contribution.saved": 2, "amendment.created": 2, "deliverable.": 2},
    }
    assert seen == expected[role]
    own = {"partner_contact": "zilemed", "other_partner": "lvtda"}.get(role)
    if own:
        # A partner reads its own organisation's drafts only (object ids are contributions).
        texts = str(saved)
        assert ("one" in texts) == (own == "zilemed")
    # Events of everyone's: the locking and the submitted request.
    assert {"contribution.locked", "amendment.submitted"} <= set(_verbs(body))


def test_counts_and_filters_follow_the_audience(api_client, grant, grant_users, drafts):
    """A filter does not tell that hidden events exist: the count is of what the user reads."""
    for role, count in (("officer", 0), ("other_partner", 1), ("manager", 3)):
        body = _feed(api_client, grant_users[role], grant, "verb=contribution.saved")
        assert body["count"] == count, role
        body = _feed(api_client, grant_users[role], grant, "object_type=contribution")
        assert body["count"] == count + 1, role  # and the locking, everyone's
    body = _feed(api_client, grant_users["officer"], grant, "actor=pc")
    assert body["count"] == 0
    body = _feed(api_client, grant_users["partner_contact"], grant, "actor=pc")
    assert body["count"] == 2


def test_the_filter_adds_no_query(grant, grant_users, drafts, django_assert_num_queries):
    for role in ROLES:
        access = project_access(grant_users[role], grant.pk)
        with django_assert_num_queries(1):
            list(project_activity(project=grant, access=access))


def test_a_participations_audience_names_the_participation(grant):
    with pytest.raises(ValueError, match="names the participation"):
        event_record(actor=None, verb="x.y", obj=grant, audience=Audience.PARTICIPATION)
    participation = grant.participations.first()
    with pytest.raises(ValueError, match="names the participation"):
        event_record(actor=None, verb="x.y", obj=grant, audience_participation_id=participation.pk)
    assert not Event.objects.filter(verb="x.y").exists()


# -- the migration's backfill ------------------------------------------------------------------


def test_the_migration_narrows_the_draft_events_recorded_before(grant, grant_users):
    """Events recorded before audiences existed (all of them the project's) are narrowed by
    verb; a saved contribution's to its participation, or to the managers if it is gone."""
    migration = importlib.import_module("backend.audit.migrations.0003_event_audience")
    zilemed = grant.participations.get(short_name="ZILEMED")
    report = factories.PeriodicReportFactory(
        project=grant, reporting_period=grant.reporting_periods.get(number=1)
    )
    contribution = factories.ContributionFactory(report=report, participation=zilemed)
    old = {
        verb: Event.objects.create(verb=verb, project=grant, object_type="x", object_id=object_id)
        for verb, object_id in (
            ("contribution.saved", str(contribution.pk)),
            ("contribution.locked", str(contribution.pk)),
            ("amendment.created", "1"),
            ("amendment.updated", "1"),
            ("amendment.submitted", "1"),
            ("deliverable.evidence_uploaded", "1"),
            ("deliverable.evidence_deleted", "1"),
            ("deliverable.submitted", "1"),
        )
    }
    gone = Event.objects.create(verb="contribution.saved", project=grant, object_id="999999")

    with connection.schema_editor() as editor:
        migration.backfill(apps, editor)

    got = {
        verb: tuple(
            Event.objects.filter(pk=event.pk).values_list("audience", "audience_participation_id")[
                0
            ]
        )
        for verb, event in old.items()
    }
    assert got == {
        "contribution.saved": ("participation", zilemed.pk),
        "contribution.locked": ("project", None),
        "amendment.created": ("managers", None),
        "amendment.updated": ("managers", None),
        "amendment.submitted": ("project", None),
        "deliverable.evidence_uploaded": ("consortium", None),
        "deliverable.evidence_deleted": ("consortium", None),
        "deliverable.submitted": ("project", None),
    }
    assert Event.objects.get(pk=gone.pk).audience == "managers"
    # The trail refuses changes again once the backfill is done.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_event SET note = 'x' WHERE id = %s", [gone.pk])


@pytest.mark.parametrize(
    ("role", "reads"),
    [
        ("officer", True),
        ("admin", True),
        ("manager", False),
        ("partner_contact", False),
        ("other_partner", False),
    ],
)
def test_the_agencys_events_reach_its_officers_and_admins_only(
    api_client, grant, grant_users, role, reads
):
    """A reduction before its pre-information letter is the agency's business."""
    event_record(
        actor=grant_users["officer"],
        verb="reduction.created",
        project_id=grant.pk,
        after={"reason": "A secret of the agency."},
        audience=Audience.AGENCY,
    )
    event_record(actor=grant_users["officer"], verb="reduction.letter_sent", project_id=grant.pk)
    body = _feed(api_client, grant_users[role], grant, "verb=reduction.")
    expected = (
        ["reduction.created", "reduction.letter_sent"] if reads else ["reduction.letter_sent"]
    )
    assert _verbs(body) == expected
    assert body["count"] == len(expected)
    assert ("A secret of the agency." in str(body)) is reads
