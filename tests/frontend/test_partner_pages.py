"""The partner's pages: "my tasks" (what the user's organisations owe, and when) and the
contribution form (save a draft, lock it for the coordinator; a manager unlocks it). Each step
answers as the API does; refused input keeps what was typed and writes nothing."""

import datetime

import pytest

from backend.accounts.models import ProjectRole
from backend.reporting import services
from backend.reporting.models import Contribution, ContributionEntry
from tests.reporting.helpers import (
    AFTER_RP1,
    BRUSSELS,
    entry,
    participation,
    period,
    row_counts,
    travel,
)

pytestmark = pytest.mark.django_db

# A query bound for "my tasks" that holds whatever the number of projects and tasks.
TASKS_QUERIES = 8
TOO_LONG = "x" * 20001


def _contribution_url(project, short_name: str, number: int = 1, suffix: str = "") -> str:
    who = participation(project, short_name)
    return f"/projects/{project.pk}/reports/{number}/contributions/{who.pk}/{suffix}"


def _page(response) -> str:
    return response.content.decode()


def _section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    return page[start : page.index("</section>", start)]


# -- my tasks --------------------------------------------------------------------------------


def test_my_tasks_shows_what_the_partners_organisation_owes_and_not_another_ones(
    client, demo, users
):
    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        response = client.get("/tasks/")

    assert response.status_code == 200
    page = _page(response)
    assert "<h1>My tasks</h1>" in page
    assert "ZILEMED on CARETECH" in page
    deliverables = _section(page, "deliverables-title")
    assert "D5.4 · " in deliverables  # ZILEMED leads D5.4
    assert "M28 · 2026-06-30" in deliverables
    assert "D2.2" not in deliverables  # LVTDA's
    assert "D7.1" not in deliverables
    contributions = _section(page, "contributions-title")
    rp1 = participation(demo, "ZILEMED")
    assert f'href="/projects/{demo.pk}/reports/1/contributions/{rp1.pk}/"' in contributions
    assert f'href="/projects/{demo.pk}/reports/2/contributions/{rp1.pk}/"' in contributions
    assert "M18 · 2025-08-31" in contributions  # RP1 ended
    assert "M20 · 2025-10-30" in contributions  # its report is due
    assert "M38 · 2027-04-29" in contributions  # RP2's report, the current period's
    assert "LVTDA" not in page
    upcoming = _section(page, "upcoming-title")
    assert "M20 · 2025-10-30" in upcoming
    assert "Lock ZILEMED's contribution to the RP1 report (CARETECH)" in upcoming
    assert "D5.4" not in upcoming  # due in more than 90 days
    assert "Reports to submit" not in page


def test_my_tasks_of_another_partner_lists_its_own_deliverables(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["other_partner"])
        page = _page(client.get("/tasks/"))

    deliverables = _section(page, "deliverables-title")
    assert [code in deliverables for code in ("D2.2", "D7.1", "D5.4")] == [True, True, False]
    # D2.2 (M10) and D7.1 (M10) were due long ago and are not submitted
    assert deliverables.count(">Overdue<") == 2


def test_my_tasks_of_a_manager_shows_what_the_coordinator_owes(client, demo, users):
    services.contribution_save(
        period=period(demo),
        participation=participation(demo, "GAUJA"),
        user=users["manager"],
        entries=[entry(1)],
    )

    with travel(datetime.datetime(2025, 11, 3, 10, 0, tzinfo=BRUSSELS)):
        client.force_login(users["manager"])
        page = _page(client.get("/tasks/"))

    assert "GAUJA on CARETECH" in page
    assert "D1.3 · " in _section(page, "deliverables-title")
    contributions = _section(page, "contributions-title")
    assert ">Draft<" in contributions
    assert ">Overdue<" in contributions
    reports = _section(page, "reports-title")
    assert f'href="/projects/{demo.pk}/reports/1/"' in reports
    assert ">Overdue<" in reports


def test_my_tasks_drops_a_locked_contribution_and_a_submitted_report(client, demo, users):
    rp1, zilemed = period(demo), participation(demo, "ZILEMED")
    services.contribution_save(
        period=rp1, participation=zilemed, user=users["partner_contact"], entries=[entry(1)]
    )
    services.contribution_lock(period=rp1, participation=zilemed, user=users["partner_contact"])

    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        page = _page(client.get("/tasks/"))

    contributions = _section(page, "contributions-title")
    assert f"/reports/1/contributions/{zilemed.pk}/" not in contributions
    assert f"/reports/2/contributions/{zilemed.pk}/" in contributions


def test_my_tasks_says_so_when_the_user_acts_for_nobody(client, users):
    client.force_login(users["officer"])

    page = _page(client.get("/tasks/"))

    assert "You do not act for an organisation on any project, so nothing is due from you." in page


def test_my_tasks_reads_a_fixed_number_of_queries(
    client, demo, other_project, users, django_assert_max_num_queries
):
    partner = users["partner_contact"]
    with travel(AFTER_RP1):
        client.force_login(partner)
        with django_assert_max_num_queries(TASKS_QUERIES):
            assert client.get("/tasks/").status_code == 200

    # more projects, organisations, deliverables and contributions
    ProjectRole.objects.create(
        user=partner,
        project=other_project,
        role="partner_contact",
        participation=other_project.participations.get(short_name="ACME"),
    )
    ProjectRole.objects.create(
        user=partner, project=demo, role="manager", participation=participation(demo, "GAUJA")
    )
    with travel(AFTER_RP1):
        for short_name in ("ZILEMED", "GAUJA"):
            services.contribution_save(
                period=period(demo),
                participation=participation(demo, short_name),
                user=partner,
                entries=[entry(1)],
            )
    with travel(AFTER_RP1), django_assert_max_num_queries(TASKS_QUERIES):
        page = _page(client.get("/tasks/"))
    assert "ACME on SECOVE" in page
    assert "GAUJA on CARETECH" in page


# -- the contribution form -------------------------------------------------------------------


def test_the_partner_sees_a_form_for_each_work_package_of_the_period(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        response = client.get(_contribution_url(demo, "ZILEMED"))

    assert response.status_code == 200
    page = _page(response)
    assert "<h1>ZILEMED's contribution to the RP1 report</h1>" in page
    assert page.count("<fieldset") == 8  # WP1 to WP8 all start by M18
    assert '<label for="id_wp3_activities">Activities carried out</label>' in page
    assert "Lock for review" not in page  # nothing saved yet


def test_the_partner_saves_a_draft_and_sees_it_again(client, demo, users):
    url = _contribution_url(demo, "ZILEMED")

    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        response = client.post(
            url, {"wp3_activities": "Two modules piloted.", "wp3_outputs": "", "wp5_narrative": ""}
        )
        followed = client.get(url)

    assert response.status_code == 303
    assert response["Location"] == url
    contribution = Contribution.objects.get()
    assert (contribution.participation.short_name, contribution.status) == ("ZILEMED", "draft")
    assert list(
        ContributionEntry.objects.values_list("work_package__number", "activities", "outputs")
    ) == [(3, "Two modules piloted.", "")]
    page = _page(followed)
    assert "Your draft was saved. Lock it when it is ready for the coordinator." in page
    assert ">\nTwo modules piloted.</textarea>" in page
    assert "Lock for review" in page


def test_refused_input_keeps_the_text_and_saves_nothing(client, demo, users):
    before = row_counts()

    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        response = client.post(
            _contribution_url(demo, "ZILEMED"),
            {"wp1_activities": "Kept text.", "wp2_outputs": TOO_LONG},
        )

    assert response.status_code == 400
    page = _page(response)
    assert "The contribution was not saved: correct what is marked below." in page
    assert ">\nKept text.</textarea>" in page
    assert (
        '<ul class="errorlist" id="id_wp2_outputs_error"><li>Ensure this value has at most 20000 '
        "characters (it has 20001).</li></ul>" in page
    )
    assert 'aria-describedby="id_wp2_outputs_error"' in page
    assert row_counts() == before


def test_a_refused_input_in_latvian_is_answered_in_latvian(client, demo, users):
    before = row_counts()

    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        response = client.post(
            _contribution_url(demo, "ZILEMED"),
            {"wp1_activities": "Teksts paliek.", "wp2_outputs": TOO_LONG},
            HTTP_ACCEPT_LANGUAGE="lv",
        )

    assert response.status_code == 400
    page = _page(response)
    assert '<html lang="lv">' in page
    assert "Ieguldījums netika saglabāts: izlabojiet zemāk atzīmēto." in page
    assert 'id="id_wp2_outputs_error"' in page
    assert "Ensure this value" not in page  # Django's own messages are translated
    assert ">\nTeksts paliek.</textarea>" in page
    assert row_counts() == before


def test_locking_hands_the_contribution_over_and_makes_it_read_only(client, demo, users):
    services.contribution_save(
        period=period(demo),
        participation=participation(demo, "ZILEMED"),
        user=users["partner_contact"],
        entries=[entry(4, "Simulation lab opened.")],
    )

    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        response = client.post(_contribution_url(demo, "ZILEMED", suffix="lock/"))
        followed = client.get(response["Location"])
        again = client.post(_contribution_url(demo, "ZILEMED"), {"wp4_activities": "Changed."})

    assert response.status_code == 303
    assert Contribution.objects.get().status == "locked"
    page = _page(followed)
    assert (
        "The contribution is locked for review: the coordinator can now use it in the report."
        in page
    )
    assert "This contribution is locked for review" in page
    assert "<textarea" not in page
    assert "Simulation lab opened." in page
    assert again.status_code == 409
    assert ContributionEntry.objects.get().activities == "Simulation lab opened."


def test_locking_an_empty_contribution_is_refused(client, demo, users):
    with travel(AFTER_RP1):
        client.force_login(users["partner_contact"])
        response = client.post(_contribution_url(demo, "ZILEMED", suffix="lock/"))

    assert response.status_code == 400
    assert "Write at least one work package&#x27;s entry before locking the contribution." in (
        _page(response)
    )
    assert not Contribution.objects.exists()


def test_a_manager_reads_a_partners_draft_may_not_edit_it_and_unlocks_it_once_locked(
    client, demo, users
):
    rp1, zilemed = period(demo), participation(demo, "ZILEMED")
    services.contribution_save(
        period=rp1, participation=zilemed, user=users["partner_contact"], entries=[entry(1, "A")]
    )

    with travel(AFTER_RP1):
        client.force_login(users["manager"])
        draft = client.get(_contribution_url(demo, "ZILEMED"))
        edit = client.post(_contribution_url(demo, "ZILEMED"), {"wp1_activities": "B"})
        services.contribution_lock(period=rp1, participation=zilemed, user=users["partner_contact"])
        locked = client.get(_contribution_url(demo, "ZILEMED"))
        unlocked = client.post(_contribution_url(demo, "ZILEMED", suffix="unlock/"))

    assert draft.status_code == 200
    assert "<textarea" not in _page(draft)
    assert edit.status_code == 403
    assert "Only ZILEMED&#x27;s partner contacts" in _page(edit)
    assert ">Unlock</button>" in _page(locked)
    assert unlocked.status_code == 303
    assert Contribution.objects.get().status == "draft"
    assert ContributionEntry.objects.get().activities == "A"


def test_a_draft_is_out_of_sight_for_another_partner_and_the_officer(client, demo, users):
    services.contribution_save(
        period=period(demo),
        participation=participation(demo, "ZILEMED"),
        user=users["partner_contact"],
        entries=[entry(1)],
    )
    url = _contribution_url(demo, "ZILEMED")

    answers = {}
    for who in ("other_partner", "officer"):
        client.force_login(users[who])
        answers[who] = client.get(url).status_code

    assert answers == {"other_partner": 404, "officer": 404}


def test_the_officer_reads_a_locked_contribution(client, demo, users):
    rp1, zilemed = period(demo), participation(demo, "ZILEMED")
    services.contribution_save(
        period=rp1, participation=zilemed, user=users["partner_contact"], entries=[entry(2, "Q")]
    )
    services.contribution_lock(period=rp1, participation=zilemed, user=users["partner_contact"])
    client.force_login(users["officer"])

    response = client.get(_contribution_url(demo, "ZILEMED"))

    assert response.status_code == 200
    assert "<textarea" not in _page(response)
    assert ">Unlock</button>" not in _page(response)
