"""What is still due: the deliverables not submitted, the milestones not achieved and the
periodic reports not received, with their deadlines, for a batch of projects.

Reads for the watchers (overdue flags, reminders). Each function takes one query whatever the
number of projects and items, and returns plain data. Deadlines are computed here, never
stored twice: a deliverable's deadline in force is its ``due_on`` (the end of its due month
unless an officer revised it); a milestone is due at the end of its due month; a periodic
report 60 days after its period ends (``report_due_on``).

Suspensions and termination of the whole grant: a deadline falling in a suspension of the
project stands still. While the suspension is open the item is not due at all (neither overdue
nor reminded); once work resumed it is due the suspended days later (a deadline on the third
day of a ten-day suspension falls on the third day after it). A deadline before a suspension
or after it is not moved: an amendment of the duration or of the work plan moves those. After
the grant's termination nothing planned after its last day is due; the report of the period
the termination cuts is due 60 days after the last day, as a final report is, and the periods
starting after it are gone. Each function reads the projects' suspensions in its own query
(a join), or takes them from a caller that read them once (``project_suspensions``).
"""

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import ExtractMonth, ExtractYear

from backend.common.dates import month_end, month_start
from backend.grants.models import Participation, Project, ProjectSuspension
from backend.grants.selectors import AnyOf
from backend.reporting.models import PeriodicReport, ReportStatus, report_due_on
from backend.workplan.models import Deliverable, DeliverableStatus, Milestone, ReportingPeriod

# A deliverable in one of these statuses has not been handed to the agency.
NOT_SUBMITTED = (DeliverableStatus.PENDING, DeliverableStatus.DRAFT)

# A project's suspensions: (first day suspended, day work resumed or None while open).
Suspensions = Mapping[int, tuple[tuple[datetime.date, datetime.date | None], ...]]


def project_suspensions(project_ids: Collection[int]) -> Suspensions:
    """The suspensions of these projects, by project, in date order. One query."""
    found: dict[int, list] = defaultdict(list)
    for project_id, start, end in (
        ProjectSuspension.objects.filter(AnyOf(F("project_id"), project_ids))
        .order_by("started_on", "id")
        .values_list("project_id", "started_on", "ended_on")
    ):
        found[project_id].append((start, end))
    return {project_id: tuple(rows) for project_id, rows in found.items()}


def deadline_in_force(
    due: datetime.date, suspensions: Iterable[tuple[datetime.date, datetime.date | None]]
) -> tuple[datetime.date | None, int]:
    """A deadline with the project's suspensions: (the day it falls, the days it stood
    still); the day is None while the suspension it falls in is open. Pure."""
    for start, end in suspensions:
        if start <= due and (end is None or due < end):
            if end is None:
                return None, 0
            stood = (end - start).days
            return due + datetime.timedelta(days=stood), stood
    return due, 0


def _after_last_day(due: datetime.date, terminated_on: datetime.date | None) -> bool:
    return terminated_on is not None and due > terminated_on


_SUSPENSION_FIELDS = ("project__suspensions__started_on", "project__suspensions__ended_on")


def _project_field(name: str) -> Subquery:
    """A field of the row's project, looked up by its primary key for each row: the rows'
    query never joins the project table, which the database could read whole."""
    return Subquery(Project.objects.filter(pk=OuterRef("project_id")).order_by().values(name))


def _lead_name() -> Subquery:
    """The lead participant's short name, looked up by its primary key for each row (a join
    could read every participation to find a few names)."""
    return Subquery(
        Participation.objects.filter(pk=OuterRef("lead_id")).order_by().values("short_name")
    )


def _with_project(rows):
    return rows.annotate(
        project_start=_project_field("start_date"), project_last_day=_project_field("terminated_on")
    )


def _with_suspensions(rows, fields: tuple[str, ...], suspensions: Suspensions | None) -> list:
    """The rows' values, each row once and in order, with its project's suspensions: those
    given, else read in the same query (a join: one row per suspension)."""
    if suspensions is not None:
        return [(row, suspensions.get(row["project_id"], ())) for row in rows.values(*fields)]
    found: dict[int, tuple[dict, list]] = {}
    for row in rows.values(*fields, *_SUSPENSION_FIELDS):
        start, end = (row.pop(name) for name in _SUSPENSION_FIELDS)
        _row, own = found.setdefault(row["id"], (row, []))
        if start is not None:
            own.append((start, end))
    return list(found.values())


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
    due_on: datetime.date  # in force: moved by a suspension it fell in
    suspended_days: int = 0  # the days a suspension of the project moved it


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
    suspended_days: int = 0


@dataclass(frozen=True)
class DueReport:
    """The periodic report of a reporting period, not received yet. ``report_id`` is None
    while nobody has written to the report."""

    period_id: int
    project_id: int
    number: int
    start_month: int
    end_month: int
    period_end: datetime.date  # its last day (the grant's last day if terminated within it)
    due_on: datetime.date
    report_id: int | None
    suspended_days: int = 0


def deliverables_not_submitted(
    project_ids: Collection[int],
    *,
    due_on: Collection[datetime.date] | None = None,
    due_before: datetime.date | None = None,
    suspensions: Suspensions | None = None,
) -> list[DueDeliverable]:
    """The deliverables of these projects still Pending or Draft (a deliverable sent back for
    revision is Pending again), in project and work-plan order, with their deadlines in force;
    only those due on one of ``due_on``'s days when it is given (read with those a closed
    suspension covers, whose deadline it moved); only those whose deadline in force can fall
    before ``due_before`` when it is given (a suspension moves a deadline later, never earlier,
    so the planned date is before it too: the overdue check reads only those, not every
    deliverable of the grant still to come). One query."""
    deliverables = Deliverable.objects.filter(
        AnyOf(F("project_id"), project_ids), status__in=NOT_SUBMITTED
    )
    if due_before is not None:
        deliverables = deliverables.filter(due_on__lt=due_before)
    if due_on is not None:
        moved = ProjectSuspension.objects.filter(
            project=OuterRef("project"),
            started_on__lte=OuterRef("due_on"),
            ended_on__gt=OuterRef("due_on"),
        )
        deliverables = deliverables.filter(Q(due_on__in=list(due_on)) | Q(Exists(moved)))
    found = []
    for row, suspended in _with_suspensions(
        _with_project(deliverables)
        .annotate(lead_name=_lead_name())
        .order_by("project_id", "position", "id"),
        (
            "id",
            "project_id",
            "code",
            "title",
            "lead_id",
            "lead_name",
            "status",
            "due_month",
            "due_on",
            "project_last_day",
        ),
        suspensions,
    ):
        if _after_last_day(row["due_on"], row["project_last_day"]):
            continue
        day, stood = deadline_in_force(row["due_on"], suspended)
        if day is None or (due_on is not None and day not in due_on):
            continue
        found.append(
            DueDeliverable(
                id=row["id"],
                project_id=row["project_id"],
                code=row["code"],
                title=row["title"],
                lead_id=row["lead_id"],
                lead=row["lead_name"],
                status=row["status"],
                due_month=row["due_month"],
                due_on=day,
                suspended_days=stood,
            )
        )
    return found


def milestones_not_achieved(
    project_ids: Collection[int],
    *,
    due_before: datetime.date | None = None,
    suspensions: Suspensions | None = None,
) -> list[DueMilestone]:
    """The milestones of these projects not recorded as achieved, each due at the end of its
    due month (computed from the project's start date) or as a suspension moved it, in project
    and work-plan order; only those whose deadline can fall before ``due_before`` when it is
    given (as for ``deliverables_not_submitted``). One query."""
    milestones = _with_project(
        Milestone.objects.filter(AnyOf(F("project_id"), project_ids), achieved_on__isnull=True)
    )
    if due_before is not None:
        # A bound, not the rule: month m can have ended before ``due_before`` only if m is at
        # most the calendar months from the start's month to due_before's, the first estimate
        # of ``backend.workplan.rules.months_ended_before``, which cannot run per row here.
        # The rows it keeps are judged by the deadline in force below, as every other row is.
        milestones = milestones.alias(
            start_month_index=ExtractYear("project_start") * 12 + ExtractMonth("project_start")
        ).filter(due_month__lte=due_before.year * 12 + due_before.month - F("start_month_index"))
    rows = _with_suspensions(
        milestones.annotate(lead_name=_lead_name()).order_by("project_id", "position", "id"),
        (
            "id",
            "project_id",
            "code",
            "title",
            "lead_id",
            "lead_name",
            "due_month",
            "project_start",
            "project_last_day",
        ),
        suspensions,
    )
    found = []
    for row, suspended in rows:
        planned = month_end(row["project_start"], row["due_month"])
        if _after_last_day(planned, row["project_last_day"]):
            continue
        day, stood = deadline_in_force(planned, suspended)
        if day is None:
            continue
        found.append(
            DueMilestone(
                id=row["id"],
                project_id=row["project_id"],
                code=row["code"],
                title=row["title"],
                lead_id=row["lead_id"],
                lead=row["lead_name"],
                due_month=row["due_month"],
                due_on=day,
                suspended_days=stood,
            )
        )
    return found


def reports_not_received(
    project_ids: Collection[int], *, suspensions: Suspensions | None = None
) -> list[DueReport]:
    """The reporting periods of these projects whose periodic report the agency has not
    received: nobody has written to it yet, or it is a draft never submitted. A report counts
    as received once it was first submitted (``first_submitted_at``), even if the officer
    later sent it back for changes. In project and period order. One query."""
    project_ids = list(project_ids)  # read twice below
    # Each period's report looked up by its period (a unique index), never by a join. The
    # reports received are restricted to the projects' too: the database answers "not
    # received" with an anti-join, which would otherwise read every project's reports.
    received = PeriodicReport.objects.filter(
        AnyOf(F("project_id"), project_ids), reporting_period=OuterRef("pk")
    ).exclude(status=ReportStatus.DRAFT, first_submitted_at__isnull=True)
    report = PeriodicReport.objects.filter(reporting_period=OuterRef("pk")).order_by()
    rows = _with_suspensions(
        _with_project(ReportingPeriod.objects.filter(AnyOf(F("project_id"), project_ids)))
        .filter(~Exists(received))
        .annotate(report_id=Subquery(report.values("id")))
        .order_by("project_id", "number"),
        (
            "id",
            "project_id",
            "number",
            "start_month",
            "end_month",
            "project_start",
            "project_last_day",
            "report_id",
        ),
        suspensions,
    )
    reports = []
    for row, suspended in rows:
        start, last_day = row["project_start"], row["project_last_day"]
        if _after_last_day(month_start(start, row["start_month"]), last_day):
            continue
        period_end = month_end(start, row["end_month"])
        if last_day is not None:
            period_end = min(period_end, last_day)
        day, stood = deadline_in_force(report_due_on(period_end), suspended)
        if day is None:
            continue
        reports.append(
            DueReport(
                period_id=row["id"],
                project_id=row["project_id"],
                number=row["number"],
                start_month=row["start_month"],
                end_month=row["end_month"],
                period_end=period_end,
                due_on=day,
                report_id=row["report_id"],
                suspended_days=stood,
            )
        )
    return reports
