"""Idempotent creation (backend/api/idempotency.py): a create request retried with the same
Idempotency-Key gets the first answer and writes nothing more; another request with the key is
refused; keys are the user's own and end after GRANTWATCH_IDEMPOTENCY_KEY_HOURS; two requests
with one key at the same moment make one record."""

import datetime
import threading

import pytest
import time_machine
from django.db import connection, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from backend.amendments.models import AmendmentRequest
from backend.api import idempotency
from backend.api.models import IdempotencyKey
from backend.grants.models import Project
from backend.payments.models import Reduction
from backend.reporting.models import CompletionWaiver
from backend.workplan.models import EvidenceFile
from tests.factories import today
from tests.helpers import row_counts
from tests.workplan.files import DOCX, PDF, upload

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/v1/grants/import"
KEY = "9b2f6c1e-0d3a-4c55-8a7e-3f1d2b4c5e6f"


def _post(client, user, url, data=None, *, key=KEY, **kwargs):
    client.force_authenticate(user)
    headers = {} if key is None else {"Idempotency-Key": key}
    if "content_type" not in kwargs:
        kwargs.setdefault("format", "json")
    return client.post(url, data, headers=headers, **kwargs)


def _reductions_url(project):
    return f"/api/v1/projects/{project.pk}/reductions/"


def _amendments_url(project):
    return f"/api/v1/projects/{project.pk}/amendments/"


def _same_answer(first, second):
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")


# -- the same key twice ------------------------------------------------------------------------


def test_an_import_sent_twice_with_one_key_makes_one_project_and_one_answer(
    api_client, officer, spec_example_bytes
):
    first = _post(
        api_client, officer, IMPORT_URL, spec_example_bytes, content_type="application/yaml"
    )
    second = _post(
        api_client, officer, IMPORT_URL, spec_example_bytes, content_type="application/yaml"
    )

    assert first.status_code == 201, first.content
    _same_answer(first, second)
    assert Project.objects.count() == 1
    assert first.json()["id"] == Project.objects.get().pk


def test_without_the_header_a_second_import_is_refused_as_before(
    api_client, officer, spec_example_bytes
):
    first = _post(
        api_client,
        officer,
        IMPORT_URL,
        spec_example_bytes,
        key=None,
        content_type="application/yaml",
    )
    second = _post(
        api_client,
        officer,
        IMPORT_URL,
        spec_example_bytes,
        key=None,
        content_type="application/yaml",
    )

    assert first.status_code == 201
    assert second.status_code == 400
    assert "already" in str(second.json()["errors"])
    assert Project.objects.count() == 1
    assert IdempotencyKey.objects.count() == 0


def test_a_reduction_sent_twice_with_one_key_is_recorded_once(api_client, grant, grant_users):
    body = {"percent": "5", "reason": "Breach of the publicity rules."}
    first = _post(api_client, grant_users["officer"], _reductions_url(grant), body)
    second = _post(api_client, grant_users["officer"], _reductions_url(grant), body)

    assert first.status_code == 201, first.content
    _same_answer(first, second)
    assert Reduction.objects.filter(project=grant).count() == 1


def test_without_the_header_a_reduction_sent_twice_is_recorded_twice(
    api_client, grant, grant_users
):
    body = {"percent": "5", "reason": "Breach of the publicity rules."}
    for _ in range(2):
        response = _post(api_client, grant_users["officer"], _reductions_url(grant), body, key=None)
        assert response.status_code == 201

    assert Reduction.objects.filter(project=grant).count() == 2


def test_an_amendment_draft_sent_twice_with_one_key_is_created_once(api_client, grant, grant_users):
    body = {
        "justification": "LVTDA leaves the consortium.",
        "changes": [
            {
                "kind": "terminate_participation",
                "participant": "LVTDA",
                "effective_on": today().isoformat(),
            }
        ],
    }
    first = _post(api_client, grant_users["manager"], _amendments_url(grant), body)
    second = _post(api_client, grant_users["manager"], _amendments_url(grant), body)

    assert first.status_code == 201, first.content
    _same_answer(first, second)
    assert AmendmentRequest.objects.filter(project=grant).count() == 1


def test_an_evidence_upload_sent_twice_with_one_key_stores_one_file(api_client, grant, grant_users):
    deliverable = grant.deliverables.get(code="D1.1")
    url = f"/api/v1/projects/{grant.pk}/deliverables/{deliverable.pk}/evidence"
    manager = grant_users["manager"]

    # A client builds the form again for its retry: the boundary differs, the request does not.
    first = _post(api_client, manager, url, {"file": upload("d11.pdf", PDF)}, format="multipart")
    second = _post(api_client, manager, url, {"file": upload("d11.pdf", PDF)}, format="multipart")

    assert first.status_code == 201, first.content
    _same_answer(first, second)
    assert EvidenceFile.objects.filter(deliverable=deliverable).count() == 1


def test_a_waiver_sent_twice_with_one_key_answers_the_first_201(api_client, grant, grant_users):
    url = f"/api/v1/projects/{grant.pk}/work-packages/1/waiver"
    body = {"reason": "D1.1 was dropped by the amendment of May."}
    first = _post(api_client, grant_users["officer"], url, body)
    second = _post(api_client, grant_users["officer"], url, body)

    assert first.status_code == 201, first.content
    _same_answer(first, second)
    assert CompletionWaiver.objects.filter(work_package__project=grant).count() == 1


# -- another request, another user, a bad key, a refusal ---------------------------------------


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    api_client, grant, grant_users
):
    officer = grant_users["officer"]
    _post(api_client, officer, _reductions_url(grant), {"percent": "5", "reason": "Breach."})
    before = row_counts()

    response = _post(
        api_client, officer, _reductions_url(grant), {"percent": "7", "reason": "Breach."}
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "Nothing was done: this Idempotency-Key was used for another request.",
        "errors": [
            {
                "path": "Idempotency-Key",
                "message": "This key was sent before with another method, address or body; "
                "send a new key for a new request.",
            }
        ],
    }
    assert row_counts() == before
    assert list(Reduction.objects.values_list("percent", flat=True)) == [5]


def test_the_same_key_on_another_operation_is_refused(api_client, grant, grant_users):
    officer = grant_users["officer"]
    _post(api_client, officer, _reductions_url(grant), {"percent": "5", "reason": "Breach."})

    response = _post(
        api_client,
        officer,
        f"/api/v1/projects/{grant.pk}/work-packages/1/waiver",
        {"reason": "Breach."},
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "Idempotency-Key"
    assert not CompletionWaiver.objects.exists()


def test_a_changed_file_under_the_same_key_is_refused(api_client, grant, grant_users):
    deliverable = grant.deliverables.get(code="D1.1")
    url = f"/api/v1/projects/{grant.pk}/deliverables/{deliverable.pk}/evidence"
    manager = grant_users["manager"]
    _post(api_client, manager, url, {"file": upload("d11.pdf", PDF)}, format="multipart")

    response = _post(
        api_client, manager, url, {"file": upload("d11.pdf", DOCX)}, format="multipart"
    )

    assert response.status_code == 422
    assert [evidence.sha256 for evidence in EvidenceFile.objects.all()] == [
        EvidenceFile.objects.get().sha256
    ]
    assert EvidenceFile.objects.get().size == len(PDF)


def test_another_users_same_key_is_their_own(api_client, grant, grant_users):
    body = {"percent": "5", "reason": "Breach."}
    mine = _post(api_client, grant_users["officer"], _reductions_url(grant), body)
    theirs = _post(api_client, grant_users["admin"], _reductions_url(grant), body)

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert not theirs.has_header("Idempotent-Replayed")
    assert theirs.json()["recorded_by"] != mine.json()["recorded_by"]
    assert Reduction.objects.filter(project=grant).count() == 2


def test_a_refusal_keeps_no_key_and_its_retry_runs_again(api_client, grant, grant_users):
    officer = grant_users["officer"]
    refused = _post(api_client, officer, _reductions_url(grant), {"percent": "5"})
    accepted = _post(
        api_client, officer, _reductions_url(grant), {"percent": "5", "reason": "Breach."}
    )

    assert refused.status_code == 400
    assert [error["path"] for error in refused.json()["errors"]] == ["reason"]
    assert accepted.status_code == 201
    assert Reduction.objects.count() == 1


def test_a_refusal_of_a_users_right_is_unchanged_by_the_key(api_client, grant, grant_users):
    response = _post(
        api_client,
        grant_users["manager"],
        _reductions_url(grant),
        {"percent": "5", "reason": "Breach."},
    )

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the project's agency officers and administrators record grant reductions."
    }
    assert not IdempotencyKey.objects.exists()


@pytest.mark.parametrize("key", ["", "   ", "x" * 256, "clé"])
def test_a_key_that_is_not_a_key_is_a_400_naming_the_header(api_client, grant, grant_users, key):
    response = _post(
        api_client,
        grant_users["officer"],
        _reductions_url(grant),
        {"percent": "5", "reason": "Breach."},
        key=key,
    )

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Nothing was done: the Idempotency-Key header is not valid."
    )
    assert [error["path"] for error in response.json()["errors"]] == ["Idempotency-Key"]
    assert not Reduction.objects.exists()


# -- how long a key lasts ----------------------------------------------------------------------


def test_a_key_ends_after_its_lifetime(api_client, grant, grant_users, settings):
    settings.GRANTWATCH_IDEMPOTENCY_KEY_HOURS = 24
    body = {"percent": "5", "reason": "Breach."}
    officer = grant_users["officer"]
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = _post(api_client, officer, _reductions_url(grant), body)
    with time_machine.travel(start + datetime.timedelta(hours=23, minutes=59), tick=False):
        within = _post(api_client, officer, _reductions_url(grant), body)
    with time_machine.travel(start + datetime.timedelta(hours=24, minutes=1), tick=False):
        after = _post(api_client, officer, _reductions_url(grant), body)

    _same_answer(first, within)
    assert after.status_code == 201
    assert not after.has_header("Idempotent-Replayed")
    assert Reduction.objects.count() == 2
    # The expired key gave way to the new request's.
    assert IdempotencyKey.objects.get().created_at == start + datetime.timedelta(
        hours=24, minutes=1
    )


# -- the schema --------------------------------------------------------------------------------


def test_the_schema_describes_the_header_on_each_create_operation(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    operations = {
        operation["operationId"]: operation
        for path in schema.json()["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    }
    keyed = {
        operation_id
        for operation_id, operation in operations.items()
        if any(
            parameter["in"] == "header" and parameter["name"] == "Idempotency-Key"
            for parameter in operation.get("parameters", [])
        )
    }

    assert keyed == {
        "grants_import",
        "amendments_create",
        "amendments_approve",
        "instalments_approve",
        "instalments_payment",
        "instalments_suspend",
        "instalments_lift",
        "reductions_create",
        "reductions_letter",
        "reductions_observations",
        "reductions_confirm",
        "reductions_withdraw",
        "deliverables_evidence_upload",
        "deliverables_submit",
        "reports_submit",
        "work_packages_waiver_create",
    }
    assert {"409", "422"} <= set(operations["reductions_create"]["responses"])
    (parameter,) = [
        parameter
        for parameter in operations["grants_import"]["parameters"]
        if parameter["name"] == "Idempotency-Key"
    ]
    assert not parameter.get("required", False)
    assert parameter["schema"]["maxLength"] == 255
    assert operations["amendments_create"]["responses"]["201"]


# -- at the same moment (PostgreSQL, real transactions) ----------------------------------------


def _at_once(requests) -> list:
    """Run each request (a callable) in its own thread, released together; their answers."""
    start = threading.Barrier(len(requests))
    answers = [None] * len(requests)

    def run(index, request):
        try:
            start.wait(timeout=10)
            answers[index] = request()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_imports_with_one_key_at_once_make_one_project(officer, spec_example_bytes):
    def send():
        return _post(
            APIClient(), officer, IMPORT_URL, spec_example_bytes, content_type="application/yaml"
        )

    first, second = _at_once([send, send])

    assert sorted([first.status_code, second.status_code]) == [201, 201]
    assert first.content == second.content
    assert sorted(
        [first.has_header("Idempotent-Replayed"), second.has_header("Idempotent-Replayed")]
    ) == [False, True]
    assert Project.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retry_while_the_first_runs_too_long_is_a_409(grant, grant_users, monkeypatch):
    """The first request still holds its key (its transaction open) when the retry comes."""
    monkeypatch.setattr(idempotency, "IN_PROGRESS_WAIT_MS", 200)
    officer = grant_users["officer"]
    holding, release = threading.Event(), threading.Event()

    def first():
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(user=officer, key=KEY, created_at=timezone.now())
                holding.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert holding.wait(timeout=10)
        response = _post(
            APIClient(), officer, _reductions_url(grant), {"percent": "5", "reason": "Breach."}
        )
    finally:
        release.set()
        thread.join(timeout=30)

    assert response.status_code == 409
    assert response.json()["detail"] == (
        "A request with this Idempotency-Key is still being processed: try again in a moment."
    )
    assert not Reduction.objects.exists()


def test_an_upload_spooled_to_disk_is_kept_and_answered_again(
    api_client, grant, grant_users, settings
):
    """A file larger than FILE_UPLOAD_MAX_MEMORY_SIZE is read from a temporary file, which
    storage may move away: its content still counts in the request's fingerprint."""
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10
    deliverable = grant.deliverables.get(code="D1.1")
    url = f"/api/v1/projects/{grant.pk}/deliverables/{deliverable.pk}/evidence"
    manager = grant_users["manager"]

    first = _post(api_client, manager, url, {"file": upload("d11.pdf", PDF)}, format="multipart")
    second = _post(api_client, manager, url, {"file": upload("d11.pdf", PDF)}, format="multipart")
    changed = _post(
        api_client, manager, url, {"file": upload("d11.pdf", PDF + b"%")}, format="multipart"
    )

    assert first.status_code == 201, first.content
    _same_answer(first, second)
    assert changed.status_code == 422
    assert EvidenceFile.objects.filter(deliverable=deliverable).count() == 1
