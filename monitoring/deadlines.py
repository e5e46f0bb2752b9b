"""What is still due: the deliverables not submitted, the milestones not achieved and the
periodic reports not received, with their deadlines, for a batch of projects.

Reads for the watchers (overdue flags, reminders). Each function takes one query whatever the
number of projects and items, and returns plain data. Deadlines are computed here, never
stored twice: a deliverable's deadline in force is its ``due_on`` (the end of its due month
unless an officer revised it); a milestone is due at the end of its due month; a periodic
report 60 days after its period ends (``report_due_on``).
"""

import datetime
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Q

from backend.common.dates import month_end
from backend.reporting.models import ReportStatus, report_due_on
from backend.workplan.models import Deliverable, DeliverableStatus, Milestone, ReportingPeriod

# A deliverable in one of these statuses has not been handed to the agency.
NOT_SUBMITTED = (DeliverableStatus.PENDING, DeliverableStatus.DRAFT)


@dataclass(frozen=True)
class DueDeliverable:
    id: int
    project_id: int
    code: str
    title: str
    lead_id: int
    lead: str  # the lead participant's short name
    status: str
    due_month: int
    due_on: datetime.date


@dataclass(frozen=True)
class DueMilestone:
    id: int
    project_id: int
    code: str
    title: str
    lead_id: int
    lead: str
    due_month: int
    due_on: datetime.date


@dataclass(frozen=True)
class DueReport:
    """The periodic report of a reporting period, not received yet. ``report_id`` is None
    while nobody has written to the report."""

    period_id: int
    project_id: int
    number: int
    start_month: int
    end_month: int
    period_end: datetime.date
    due_on: datetime.date
    report_id: int | None


def deliverables_not_submitted(
    project_ids: Collection[int], *, due_on: Collection[datetime.date] | None = None
) -> list[DueDeliverable]:
    """The deliverables of these projects still Pending or Draft (a deliverable sent back for
    revision is Pending again), in project and work-plan order; only those due on one of
    ``due_on``'s days when it is given. One query."""
    deliverables = Deliverable.objects.filter(
        project_id__in=list(project_ids), status__in=NOT_SUBMITTED
    )
    if due_on is not None:
        deliverables = deliverables.filter(due_on__in=list(due_on))
    return [
        DueDeliverable(
            id=row["id"],
            project_id=row["project_id"],
            code=row["code"],
            title=row["title"],
            lead_id=row["lead_id"],
            lead=row["lead__short_name"],
            status=row["status"],
            due_month=row["due_month"],
            due_on=row["due_on"],
        )
        for row in deliverables.order_by("project_id", "position", "id").values(
            "id",
            "project_id",
            "code",
            "title",
            "lead_id",
            "lead__short_name",
            "status",
            "due_month",
            "due_on",
        )
    ]


def milestones_not_achieved(project_ids: Collection[int]) -> list[DueMilestone]:
    """The milestones of these projects not recorded as achieved, each due at the end of its
    due month (computed from the project's start date), in project and work-plan order. One
    query."""
    rows = (
        Milestone.objects.filter(project_id__in=list(project_ids), achieved_on__isnull=True)
        .order_by("project_id", "position", "id")
        .values(
            "id",
            "project_id",
            "code",
            "title",
            "lead_id",
            "lead__short_name",
            "due_month",
            "project__start_date",
        )
    )
    return [
        DueMilestone(
            id=row["id"],
            project_id=row["project_id"],
            code=row["code"],
            title=row["title"],
            lead_id=row["lead_id"],
            lead=row["lead__short_name"],
            due_month=row["due_month"],
            due_on=month_end(row["project__start_date"], row["due_month"]),
        )
        for row in rows
    ]


def reports_not_received(project_ids: Collection[int]) -> list[DueReport]:
    """The reporting periods of these projects whose periodic report the agency has not
    received: nobody has written to it yet, or it is a draft never submitted. A report counts
    as received once it was first submitted (``first_submitted_at``), even if the officer
    later sent it back for changes. In project and period order. One query."""
    rows = (
        ReportingPeriod.objects.filter(project_id__in=list(project_ids))
        .filter(
            Q(report__isnull=True)
            | Q(report__status=ReportStatus.DRAFT, report__first_submitted_at__isnull=True)
        )
        .order_by("project_id", "number")
        .values(
            "id",
            "project_id",
            "number",
            "start_month",
            "end_month",
            "project__start_date",
            "report__id",
        )
    )
    reports = []
    for row in rows:
        period_end = month_end(row["project__start_date"], row["end_month"])
        reports.append(
            DueReport(
                period_id=row["id"],
                project_id=row["project_id"],
                number=row["number"],
                start_month=row["start_month"],
                end_month=row["end_month"],
                period_end=period_end,
                due_on=report_due_on(period_end),
                report_id=row["report__id"],
            )
        )
    return reports
