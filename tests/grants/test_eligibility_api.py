"""A project's eligibility verdict as of a day (``selectors.project_eligibility``), which the API
and the consortium page both show, and its timeline."""

import datetime

import pytest

from backend.grants.selectors import project_eligibility, project_eligibility_timeline

pytestmark = pytest.mark.django_db

AS_OF = datetime.date(2026, 11, 27)


def _url(project, suffix: str = "") -> str:
    return f"/api/v1/projects/{project.pk}/eligibility{suffix}"


def test_the_api_gives_the_selectors_verdict_as_of_the_day_asked(api_client, users, demo):
    api_client.force_authenticate(users["partner_contact"])

    response = api_client.get(_url(demo), {"as_of": AS_OF.isoformat()})

    verdict = project_eligibility(
        user=users["partner_contact"], project_id=demo.pk, as_of=AS_OF
    ).verdict
    assert response.status_code == 200
    body = response.json()
    assert (body["as_of"], body["status"]) == ("2026-11-27", verdict.status)
    assert [(r["rule"], r["status"]) for r in body["results"]] == [
        (r.rule, r.status) for r in verdict.results
    ]


def test_the_timeline_starts_on_the_projects_first_day(api_client, users, demo):
    api_client.force_authenticate(users["officer"])

    response = api_client.get(_url(demo, "/timeline"))

    entries = project_eligibility_timeline(user=users["officer"], project_id=demo.pk)
    assert response.status_code == 200
    assert [entry["starts_on"] for entry in response.json()] == [
        entry.starts_on.isoformat() for entry in entries
    ]
    assert entries[0].starts_on == demo.start_date


@pytest.mark.parametrize("suffix", ["", "/timeline"])
def test_a_project_out_of_sight_has_no_verdict(api_client, users, demo, suffix):
    api_client.force_authenticate(users["other_officer"])

    response = api_client.get(_url(demo, suffix))

    assert response.status_code == 404
    assert project_eligibility(user=users["other_officer"], project_id=demo.pk, as_of=AS_OF) is None
    assert project_eligibility_timeline(user=users["other_officer"], project_id=demo.pk) is None
