"""The consortium page (participants, today's verdict with the rules' explanations, the verdict
over the project's life) and the list of amendment requests."""

import datetime

import pytest
import time_machine

from backend.amendments.services import amendment_create, amendment_submit
from backend.grants.models import Organisation, OrganisationType, Participation
from tests.amendments.helpers import terminate

pytestmark = pytest.mark.django_db

NOW = "2026-11-27 10:00 +01:00"


def _page(client, user, url):
    # The user logs in at NOW too: a session opened on the day the suite runs would have expired
    # by NOW when that day is more than two weeks before it (GRANTWATCH_TEST_TODAY=2025-01-31).
    with time_machine.travel(NOW, tick=False):
        client.force_login(user)
        return client.get(url)


def _more_participants(project, count: int) -> None:
    """Beneficiaries from Portugal, each an enterprise (a bigger consortium, same page)."""
    for index in range(count):
        organisation = Organisation.objects.create(
            pic=f"99700{index:04d}",
            legal_name=f"Extra Partner {index} Lda",
            short_name=f"EXTRA{index}",
            country_id="PT",
        )
        OrganisationType.objects.create(organisation=organisation, code="enterprise")
        Participation.objects.create(
            project=project,
            organisation=organisation,
            short_name=f"EXTRA{index}",
            role="beneficiary",
            joined_on=datetime.date(2024, 9, 1),
            position=100 + index,
        )


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("manager", 200),
        ("partner_contact", 200),
        ("other_partner", 200),
        ("officer", 200),
        ("admin", 200),
        ("other_officer", 404),
        ("other_manager", 404),
        ("stranger", 404),
    ],
)
def test_the_consortium_page_is_for_everyone_who_sees_the_project(client, users, demo, who, status):
    response = _page(client, users[who], f"/projects/{demo.pk}/consortium/")

    assert response.status_code == status


def test_an_anonymous_visitor_is_sent_to_sign_in_from_the_consortium_page(client, demo):
    response = client.get(f"/projects/{demo.pk}/consortium/")

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/projects/{demo.pk}/consortium/"


def test_the_consortium_page_shows_todays_verdict_with_each_rules_explanation(client, users, demo):
    response = _page(client, users["partner_contact"], f"/projects/{demo.pk}/consortium/")

    page = response.content.decode()
    assert "<h1>Consortium of CARETECH</h1>" in page
    assert '<span class="badge status-amber">Review</span>' in page
    assert (
        "On M33 · 2026-11-27 the consortium is eligible; some points need the agency's "
        "review." in page
    )
    assert (
        "13 full partners established in EU Member States or associated third countries take "
        "part on 2026-11-27; at least 8 are required." in page
    )
    assert (
        "The full partners come from 7 EU Member States or associated third countries "
        "(DE, EE, FI, LT, LV, NO, PL); at least 4 are required." in page
    )
    assert (
        "Countries taking part without both an enterprise or sector representative and a VET "
        "provider: PL. They do not count toward the type rule." in page
    )
    assert (
        "The coordinator GAUJA is established in LV, an EU Member State or associated third "
        "country." in page
    )
    assert "<strong>The minimum number of full partners</strong>" in page
    assert "Required: 8 · Found: 13" in page
    assert "13 participants counted" in page
    assert "EMAJOE, FJORDVIK, GAUJA, HOIVA, LVTDA, NEMPOLY, NORDLYS" in page


def test_the_participants_table_shows_countries_roles_and_dates(client, users, demo):
    response = _page(client, users["manager"], f"/projects/{demo.pk}/consortium/")

    page = response.content.decode()
    assert '<th scope="row">LINDENAU</th>' in page
    # LINDENAU left at the end of June 2025: the date in its project month
    assert "M16 · 2025-06-30" in page
    assert "M1 · 2024-03-01" in page
    assert 'UA<br><span class="muted">Third country not associated to the programme</span>' in page
    assert 'LV<br><span class="muted">EU Member State</span>' in page
    assert "Beneficiary (full partner)" in page
    assert "affiliated to PUAS" in page
    assert "Enterprise or other employer, Research organisation" in page
    assert (
        "<caption>Every participation of the project. Country statuses are those on 2023-06-08"
        in page
    )
    assert f'href="/projects/{demo.pk}/amendments/"' in page


def test_the_consortium_page_shows_the_verdict_over_the_projects_life(client, users, demo):
    response = _page(client, users["officer"], f"/projects/{demo.pk}/consortium/")

    page = response.content.decode()
    assert "Eligibility over the project's life" in page
    assert '<th scope="row" class="date">M1 · 2024-03-01</th>' in page
    assert "An enterprise and a VET provider in every country (Review)" in page


def test_the_rules_explanations_are_in_the_users_language(client, users, demo, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "lv"

    response = _page(client, users["manager"], f"/projects/{demo.pk}/consortium/")

    page = response.content.decode()
    assert (
        "ES dalībvalstīs vai programmā asociētās trešās valstīs reģistrēto pilntiesīgo partneru "
        "skaits 2026-11-27: 13; nepieciešamais minimums: 8." in page
    )


def test_the_consortium_page_asks_as_many_queries_for_a_bigger_consortium(
    client, users, demo, django_assert_max_num_queries
):
    url = f"/projects/{demo.pk}/consortium/"
    with time_machine.travel(NOW, tick=False):
        client.force_login(users["manager"])
        # 15: the consortium with its dated history (organisation updates, role changes), its
        # third parties and its organisations read by id.
        with django_assert_max_num_queries(15):
            assert client.get(url).status_code == 200
        _more_participants(demo, 12)
        with django_assert_max_num_queries(15):
            response = client.get(url)
    assert response.status_code == 200
    assert "EXTRA11" in response.content.decode()


# -- the list of requests ---------------------------------------------------------------------


def _request(demo, manager, *, submitted: bool, who: str = "LVTDA"):
    with time_machine.travel("2026-11-20 10:00 +01:00", tick=False):
        created = amendment_create(
            project=demo,
            user=manager,
            justification="LVTDA leaves the consortium.",
            changes=[terminate(who, "2026-12-31")],
        )
        if submitted:
            amendment_submit(request=created, user=manager)
    return created


def test_the_list_shows_drafts_only_to_managers_and_a_new_button_only_to_them(client, users, demo):
    draft = _request(demo, users["manager"], submitted=False)
    submitted = _request(demo, users["manager"], submitted=True, who="HOIVA")
    url = f"/projects/{demo.pk}/amendments/"

    mine = _page(client, users["manager"], url).content.decode()
    theirs = _page(client, users["partner_contact"], url).content.decode()

    assert f'href="/projects/{demo.pk}/amendments/{draft.pk}/">Request {draft.pk}</a>' in mine
    assert f'href="/projects/{demo.pk}/amendments/{submitted.pk}/">' in mine
    assert f'href="/projects/{demo.pk}/amendments/new/">New amendment</a>' in mine
    assert f'/amendments/{draft.pk}/"' not in theirs
    assert f'href="/projects/{demo.pk}/amendments/{submitted.pk}/">' in theirs
    assert "New amendment" not in theirs
    assert '<span class="badge status-amber">Submitted</span>' in theirs
    assert "Termination of a participation" in theirs
    # submitted on 2026-11-20, the agency decides within 45 days
    assert "M33 · 2026-11-20" in theirs
    assert "M35 · 2027-01-04" in theirs


@pytest.mark.parametrize(
    ("who", "status"),
    [("manager", 200), ("partner_contact", 200), ("officer", 200), ("stranger", 404)],
)
def test_the_list_of_requests_is_for_everyone_who_sees_the_project(
    client, users, demo, who, status
):
    response = _page(client, users[who], f"/projects/{demo.pk}/amendments/")

    assert response.status_code == status


def test_the_list_asks_as_many_queries_for_more_requests(
    client, users, demo, django_assert_max_num_queries
):
    url = f"/projects/{demo.pk}/amendments/"
    _request(demo, users["manager"], submitted=True)
    with time_machine.travel(NOW, tick=False):
        client.force_login(users["manager"])
        # 9: each request's questions of the agency too.
        with django_assert_max_num_queries(9):
            assert client.get(url).status_code == 200
    for who in ("HOIVA", "ZSTW", "NORDLYS", "PUAS"):
        _request(demo, users["manager"], submitted=False, who=who)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(9):
        response = client.get(url)
    assert response.content.decode().count("Termination of a participation") == 5
