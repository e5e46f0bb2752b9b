"""The Annex 1 builder's page: the work plan prefilled as recorded, only what differs sent, the
service's errors at the inputs they name with nothing written.

The demo grant: D1.4 (WP1, GAUJA) is due in month 24 of 48."""

import datetime
import html

import pytest

from backend.amendments.models import AmendmentChange, AmendmentRequest
from backend.workplan.models import Deliverable, DeliverableStatus
from frontend.consortium.forms import PlanGrid
from tests.amendments.helpers import row_counts

pytestmark = pytest.mark.django_db


def _field(project, code: str, name: str) -> str:
    index = next(
        i for i, item in enumerate(PlanGrid.read(project.pk).deliverables) if item["code"] == code
    )
    return f"deliverables_{index}_{name}"


def _url(project) -> str:
    return f"/projects/{project.pk}/amendments/new/annex-1/"


def test_the_page_shows_the_work_plan_as_recorded(client, demo, users):
    client.force_login(users["manager"])

    response = client.get(_url(demo))

    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    name = _field(demo, "D1.4", "due_month")
    assert f'<label for="id_{name}">Due month of D1.4</label>' in page
    assert f'name="{name}" value="24"' in page
    assert "Remove D1.4" in page


def test_saving_sends_only_what_differs(client, demo, users):
    client.force_login(users["manager"])

    response = client.post(
        _url(demo),
        {
            "justification": "The evaluation moves; a new guide.",
            "effective_on": "2026-07-01",
            _field(demo, "D1.4", "due_month"): "26",
            _field(demo, "D1.4", "title"): "Mid-term external evaluation report",  # as recorded
            "new_code": "D1.9",
            "new_title": "Guide for new partners",
            "new_work_package": "1",
            "new_lead": "GAUJA",
            "new_due_month": "30",
            "new_type": "R",
            "new_dissemination": "PU",
        },
    )

    amendment = AmendmentRequest.objects.get()
    assert response.status_code == 303
    assert response["Location"] == f"/projects/{demo.pk}/amendments/{amendment.pk}/"
    change = AmendmentChange.objects.get(request=amendment)
    assert (change.kind, change.details) == (
        "change_work_plan",
        {
            "deliverables": [
                {"code": "D1.4", "due_month": 26},
                {
                    "code": "D1.9",
                    "title": "Guide for new partners",
                    "work_package": 1,
                    "lead": "GAUJA",
                    "due_month": 30,
                    "type": "R",
                    "dissemination": "PU",
                },
            ]
        },
    )


def test_a_refused_change_shows_the_errors_at_their_inputs_and_writes_nothing(client, demo, users):
    submitted = Deliverable.objects.get(project=demo, code="D1.1")
    submitted.status = DeliverableStatus.SUBMITTED
    submitted.delivered_on = datetime.date(2024, 5, 30)
    submitted.save()
    client.force_login(users["manager"])
    before = row_counts()

    response = client.post(
        _url(demo),
        {
            "effective_on": "2026-07-01",
            _field(demo, "D1.1", "remove"): "on",
            _field(demo, "D1.4", "due_month"): "49",
        },
    )

    assert response.status_code == 400
    assert row_counts() == before
    page = html.unescape(response.content.decode())
    due = _field(demo, "D1.4", "due_month")
    assert (
        f'<ul class="errorlist" id="id_{due}_error"><li>Give a month of the project, from 1 to 48.'
        in page
    )
    remove = _field(demo, "D1.1", "remove")
    assert (
        f'<ul class="errorlist" id="id_{remove}_error"><li>D1.1 is already submitted; it keeps '
        "its history and cannot be removed.</li></ul>"
    ) in page
