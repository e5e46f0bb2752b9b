"""The deliverable workflow through the API: each transition allowed and refused (per role and
per status, with the exact message), and nothing written by a refusal."""

import datetime

import pytest

from backend.workplan.models import Deliverable, DueDateRevision, EvidenceFile
from tests.workplan.files import DOCX, PDF, upload
from tests.workplan.helpers import (
    TODAY,
    events,
    make_accepted,
    make_draft,
    make_submitted,
    record_state,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"


def _url(deliverable, suffix=""):
    return f"/api/v1/projects/{deliverable.project_id}/deliverables/{deliverable.pk}/{suffix}"


def _as(api_client, grant_users, role):
    if role != ANONYMOUS:
        api_client.force_authenticate(grant_users[role])
    return api_client


def _post(api_client, deliverable, suffix, data=None):
    return api_client.post(_url(deliverable, suffix), data or {}, format="json")


def _fresh(deliverable) -> Deliverable:
    return Deliverable.objects.get(pk=deliverable.pk)


SUBMIT_REFUSED = "Only the project's managers and administrators submit deliverables."
ACCEPT_REFUSED = "Only the project's agency officers and administrators accept deliverables."
REVISION_REFUSED = (
    "Only the project's agency officers and administrators ask for a deliverable's revision."
)
DUE_DATE_REFUSED = (
    "Only the project's agency officers and administrators revise a deliverable's due date."
)

# -- submit --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_a_manager_or_admin_submits_a_draft_with_today_as_delivery_date(
    api_client, grant_users, d54, today, role
):
    make_draft(d54, grant_users["partner_contact"])
    response = _post(_as(api_client, grant_users, role), d54, "submit")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "submitted"
    assert body["delivered_on"] == "2026-05-04"
    assert body["submitted_by"] == grant_users[role].username
    assert body["approved_on"] is None
    deliverable = _fresh(d54)
    assert (deliverable.status, deliverable.delivered_on) == ("submitted", TODAY)
    assert deliverable.submitted_by == grant_users[role]
    [event] = events("deliverable.submitted")
    assert event.actor == grant_users[role]
    assert event.before["status"] == "draft"
    assert event.before["delivered_on"] is None
    assert event.after["status"] == "submitted"
    assert event.after["delivered_on"] == "2026-05-04"


def test_the_delivery_date_is_the_day_in_brussels(api_client, grant_users, d54):
    import time_machine

    make_draft(d54, grant_users["manager"])
    api_client.force_authenticate(grant_users["manager"])
    # 23:30 UTC on 4 May is already 5 May in Brussels.
    with time_machine.travel(
        datetime.datetime(2026, 5, 4, 23, 30, tzinfo=datetime.UTC), tick=False
    ):
        response = _post(api_client, d54, "submit")
    assert response.status_code == 200
    assert response.json()["delivered_on"] == "2026-05-05"


@pytest.mark.parametrize(
    ("role", "code", "detail"),
    [
        ("partner_contact", 403, SUBMIT_REFUSED),  # even the lead partner's contact
        ("other_partner", 403, SUBMIT_REFUSED),
        ("officer", 403, SUBMIT_REFUSED),
        ("other_officer", 404, "No Deliverable matches the given query."),
        ("other_manager", 404, None),
        ("stranger", 404, None),
        (ANONYMOUS, 401, "Authentication credentials were not provided."),
    ],
)
def test_others_may_not_submit(api_client, grant_users, d54, today, role, code, detail):
    make_draft(d54, grant_users["partner_contact"])
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, role), d54, "submit")

    assert response.status_code == code
    if code != 404:
        assert response.json() == {"detail": detail}
    assert record_state(d54) == before


@pytest.mark.parametrize(
    ("setup", "status"),
    [("pending", "Pending"), ("submitted", "Submitted"), ("accepted", "Accepted")],
)
def test_only_a_draft_can_be_submitted(api_client, grant_users, d54, today, setup, status):
    if setup == "submitted":
        make_submitted(d54, grant_users["manager"])
    elif setup == "accepted":
        make_accepted(d54, grant_users["manager"], grant_users["officer"])
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, "manager"), d54, "submit")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f'Only a draft can be submitted; this deliverable is "{status}".'
    }
    assert record_state(d54) == before


# -- accept --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_an_officer_or_admin_accepts_a_submitted_deliverable(
    api_client, grant_users, d54, today, role
):
    make_submitted(d54, grant_users["manager"])
    response = _post(_as(api_client, grant_users, role), d54, "accept")

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["approved_on"], body["approved_by"]) == (
        "accepted",
        "2026-05-04",
        grant_users[role].username,
    )
    assert body["delivered_on"] == "2026-04-20"
    [event] = events("deliverable.accepted")
    assert event.actor == grant_users[role]
    assert (event.before["status"], event.before["approved_on"]) == ("submitted", None)
    assert (event.after["status"], event.after["approved_on"]) == ("accepted", "2026-05-04")


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("manager", 403),
        ("partner_contact", 403),
        ("other_partner", 403),
        ("other_officer", 404),
        ("stranger", 404),
        (ANONYMOUS, 401),
    ],
)
def test_others_may_not_accept(api_client, grant_users, d54, today, role, code):
    make_submitted(d54, grant_users["manager"])
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, role), d54, "accept")

    assert response.status_code == code
    if code == 403:
        assert response.json() == {"detail": ACCEPT_REFUSED}
    assert record_state(d54) == before


@pytest.mark.parametrize(
    ("setup", "status"), [("pending", "Pending"), ("draft", "Draft"), ("accepted", "Accepted")]
)
def test_only_a_submitted_deliverable_can_be_accepted(
    api_client, grant_users, d54, today, setup, status
):
    if setup == "draft":
        make_draft(d54, grant_users["manager"])
    elif setup == "accepted":
        make_accepted(d54, grant_users["manager"], grant_users["officer"])
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, "officer"), d54, "accept")

    assert response.status_code == 409
    assert response.json() == {
        "detail": f'Only a submitted deliverable can be accepted; this deliverable is "{status}".'
    }
    assert record_state(d54) == before


# -- request a revision --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officer", "admin"])
def test_a_revision_request_sends_the_deliverable_back_and_keeps_the_file(
    api_client, grant_users, d54, today, role
):
    make_submitted(d54, grant_users["manager"])
    submitted_file = EvidenceFile.objects.get(deliverable=d54)

    response = _post(
        _as(api_client, grant_users, role), d54, "request-revision", {"reason": "Add the annexes."}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "pending"
    assert body["revision_reason"] == "Add the annexes."
    assert body["delivered_on"] is None
    assert body["submitted_by"] is None
    assert body["evidence"] is None
    assert [(item["id"], item["current"]) for item in body["evidence_history"]] == [
        (submitted_file.pk, False)
    ]
    submitted_file.refresh_from_db()
    assert submitted_file.current is False
    assert submitted_file.file.storage.exists(submitted_file.file.name)
    [event] = events("deliverable.revision_requested")
    assert event.actor == grant_users[role]
    assert event.note == "Add the annexes."
    assert event.before["status"] == "submitted"
    assert event.before["delivered_on"] == "2026-04-20"
    assert event.before["evidence"]["sha256"] == submitted_file.sha256
    assert event.after["status"] == "pending"
    assert event.after["revision_reason"] == "Add the annexes."
    assert event.after["delivered_on"] is None


def test_after_a_revision_the_new_file_is_current_and_the_old_one_history(
    api_client, grant_users, d54, today
):
    make_submitted(d54, grant_users["manager"])
    _post(
        _as(api_client, grant_users, "officer"), d54, "request-revision", {"reason": "Too short."}
    )
    old = EvidenceFile.objects.get(deliverable=d54)
    api_client.force_authenticate(grant_users["partner_contact"])

    response = api_client.post(
        _url(d54, "evidence"), {"file": upload("report-v2.docx", DOCX)}, format="multipart"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    assert body["revision_reason"] == "Too short."
    assert body["evidence"]["name"] == "report-v2.docx"
    assert [(item["name"], item["current"]) for item in body["evidence_history"]] == [
        ("report-v2.docx", True),
        ("report.pdf", False),
    ]
    assert EvidenceFile.objects.get(pk=old.pk).current is False
    # The officer sees the file sent back to the consortium, not its new draft.
    api_client.force_authenticate(grant_users["officer"])
    detail = api_client.get(_url(d54)).json()
    assert [item["id"] for item in detail["evidence_history"]] == [old.pk]


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("manager", 403),
        ("partner_contact", 403),
        ("other_officer", 404),
        ("stranger", 404),
        (ANONYMOUS, 401),
    ],
)
def test_others_may_not_request_a_revision(api_client, grant_users, d54, today, role, code):
    make_submitted(d54, grant_users["manager"])
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, role), d54, "request-revision", {"reason": "No."})

    assert response.status_code == code
    if code == 403:
        assert response.json() == {"detail": REVISION_REFUSED}
    assert record_state(d54) == before


@pytest.mark.parametrize("data", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_revision_request_needs_a_reason(api_client, grant_users, d54, today, data):
    make_submitted(d54, grant_users["manager"])
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, "officer"), d54, "request-revision", data)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Nothing was saved: the input has errors.",
        "errors": [{"path": "reason", "message": "Say what has to be revised."}],
    }
    assert record_state(d54) == before


@pytest.mark.parametrize(
    ("setup", "status"), [("pending", "Pending"), ("draft", "Draft"), ("accepted", "Accepted")]
)
def test_only_a_submitted_deliverable_can_be_sent_back(
    api_client, grant_users, d54, today, setup, status
):
    if setup == "draft":
        make_draft(d54, grant_users["manager"])
    elif setup == "accepted":
        make_accepted(d54, grant_users["manager"], grant_users["officer"])
    before = record_state(d54)

    response = _post(
        _as(api_client, grant_users, "officer"), d54, "request-revision", {"reason": "Redo."}
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a submitted deliverable can be sent back for revision; this deliverable "
        f'is "{status}".'
    }
    assert record_state(d54) == before


# -- revise the due date -------------------------------------------------------------------------


@pytest.mark.parametrize("setup", ["pending", "draft"])
def test_an_officer_revises_the_due_date_and_the_history_is_listed(
    api_client, grant_users, d54, today, setup
):
    if setup == "draft":
        make_draft(d54, grant_users["manager"])
    api_client.force_authenticate(grant_users["officer"])

    first = _post(api_client, d54, "due-date", {"due_on": "2026-09-30", "reason": "Pilot later."})
    second = _post(api_client, d54, "due-date", {"due_on": "2026-10-31"})

    assert (first.status_code, second.status_code) == (200, 200)
    body = second.json()
    assert body["status"] == setup
    assert body["due_on"] == "2026-10-31"
    assert body["planned_due_on"] == "2026-06-30"
    assert [
        (item["previous_on"], item["new_on"], item["reason"], item["revised_by"])
        for item in body["due_date_revisions"]
    ] == [
        ("2026-06-30", "2026-09-30", "Pilot later.", "po"),
        ("2026-09-30", "2026-10-31", "", "po"),
    ]
    assert _fresh(d54).due_on == datetime.date(2026, 10, 31)
    first_event, second_event = events("deliverable.due_date_revised")
    assert first_event.actor == grant_users["officer"]
    assert first_event.note == "Pilot later."
    assert (first_event.before["due_on"], first_event.after["due_on"]) == (
        "2026-06-30",
        "2026-09-30",
    )
    assert first_event.after["status"] == setup
    assert (second_event.before["due_on"], second_event.after["due_on"]) == (
        "2026-09-30",
        "2026-10-31",
    )


def test_an_overdue_deliverable_gets_a_new_due_date_and_is_no_longer_overdue(
    api_client, grant_users, d11, today
):
    api_client.force_authenticate(grant_users["admin"])
    assert api_client.get(_url(d11)).json()["overdue"] is True

    response = _post(api_client, d11, "due-date", {"due_on": "2026-05-05"})

    assert response.status_code == 200
    assert (response.json()["due_on"], response.json()["overdue"]) == ("2026-05-05", False)


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            {"due_on": "2026-05-03"},
            "due_on",
            "The new due date must come after today (2026-05-04).",
        ),
        (
            {"due_on": "2026-05-04"},
            "due_on",
            "The new due date must come after today (2026-05-04).",
        ),
        ({"due_on": "2026-06-30"}, "due_on", "The deliverable is already due on 2026-06-30."),
        (
            {"due_on": "2026-13-01"},
            "due_on",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
        ({"due_on": "soon"}, "due_on", None),
        ({}, "due_on", "This field is required."),
        ({"due_on": "2026-09-30", "reason": ["a"]}, "reason", "Not a valid string."),
    ],
)
def test_due_date_revisions_refuse_bad_dates(
    api_client, grant_users, d54, today, data, path, message
):
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, "officer"), d54, "due-date", data)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [error["path"] for error in errors] == [path]
    if message is not None:
        assert errors[0]["message"] == message
    assert record_state(d54) == before
    assert DueDateRevision.objects.count() == 0


@pytest.mark.parametrize(
    ("setup", "status"), [("submitted", "Submitted"), ("accepted", "Accepted")]
)
def test_the_due_date_of_a_submitted_deliverable_cannot_be_revised(
    api_client, grant_users, d54, today, setup, status
):
    if setup == "submitted":
        make_submitted(d54, grant_users["manager"])
    else:
        make_accepted(d54, grant_users["manager"], grant_users["officer"])
    before = record_state(d54)

    response = _post(
        _as(api_client, grant_users, "officer"), d54, "due-date", {"due_on": "2026-09-30"}
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The due date can be revised only while the deliverable is pending or a "
        f'draft; this deliverable is "{status}".'
    }
    assert record_state(d54) == before


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("manager", 403),
        ("partner_contact", 403),
        ("other_officer", 404),
        ("stranger", 404),
        (ANONYMOUS, 401),
    ],
)
def test_others_may_not_revise_the_due_date(api_client, grant_users, d54, today, role, code):
    before = record_state(d54)

    response = _post(_as(api_client, grant_users, role), d54, "due-date", {"due_on": "2026-09-30"})

    assert response.status_code == code
    if code == 403:
        assert response.json() == {"detail": DUE_DATE_REFUSED}
    assert record_state(d54) == before


def test_a_refused_user_does_not_learn_about_the_input(api_client, grant_users, d54, today):
    """The permission is checked before the input is read."""
    response = _post(
        _as(api_client, grant_users, "manager"), d54, "due-date", {"due_on": "nonsense"}
    )
    assert response.status_code == 403
    assert response.json() == {"detail": DUE_DATE_REFUSED}


# -- ids out of the project ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("get", "evidence"),
        ("delete", "evidence"),
        ("post", "evidence"),
        ("post", "submit"),
        ("post", "accept"),
        ("post", "request-revision"),
        ("post", "due-date"),
    ],
)
def test_a_deliverable_of_another_project_is_not_found(
    api_client, grant_users, grant, other_grant, today, method, suffix
):
    theirs = other_grant.deliverables.first()
    make_draft(theirs, grant_users["other_manager"])
    before = record_state(theirs)
    api_client.force_authenticate(grant_users["admin"])
    url = f"/api/v1/projects/{grant.pk}/deliverables/{theirs.pk}/{suffix}"

    if method == "post" and suffix == "evidence":
        response = api_client.post(url, {"file": upload("r.pdf", PDF)}, format="multipart")
    elif method == "post":
        response = api_client.post(url, {"due_on": "2026-09-30", "reason": "x"}, format="json")
    else:
        response = getattr(api_client, method)(url)

    assert response.status_code == 404
    assert record_state(theirs) == before


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", "submit")])
def test_unknown_ids_are_not_found(api_client, grant_users, grant, d54, method, suffix):
    make_draft(d54, grant_users["manager"])
    before = record_state(d54)
    api_client.force_authenticate(grant_users["admin"])
    call = getattr(api_client, method)

    missing = call(f"/api/v1/projects/{grant.pk}/deliverables/999999/{suffix}")
    no_project = call(f"/api/v1/projects/999999/deliverables/{d54.pk}/{suffix}")

    assert (missing.status_code, no_project.status_code) == (404, 404)
    assert record_state(d54) == before


def test_the_detail_shows_the_deliverable(api_client, grant_users, d54, today):
    make_draft(d54, grant_users["partner_contact"], name="prototypes.pdf", content=PDF)
    api_client.force_authenticate(grant_users["manager"])

    body = api_client.get(_url(d54)).json()

    evidence = EvidenceFile.objects.get(deliverable=d54)
    assert body == {
        "id": d54.pk,
        "code": "D5.4",
        "title": "Portfolio of learner-enterprise prototypes",
        "work_package": 5,
        "clusters": body["clusters"],
        "lead": "ZILEMED",
        "type": "DEM",
        "dissemination": "PU",
        "due_month": 28,
        "planned_due_on": "2026-06-30",
        "due_on": "2026-06-30",
        "status": "draft",
        "overdue": False,
        "delivered_on": None,
        "approved_on": None,
        "revision_reason": "",
        "evidence": {
            "id": evidence.pk,
            "name": "prototypes.pdf",
            "size": len(PDF),
            "content_type": "application/pdf",
            "sha256": evidence.sha256,
            "uploaded_at": body["evidence"]["uploaded_at"],
        },
        "submitted_at": None,
        "submitted_by": None,
        "approved_by": None,
        "due_date_revisions": [],
        "evidence_history": [
            {
                "id": evidence.pk,
                "name": "prototypes.pdf",
                "size": len(PDF),
                "content_type": "application/pdf",
                "sha256": evidence.sha256,
                "uploaded_at": body["evidence"]["uploaded_at"],
                "uploaded_by": "pc",
                "current": True,
            }
        ],
    }
    assert body["clusters"] == list(
        d54.work_package.clusters.order_by("number").values_list("code", flat=True)
    )
    assert body["clusters"]
    assert body["evidence"]["uploaded_at"].startswith("2026-05-04T")
