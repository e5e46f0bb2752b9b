"""The services themselves: each change records exactly one audit event and tells the watchers
once, on commit; a failure half-way leaves no file behind."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied

from backend.audit.models import Event
from backend.common.errors import Conflict, InvalidInput
from backend.workplan import services
from backend.workplan.models import EvidenceFile
from tests.workplan.files import DOCX, PDF, upload
from tests.workplan.helpers import make_draft, make_submitted, record_state, stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def seam(monkeypatch):
    calls = []
    monkeypatch.setattr(
        services, "projects_changed", lambda ids, *, reason: calls.append((list(ids), reason))
    )
    return calls


def _upload(d, grant_users):
    return services.deliverable_evidence_upload(
        deliverable=d, user=grant_users["partner_contact"], upload=upload("r.docx", DOCX)
    )


def _delete(d, grant_users):
    return services.deliverable_evidence_delete(deliverable=d, user=grant_users["manager"])


def _submit(d, grant_users):
    return services.deliverable_submit(deliverable=d, user=grant_users["manager"])


def _accept(d, grant_users):
    return services.deliverable_accept(deliverable=d, user=grant_users["officer"])


def _revise(d, grant_users):
    return services.deliverable_request_revision(
        deliverable=d, user=grant_users["officer"], reason="More detail."
    )


def _due_date(d, grant_users):
    return services.deliverable_due_date_revise(
        deliverable=d,
        user=grant_users["officer"],
        due_on=datetime.date(2026, 12, 31),
        reason="Later.",
    )


CASES = [
    # (step, setup, verb, actor, status before, status after, seam reason)
    (_upload, None, "deliverable.evidence_uploaded", "partner_contact", "pending", "draft",
     "deliverable evidence uploaded"),
    (_delete, "draft", "deliverable.evidence_deleted", "manager", "draft", "pending",
     "deliverable evidence deleted"),
    (_submit, "draft", "deliverable.submitted", "manager", "draft", "submitted",
     "deliverable submitted"),
    (_accept, "submitted", "deliverable.accepted", "officer", "submitted", "accepted",
     "deliverable accepted"),
    (_revise, "submitted", "deliverable.revision_requested", "officer", "submitted", "pending",
     "deliverable revision requested"),
    (_due_date, None, "deliverable.due_date_revised", "officer", "pending", "pending",
     "deliverable due date revised"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "setup", "verb", "actor", "before", "after", "reason"),
    CASES,
    ids=[case[2] for case in CASES],
)
def test_each_service_records_one_event_and_tells_the_watchers(
    grant_users, d54, today, seam, step, setup, verb, actor, before, after, reason
):
    if setup == "draft":
        make_draft(d54, grant_users["manager"])
    elif setup == "submitted":
        make_submitted(d54, grant_users["manager"])
    seam.clear()
    events_before = Event.objects.count()

    result = step(d54, grant_users)

    assert result.status == after
    assert Event.objects.count() == events_before + 1
    event = Event.objects.order_by("-id").first()
    assert (event.verb, event.actor, event.actor_name) == (
        verb,
        grant_users[actor],
        grant_users[actor].username,
    )
    assert (event.object_type, event.object_id, event.project_id) == (
        "deliverable",
        str(d54.pk),
        d54.project_id,
    )
    assert event.object_repr == "D5.4 Portfolio of learner-enterprise prototypes"
    assert (event.before["status"], event.after["status"]) == (before, after)
    assert set(event.before) >= {"status", "due_on", "delivered_on", "approved_on"}
    assert seam == [([d54.project_id], reason)]


def test_the_watchers_hear_of_a_change_only_once_it_is_committed(
    grant_users, d54, today, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "monitoring.tasks.check_projects_task.apply_async",
        lambda args, kwargs, **options: queued.append((args[0], kwargs["reason"])),
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_draft(d54, grant_users["manager"])
    assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [([d54.project_id], "deliverable evidence uploaded")]


@pytest.mark.parametrize(
    ("step", "error"),
    [
        (lambda d, u: services.deliverable_submit(deliverable=d, user=u["partner_contact"]),
         PermissionDenied),
        (lambda d, u: services.deliverable_submit(deliverable=d, user=u["manager"]), Conflict),
        (lambda d, u: services.deliverable_accept(deliverable=d, user=u["manager"]),
         PermissionDenied),
        (lambda d, u: services.deliverable_due_date_revise(
            deliverable=d, user=u["officer"], due_on=datetime.date(2020, 1, 1)), InvalidInput),
        (lambda d, u: services.deliverable_evidence_upload(
            deliverable=d, user=u["other_partner"], upload=upload("r.pdf", PDF)),
         PermissionDenied),
    ],
)  # fmt: skip
def test_a_refusal_writes_nothing_and_tells_nobody(grant_users, d54, today, seam, step, error):
    before = record_state(d54)
    with pytest.raises(error):
        step(d54, grant_users)
    assert record_state(d54) == before
    assert seam == []


def test_an_upload_failing_half_way_leaves_no_file(grant_users, d54, today, seam, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(services, "event_record", broken)
    before = record_state(d54)

    with pytest.raises(RuntimeError, match="the audit trail is unavailable"):
        make_draft(d54, grant_users["manager"])

    assert record_state(d54) == before
    assert stored_files() == []
    assert EvidenceFile.objects.count() == 0
