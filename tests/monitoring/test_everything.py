"""An administrator's portfolio figures are summed once per change of the summaries and read
back in between; an officer's are summed on every load; a cache out of reach changes nothing
but the speed."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone, translation

from monitoring.checks import check_projects
from monitoring.dashboard import (
    PortfolioFilters,
    portfolio_calls,
    portfolio_charts,
    portfolio_page,
)
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


def test_an_officers_figures_are_summed_on_every_load(users, checked, demo):
    now = checked
    cache.set("portfolio:version", "fixed")
    before = portfolio_charts(user=users["officer"], now=now)
    _raise(demo, "late", now + datetime.timedelta(minutes=1))
    cache.set("portfolio:version", "fixed")  # as if no writer had said the figures changed

    after = portfolio_charts(user=users["officer"], now=now + datetime.timedelta(minutes=2))

    assert after.open_flags[-1].open == before.open_flags[-1].open + 1


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
