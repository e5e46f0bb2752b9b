"""The agency officer's pages: the portfolio dashboard (who may open it, its filters, order,
pages and query count), a project's compliance page, and the flags' triage inline with htmx or
with a full-page form."""

import datetime
import html
import json
import re

import pytest
import time_machine
from django.utils import timezone

from backend.accounts.models import ProjectRole
from backend.audit.models import Event
from backend.demo.seeding import seed_portfolio
from backend.grants.models import Project
from monitoring.flags import Finding, flags_sync
from monitoring.models import Flag
from monitoring.summaries import summaries_recompute

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
HTMX = {"HTTP_HX_REQUEST": "true"}
LATVIAN = {"HTTP_ACCEPT_LANGUAGE": "lv"}
NOTE_REQUIRED = "Say why the flag is resolved."
# htmx's default response handling with 400 and 409 (a form's errors, a conflict) swapped too.
SWAP_400_AND_409 = [
    {"code": "204", "swap": False},
    {"code": "[23]..", "swap": True},
    {"code": "40[09]", "swap": True},
    {"code": "[45]..", "swap": False, "error": True},
]


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(NOW, tick=False):
        yield


def _htmx_response_handling(page: str) -> list[dict]:
    """The page's htmx ``responseHandling`` (``<meta name="htmx-config">``)."""
    found = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert found, "no htmx-config on the page"
    return json.loads(html.unescape(found.group(1)))["responseHandling"]


def _flags(project, *found: tuple[str, str, str], now=None) -> dict[str, Flag]:
    """Make the project's open flags of these kinds exactly ``found``: (kind, severity, name);
    the explanation is "<name> in English" and "<name> latviski"."""
    flags_sync(
        project_ids=[project.pk],
        kinds={kind for kind, _severity, _name in found},
        findings=[
            Finding(
                project_id=project.pk,
                kind=kind,
                severity=severity,
                fingerprint=f"{kind}:{name}",
                explanation={"en": f"{name} in English", "lv": f"{name} latviski"},
            )
            for kind, severity, name in found
        ],
        now=now or timezone.now(),
    )
    return {
        flag.fingerprint.split(":", 1)[1]: flag
        for flag in Flag.objects.filter(project=project, resolved_at__isnull=True)
    }


@pytest.fixture
def demo_flags(demo):
    """CARETECH is red: a critical breach, a medium overdue deliverable, a low instalment."""
    return _flags(
        demo,
        ("eligibility_breach", "critical", "min_full_partners"),
        ("deliverable_overdue", "medium", "d54"),
        ("instalment_ready", "low", "prefinancing"),
    )


def _results(response) -> str:
    """The portfolio table's rows (the part of the page the filters change)."""
    page = response.content.decode()
    start = page.index('id="portfolio-results"')
    return page[start : page.index("</table>", start) if "</table>" in page[start:] else None]


def _acronyms(response) -> list[str]:
    return re.findall(r'<a href="/projects/\d+/compliance/">([^<]+)</a>', _results(response))


# -- who may open the portfolio -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("officer", 200),
        ("other_officer", 200),
        ("admin", 200),
        ("manager", 403),
        ("partner_contact", 403),
        ("stranger", 403),
    ],
)
def test_the_portfolio_is_for_agency_officers_and_administrators(client, users, who, status):
    client.force_login(users[who])

    response = client.get("/portfolio/")

    assert response.status_code == status
    if status == 403:
        assert "The portfolio is for agency officers and administrators." in (
            response.content.decode()
        )


def test_an_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/portfolio/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/portfolio/"


def _summed_up() -> None:
    """The summaries the portfolio reads, as the checks would leave them with these flags."""
    summaries_recompute(Project.objects.values_list("pk", flat=True), now=timezone.now())


def test_an_officer_sees_the_projects_of_their_portfolio_with_their_status(
    client, users, demo_flags, other_project
):
    _summed_up()
    client.force_login(users["officer"])

    response = client.get("/portfolio/")

    assert response.status_code == 200
    page = response.content.decode()
    assert _acronyms(response) == ["CARETECH"]
    results = _results(response)
    assert '<span class="badge status-red">Red</span>' in results
    assert '<span class="badge status-red">Breach</span>' in results
    # open flags: 3 in all, critical 1, high 0, medium 1, low 1; overdue items 1
    cells = re.findall(r'<td class="num">(\d+)</td>', results)
    assert cells == ["3", "1", "0", "1", "1", "1"]
    # no work record: the pre-financing is the next instalment, ready and not paid yet
    assert re.search(
        r'Pre-financing\s+<span class="badge status-amber">Ready for approval</span>', results
    )
    assert "due M1 · 2024-03-15" in results
    assert "<h1>Portfolio compliance</h1>" in page
    assert (
        "An open critical or high flag, or the consortium breaches the composition rules." in page
    )
    assert 'src="/static/vendor/chart.js/chart.umd.min.js"' in page
    assert 'id="chart-open-flags-data"' in page


def test_the_portfolio_answers_in_latvian(client, users, demo_flags):
    client.force_login(users["officer"])

    response = client.get("/portfolio/", **LATVIAN)

    assert response.status_code == 200
    assert '<html lang="lv">' in response.content.decode()
    assert _acronyms(response) == ["CARETECH"]


def test_an_administrator_sees_every_project(client, users, demo_flags, other_project):
    client.force_login(users["admin"])

    response = client.get("/portfolio/?sort=acronym")

    assert _acronyms(response) == ["CARETECH", "SECOVE"]
    assert '<span class="badge status-green">Green</span>' in _results(response)


# -- filters, order and pages -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("status=red", ["CARETECH"]),
        ("status=green", ["SECOVE"]),
        ("status=amber", []),
        ("severity=critical", ["CARETECH"]),
        ("severity=high", []),
        ("q=sec", ["SECOVE"]),
        ("q=101143", ["CARETECH"]),
        ("status=red&q=sec", []),
    ],
)
def test_the_filters_keep_only_the_matching_projects(
    client, users, demo_flags, other_project, query, shown
):
    client.force_login(users["admin"])

    response = client.get(f"/portfolio/?{query}")

    assert response.status_code == 200
    assert _acronyms(response) == shown
    if not shown:
        assert "No project matches these filters." in response.content.decode()


def test_the_call_filter_keeps_the_projects_of_that_call(
    client, users, demo, demo_flags, other_project
):
    assert demo.call.identifier != other_project.call.identifier
    client.force_login(users["admin"])

    response = client.get(f"/portfolio/?call={other_project.call.identifier}")

    assert _acronyms(response) == ["SECOVE"]
    page = response.content.decode()
    assert f'<option value="{other_project.call.identifier}" selected>' in page
    assert f'<option value="{demo.call.identifier}">' in page


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("acronym", ["CARETECH", "SECOVE"]),
        ("-acronym", ["SECOVE", "CARETECH"]),
        ("status", ["CARETECH", "SECOVE"]),
        ("-status", ["SECOVE", "CARETECH"]),
        ("-flags", ["CARETECH", "SECOVE"]),
        ("flags", ["SECOVE", "CARETECH"]),
    ],
)
def test_the_table_is_sorted_by_the_column_asked_for(
    client, users, demo_flags, other_project, sort, order
):
    client.force_login(users["admin"])

    response = client.get(f"/portfolio/?sort={sort}")

    assert _acronyms(response) == order


def test_sorting_by_the_next_instalment_puts_the_earliest_due_first(
    client, users, demo_flags, other_project
):
    _summed_up()
    client.force_login(users["admin"])

    earliest = _acronyms(client.get("/portfolio/?sort=due"))
    latest = _acronyms(client.get("/portfolio/?sort=-due"))

    # SECOVE started in 2022, CARETECH in 2024: SECOVE's next instalment falls due first
    assert earliest == ["SECOVE", "CARETECH"]
    assert latest == ["CARETECH", "SECOVE"]


def test_a_column_header_sorts_the_other_way_round_and_keeps_the_filters(client, users, demo_flags):
    client.force_login(users["officer"])

    response = client.get("/portfolio/?sort=acronym&status=red&page=1")

    results = _results(response)
    assert (
        '<th scope="col" aria-sort="ascending">\n          \n            '
        '<a href="/portfolio/?sort=-acronym&amp;status=red"' in results
    )
    assert 'hx-get="/portfolio/?sort=-flags&amp;status=red"' in results


def test_a_filter_that_is_not_valid_is_shown_with_its_error(client, users, demo_flags):
    client.force_login(users["officer"])

    response = client.get("/portfolio/?status=purple")

    assert response.status_code == 400
    page = response.content.decode()
    assert "Some filters are not valid: correct them to see the projects." in page
    assert "Select a valid choice. purple is not one of the available choices." in page
    assert 'aria-invalid="true" aria-describedby="id_status_error"' in page


def test_htmx_gets_only_the_table_and_the_url_is_its_own(client, users, demo_flags):
    client.force_login(users["officer"])

    response = client.get("/portfolio/?status=red", **HTMX)

    assert response.status_code == 200
    body = response.content.decode().strip()
    assert body.startswith('<div id="portfolio-results" class="officer-results">\n')
    assert "<html" not in body
    assert "chart-open-flags" not in body
    assert _acronyms(response) == ["CARETECH"]
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client, users, demo_flags):
    client.force_login(users["officer"])

    response = client.get("/portfolio/?status=red", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)

    assert "<h1>Portfolio compliance</h1>" in response.content.decode()


def _seed_officers_portfolio(officer, projects: int) -> None:
    seed_portfolio(projects=projects, seed=11)
    ProjectRole.objects.bulk_create(
        ProjectRole(user=officer, project=project, role="officer")
        for project in Project.objects.exclude(roles__user=officer)
    )


def test_the_portfolio_is_paged_by_25(client, users, demo_flags):
    officer = users["officer"]
    _seed_officers_portfolio(officer, 30)
    client.force_login(officer)

    first = client.get("/portfolio/?sort=acronym")
    second = client.get("/portfolio/?sort=acronym&page=2", **HTMX)

    assert len(_acronyms(first)) == 25
    assert len(_acronyms(second)) == 7  # with SECOVE, every project is the officer's
    assert set(_acronyms(first)).isdisjoint(_acronyms(second))
    assert "32 projects match." in first.content.decode()
    assert "Page 2 of 2" in second.content.decode()
    assert 'href="/portfolio/?sort=acronym&amp;page=2"' in first.content.decode()


def test_the_portfolio_takes_the_same_number_of_queries_for_a_bigger_portfolio(
    client, users, demo_flags, django_assert_max_num_queries
):
    officer = users["officer"]
    client.force_login(officer)
    _summed_up()
    # The page reads the summaries the checks write: nothing is recomputed (issue 17).
    with django_assert_max_num_queries(30) as small:
        assert client.get("/portfolio/").status_code == 200
    with django_assert_max_num_queries(30) as small_sorted:
        assert client.get("/portfolio/?sort=due", **HTMX).status_code == 200

    _seed_officers_portfolio(officer, 40)
    with timezone.override("UTC"):
        flags_sync(
            project_ids=list(Project.objects.values_list("pk", flat=True)),
            kinds=["report_overdue"],
            findings=[
                Finding(pk, "report_overdue", "high", f"report_overdue:{pk}", {"en": "late"})
                for pk in Project.objects.values_list("pk", flat=True)
            ],
            now=timezone.now(),
        )
    _summed_up()

    with django_assert_max_num_queries(len(small.captured_queries)):
        big = client.get("/portfolio/")
    with django_assert_max_num_queries(len(small_sorted.captured_queries)):
        big_sorted = client.get("/portfolio/?sort=due", **HTMX)
    assert len(_acronyms(big)) == len(_acronyms(big_sorted)) == 25


# -- a project's compliance page ----------------------------------------------------------------


def test_the_compliance_page_shows_the_verdict_flags_and_schedule(client, users, demo, demo_flags):
    client.force_login(users["officer"])

    response = client.get(f"/projects/{demo.pk}/compliance/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>CARETECH: compliance</h1>" in page
    assert f'<a href="/projects/{demo.pk}/">Project home</a>' in page
    assert "min_full_partners in English" in page
    assert "M33 · 2026-11-27" in page  # first seen
    assert "Verdict on M33 · 2026-11-27:" in page
    assert '<th scope="row">Pre-financing <span class="muted">(prefinancing)</span></th>' in page
    assert "EUR " in page
    # each button with the id that keeps the keyboard on it when its row is swapped
    assert len(re.findall(r'type="submit" id="flag-\d+-resolve-button">Resolve<', page)) == 3
    assert len(re.findall(r'class="secondary" id="flag-\d+-ack-button">Acknowledge<', page)) == 3
    assert "No flag has been resolved yet." in page


def test_the_explanations_are_in_the_users_language(client, users, demo, demo_flags):
    client.force_login(users["officer"])

    page = client.get(f"/projects/{demo.pk}/compliance/", **LATVIAN).content.decode()

    assert "min_full_partners latviski" in page
    assert "min_full_partners in English" not in page


def test_a_manager_sees_the_compliance_page_without_the_triage(client, users, demo, demo_flags):
    client.force_login(users["manager"])

    response = client.get(f"/projects/{demo.pk}/compliance/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "d54 in English" in page
    assert "Acknowledge" not in page
    assert "/resolve/" not in page


def test_a_project_out_of_sight_is_not_found(client, users, demo):
    client.force_login(users["other_officer"])

    assert client.get(f"/projects/{demo.pk}/compliance/").status_code == 404


def test_the_resolved_flags_are_listed_below_the_latest_first(client, users, demo, demo_flags):
    _flags(demo, ("deliverable_overdue", "medium", "d55"))  # d54 went away
    client.force_login(users["officer"])

    page = client.get(f"/projects/{demo.pk}/compliance/").content.decode()

    resolved = page[page.index('id="resolved-heading"') :]
    assert "d54 in English" in resolved
    assert "The finding went away on M33 · 2026-11-27." in resolved


def test_the_compliance_page_takes_the_same_number_of_queries_with_more_flags(
    client, users, demo, demo_flags, django_assert_max_num_queries
):
    client.force_login(users["officer"])
    # The schedule (the ledger reads its facts) and the reductions.
    # 48: the consortium's dated history and third parties; the consortium's organisations
    # read by id, the payment facts' reports and suspensions apart from their rows, and the
    # user's roles on the project (whether the compliance report's link shows).
    with django_assert_max_num_queries(48) as few:
        client.get(f"/projects/{demo.pk}/compliance/")

    _flags(demo, *(("milestone_overdue", "low", f"ms{n}") for n in range(30)))
    _flags(demo, *(("milestone_overdue", "low", f"ms{n}") for n in range(10)))

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(f"/projects/{demo.pk}/compliance/").content.decode()
    assert "ms29 in English" in page


# -- triage -------------------------------------------------------------------------------------


def test_acknowledging_with_htmx_swaps_the_row_with_its_new_state(client, users, demo_flags):
    flag = demo_flags["d54"]
    client.force_login(users["officer"])

    response = client.post(
        f"/flags/{flag.pk}/acknowledge/", {"note": "Asked the lead for a date."}, **HTMX
    )

    assert response.status_code == 200
    row = response.content.decode()
    assert row.strip().startswith(f'<tr id="flag-{flag.pk}" class="officer-flag">\n')
    assert '<span class="badge status-amber">Acknowledged</span>' in row
    assert "<q>Asked the lead for a date.</q>" in row
    assert "Acknowledge again" in row
    flag.refresh_from_db()
    assert flag.acknowledged_by == users["officer"]
    assert flag.acknowledgement_note == "Asked the lead for a date."
    assert Event.objects.filter(verb="flag.acknowledged", object_id=str(flag.pk)).count() == 1


def test_resolving_with_a_note_swaps_the_row_with_the_resolution(client, users, demo_flags):
    flag = demo_flags["min_full_partners"]
    client.force_login(users["officer"])

    response = client.post(
        f"/flags/{flag.pk}/resolve/", {"note": "The partner's accession was confirmed."}, **HTMX
    )

    assert response.status_code == 200
    row = response.content.decode()
    assert f'<tr id="flag-{flag.pk}" class="officer-flag is-resolved">\n' in row
    assert '<span class="badge status-green">Resolved</span>' in row
    assert "Resolved by po on M33 · 2026-11-27." in row
    assert "<form" not in row
    flag.refresh_from_db()
    assert flag.resolution == "manual"
    assert flag.resolved_by == users["officer"]
    assert flag.resolution_note == "The partner's accession was confirmed."


def test_resolving_without_a_note_shows_the_field_error_and_keeps_nothing(
    client, users, demo_flags
):
    flag = demo_flags["d54"]
    client.force_login(users["officer"])

    response = client.post(f"/flags/{flag.pk}/resolve/", {"note": "   "}, **HTMX)

    assert response.status_code == 400
    row = response.content.decode()
    assert f'aria-invalid="true" aria-describedby="flag-{flag.pk}-resolve-note_error"' in row
    assert (
        f'<ul class="errorlist" id="flag-{flag.pk}-resolve-note_error"><li>{NOTE_REQUIRED}</li>'
        in row
    )
    # htmx swaps the 400 row in by the pages' own setting, not by a script in the row
    assert "hx-on" not in row
    page = client.get(f"/projects/{flag.project_id}/compliance/").content.decode()
    assert _htmx_response_handling(page) == SWAP_400_AND_409
    flag.refresh_from_db()
    assert flag.resolved_at is None
    assert not Event.objects.filter(verb="flag.resolved").exists()


def test_resolving_without_a_note_in_latvian_shows_the_field_error(client, users, demo_flags):
    flag = demo_flags["d54"]
    client.force_login(users["officer"])

    response = client.post(f"/flags/{flag.pk}/resolve/", {"note": ""}, **HTMX, **LATVIAN)

    assert response.status_code == 400
    row = response.content.decode()
    assert (
        f'<ul class="errorlist" id="flag-{flag.pk}-resolve-note_error"><li>'
        "Norādiet, kāpēc brīdinājums tiek atrisināts.</li></ul>" in row
    )
    assert NOTE_REQUIRED not in row
    flag.refresh_from_db()
    assert (flag.resolved_at, flag.resolution_note) == (None, "")


def test_a_note_too_long_is_refused_on_acknowledging(client, users, demo_flags):
    flag = demo_flags["d54"]
    client.force_login(users["officer"])

    response = client.post(f"/flags/{flag.pk}/acknowledge/", {"note": "x" * 2001}, **HTMX)

    assert response.status_code == 400
    assert "A note has at most 2000 characters." in response.content.decode()
    flag.refresh_from_db()
    assert flag.acknowledged_at is None


def test_a_flag_already_resolved_is_a_conflict(client, users, demo_flags):
    flag = demo_flags["d54"]
    client.force_login(users["officer"])
    client.post(f"/flags/{flag.pk}/resolve/", {"note": "Done."}, **HTMX)

    response = client.post(f"/flags/{flag.pk}/acknowledge/", {"note": ""}, **HTMX)

    assert response.status_code == 409
    row = response.content.decode()
    assert "This flag is already resolved: there is nothing left to acknowledge." in row
    assert '<span class="badge status-green">Resolved</span>' in row


def test_a_full_page_resolution_redirects_with_a_message(client, users, demo, demo_flags):
    flag = demo_flags["d54"]
    client.force_login(users["officer"])

    response = client.post(f"/flags/{flag.pk}/resolve/", {"note": "Submitted by e-mail."})

    assert response.status_code == 303
    assert response["Location"] == f"/projects/{demo.pk}/compliance/"
    page = client.get(response["Location"]).content.decode()
    assert "The flag is resolved." in page
    assert "<q>Submitted by e-mail.</q>" in page


def test_a_full_page_resolution_without_a_note_shows_the_page_with_the_error(
    client, users, demo, demo_flags
):
    flag = demo_flags["d54"]
    client.force_login(users["officer"])

    response = client.post(f"/flags/{flag.pk}/resolve/", {"note": ""})

    assert response.status_code == 400
    page = response.content.decode()
    assert "<h1>CARETECH: compliance</h1>" in page
    assert f'id="flag-{flag.pk}-resolve-note_error"><li>{NOTE_REQUIRED}</li>' in page
    assert page.count(NOTE_REQUIRED) == 1


def test_a_manager_may_not_triage(client, users, demo_flags):
    flag = demo_flags["d54"]
    client.force_login(users["manager"])

    response = client.post(f"/flags/{flag.pk}/resolve/", {"note": "Fine."}, **HTMX)

    assert response.status_code == 403
    flag.refresh_from_db()
    assert flag.resolved_at is None
