"""The pure rules: the transition table, overdue deliverables and milestones, project months."""

import datetime

import pytest

from backend.common.dates import month_end
from backend.workplan.models import DeliverableStatus
from backend.workplan.rules import (
    TRANSITIONS,
    Step,
    achievement_date_problem,
    deliverable_is_overdue,
    milestone_is_overdue,
    months_ended_before,
    status_after,
    step_allowed,
)

day = datetime.date.fromisoformat

EXPECTED = {
    # step: {status it may start from: status it leads to}
    Step.UPLOAD_EVIDENCE: {"pending": "draft", "draft": "draft"},
    Step.DELETE_EVIDENCE: {"draft": "pending"},
    Step.SUBMIT: {"draft": "submitted"},
    Step.ACCEPT: {"submitted": "accepted"},
    Step.REQUEST_REVISION: {"submitted": "pending"},
    Step.REVISE_DUE_DATE: {"pending": "pending", "draft": "draft"},
}


def test_the_table_covers_every_step_and_only_known_statuses():
    assert set(TRANSITIONS) == set(Step)
    for transition in TRANSITIONS.values():
        assert transition.starts_from <= set(DeliverableStatus.values)
        assert transition.leads_to in (None, *DeliverableStatus.values)


@pytest.mark.parametrize("step", list(Step))
@pytest.mark.parametrize("status", DeliverableStatus.values)
def test_each_step_is_allowed_from_its_statuses_only(step, status):
    expected = EXPECTED[step]
    assert step_allowed(step, status) is (status in expected)
    if status in expected:
        assert status_after(step, status) == expected[status]
    else:
        with pytest.raises(ValueError, match=f"{step} is not allowed from '{status}'"):
            status_after(step, status)


@pytest.mark.parametrize(
    ("status", "due_on", "today", "overdue"),
    [
        ("pending", "2026-05-03", "2026-05-04", True),
        ("draft", "2026-05-03", "2026-05-04", True),
        ("pending", "2026-05-04", "2026-05-04", False),  # due today: not yet late
        ("draft", "2026-05-05", "2026-05-04", False),
        ("submitted", "2024-05-31", "2026-05-04", False),
        ("accepted", "2024-05-31", "2026-05-04", False),
    ],
)
def test_a_deliverable_is_overdue_past_its_due_date_until_submitted(status, due_on, today, overdue):
    assert deliverable_is_overdue(status, day(due_on), day(today)) is overdue


@pytest.mark.parametrize(
    ("achieved_on", "due_on", "today", "overdue"),
    [
        (None, "2024-04-30", "2024-05-01", True),
        (None, "2024-04-30", "2024-04-30", False),
        ("2024-06-15", "2024-04-30", "2024-07-01", False),
    ],
)
def test_a_milestone_is_overdue_past_its_due_date_until_achieved(
    achieved_on, due_on, today, overdue
):
    achieved = None if achieved_on is None else day(achieved_on)
    assert milestone_is_overdue(achieved, day(due_on), day(today)) is overdue


@pytest.mark.parametrize(
    ("start", "today", "months"),
    [
        ("2024-03-01", "2024-02-15", 0),
        ("2024-03-01", "2024-03-31", 0),
        ("2024-03-01", "2024-04-01", 1),
        ("2024-03-01", "2024-05-01", 2),
        ("2024-03-01", "2028-03-01", 48),
        ("2024-01-31", "2024-02-29", 1),  # month 1 ends on 2024-02-28 (2024-02-31 clamped)
    ],
)
def test_months_ended_before(start, today, months):
    assert months_ended_before(day(start), day(today)) == months


@pytest.mark.parametrize("start", ["2024-03-01", "2024-01-31", "2023-11-30"])
def test_months_ended_before_agrees_with_month_end_every_day(start):
    first = day(start)
    for offset in range(0, 800, 3):
        today = first + datetime.timedelta(days=offset)
        months = months_ended_before(first, today)
        assert months == 0 or month_end(first, months) < today
        assert month_end(first, months + 1) >= today


@pytest.mark.parametrize(
    ("achieved_on", "problem"),
    [
        ("2026-05-05", "future"),
        ("2024-02-29", "before_start"),
        ("2024-03-01", None),
        ("2026-05-04", None),
    ],
)
def test_achievement_date_problem(achieved_on, problem):
    found = achievement_date_problem(
        day(achieved_on), project_start=day("2024-03-01"), today=day("2026-05-04")
    )
    assert found == problem
