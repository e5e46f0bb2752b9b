"""The project's home lists the termination reports of the participants that left, with their
due date and which report was sent, for everyone who sees the project; a project without
terminations shows no such section."""

import datetime

import pytest
import time_machine

from backend.common.dates import BRUSSELS
from backend.reporting.terminations import termination_report_send
from tests.reporting.test_termination_reports import noon, terminated

pytestmark = pytest.mark.django_db


def _home(client, user, project, when: datetime.datetime) -> str:
    with time_machine.travel(when, tick=False):
        client.force_login(user)
        response = client.get(f"/projects/{project.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str) -> str:
    start = page.index('<section class="terminations"')
    return page[start : page.index("</section>", start)]


def test_no_section_without_terminations(client, demo, users):
    page = _home(client, users["manager"], demo, noon("2026-07-31"))

    assert 'class="terminations"' not in page


@pytest.mark.parametrize("role", ["manager", "officer", "partner_contact"])
def test_the_home_shows_each_report_due_sent_or_overdue(client, demo, users, role):
    overdue = terminated(demo, users, "ZSTW", "2026-06-30")
    terminated(demo, users, "FJORDVIK", "2027-03-30")  # covered by RP2's report
    sent = terminated(demo, users, "NORDLYS", "2026-07-15", initiated_by="agency")
    with time_machine.travel(datetime.datetime(2026, 7, 20, 9, tzinfo=BRUSSELS), tick=False):
        termination_report_send(report=sent, user=users["manager"], which="distribution")

    section = _section(_home(client, users[role], demo, noon("2026-07-31")))

    assert "Termination reports" in section
    rows = section.split("<tr>")[2:]
    assert [row.split("</th>")[0].rsplit(">", 1)[1] for row in rows] == [
        "ZSTW",
        "NORDLYS",
        "FJORDVIK",
    ]
    zstw, nordlys, fjordvik = rows
    assert "M28 · 2026-06-30" in zstw
    assert "M29 · 2026-07-30" in zstw
    assert zstw.count("Not sent") == 2
    assert "Overdue" in zstw
    assert overdue.due_on.isoformat() in zstw
    assert "The agency" in nordlys
    assert "M31 · 2026-09-13" in nordlys
    assert "Sent on M29 · 2026-07-20" in nordlys
    assert nordlys.count("Not sent") == 1
    assert ">Due<" in nordlys
    assert "Covered by the RP2 report" in fjordvik
    assert "Not sent" not in fjordvik
