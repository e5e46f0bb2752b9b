"""Bad input in the pages: a text holding a control character is refused at its field, before
any service reads it, and nothing is written (frontend/forms.py)."""

import html

import pytest
import time_machine

from backend.reporting.models import PeriodicReport, ReportStatus
from backend.workplan.models import Deliverable
from tests import test_permission_matrix as matrix
from tests.helpers import row_counts

pytestmark = pytest.mark.django_db

world = matrix.world

MESSAGE = (
    "The text holds a control character (U+0007), which is not allowed: write plain text "
    "(tabs and line breaks are fine)."
)


def _post(client, world, user, url, data):
    client.force_login(world.users[user])
    before = row_counts()
    with time_machine.travel(world.now, tick=False):
        response = client.post(url, data)
    return response, row_counts() != before


def test_a_control_character_in_a_posted_text_is_refused_at_its_field(client, world):
    deliverable = Deliverable.objects.get(pk=world.ids["grant"]["deliverable_id"])
    url = f"/projects/{world.project.pk}/deliverables/{deliverable.pk}/request-revision/"

    response, written = _post(client, world, "officer", url, {"reason": "Add \x07 the data."})

    assert response.status_code == 400
    assert not written
    form = response.context["revision_form"]
    assert form.errors == {"reason": [MESSAGE]}


def test_a_nul_byte_in_a_posted_text_is_refused_at_its_field(client, world):
    deliverable = Deliverable.objects.get(pk=world.ids["grant"]["deliverable_id"])
    url = f"/projects/{world.project.pk}/deliverables/{deliverable.pk}/request-revision/"

    response, written = _post(client, world, "officer", url, {"reason": "Add \x00 the data."})

    assert response.status_code == 400
    assert not written
    assert list(response.context["revision_form"].errors) == ["reason"]


def test_a_prefixed_form_is_checked_by_its_own_field_names(client, world):
    """The justification form of a late deliverable is posted with a prefix (the report of
    RP1, which the matrix's world has submitted, is a draft again)."""
    PeriodicReport.objects.filter(project=world.project).update(status=ReportStatus.DRAFT)
    deliverable = Deliverable.objects.get(pk=world.ids["grant"]["deliverable_id"])
    url = f"/projects/{world.project.pk}/reports/1/justifications/{deliverable.pk}/"
    data = {f"d{deliverable.pk}-text": "Late\x1b[31m."}

    response, written = _post(client, world, "manager", url, data)

    assert response.status_code == 400, response.content[:300]
    assert not written
    text = html.unescape(response.content.decode())
    assert text.count("control character (U+001B)") == 1, text
