"""Portfolio figures are summed once per change of the summaries and read back in between: an
administrator's for every project, an officer's for the projects of their portfolio (a role
given or taken away reads figures of its own at once); a cache out of reach changes nothing but
the speed."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from backend.accounts.models import ProjectRole, ProjectRoleKind
from monitoring.checks import check_projects
from monitoring.dashboard import (
    PortfolioFilters,
    portfolio_calls,
    portfolio_charts,
    portfolio_page,
)
from monitoring.everything import EVERY_PROJECT, portfolio_key
from monitoring.flags import Finding, flags_sync
from monitoring.summaries import summaries_refresh

pytestmark = pytest.mark.django_db

OVERDUE = "amendment_decision_overdue"  # a kind the checks write for neither project here


def _raise(project, name, now):
    flags_sync(
        project_ids=[project.pk],
        kinds=[OVERDUE],
        findings=[
            Finding(
                project_id=project.pk,
                kind=OVERDUE,
                severity="high",
                fingerprint=f"{OVERDUE}:{name}",
                explanation={"en": name},
            )
        ],
        now=now,
    )


def _figures(charts):
    """The charts' numbers, without the instant the current week is counted to."""
    return (
        [(week.week, week.open) for week in charts.open_flags],
        charts.deliverables,
        charts.payments,
        charts.instalments,
    )


@pytest.fixture
def checked(demo, other_project):
    now = timezone.now()
    check_projects([demo.pk, other_project.pk], now=now)
    return now


def test_an_administrators_second_load_sums_nothing(
    users, checked, django_assert_num_queries, django_assert_max_num_queries
):
    now = checked
    first = portfolio_charts(user=users["admin"], now=now)
    portfolio_calls(user=users["admin"])
    assert portfolio_page(user=users["admin"], today=None, filters=PortfolioFilters()).object_list

    with django_assert_num_queries(0):
        again = portfolio_charts(user=users["admin"], now=now + datetime.timedelta(minutes=5))
        calls = portfolio_calls(user=users["admin"])

    assert _figures(again) == _figures(first)
    assert len(calls) == 2
    assert again.open_flags[-1].as_of == now + datetime.timedelta(minutes=5)
    # The page's rows are read each time (a query per status on the page); only the counts
    # per status are kept.
    with django_assert_max_num_queries(2):
        page = portfolio_page(user=users["admin"], today=None, filters=PortfolioFilters())
        rows = page.object_list
    assert page.paginator.count == 2
    assert len(rows) == 2


def test_a_flag_raised_changes_an_administrators_figures_at_once(users, checked, demo):
    now = checked
    before = portfolio_charts(user=users["admin"], now=now)

    _raise(demo, "late", now + datetime.timedelta(minutes=1))
    after = portfolio_charts(user=users["admin"], now=now + datetime.timedelta(minutes=2))

    assert after.open_flags[-1].open == before.open_flags[-1].open + 1
    cache.clear()
    assert _figures(after) == _figures(
        portfolio_charts(user=users["admin"], now=now + datetime.timedelta(minutes=2))
    )


def test_changed_tallies_change_an_administrators_figures_at_once(users, checked, demo):
    now = checked
    before = portfolio_charts(user=users["admin"], now=now)
    today = timezone.localdate(now)

    summaries_refresh([demo.pk], now=now, today=today, schedules={demo.pk: []}, participants={})
    after = portfolio_charts(user=users["admin"], now=now)

    assert sum(row.count for row in after.instalments) < sum(
        row.count for row in before.instalments
    )


def test_an_officers_second_load_reads_only_which_projects_they_hold(
    users, checked, django_assert_num_queries
):
    officer = users["officer"]
    first = portfolio_charts(user=officer, now=checked)
    first_calls = portfolio_calls(user=officer)
    page = portfolio_page(user=officer, today=None, filters=PortfolioFilters())
    assert page.paginator.count == 1

    # One query each: the ids of the projects the officer sees, for the portfolio's key.
    with django_assert_num_queries(2):
        again = portfolio_charts(user=officer, now=checked + datetime.timedelta(minutes=5))
        calls = portfolio_calls(user=officer)

    assert _figures(again) == _figures(first)
    assert calls == first_calls == ["ERASMUS-EDU-2023-PEX-COVE"]
    assert again.open_flags[-1].as_of == checked + datetime.timedelta(minutes=5)
    cache.clear()
    assert _figures(portfolio_charts(user=officer, now=checked)) == _figures(first)


def test_a_flag_raised_changes_an_officers_figures_at_once(users, checked, demo):
    officer = users["officer"]
    before = portfolio_charts(user=officer, now=checked)

    _raise(demo, "late", checked + datetime.timedelta(minutes=1))
    after = portfolio_charts(user=officer, now=checked + datetime.timedelta(minutes=2))

    assert after.open_flags[-1].open == before.open_flags[-1].open + 1


def test_a_role_given_or_taken_away_changes_an_officers_figures_at_once(
    users, checked, demo, other_project
):
    officer = users["officer"]
    cache.set("portfolio:version", "fixed")  # no writer says anything changed meanwhile
    alone = portfolio_charts(user=officer, now=checked)
    both = portfolio_charts(user=users["admin"], now=checked)
    assert _figures(alone) != _figures(both)

    role = ProjectRole.objects.create(
        user=officer, project=other_project, role=ProjectRoleKind.OFFICER
    )
    assert _figures(portfolio_charts(user=officer, now=checked)) == _figures(both)
    assert portfolio_calls(user=officer) == portfolio_calls(user=users["admin"])
    page = portfolio_page(user=officer, today=None, filters=PortfolioFilters())
    assert page.paginator.count == 2

    role.delete()
    assert _figures(portfolio_charts(user=officer, now=checked)) == _figures(alone)
    page = portfolio_page(user=officer, today=None, filters=PortfolioFilters())
    assert [row.acronym for row in page.object_list] == [demo.acronym]


def test_officers_holding_the_same_projects_share_a_portfolio(users, demo, other_project):
    officer, other = users["officer"], users["other_officer"]
    assert portfolio_key(users["admin"]) == EVERY_PROJECT
    assert portfolio_key(officer) != portfolio_key(other)

    ProjectRole.objects.create(user=other, project=demo, role=ProjectRoleKind.OFFICER)
    ProjectRole.objects.create(user=officer, project=other_project, role=ProjectRoleKind.OFFICER)
    assert portfolio_key(officer) == portfolio_key(other)
    assert portfolio_key(users["stranger"]) not in (portfolio_key(officer), EVERY_PROJECT)


def test_with_the_cache_out_of_reach_the_figures_are_summed_and_checks_still_write(
    users, checked, demo, settings
):
    now = checked
    expected = _figures(portfolio_charts(user=users["admin"], now=now))
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }

    assert _figures(portfolio_charts(user=users["admin"], now=now)) == expected
    _raise(demo, "late", now + datetime.timedelta(minutes=1))  # writes the summary: no error
    charts = portfolio_charts(user=users["admin"], now=now + datetime.timedelta(minutes=2))
    assert charts.open_flags[-1].open == expected[0][-1][1] + 1


def test_an_administrators_kept_charts_name_the_clusters_in_each_readers_language(users, checked):
    with translation.override("en"):
        english = portfolio_charts(user=users["admin"], now=checked)
    with translation.override("lv"):
        latvian = portfolio_charts(user=users["admin"], now=checked)

    assert english.deliverables[0].name == "Teaching and learning"
    assert latvian.deliverables[0].name == "Mācīšana un mācīšanās"
    assert [c.summary for c in latvian.deliverables] == [c.summary for c in english.deliverables]
