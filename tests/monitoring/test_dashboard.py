"""The officer's dashboard reads: the red/amber/green rule (pure), the verdict read from the
open flags, and the charts' numbers for small hand-made cases, each in a fixed number of
queries."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.payments.models import Instalment
from backend.payments.rules import prefinancing_due_on
from backend.payments.services import instalment_approve, payment_record
from backend.workplan.models import Deliverable
from monitoring.checks import check_projects
from monitoring.dashboard import (
    deliverables_by_cluster,
    open_flags_by_week,
    payments_by_month,
    week_ends,
)
from monitoring.flags import Finding, flags_sync
from monitoring.rag import (
    AMBER,
    GREEN,
    RED,
    OpenFlag,
    SeverityCounts,
    compliance,
    eligibility_verdict,
    rag_status,
)
from tests import factories

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=UTC)  # a Friday of ISO week 2026-W48
OVERDUE = "deliverable_overdue"


# -- the red/amber/green rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "flags", "eligibility", "overdue", "expected"),
    [
        ("nothing open", SeverityCounts(), "pass", 0, GREEN),
        ("low flags only", SeverityCounts(low=3), "warning", 0, GREEN),
        ("a medium flag", SeverityCounts(medium=1, low=2), "pass", 0, AMBER),
        ("a verdict to review", SeverityCounts(), "review", 0, AMBER),
        ("an overdue item", SeverityCounts(low=1), "pass", 1, AMBER),
        ("a high flag", SeverityCounts(high=1, medium=4), "review", 2, RED),
        ("a critical flag", SeverityCounts(critical=1), "pass", 0, RED),
        ("a breach without its flag counted", SeverityCounts(), "breach", 0, RED),
    ],
)
def test_the_status_is_red_amber_or_green_by_the_rule(_case, flags, eligibility, overdue, expected):
    assert rag_status(flags, eligibility, overdue) == expected


def test_the_verdict_is_read_from_the_open_eligibility_flags():
    assert eligibility_verdict([]) == "pass"
    assert eligibility_verdict([OpenFlag("eligibility_review", "low")]) == "warning"
    assert eligibility_verdict([OpenFlag("eligibility_review", "medium")]) == "review"
    assert (
        eligibility_verdict(
            [OpenFlag("eligibility_review", "medium"), OpenFlag("eligibility_breach", "critical")]
        )
        == "breach"
    )
    # a breach that recorded changes will cause later is not today's verdict
    assert eligibility_verdict([OpenFlag("breach_scheduled", "high")]) == "pass"


def test_a_projects_compliance_sums_its_open_flags():
    found = compliance(
        [
            OpenFlag("milestone_overdue", "low", count=2),
            OpenFlag("report_overdue", "high"),
            OpenFlag("instalment_ready", "low"),
            OpenFlag("eligibility_review", "medium"),
        ]
    )

    assert found.flags == SeverityCounts(critical=0, high=1, medium=1, low=3)
    assert found.flags.total == 5
    assert found.overdue == 3
    assert found.eligibility == "review"
    assert found.status == RED


# -- open flags over time -----------------------------------------------------------------------


def _sync(project, names, now):
    """The open overdue flags of the project at ``now`` are exactly ``names``."""
    flags_sync(
        project_ids=[project.pk],
        kinds=[OVERDUE],
        findings=[
            Finding(
                project_id=project.pk,
                kind=OVERDUE,
                severity="medium",
                fingerprint=f"{OVERDUE}:{name}",
                explanation={"en": name},
            )
            for name in names
        ],
        now=now,
    )


def _at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def flag_history(demo, other_project):
    """On the demo: E open for two days of W44; A from W45 to W47; B from W46; D raised in the
    last hour of W46 (Sunday 23:30 in Brussels); C from W48. On the other project: X from W45."""
    _sync(demo, ["E"], _at("2026-10-27 09:00"))
    _sync(demo, [], _at("2026-10-29 09:00"))
    _sync(demo, ["A"], _at("2026-11-02 09:00"))
    _sync(other_project, ["X"], _at("2026-11-02 09:00"))
    _sync(demo, ["A", "B"], _at("2026-11-10 09:00"))
    _sync(demo, ["A", "B", "D"], _at("2026-11-15 22:30"))
    _sync(demo, ["B", "D"], _at("2026-11-18 09:00"))
    _sync(demo, ["B", "D", "C"], _at("2026-11-25 09:00"))


def test_the_last_26_weeks_end_on_mondays_in_brussels_and_the_current_one_now():
    ends = week_ends(NOW)

    assert len(ends) == 26
    assert ends[0][0] == "2026-W23"
    assert ends[-2] == (
        "2026-W47",
        datetime.datetime(2026, 11, 22, 23, 0, tzinfo=UTC),  # Monday 00:00 in Brussels
        datetime.date(2026, 11, 22),
    )
    assert ends[-1] == ("2026-W48", NOW, datetime.date(2026, 11, 27))


def test_open_flags_are_counted_at_the_end_of_each_week_of_the_officers_projects(
    users, flag_history, django_assert_num_queries
):
    with django_assert_num_queries(1):
        weeks = open_flags_by_week(user=users["officer"], now=NOW)

    assert [week.week for week in weeks[-5:]] == [
        "2026-W44",
        "2026-W45",
        "2026-W46",
        "2026-W47",
        "2026-W48",
    ]
    assert [week.open for week in weeks] == [0] * 21 + [0, 1, 3, 2, 3]


def test_an_administrator_counts_the_flags_of_every_project(users, flag_history):
    weeks = open_flags_by_week(user=users["admin"], now=NOW)

    assert [week.open for week in weeks[-5:]] == [0, 2, 4, 3, 4]


def test_an_administrators_weeks_gone_by_are_counted_once_and_the_current_week_each_load(
    users, flag_history, demo
):
    first = open_flags_by_week(user=users["admin"], now=NOW)
    _sync(demo, ["B", "D", "C", "F"], _at("2026-11-27 08:00"))  # F raised this week

    with CaptureQueriesContext(connection) as queries:
        again = open_flags_by_week(user=users["admin"], now=NOW)

    # One query, counting the current week alone: the 25 weeks gone by come from the cache.
    assert len(queries) == 1
    assert queries[0]["sql"].count("FILTER") == 1
    assert [week.open for week in again[:-1]] == [week.open for week in first[:-1]]
    assert (first[-1].open, again[-1].open) == (4, 5)


def test_an_administrators_kept_weeks_are_what_counting_them_gives(users, flag_history):
    open_flags_by_week(user=users["admin"], now=NOW)  # keeps the weeks gone by
    kept = open_flags_by_week(user=users["admin"], now=NOW)
    cache.clear()

    assert kept == open_flags_by_week(user=users["admin"], now=NOW)


def test_an_officers_weeks_are_counted_on_each_load(users, flag_history, demo):
    open_flags_by_week(user=users["officer"], now=NOW)

    with CaptureQueriesContext(connection) as queries:
        open_flags_by_week(user=users["officer"], now=NOW)

    # An officer's portfolio changes with their roles: nothing of it is kept.
    assert queries[0]["sql"].count("FILTER") == 26


def test_the_count_of_open_flags_does_not_grow_with_the_flags(
    users, flag_history, demo, django_assert_num_queries
):
    _sync(demo, [f"more-{n}" for n in range(40)], _at("2026-11-26 09:00"))

    with django_assert_num_queries(1):
        weeks = open_flags_by_week(user=users["officer"], now=NOW)

    assert weeks[-1].open == 40


# -- deliverables per cluster -------------------------------------------------------------------


def test_deliverables_are_counted_by_status_in_each_cluster_of_the_portfolio(
    users, demo, other_project, django_assert_max_num_queries
):
    deliverable = Deliverable.objects.filter(project=demo).order_by("position").first()
    clusters = set(deliverable.work_package.clusters.values_list("code", flat=True))
    Deliverable.objects.filter(pk=deliverable.pk).update(
        status="submitted", delivered_on=datetime.date(2024, 5, 1)
    )
    check_projects([demo.pk, other_project.pk], now=NOW)

    # Sums of the progress the checks wrote: the clusters, then one grouped sum.
    with django_assert_max_num_queries(2):
        found = deliverables_by_cluster(user=users["officer"], today=NOW.date())

    assert [cluster.code for cluster in found] == [
        "teaching_learning",
        "cooperation_partnership",
        "governance_funding",
    ]
    for cluster in found:
        counts = cluster.summary.deliverables
        in_cluster = Deliverable.objects.filter(
            project=demo, work_package__clusters__code=cluster.code
        )
        assert counts.total == in_cluster.count() > 0
        assert counts.submitted == (1 if cluster.code in clusters else 0)
        assert counts.pending == counts.total - counts.submitted
    # the other project's deliverables are not the officer's
    other = deliverables_by_cluster(user=users["other_officer"], today=NOW.date())
    assert other[0].summary.deliverables.total == (
        Deliverable.objects.filter(
            project=other_project, work_package__clusters__code="teaching_learning"
        ).count()
    )


# -- payments against the schedule --------------------------------------------------------------


def test_payments_are_set_against_what_the_schedule_made_due_month_by_month(
    users, demo, django_assert_max_num_queries
):
    officer = users["officer"]
    due_on = prefinancing_due_on(demo.signed_on, demo.start_date)
    with time_machine.travel(datetime.datetime(2024, 3, 1, 9, 0, tzinfo=UTC), tick=False):
        instalment_approve(project=demo, key="prefinancing", user=officer)
    amount = Instalment.objects.get(project=demo, key="prefinancing").amount_eur
    with time_machine.travel(datetime.datetime(2024, 4, 5, 9, 0, tzinfo=UTC), tick=False):
        payment_record(
            project=demo,
            key="prefinancing",
            user=factories.officer_of(demo, "po2"),
            amount=amount,
            paid_on=datetime.date(2024, 4, 5),
            reference="PF-1",
        )

    check_projects([demo.pk], now=NOW)

    # The schedules' tallies the check wrote, summed by month, and the payments.
    with django_assert_max_num_queries(2):
        months = payments_by_month(user=officer, today=datetime.date(2026, 11, 27))

    first = due_on.replace(day=1)
    assert months[0].month == first.strftime("%Y-%m")
    assert months[-1].month == "2026-11"
    by_month = {month.month: month for month in months}
    assert by_month[first.strftime("%Y-%m")].due == amount
    assert by_month["2024-03"].paid == Decimal("0.00")
    assert by_month["2024-04"].paid == amount
    # RP1's interim payment is blocked at EUR 0: nothing more fell due
    assert (months[-1].due, months[-1].paid) == (amount, amount)
    assert isinstance(amount, Decimal)
    # another officer's portfolio holds none of it (its own pre-financing is not paid)
    other = payments_by_month(user=users["other_officer"], today=datetime.date(2026, 11, 27))
    assert [month.paid for month in other] == [Decimal("0.00")] * len(other)


def test_payments_need_a_fixed_number_of_queries_whatever_the_portfolio(
    users, demo, other_project, django_assert_max_num_queries
):
    check_projects([demo.pk, other_project.pk], now=timezone.now())
    with django_assert_max_num_queries(2) as one:
        payments_by_month(user=users["officer"], today=timezone.now().date())
    with django_assert_max_num_queries(len(one.captured_queries)):
        payments_by_month(user=users["admin"], today=timezone.now().date())
