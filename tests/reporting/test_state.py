"""A report's state (``backend.reporting.state``), which the report API and the report page both
show: its deadline and lateness, what blocks its submission, and the steps the user may take."""

import datetime

import pytest
from django.utils import timezone

from backend.common.dates import brussels_today
from backend.reporting import services
from backend.reporting.selectors import report_detail
from backend.reporting.state import report_state
from tests.reporting.helpers import BRUSSELS, period, ready_to_submit, travel

pytestmark = pytest.mark.django_db


def _state(project, user):
    rp1 = period(project, 1)
    detail = report_detail(user=user, period=rp1, today=brussels_today())
    return report_state(user=user, detail=detail, now=timezone.now())


def test_a_report_nobody_wrote_is_the_managers_to_compose_with_its_blockers(grant, grant_users):
    with travel():
        manager = _state(grant, grant_users["manager"])
        officer = _state(grant, grant_users["officer"])

    assert manager.status == "not_started"
    assert (manager.due_on, manager.overdue, manager.editable) == (
        datetime.date(2025, 10, 30),
        False,
        True,
    )
    assert "technical_part_missing" in [blocker.code for blocker in manager.blockers]
    assert (manager.actions.compose, manager.actions.review) == (True, False)
    # Everyone who sees the report sees what blocks it; only the managers may act on it.
    assert officer.blockers == manager.blockers
    assert officer.actions.any is False


def test_a_submitted_report_is_the_officers_to_review_and_blocks_nothing(grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        services.report_submit(period=period(grant, 1), user=grant_users["manager"])
        manager = _state(grant, grant_users["manager"])
        officer = _state(grant, grant_users["officer"])
        admin = _state(grant, grant_users["admin"])

    assert (officer.status, officer.editable, officer.blockers) == ("submitted", False, [])
    assert (officer.actions.compose, officer.actions.review) == (False, True)
    assert manager.actions.any is False
    assert (admin.actions.compose, admin.actions.review) == (False, True)


def test_a_report_never_submitted_is_late_the_day_after_its_due_date(grant, grant_users):
    with travel(datetime.datetime(2025, 10, 30, 23, 59, tzinfo=BRUSSELS)):
        on_due_day = _state(grant, grant_users["officer"])
    with travel(datetime.datetime(2025, 10, 31, 0, 0, tzinfo=BRUSSELS)):
        day_after = _state(grant, grant_users["officer"])

    assert (on_due_day.overdue, day_after.overdue) == (False, True)
