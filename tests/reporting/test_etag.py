"""Optimistic concurrency on a report's documents: a read answers the document's version as its
ETag, a write that sends it back as If-Match is refused with 412 (writing nothing) when someone
saved in between, and a write without If-Match still works. The pages send the version in a
hidden field and, on a stale save, show the form again with what was typed. On the small grant
of tests/reporting/conftest.py."""

import datetime
import json

import pytest
from rest_framework.test import APIClient

from backend.reporting import services
from backend.reporting.models import Contribution, ContributionEntry, PeriodicReport
from tests.reporting.helpers import entry, participation, period, row_counts, travel, url

pytestmark = pytest.mark.django_db


def _url(project, short_name="ZILEMED"):
    return url(project, f"1/contributions/{participation(project, short_name).pk}")


def _page_url(project, short_name="ZILEMED"):
    who = participation(project, short_name)
    return f"/projects/{project.pk}/reports/1/contributions/{who.pk}/"


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _put(client, project, text, **headers):
    return client.put(_url(project), {"entries": [entry(1, text)]}, format="json", headers=headers)


def _activities(project) -> list[str]:
    return list(
        ContributionEntry.objects.filter(
            contribution__participation=participation(project, "ZILEMED")
        ).values_list("activities", flat=True)
    )


def test_a_read_gives_the_version_and_every_save_changes_it(grant, grant_users):
    client = _client(grant_users["partner_contact"])

    first = client.get(_url(grant))
    assert first.status_code == 200, first.content
    assert (first["ETag"], first.json()["version"]) == ('"0"', 0)  # nobody wrote to it yet

    saved = _put(client, grant, "One", **{"If-Match": '"0"'})
    assert saved.status_code == 200, saved.content
    assert (saved["ETag"], saved.json()["version"]) == ('"1"', 1)

    again = _put(client, grant, "Two", **{"If-Match": '"1"'})
    assert (again.status_code, again["ETag"]) == (200, '"2"')
    assert client.get(_url(grant))["ETag"] == '"2"'
    # Locking is a save too: a form filled before it is stale.
    client.post(_url(grant) + "/lock")
    assert client.get(_url(grant))["ETag"] == '"3"'


def test_the_second_of_two_writers_who_read_the_same_version_gets_412_and_writes_nothing(
    grant, grant_users
):
    services.contribution_save(
        period=period(grant),
        participation=participation(grant, "ZILEMED"),
        user=grant_users["partner_contact"],
        entries=[entry(1, "Base")],
    )
    alice, bob = _client(grant_users["partner_contact"]), _client(grant_users["admin"])
    tag_a, tag_b = alice.get(_url(grant))["ETag"], bob.get(_url(grant))["ETag"]
    assert tag_a == tag_b == '"1"'

    assert _put(alice, grant, "Alice's", **{"If-Match": tag_a}).status_code == 200
    before = row_counts()
    with travel(datetime.datetime(2025, 9, 16, 9, 0, tzinfo=datetime.UTC)):
        refused = _put(bob, grant, "Bob's", **{"If-Match": tag_b})

    assert refused.status_code == 412, refused.content
    body = refused.json()
    assert body["detail"] == (
        "Someone else changed this document since you opened it (pc); nothing was saved. "
        "Look at the current version and save your changes again."
    )
    assert body["errors"] == [{"path": "If-Match", "message": body["detail"]}]
    assert (body["current_version"], body["changed_by"]) == (2, "pc")
    assert body["changed_at"] is not None
    assert refused["ETag"] == '"2"'
    assert _activities(grant) == ["Alice's"]
    assert row_counts() == before  # not even an audit event
    assert Contribution.objects.get().version == 2


def test_a_writer_who_read_before_the_first_save_is_refused_once_someone_saved(grant, grant_users):
    alice, manager = _client(grant_users["partner_contact"]), _client(grant_users["admin"])
    assert _put(manager, grant, "First", **{"If-Match": '"0"'}).status_code == 200

    refused = _put(alice, grant, "Mine", **{"If-Match": '"0"'})

    assert refused.status_code == 412, refused.content
    assert _activities(grant) == ["First"]


def test_a_write_without_if_match_is_not_checked(grant, grant_users):
    client = _client(grant_users["partner_contact"])
    _put(client, grant, "One")
    _put(client, grant, "Two")

    response = _put(client, grant, "Three")

    assert (response.status_code, response["ETag"]) == (200, '"3"')
    assert _activities(grant) == ["Three"]
    assert _put(client, grant, "Four", **{"If-Match": "*"}).status_code == 200


def test_an_if_match_that_is_no_etag_is_a_400_naming_it_and_writes_nothing(grant, grant_users):
    client = _client(grant_users["partner_contact"])

    response = _put(client, grant, "One", **{"If-Match": "yesterday"})

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {"path": "If-Match", "message": 'Send the ETag the document was read with, e.g. "7".'}
    ]
    assert PeriodicReport.objects.count() == 0
    assert _activities(grant) == []


def test_the_technical_part_and_a_declaration_are_checked_too(grant, grant_users):
    manager = _client(grant_users["manager"])
    report_url = url(grant, "1")
    assert manager.get(report_url)["ETag"] == '"0"'
    saved = manager.put(
        report_url, {"technical_part": "Ours"}, format="json", headers={"If-Match": '"0"'}
    )
    assert saved.status_code == 200, saved.content
    tag = saved["ETag"]
    assert tag != '"0"'
    assert manager.get(report_url)["ETag"] == tag

    stale = manager.put(
        report_url, {"technical_part": "Late"}, format="json", headers={"If-Match": '"0"'}
    )
    assert stale.status_code == 412, stale.content
    assert stale["ETag"] == tag
    assert PeriodicReport.objects.get().technical_part == "Ours"

    declare = url(grant, "1/work-packages/2")
    with travel():
        first = manager.put(
            declare, {"completed": False}, format="json", headers={"If-Match": '"0"'}
        )
        assert (first.status_code, first["ETag"], first.json()["version"]) == (200, '"1"', 1)
        late = manager.put(
            declare,
            {"completed": False, "comment": "Late"},
            format="json",
            headers={"If-Match": '"0"'},
        )
    assert late.status_code == 412, late.content
    assert late.json()["changed_by"] == grant_users["manager"].username
    assert manager.get(report_url).json()["work_packages"][1]["declaration"]["comment"] == ""


def test_the_schema_describes_etag_if_match_and_412(client):
    paths = json.loads(client.get("/api/schema/?format=json").content)["paths"]
    checked = {
        "/api/v1/projects/{project_id}/reports/{number}": "put",
        "/api/v1/projects/{project_id}/reports/{number}/contributions/{participation_id}": "put",
        "/api/v1/projects/{project_id}/reports/{number}/work-packages/{wp_number}": "put",
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/": "put",
    }
    for path, method in checked.items():
        write = paths[path][method]
        if_match = next(p for p in write["parameters"] if p["name"] == "If-Match")
        assert (if_match["in"], if_match.get("required", False)) == ("header", False), path
        assert write["responses"]["412"]["content"]["application/json"]["schema"]["$ref"].endswith(
            "StaleVersion"
        ), path
        assert "ETag" in write["responses"]["200"]["headers"], path
        if "get" in paths[path]:
            assert "ETag" in paths[path]["get"]["responses"]["200"]["headers"], path


# -- the page ------------------------------------------------------------------------------------


def _form_post(project, text, version):
    return {"version": str(version), "wp1_activities": text, "wp1_outputs": "", "wp1_narrative": ""}


def test_the_page_sends_the_version_and_a_stale_save_keeps_what_was_typed(
    client, grant, grant_users
):
    client.force_login(grant_users["partner_contact"])
    page = client.get(_page_url(grant)).content.decode()
    assert '<input type="hidden" name="version" value="0"' in page
    # Someone else saves while the form is open.
    services.contribution_save(
        period=period(grant),
        participation=participation(grant, "ZILEMED"),
        user=grant_users["admin"],
        entries=[entry(1, "The administrator's")],
    )
    before = row_counts()

    response = client.post(_page_url(grant), _form_post(grant, "What I typed", 0))

    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this document since you opened it" in page
    assert 'id="stale-note"' in page
    assert f'href="{_page_url(grant)}" target="_blank"' in page
    assert "What I typed</textarea>" in page
    # The form now carries the current version: saving again replaces it knowingly.
    assert '<input type="hidden" name="version" value="1"' in page
    assert row_counts() == before
    assert _activities(grant) == ["The administrator's"]

    saved = client.post(_page_url(grant), _form_post(grant, "What I typed", 1))
    assert saved.status_code == 303
    assert _activities(grant) == ["What I typed"]


def test_a_stale_technical_part_keeps_what_the_manager_typed(client, grant, grant_users):
    client.force_login(grant_users["manager"])
    report_page = f"/projects/{grant.pk}/reports/1/"
    page = client.get(report_page).content.decode()
    assert '<input type="hidden" name="version" value="0"' in page
    services.report_update(
        period=period(grant), user=grant_users["admin"], technical_part="The administrator's"
    )
    before = row_counts()

    response = client.post(
        report_page + "save/", {"technical_part": "What the manager typed", "version": "0"}
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else changed this document since you opened it" in page
    assert f'href="{report_page}" target="_blank"' in page
    assert "What the manager typed</textarea>" in page
    current = PeriodicReport.objects.get()
    assert f'<input type="hidden" name="version" value="{current.version}"' in page
    assert row_counts() == before
    assert current.technical_part == "The administrator's"


def test_a_stale_declaration_row_keeps_what_was_chosen(client, grant, grant_users):
    client.force_login(grant_users["manager"])
    url_ = f"/projects/{grant.pk}/reports/1/work-packages/2/"
    with travel():
        page = client.get(f"/projects/{grant.pk}/reports/1/").content.decode()
        assert '<input type="hidden" name="wp2-version" value="0"' in page
        services.declaration_save(
            period=period(grant),
            work_package=grant.work_packages.get(number=2),
            user=grant_users["admin"],
            completed=False,
            comment="The administrator's",
        )
        before = row_counts()
        response = client.post(
            url_,
            {"wp2-completed": "no", "wp2-comment": "What the manager typed", "wp2-version": "0"},
            headers={"HX-Request": "true"},
        )

    assert response.status_code == 409
    row = response.content.decode()
    assert "Someone else changed this document since you opened it" in row
    assert "What the manager typed</textarea>" in row
    assert '<input type="hidden" name="wp2-version" value="1"' in row
    assert row_counts() == before
