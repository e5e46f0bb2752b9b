"""The project home: the project's facts, its progress and its 48-month timeline, for everyone
who sees the project; a fixed number of queries however full its record."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.demo.loading import demo_load
from frontend.project.views import project_links as _links
from tests.workplan.helpers import make_accepted

pytestmark = pytest.mark.django_db

# M27 of CARETECH (starts 2024-03-01): RP2 is running
DAY = datetime.datetime(2026, 5, 4, 10, tzinfo=ZoneInfo("Europe/Brussels"))
# the page's queries, whatever the record holds (session, user, navigation, project, the
# overview's reads, the payment schedule's (its reports and suspensions read apart), the
# progress's (each table by ids: eight), the termination reports' and the user's roles on the
# project (whether the compliance report's link shows)
MAX_QUERIES = 47


def _home(client, user, project, **headers):
    # The user logs in on DAY too: a session opened on the day the suite runs would have expired
    # by DAY when that day is more than two weeks before it (GRANTWATCH_TEST_TODAY=2025-01-31).
    with time_machine.travel(DAY, tick=False):
        if user is not None:
            client.force_login(user)
        return client.get(f"/projects/{project.pk}/", **headers)


def _groups(page: str) -> dict[str, str]:
    """The timeline's rows, cut at each group heading (group name -> its rows' HTML)."""
    timeline = page[page.index('<div class="tl"') : page.index('<details class="tl-text">')]
    parts = re.split(r'<div class="tl-group">([^<]+)</div>', timeline)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def test_the_manager_sees_the_projects_facts_and_progress(client, users, demo):
    with time_machine.travel(DAY, tick=False):
        make_accepted(demo.deliverables.get(code="D1.1"), users["manager"], users["officer"])

    response = _home(client, users["manager"], demo)

    assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<h1>") == 1
    assert (
        "<h1>CARETECH: Centres of Vocational Excellence in Health and Care Technology</h1>" in page
    )
    assert "<dt>Grant agreement</dt><dd>101143210</dd>" in page
    assert "<dt>Start</dt><dd>M1 · 2024-03-01</dd>" in page
    assert "<dt>End</dt><dd>M48 · 2028-02-29</dd>" in page
    assert "<dt>Today</dt><dd>M27 · 2026-05-04</dd>" in page
    assert "GAUJA, Gaujas Veselības un tehnoloģiju koledža (LV)" in page
    assert "<dt>Maximum grant</dt><dd>EUR 3,998,750.00</dd>" in page
    assert "1 of 47 accepted" in page
    assert "0 submitted, 0 draft, 46 pending" in page
    assert "0 of 12 achieved" in page
    assert "0 of 8 declared completed" in page


def test_the_timeline_has_a_column_per_month_and_the_three_reporting_periods(client, users, demo):
    page = _home(client, users["manager"], demo).content.decode()

    months = re.findall(r'<div class="tl-month[^"]*" data-tl-col="(\d+)"', page)
    assert months == [str(n) for n in range(1, 49)]
    assert '<div class="tl-month is-today" data-tl-col="27"' in page
    assert re.findall(
        r'<div class="tl-year" data-tl-col="(\d+)" data-tl-span="(\d+)">(\d+)', page
    ) == [
        ("1", "10", "2024"),
        ("11", "12", "2025"),
        ("23", "12", "2026"),
        ("35", "12", "2027"),
        ("47", "2", "2028"),
    ]
    bars = re.findall(
        r'<div class="tl-bar rp" data-tl-col="(\d+)" data-tl-span="(\d+)" title="([^"]+)">\s*'
        r"<span>([^<]+)</span>",
        page,
    )
    assert bars == [
        (
            "1",
            "18",
            "RP1: M1 · 2024-03-01 to M18 · 2025-08-31; report due M20 · 2025-10-30",
            "RP1 · report due M20 · 2025-10-30",
        ),
        (
            "19",
            "18",
            "RP2: M19 · 2025-09-01 to M36 · 2027-02-28; report due M38 · 2027-04-29",
            "RP2 · report due M38 · 2027-04-29",
        ),
        (
            "37",
            "12",
            "RP3: M37 · 2027-03-01 to M48 · 2028-02-29; report due M50 · 2028-04-29",
            "RP3 · report due M50 · 2028-04-29",
        ),
    ]
    # the text alternative lists RP1 with its end
    table = page[page.index('<details class="tl-text">') :]
    assert "M18 · 2025-08-31; report due M20 · 2025-10-30" in table
    # today's line, four days into May 2026
    assert '<div class="tl-today" data-tl-col="27" data-tl-left="10"></div>' in page


def test_work_package_bars_sit_in_their_activity_clusters(client, users, demo):
    groups = _groups(_home(client, users["manager"], demo).content.decode())

    assert list(groups) == [
        "Reporting periods",
        "Teaching and learning",
        "Cooperation and partnerships",
        "Governance and funding",
        "Milestones and payments",
    ]

    def bars(name):
        return re.findall(r"<span>WP(\d+) ", groups[name])

    assert bars("Teaching and learning") == ["3", "4", "5"]
    assert bars("Cooperation and partnerships") == ["2", "5", "6", "7", "8"]
    assert bars("Governance and funding") == ["1", "7", "8"]
    assert (
        '<div class="tl-bar wp" data-tl-col="4" data-tl-span="39" title="WP3 Modular curricula '
        "and micro-credentials for medical and assistive technology technicians (lead NEMPOLY): "
        'M4 · 2024-06-01 to M42 · 2027-08-31">' in groups["Teaching and learning"]
    )
    assert '<div class="tl-label" title="WP3 Modular' in groups["Teaching and learning"]
    assert "WP3 · NEMPOLY</div>" in groups["Teaching and learning"]


def test_a_deliverable_is_marked_at_its_due_month_with_its_status_in_words(client, users, demo):
    d11 = demo.deliverables.get(code="D1.1")
    with time_machine.travel(DAY, tick=False):
        make_accepted(d11, users["manager"], users["officer"])
    d12 = demo.deliverables.get(code="D1.2")

    page = _home(client, users["manager"], demo).content.decode()

    governance = _groups(page)["Governance and funding"]
    accepted = re.search(
        r'<div class="tl-marks" data-tl-col="3">\s*<a class="mk d-accepted" '
        rf'href="/projects/{demo.pk}/deliverables/{d11.pk}/" title="([^"]+)" data-code="D1.1">',
        governance,
    )
    assert accepted is not None
    assert accepted.group(1) == (
        "D1.1 Project handbook and quality assurance plan: due M3 · 2024-05-31, Accepted"
    )
    assert re.search(
        r'<div class="tl-marks" data-tl-col="6">\s*<a class="mk d-pending overdue" '
        rf'href="/projects/{demo.pk}/deliverables/{d12.pk}/" title="D1.2 Data management plan: '
        r'due M6 · 2024-08-31, Pending, overdue"',
        governance,
    )
    table = page[page.index('<details class="tl-text">') :]
    assert re.search(
        r"D1.2 Data management plan</a>.*?</th>\s*<td></td>\s*<td>M6 · 2024-08-31</td>\s*"
        r"<td>Pending, <strong>overdue</strong></td>",
        table,
        re.S,
    )


def test_milestones_and_instalments_are_on_the_timeline(client, users, demo):
    page = _home(client, users["manager"], demo).content.decode()

    rows = _groups(page)["Milestones and payments"]
    ms1 = demo.milestones.get(code="MS1")
    assert re.search(
        rf'<div class="tl-marks" data-tl-col="{ms1.due_month}">\s*'
        rf'<a class="mk ms ms-overdue" href="/projects/{demo.pk}/milestones/#ms-{ms1.pk}"',
        rows,
    )
    assert (
        'title="Pre-financing: due M1 · 2024-03-15, EUR 1,599,500.00, Scheduled"' in rows
        or 'title="Pre-financing: due M1 · 2024-03-15, EUR 1,599,500.00, Ready for approval"'
        in rows
    )
    # the balance, due in M50
    assert 'class="mk pay pay-grey outside-after" data-status="scheduled"' in rows
    table = page[page.index('<details class="tl-text">') :]
    assert "Payment of the balance, RP3</th>" in table
    assert "<td>M50 · 2028-04-29</td>" in table


def test_the_legend_names_the_statuses_of_each_instalment_colour(client, users, demo):
    page = _home(client, users["manager"], demo).content.decode()

    legend = page[
        page.index('<ul class="tl-legend"') : page.index("</ul>", page.index("tl-legend"))
    ]
    marks = re.findall(
        r'<span class="mk pay pay-(\w+)" aria-hidden="true">€</span> ([^<]+)</li>', legend
    )
    assert marks == [
        ("grey", "Instalment: Scheduled, Nothing due"),
        ("red", "Instalment: Blocked, Suspended"),
        ("amber", "Instalment: Decision needed, Ready for approval"),
        ("green", "Instalment: Approved, Paid"),
    ]


@pytest.mark.parametrize(
    "role", ["manager", "partner_contact", "other_partner", "officer", "admin"]
)
def test_everyone_who_sees_the_project_gets_its_home(client, users, demo, role):
    response = _home(client, users[role], demo)

    assert response.status_code == 200
    assert '<h2 id="timeline-heading">Timeline</h2>' in response.content.decode()


@pytest.mark.parametrize("role", ["stranger", "other_manager", "other_officer"])
def test_someone_who_does_not_see_the_project_gets_not_found(client, users, demo, role):
    assert _home(client, users[role], demo).status_code == 404


def test_an_anonymous_visitor_is_sent_to_sign_in(client, demo):
    response = _home(client, None, demo)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/projects/{demo.pk}/"


def test_the_home_answers_in_latvian(client, users, demo):
    client.cookies["django_language"] = "lv"

    response = _home(client, users["manager"], demo)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="lv">' in page
    assert "M18 · 2025-08-31" in page
    assert "3 998 750,00" in page or "3\xa0998\xa0750,00" in page


def test_the_home_takes_the_same_queries_with_the_full_work_record(
    client, users, demo, django_assert_max_num_queries
):
    with time_machine.travel(DAY, tick=False):
        client.force_login(users["manager"])
    with django_assert_max_num_queries(MAX_QUERIES):
        assert _home(client, None, demo).status_code == 200

    # The work record the demo writes runs up to the day it is loaded: load it on DAY too, or a
    # run on an early day (GRANTWATCH_TEST_TODAY=2025-01-31) finds only a few deliverables done.
    with time_machine.travel(DAY, tick=False):
        demo_load(allow_production=True, portfolio=False)
    assert demo.deliverables.exclude(status="pending").count() > 20
    assert demo.milestones.exclude(achieved_on=None).count() > 5

    with django_assert_max_num_queries(MAX_QUERIES):
        assert _home(client, None, demo).status_code == 200


def test_links_to_pages_that_do_not_exist_are_left_out(demo):
    assert _links(demo, [("no_such_page", "Nowhere")]) == []
    assert _links(demo, [("deliverables", "Deliverables")]) == [
        {"url": f"/projects/{demo.pk}/deliverables/", "label": "Deliverables"}
    ]
