"""A period's report as it stands for one user: its deadline and whether it is late, what blocks
its submission, and what the user may do with it now. The API's report and the report page
both read it here, so that they cannot tell two stories.

Plain data, read from what ``selectors.report_detail`` loaded; the permissions are the
``can_*`` checks of ``permissions.py``.
"""

import datetime
from dataclasses import dataclass

from backend.workplan.models import ReportingPeriod

from .models import PeriodicReport, ReportStatus
from .permissions import can_compose_report, can_review_report
from .rules import Blocker, report_overdue, submission_blockers
from .selectors import NOT_STARTED, ReportDetail, period_due_on, report_of


@dataclass(frozen=True)
class Lateness:
    """The report's deadline (60 days after its period ends) and whether it has passed (end of
    day, Brussels) with the report never submitted."""

    due_on: datetime.date
    overdue: bool


def report_lateness(period: ReportingPeriod, now: datetime.datetime) -> Lateness:
    report = report_of(period)
    due_on = period_due_on(period)
    return Lateness(
        due_on=due_on, overdue=report_overdue(due_on, report and report.first_submitted_at, now)
    )


@dataclass(frozen=True)
class ReportActions:
    """What the user may do with the report now: ``compose`` (write the technical part, declare
    the status of work packages, justify late deliverables, submit) while it can still change;
    ``review`` (approve, or request changes) once it is submitted."""

    compose: bool
    review: bool

    @property
    def any(self) -> bool:
        return self.compose or self.review


def report_actions(
    *, user, period: ReportingPeriod, report: PeriodicReport | None
) -> ReportActions:
    """The steps the report's status allows and the user may take (``can_compose_report``,
    ``can_review_report``); a check is asked only where the status allows the step."""
    editable = report is None or report.is_editable
    submitted = report is not None and report.status == ReportStatus.SUBMITTED
    return ReportActions(
        compose=editable and can_compose_report(user, period.project)[0],
        review=submitted and can_review_report(user, period.project)[0],
    )


@dataclass(frozen=True)
class ReportState:
    """A period's report as it stands for a user."""

    status: str  # "not_started" while nobody wrote to it, else the report's status
    lateness: Lateness
    # The consortium may still change it (not started, a draft, or changes requested).
    editable: bool
    # What stops its submission today, in a fixed order; none once it is submitted.
    blockers: list[Blocker]
    actions: ReportActions

    @property
    def due_on(self) -> datetime.date:
        return self.lateness.due_on

    @property
    def overdue(self) -> bool:
        return self.lateness.overdue


def report_state(*, user, detail: ReportDetail, now: datetime.datetime) -> ReportState:
    """The state of the report ``detail`` holds (read for ``detail.today``), for ``user``."""
    report = detail.report
    editable = report is None or report.is_editable
    return ReportState(
        status=NOT_STARTED if report is None else report.status,
        lateness=report_lateness(detail.period, now),
        editable=editable,
        blockers=submission_blockers(detail.state.facts(), detail.today) if editable else [],
        actions=report_actions(user=user, period=detail.period, report=report),
    )
