"""Optimistic concurrency on an amendment request: its read answers the version as an ETag, an
update that sends an older one as If-Match is refused with 412 and writes nothing, an update
without If-Match is not checked. On the small grant of tests/conftest.py."""

import pytest
from rest_framework.test import APIClient

from backend.amendments.models import AmendmentRequest
from backend.amendments.services import amendment_create
from tests.helpers import row_counts

pytestmark = pytest.mark.django_db


def _url(draft) -> str:
    return f"/api/v1/projects/{draft.project_id}/amendments/{draft.pk}/"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _put(client, draft, text, **headers):
    return client.put(
        _url(draft), {"justification": text, "changes": []}, format="json", headers=headers
    )


@pytest.fixture
def draft(grant, grant_users) -> AmendmentRequest:
    return amendment_create(
        project=grant, user=grant_users["manager"], justification="First draft.", changes=[]
    )


def test_two_managers_read_the_draft_and_the_second_update_gets_412(draft, grant_users):
    first, second = _client(grant_users["manager"]), _client(grant_users["admin"])
    tag_first, tag_second = first.get(_url(draft))["ETag"], second.get(_url(draft))["ETag"]
    assert tag_first == tag_second == '"1"'
    assert first.get(_url(draft)).json()["version"] == 1

    saved = _put(first, draft, "The first manager's.", **{"If-Match": tag_first})
    assert (saved.status_code, saved["ETag"], saved.json()["version"]) == (200, '"2"', 2)
    before = row_counts()

    refused = _put(second, draft, "The second manager's.", **{"If-Match": tag_second})

    assert refused.status_code == 412, refused.content
    body = refused.json()
    assert body["detail"] == (
        "Someone else changed this document since you opened it; nothing was saved. Look at the "
        "current version and save your changes again."
    )
    assert (body["current_version"], refused["ETag"]) == (2, '"2"')
    assert body["changed_at"] is not None
    assert row_counts() == before
    draft.refresh_from_db()
    assert (draft.justification, draft.version) == ("The first manager's.", 2)


def test_an_update_without_if_match_is_not_checked(draft, grant_users):
    client = _client(grant_users["manager"])
    _put(client, draft, "Once.")

    response = _put(client, draft, "Twice.")

    assert (response.status_code, response["ETag"]) == (200, '"3"')
    draft.refresh_from_db()
    assert draft.justification == "Twice."


def test_the_draft_page_sends_the_version_and_a_stale_save_keeps_what_was_typed(
    client, draft, grant_users
):
    page_url = f"/projects/{draft.project_id}/amendments/{draft.pk}/"
    client.force_login(grant_users["manager"])
    page = client.get(page_url).content.decode()
    assert '<input type="hidden" name="version" value="1"' in page
    _put(_client(grant_users["admin"]), draft, "The administrator's.")
    before = row_counts()

    response = client.post(
        page_url,
        {
            "justification": "What the manager typed.",
            "version": "1",
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 409, response.content
    page = response.content.decode()
    assert "Someone else changed this document since you opened it" in page
    assert f'href="{page_url}" target="_blank"' in page
    assert "What the manager typed.</textarea>" in page
    assert '<input type="hidden" name="version" value="2"' in page
    assert row_counts() == before
    draft.refresh_from_db()
    assert draft.justification == "The administrator's."
