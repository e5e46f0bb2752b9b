"""The demo portfolio's later life of a grant, read through the API as a client reads it,
whatever the day of loading: AQUAVET extended by an approved amendment, STONECRAFT with the
termination reports of a beneficiary that left twelve days ago due in 18 days, and BLUEPORT's
termination reports sent 20 days after its partner left."""

import datetime

import pytest
import time_machine
from rest_framework.test import APIClient

from backend.common.dates import BRUSSELS, add_months, month_end
from backend.demo.portfolio import demo_portfolio_load
from backend.grants.models import Project
from monitoring.checks import check_projects
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# The first of a month, the first of March (after a short February), a leap day, the last
# day of a year.
DAYS = [
    datetime.date(2026, 12, 1),
    datetime.date(2027, 3, 1),
    datetime.date(2028, 2, 29),
    datetime.date(2027, 12, 31),
]


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=BRUSSELS)


def _loaded(day: datetime.date) -> tuple[dict[str, Project], APIClient]:
    officer = UserFactory(username="officer", is_agency_officer=True)
    manager = UserFactory(username="manager")
    payer = UserFactory(username="officer2", is_agency_officer=True)
    projects = demo_portfolio_load(today=day, officer=officer, manager=manager, payer=payer)
    check_projects([project.pk for project in projects], now=_noon(day))
    client = APIClient()
    client.force_authenticate(officer)
    return {project.acronym: project for project in projects}, client


def _open_flags(client: APIClient, project: Project) -> list[str]:
    response = client.get(f"/api/v1/flags/?project={project.pk}&status=open&page_size=200")
    assert response.status_code == 200, response.content
    return sorted(flag["fingerprint"] for flag in response.json()["results"])


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_portfolio_holds_an_extended_project_and_termination_reports_due(day):
    with time_machine.travel(_noon(day), tick=False):
        projects, client = _loaded(day)
        _check_extended(client, projects["AQUAVET"], day)
        _check_termination_due(client, projects["STONECRAFT"], day)
        _check_termination_sent(client, projects["BLUEPORT"], day)


def _check_extended(client: APIClient, project: Project, day: datetime.date) -> None:
    """24 months signed, 30 now: RP2 (the balance) runs to M30."""
    start = add_months(day.replace(day=1), -10)
    record = client.get(f"/api/v1/projects/{project.pk}/").json()
    assert (record["start_date"], record["duration_months"]) == (start.isoformat(), 30)
    assert record["end_date"] == month_end(start, 30).isoformat()
    assert [
        (period["number"], period["start_month"], period["end_month"], period["payment"])
        for period in record["reporting_periods"]
    ] == [(1, 1, 12, "interim"), (2, 13, 30, "balance")]
    project.refresh_from_db()
    assert project.signed_duration_months == 24

    requests = client.get(f"/api/v1/projects/{project.pk}/amendments/").json()["results"]
    [request] = requests
    assert request["status"] == "approved"
    [change] = client.get(f"/api/v1/projects/{project.pk}/amendments/{request['id']}/").json()[
        "changes"
    ]
    assert change["kind"] == "change_duration"
    assert change["details"]["duration_months"] == 30
    # The watchers find nothing wrong with it.
    assert _open_flags(client, project) == []


def _check_termination_due(client: APIClient, project: Project, day: datetime.date) -> None:
    left_on = day - datetime.timedelta(days=12)
    due_on = day + datetime.timedelta(days=18)
    response = client.get(f"/api/v1/projects/{project.pk}/termination-reports")
    assert response.status_code == 200
    [report] = response.json()["results"]
    assert report["participant"]["short_name"] == "PFALZSTEIN"
    assert report["participant"]["left_on"] == left_on.isoformat()
    assert (report["initiated_by"], report["due_on"], report["skipped_for"]) == (
        "consortium",
        due_on.isoformat(),
        None,
    )
    assert (report["state"], report["missing"]) == ("due", ["termination", "distribution"])
    # Eight full partners in four countries remain: no breach; nothing overdue yet.
    eligibility = client.get(f"/api/v1/projects/{project.pk}/eligibility").json()
    assert eligibility["status"] == "pass"
    assert not [f for f in _open_flags(client, project) if "termination" in f]

    # The day after the due date, the watchers flag both reports.
    later = due_on + datetime.timedelta(days=1)
    check_projects([project.pk], now=_noon(later))
    assert f"termination_report_overdue:{report['id']}" in _open_flags(client, project)


def _check_termination_sent(client: APIClient, project: Project, day: datetime.date) -> None:
    [report] = client.get(f"/api/v1/projects/{project.pk}/termination-reports").json()["results"]
    left_on = datetime.date.fromisoformat(report["participant"]["left_on"])
    assert left_on < day.replace(day=1)
    assert (report["state"], report["missing"]) == ("complete", [])
    sent = datetime.datetime.combine(
        left_on + datetime.timedelta(days=20), datetime.time(10, 0), tzinfo=BRUSSELS
    )
    for which in ("termination_report", "distribution_report"):
        assert datetime.datetime.fromisoformat(report[which]["sent_at"]) == sent
        assert report[which]["sent_by"] == "pm-blueport"
