"""A deliverable's file through the API: upload, replace, delete and download, who may do each,
and the files refused (nothing stored, no row, no event)."""

import pytest

from backend.workplan.models import Deliverable, EvidenceFile
from tests.workplan import files
from tests.workplan.helpers import (
    events,
    make_accepted,
    make_draft,
    make_submitted,
    record_state,
    stored_files,
)

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
ALLOWED = "doc, docx, odt, rtf, pdf, csv, zip"
MANAGE_REFUSED = (
    "Only the project's managers, the contacts of the deliverable's lead partner and "
    "administrators upload, replace or delete its file."
)
DRAFT_REFUSED = (
    "A draft's file is the consortium's own: the agency's officers can download it once the "
    "deliverable is submitted."
)


def _url(deliverable, suffix="evidence"):
    return f"/api/v1/projects/{deliverable.project_id}/deliverables/{deliverable.pk}/{suffix}"


def _as(api_client, grant_users, role):
    if role != ANONYMOUS:
        api_client.force_authenticate(grant_users[role])
    return api_client


def _upload(api_client, deliverable, name="report.pdf", content=files.PDF):
    return api_client.post(
        _url(deliverable), {"file": files.upload(name, content)}, format="multipart"
    )


def _content(response) -> bytes:
    content = b"".join(response.streaming_content)
    response.close()
    return content


# -- upload --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner_contact", "manager", "admin"])
def test_the_lead_partner_a_manager_or_an_admin_uploads_a_file(
    api_client, grant_users, d54, today, role
):
    response = _upload(_as(api_client, grant_users, role), d54, name="Prototypes (final).pdf")

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "draft"
    evidence = EvidenceFile.objects.get(deliverable=d54)
    assert body["evidence"]["id"] == evidence.pk
    assert (evidence.name, evidence.size, evidence.content_type) == (
        "Prototypes_final.pdf",
        len(files.PDF),
        "application/pdf",
    )
    assert evidence.uploaded_by == grant_users[role]
    assert evidence.current is True
    assert evidence.file.name.startswith(f"evidence/{d54.project_id}/")
    assert evidence.file.name.endswith(".pdf")
    assert "Prototypes" not in evidence.file.name
    assert stored_files() == [evidence.file.name]
    [event] = events("deliverable.evidence_uploaded")
    assert event.actor == grant_users[role]
    assert event.before["status"] == "pending"
    assert event.before["evidence"] is None
    assert event.after["status"] == "draft"
    assert event.after["evidence"] == {
        "id": evidence.pk,
        "name": "Prototypes_final.pdf",
        "size": len(files.PDF),
        "content_type": "application/pdf",
        "sha256": evidence.sha256,
    }


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("other_partner", 403),  # a partner contact, but not of the lead partner
        ("officer", 403),
        ("other_officer", 404),
        ("other_manager", 404),
        ("stranger", 404),
        (ANONYMOUS, 401),
    ],
)
def test_others_may_not_upload(api_client, grant_users, d54, today, role, code):
    before = record_state(d54)

    response = _upload(_as(api_client, grant_users, role), d54)

    assert response.status_code == code
    if code == 403:
        assert response.json() == {"detail": MANAGE_REFUSED}
    assert record_state(d54) == before
    assert stored_files() == []


def test_a_partner_contact_manages_only_the_files_of_its_own_deliverables(
    api_client, grant_users, d11, today
):
    before = record_state(d11)
    response = _upload(_as(api_client, grant_users, "partner_contact"), d11)  # D1.1 is GAUJA's
    assert response.status_code == 403
    assert response.json() == {"detail": MANAGE_REFUSED}
    assert record_state(d11) == before


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"", "The file is empty."),
        (
            "setup.pdf",
            files.EXE,
            'The content of "setup.pdf" (application/x-dosexec) is not that of a .pdf file; '
            f"upload a real file of one of these types: {ALLOWED}.",
        ),
        (
            "photo.pdf",
            files.PNG,
            'The content of "photo.pdf" (image/png) is not that of a .pdf file; upload a real '
            f"file of one of these types: {ALLOWED}.",
        ),
        (
            "report.docx",
            files.PDF,
            'The content of "report.docx" (application/pdf) is not that of a .docx file; upload '
            f"a real file of one of these types: {ALLOWED}.",
        ),
        (
            "setup.exe",
            files.EXE,
            'Files of this type ("setup.exe") are not accepted; upload one of: '
            f"{ALLOWED} (several files go into one zip).",
        ),
    ],
)
def test_a_wrong_or_disguised_file_is_refused_and_nothing_stored(
    api_client, grant_users, d54, today, name, content, message
):
    before = record_state(d54)

    response = _upload(_as(api_client, grant_users, "partner_contact"), d54, name, content)

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Nothing was saved: the input has errors.",
        "errors": [{"path": "file", "message": message}],
    }
    assert record_state(d54) == before
    assert stored_files() == []
    assert EvidenceFile.objects.count() == 0


def test_a_file_over_the_limit_is_refused(api_client, grant_users, d54, today, settings):
    settings.GRANTWATCH_EVIDENCE_MAX_BYTES = 1024
    before = record_state(d54)

    response = _upload(
        _as(api_client, grant_users, "manager"), d54, "big.pdf", files.PDF + b"%" * 2048
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "file", "message": "The file is too large (2.1 KB); the limit is 1 KB."}
    ]
    assert record_state(d54) == before
    assert stored_files() == []


def test_a_request_too_large_for_any_acceptable_file_is_refused_before_it_is_read(
    api_client, grant_users, d54, today, settings, monkeypatch
):
    """The stated length alone decides: the body is never parsed (reading it would fail)."""
    settings.GRANTWATCH_EVIDENCE_MAX_BYTES = 1024
    before = record_state(d54)

    def unreadable(request):
        raise AssertionError("the upload was read")

    monkeypatch.setattr("rest_framework.request.Request.FILES", property(unreadable))
    client = _as(api_client, grant_users, "manager")
    response = client.post(
        f"/api/v1/projects/{d54.project_id}/deliverables/{d54.pk}/evidence",
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=zzz",
        CONTENT_LENGTH=str(1024 + 64 * 1024 + 1),
    )

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "file", "message": "The file is too large (65.0 KB); the limit is 1 KB."}
    ]
    assert record_state(d54) == before
    assert stored_files() == []


def test_a_request_without_a_file_is_refused(api_client, grant_users, d54, today):
    before = record_state(d54)
    api_client.force_authenticate(grant_users["manager"])

    response = api_client.post(_url(d54), {"other": "x"}, format="multipart")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "file", "message": f"Choose a file to upload ({ALLOWED})."}
    ]
    assert record_state(d54) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("report.docx", files.DOCX),
        ("report.odt", files.ODT),
        ("data.csv", files.CSV),
        ("report.rtf", files.RTF),
        ("bundle.zip", files.ZIP),
        ("report.doc", files.DOC),
    ],
)
def test_every_accepted_type_can_be_uploaded(api_client, grant_users, d54, today, name, content):
    response = _upload(_as(api_client, grant_users, "manager"), d54, name, content)
    assert response.status_code == 201
    assert response.json()["evidence"]["name"] == name


def test_a_new_upload_replaces_a_drafts_file(
    api_client, grant_users, d54, today, django_capture_on_commit_callbacks
):
    make_draft(d54, grant_users["partner_contact"])
    old = EvidenceFile.objects.get(deliverable=d54)
    old_name = old.file.name

    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(_as(api_client, grant_users, "manager"), d54, "report.docx", files.DOCX)

    assert response.status_code == 201
    assert response.json()["status"] == "draft"
    new = EvidenceFile.objects.get(deliverable=d54)
    assert new.pk != old.pk
    assert new.name == "report.docx"
    assert stored_files() == [new.file.name]
    assert old_name not in stored_files()
    second = events("deliverable.evidence_uploaded")[-1]
    assert second.actor == grant_users["manager"]
    assert second.note == "Replaced report.pdf."
    assert second.before["status"] == "draft"
    assert second.before["evidence"]["name"] == "report.pdf"
    assert second.before["evidence"]["sha256"] == old.sha256
    assert second.after["evidence"]["name"] == "report.docx"


def test_a_refused_replacement_keeps_the_drafts_file(api_client, grant_users, d54, today):
    make_draft(d54, grant_users["partner_contact"])
    before = record_state(d54)

    response = _upload(_as(api_client, grant_users, "manager"), d54, "photo.pdf", files.PNG)

    assert response.status_code == 400
    assert record_state(d54) == before
    assert len(stored_files()) == 1


@pytest.mark.parametrize(
    ("setup", "status"), [("submitted", "Submitted"), ("accepted", "Accepted")]
)
def test_no_upload_once_submitted(api_client, grant_users, d54, today, setup, status):
    if setup == "submitted":
        make_submitted(d54, grant_users["manager"])
    else:
        make_accepted(d54, grant_users["manager"], grant_users["officer"])
    before = record_state(d54)

    response = _upload(_as(api_client, grant_users, "manager"), d54)

    assert response.status_code == 409
    assert response.json() == {
        "detail": "A file can be uploaded only while the deliverable is pending or a draft; this "
        f'deliverable is "{status}".'
    }
    assert record_state(d54) == before


# -- delete --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["partner_contact", "manager", "admin"])
def test_deleting_a_drafts_file_makes_it_pending_again(
    api_client, grant_users, d54, today, role, django_capture_on_commit_callbacks
):
    make_draft(d54, grant_users["partner_contact"])
    evidence = EvidenceFile.objects.get(deliverable=d54)
    assert stored_files() == [evidence.file.name]

    with django_capture_on_commit_callbacks(execute=True):
        response = _as(api_client, grant_users, role).delete(_url(d54))

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["evidence"], body["evidence_history"]) == ("pending", None, [])
    assert EvidenceFile.objects.count() == 0
    assert stored_files() == []
    [event] = events("deliverable.evidence_deleted")
    assert event.actor == grant_users[role]
    assert event.before["status"] == "draft"
    assert event.before["evidence"] == {
        "id": evidence.pk,
        "name": "report.pdf",
        "size": len(files.PDF),
        "content_type": "application/pdf",
        "sha256": evidence.sha256,
    }
    assert event.after["status"] == "pending"
    assert event.after["evidence"] is None


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("other_partner", 403),
        ("officer", 403),
        ("other_officer", 404),
        ("stranger", 404),
        (ANONYMOUS, 401),
    ],
)
def test_others_may_not_delete_the_file(api_client, grant_users, d54, today, role, code):
    make_draft(d54, grant_users["partner_contact"])
    before = record_state(d54)

    response = _as(api_client, grant_users, role).delete(_url(d54))

    assert response.status_code == code
    if code == 403:
        assert response.json() == {"detail": MANAGE_REFUSED}
    assert record_state(d54) == before


@pytest.mark.parametrize(
    ("setup", "status"),
    [("pending", "Pending"), ("submitted", "Submitted"), ("accepted", "Accepted")],
)
def test_only_a_drafts_file_can_be_deleted(api_client, grant_users, d54, today, setup, status):
    if setup == "submitted":
        make_submitted(d54, grant_users["manager"])
    elif setup == "accepted":
        make_accepted(d54, grant_users["manager"], grant_users["officer"])
    before = record_state(d54)

    response = _as(api_client, grant_users, "manager").delete(_url(d54))

    assert response.status_code == 409
    assert response.json() == {
        "detail": f'Only a draft\'s file can be deleted; this deliverable is "{status}".'
    }
    assert record_state(d54) == before


# -- download ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager", "partner_contact", "other_partner"])
def test_the_consortium_downloads_a_drafts_file(api_client, grant_users, d54, today, role):
    make_draft(d54, grant_users["partner_contact"], name="Prototypes.pdf")

    response = _as(api_client, grant_users, role).get(_url(d54))

    assert response.status_code == 200
    assert _content(response) == files.PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Prototypes.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("role", "code", "detail"),
    [
        ("officer", 403, DRAFT_REFUSED),
        ("other_officer", 404, None),
        ("stranger", 404, None),
        (ANONYMOUS, 401, "Authentication credentials were not provided."),
    ],
)
def test_others_may_not_download_a_drafts_file(
    api_client, grant_users, d54, today, role, code, detail
):
    make_draft(d54, grant_users["partner_contact"])

    response = _as(api_client, grant_users, role).get(_url(d54))

    assert response.status_code == code
    if detail is not None:
        assert response.json() == {"detail": detail}


@pytest.mark.parametrize("setup", ["submitted", "accepted"])
def test_the_officer_downloads_a_submitted_file(api_client, grant_users, d54, today, setup):
    if setup == "submitted":
        make_submitted(d54, grant_users["manager"])
    else:
        make_accepted(d54, grant_users["manager"], grant_users["officer"])

    response = _as(api_client, grant_users, "officer").get(_url(d54), HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200
    assert _content(response) == files.PDF


def test_a_pending_deliverable_has_no_file_to_download(api_client, grant_users, d54, today):
    response = _as(api_client, grant_users, "manager").get(_url(d54))
    assert response.status_code == 404


def test_a_file_sent_back_for_revision_stays_downloadable(api_client, grant_users, d54, today):
    make_submitted(d54, grant_users["manager"])
    api_client.force_authenticate(grant_users["officer"])
    api_client.post(_url(d54, "request-revision"), {"reason": "Redo."}, format="json")
    old = EvidenceFile.objects.get(deliverable=d54)
    make_draft(d54, grant_users["partner_contact"], name="v2.docx", content=files.DOCX)
    old_url = _url(d54, f"evidence-files/{old.pk}")
    new = EvidenceFile.objects.get(deliverable=d54, current=True)

    as_officer = api_client.get(old_url)
    officer_on_new = api_client.get(_url(d54, f"evidence-files/{new.pk}"))
    api_client.force_authenticate(grant_users["partner_contact"])
    as_partner = api_client.get(old_url)
    api_client.force_authenticate(grant_users["other_officer"])
    as_other_officer = api_client.get(old_url)
    api_client.force_authenticate(grant_users["stranger"])
    as_stranger = api_client.get(old_url)

    assert as_officer.status_code == 200
    assert _content(as_officer) == files.PDF
    assert as_officer["Content-Disposition"] == 'attachment; filename="report.pdf"'
    assert officer_on_new.status_code == 403
    assert officer_on_new.json() == {"detail": DRAFT_REFUSED}
    assert as_partner.status_code == 200
    assert _content(as_partner) == files.PDF
    assert (as_other_officer.status_code, as_stranger.status_code) == (404, 404)


def test_a_file_of_another_deliverable_is_not_found(api_client, grant_users, d11, d54, today):
    make_draft(d11, grant_users["manager"])
    theirs = EvidenceFile.objects.get(deliverable=d11)
    api_client.force_authenticate(grant_users["admin"])

    response = api_client.get(_url(d54, f"evidence-files/{theirs.pk}"))
    unknown = api_client.get(_url(d54, "evidence-files/999999"))

    assert (response.status_code, unknown.status_code) == (404, 404)


def test_media_is_not_served_by_any_route(api_client, grant_users, d54, today):
    make_draft(d54, grant_users["partner_contact"])
    evidence = EvidenceFile.objects.get(deliverable=d54)
    api_client.force_authenticate(grant_users["admin"])

    response = api_client.get(f"/media/{evidence.file.name}")

    assert response.status_code == 404
    assert Deliverable.objects.get(pk=d54.pk).status == "draft"
