"""The dashboard's instalments by status (issue 15, point 6): counted in the statuses' order
with their one label and colour from ``backend.payments.statuses``; only red statuses (blocked,
suspended) count as held back, never "nothing due"; the portfolio's next instalment skips one
with nothing due."""

import datetime
from decimal import Decimal

import pytest

from backend.payments import statuses
from backend.payments.rules import Instalment
from monitoring.dashboard import (
    PortfolioCharts,
    StatusCount,
    instalments_by_status,
    portfolio_instalments,
)
from monitoring.summaries import next_instalment, summaries_refresh


def _item(key: str, status: str, amount: str = "100.00", period: int | None = 1) -> Instalment:
    return Instalment(
        key=key,
        kind="prefinancing" if period is None else "interim",
        period=period,
        due_on=datetime.date(2026, 1, 31),
        amount=Decimal(amount),
        uncapped_amount=Decimal(amount),
        projected_amount=Decimal(amount),
        work_packages=(),
        status=status,
        conditions=(),
        report_received_on=None,
        payment_due_on=None,
        payment_late=False,
    )


def _charts(rows: list[StatusCount]) -> PortfolioCharts:
    return PortfolioCharts(open_flags=[], deliverables=(), payments=[], instalments=rows)


def test_instalments_are_counted_by_status_in_the_statuses_order_with_their_label_and_colour():
    schedules = {
        1: [_item("prefinancing", "paid", period=None), _item("rp1", "nothing_due", "0.00")],
        2: [_item("prefinancing", "paid", period=None), _item("rp1", "blocked")],
        3: [_item("rp1", "suspended"), _item("rp2", "scheduled"), _item("rp3", "scheduled")],
    }

    rows = instalments_by_status(schedules)

    assert [(row.status, row.label, row.colour, row.count) for row in rows] == [
        ("scheduled", "Scheduled", "grey", 2),
        ("nothing_due", "Nothing due", "grey", 1),
        ("blocked", "Blocked", "red", 1),
        ("suspended", "Suspended", "red", 1),
        ("paid", "Paid", "green", 2),
    ]
    assert [row.status for row in rows] == [
        s for s in statuses.STATUSES if s in {r.status for r in rows}
    ]
    assert _charts(rows).held_back == 2


def test_nothing_due_is_never_held_back():
    rows = instalments_by_status({1: [_item("rp1", "nothing_due", "0.00")] * 3})

    assert [(row.label, row.colour, row.held_back) for row in rows] == [
        ("Nothing due", "grey", False)
    ]
    assert _charts(rows).held_back == 0


@pytest.mark.parametrize(
    ("status", "held_back"),
    [(status, statuses.status_colour(status) == "red") for status in statuses.STATUSES],
)
def test_only_the_red_statuses_are_held_back(status, held_back):
    (row,) = instalments_by_status({1: [_item("rp1", status)]})

    assert row.held_back is held_back
    assert row.held_back is (status in (statuses.BLOCKED, statuses.SUSPENDED))


def test_the_next_instalment_skips_what_is_paid_or_has_nothing_due():
    following = next_instalment(
        [
            _item("prefinancing", "paid", period=None),
            _item("rp1", "nothing_due", "0.00"),
            _item("rp2", "decision_needed", "250.00", period=2),
            _item("rp3", "scheduled", period=3),
        ]
    )

    assert (following.key, following.status, following.amount) == (
        "rp2",
        "decision_needed",
        Decimal("250.00"),
    )


def test_a_schedule_with_nothing_left_to_pay_has_no_next_instalment():
    assert next_instalment([_item("rp1", "paid"), _item("rp2", "nothing_due", "0.00")]) is None


@pytest.mark.django_db
def test_the_portfolios_instalments_are_summed_from_the_checks_tallies_in_one_query(
    users, demo, other_project, django_assert_max_num_queries
):
    now = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
    schedules = {
        demo.pk: [_item("prefinancing", "paid", period=None), _item("rp1", "blocked")],
        other_project.pk: [_item("prefinancing", "paid", period=None), _item("rp1", "suspended")],
    }
    summaries_refresh(schedules, now=now, today=now.date(), schedules=schedules, participants={})

    with django_assert_max_num_queries(1):
        mine = portfolio_instalments(user=users["officer"])
    with django_assert_max_num_queries(1):
        every = portfolio_instalments(user=users["admin"])

    assert [(row.status, row.count) for row in mine] == [("blocked", 1), ("paid", 1)]
    assert [(row.status, row.count) for row in every] == [
        ("blocked", 1),
        ("suspended", 1),
        ("paid", 2),
    ]
    assert every == instalments_by_status(schedules)
