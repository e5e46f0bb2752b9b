"""Reads for the people who write the reports: what a user's organisations owe, and when ("my
tasks"); a project's reports with what blocks each one; a period's report with every
participant's contribution; one contribution with the work packages it can speak of. Each
reads a fixed number of queries, whatever the number of projects, deliverables or
contributions.

What an organisation owes (its partner contacts see it; a project manager acts for the
coordinator and sees what the coordinator owes):

- the deliverables it leads that are not submitted yet (Pending or Draft), each with its
  deadline in force and whether it is overdue (``workplan.rules.deliverable_is_overdue``);
- its contribution to the report of every period that has started (the current one and those
  that ended) while that report can still change and the contribution is not locked, due by
  the report's deadline (60 days after the period ends);
- for a manager, the report itself of every such period, until it is submitted.

Upcoming deadlines are the tasks whose deadline falls within the next ``UPCOMING_DAYS`` days.
"""

import datetime
from dataclasses import dataclass, field

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.accounts.permissions import project_access
from backend.common.dates import brussels_today
from backend.grants.models import Participation, Project
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage
from backend.workplan.rules import NOT_SUBMITTED, deliverable_is_overdue

from .models import (
    EDITABLE_REPORT_STATUSES,
    Contribution,
    ContributionStatus,
    PeriodicReport,
)
from .permissions import writes_for
from .rules import Blocker, submission_blockers
from .selectors import (
    NOT_STARTED,
    ContributionView,
    ReportDetail,
    contribution_get,
    period_state,
    report_detail,
    report_list,
    report_of,
)
from .state import report_lateness

UPCOMING_DAYS = 90

DELIVERABLE = "deliverable"
CONTRIBUTION = "contribution"
REPORT = "report"


@dataclass(frozen=True)
class DeliverableTask:
    """A deliverable the organisation leads, not submitted yet."""

    project: Project
    participant: str
    deliverable_id: int
    code: str
    title: str
    status: str
    due_month: int
    due_on: datetime.date
    overdue: bool
    kind: str = DELIVERABLE


@dataclass(frozen=True)
class ContributionTask:
    """The organisation's contribution to a period's report, to write (``not_started``) or to
    finish and lock (``draft``)."""

    project: Project
    participation_id: int
    participant: str
    period_number: int
    start_month: int
    end_month: int
    period_end: datetime.date
    due_on: datetime.date  # the report's deadline
    status: str
    period_ended: bool
    overdue: bool
    kind: str = CONTRIBUTION


@dataclass(frozen=True)
class ReportTask:
    """A period's report the coordinator still has to submit (managers only)."""

    project: Project
    period_number: int
    start_month: int
    end_month: int
    period_end: datetime.date
    due_on: datetime.date
    status: str  # not_started, draft or changes_requested
    period_ended: bool
    overdue: bool
    kind: str = REPORT


@dataclass
class Tasks:
    today: datetime.date
    # The participations the user acts for (a manager: the coordinator), by project.
    organisations: list[Participation] = field(default_factory=list)
    deliverables: list[DeliverableTask] = field(default_factory=list)
    contributions: list[ContributionTask] = field(default_factory=list)
    reports: list[ReportTask] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.deliverables or self.contributions or self.reports)

    @property
    def upcoming(self) -> list[DeliverableTask | ContributionTask | ReportTask]:
        """Every task due from today to ``UPCOMING_DAYS`` days ahead, soonest first."""
        horizon = self.today + datetime.timedelta(days=UPCOMING_DAYS)
        tasks = [*self.deliverables, *self.contributions, *self.reports]
        return sorted(
            (task for task in tasks if self.today <= task.due_on <= horizon),
            key=lambda task: (task.due_on, task.project.acronym, task.kind),
        )


def _active_during(participation: Participation, start: datetime.date, end: datetime.date):
    return participation.joined_on <= end and (
        participation.left_on is None or participation.left_on >= start
    )


def user_tasks(*, user, now: datetime.datetime) -> Tasks:
    """What the organisations the user acts for owe on each of their projects, and when. Five
    queries (one for a user who acts for nobody)."""
    today = brussels_today(now)
    tasks = Tasks(today=today)
    if not user.is_authenticated:
        return tasks
    roles = list(
        ProjectRole.objects.filter(
            user_id=user.pk,
            role__in=(ProjectRoleKind.PARTNER_CONTACT, ProjectRoleKind.MANAGER),
            participation__isnull=False,
        ).values_list("role", "project_id", "participation_id")
    )
    if not roles:
        return tasks
    managed = {project_id for role, project_id, _ in roles if role == ProjectRoleKind.MANAGER}
    participations = list(
        Participation.objects.filter(pk__in={pid for _, _, pid in roles})
        .select_related("project")
        .order_by("project__acronym", "project_id", "position", "id")
    )
    tasks.organisations = participations
    tasks.deliverables = _deliverable_tasks(participations, today)
    periods = _started_periods(participations, today)
    contribution_status = {
        (period_id, participation_id): status
        for period_id, participation_id, status in _contribution_rows(
            periods, [participation.pk for participation in participations]
        )
    }
    for period in periods:
        report = report_of(period)
        if report is not None and report.status not in EDITABLE_REPORT_STATUSES:
            continue
        tasks.contributions.extend(
            _contribution_tasks(period, participations, contribution_status, now=now)
        )
        if period.project_id in managed:
            tasks.reports.append(_report_task(period, now=now))
    tasks.contributions.sort(key=lambda task: (task.due_on, task.project.acronym))
    tasks.reports.sort(key=lambda task: (task.due_on, task.project.acronym))
    return tasks


def _deliverable_tasks(
    participations: list[Participation], today: datetime.date
) -> list[DeliverableTask]:
    """The deliverables these participations lead that are not submitted yet; one query."""
    by_id = {participation.pk: participation for participation in participations}
    tasks = []
    for row in (
        Deliverable.objects.filter(lead_id__in=list(by_id), status__in=NOT_SUBMITTED)
        .order_by("due_on", "position", "id")
        .values("id", "lead_id", "code", "title", "status", "due_month", "due_on")
    ):
        lead = by_id[row["lead_id"]]
        tasks.append(
            DeliverableTask(
                project=lead.project,
                participant=lead.short_name,
                deliverable_id=row["id"],
                code=row["code"],
                title=row["title"],
                status=row["status"],
                due_month=row["due_month"],
                due_on=row["due_on"],
                overdue=deliverable_is_overdue(row["status"], row["due_on"], today),
            )
        )
    return tasks


def _started_periods(
    participations: list[Participation], today: datetime.date
) -> list[ReportingPeriod]:
    """The reporting periods of the participations' projects that have started, with their
    reports; one query."""
    project_ids = {participation.project_id for participation in participations}
    return [
        period
        for period in ReportingPeriod.objects.filter(project_id__in=list(project_ids))
        .select_related("project", "report")
        .order_by("project_id", "number")
        if period.start_date <= today
    ]


def _contribution_tasks(
    period: ReportingPeriod,
    participations: list[Participation],
    contribution_status: dict[tuple[int, int], str],
    *,
    now: datetime.datetime,
) -> list[ContributionTask]:
    """The contributions to the period's report still to write or lock, of the participations
    of its project active during the period."""
    today = brussels_today(now)
    period_end = period.end_date
    lateness = report_lateness(period, now)
    due_on, overdue = lateness.due_on, lateness.overdue
    tasks = []
    for participation in participations:
        if participation.project_id != period.project_id or not _active_during(
            participation, period.start_date, period_end
        ):
            continue
        status = contribution_status.get((period.pk, participation.pk), NOT_STARTED)
        if status == ContributionStatus.LOCKED:
            continue
        tasks.append(
            ContributionTask(
                project=period.project,
                participation_id=participation.pk,
                participant=participation.short_name,
                period_number=period.number,
                start_month=period.start_month,
                end_month=period.end_month,
                period_end=period_end,
                due_on=due_on,
                status=status,
                period_ended=period_end < today,
                overdue=overdue,
            )
        )
    return tasks


def _report_task(period: ReportingPeriod, *, now: datetime.datetime) -> ReportTask:
    """The period's report, for the project's managers to submit."""
    report = report_of(period)
    lateness = report_lateness(period, now)
    due_on, overdue = lateness.due_on, lateness.overdue
    return ReportTask(
        project=period.project,
        period_number=period.number,
        start_month=period.start_month,
        end_month=period.end_month,
        period_end=period.end_date,
        due_on=due_on,
        status=NOT_STARTED if report is None else report.status,
        period_ended=period.end_date < brussels_today(now),
        overdue=overdue,
    )


def _contribution_rows(periods: list[ReportingPeriod], participation_ids: list[int]):
    """(period id, participation id, status) of the participations' contributions to the
    periods' reports; one query (none without periods)."""
    if not periods or not participation_ids:
        return []
    return Contribution.objects.filter(
        report__reporting_period_id__in=[period.pk for period in periods],
        participation_id__in=participation_ids,
    ).values_list("report__reporting_period_id", "participation_id", "status")


# -- a period's report, with every participant's contribution --------------------------------


@dataclass(frozen=True)
class ContributionRow:
    """A participant's line in the report's list of contributions. ``contribution`` is None
    while nothing was written; ``visible`` says whether the user may open it; ``own`` whether
    the user writes it (their organisation, or the coordinator for a manager)."""

    participation: Participation
    contribution: object | None
    visible: bool
    own: bool

    @property
    def status(self) -> str:
        return NOT_STARTED if self.contribution is None else self.contribution.status


@dataclass
class ReportPage:
    detail: ReportDetail
    contributions: list[ContributionRow]
    # Sees every participant's contribution, drafts included (managers and administrators).
    sees_all: bool

    @property
    def report(self) -> PeriodicReport | None:
        return self.detail.report


def report_page(*, user, period: ReportingPeriod, today: datetime.date) -> ReportPage:
    """A period's report as the user sees it (``report_detail``) with one line per
    participant: the contributions the user may see and, while the report can still change,
    the user's own organisations' and (for managers and administrators) every participant
    active in the period. A fixed number of queries."""
    detail = report_detail(user=user, period=period, today=today)
    access = project_access(user, period.project_id)
    sees_all = access.admin or access.manager
    open_ = detail.report is None or detail.report.is_editable
    written = {contribution.participation_id: contribution for contribution in detail.contributions}
    rows = []
    for participation in Participation.objects.filter(project_id=period.project_id).order_by(
        "position", "id"
    ):
        contribution = written.get(participation.pk)
        own = writes_for(access, participation)
        active = _active_during(participation, period.start_date, period.end_date)
        if contribution is None and not (open_ and ((sees_all and active) or own)):
            continue
        rows.append(
            ContributionRow(
                participation=participation,
                contribution=contribution,
                # Written and visible (``report_detail`` lists only those), or the user's own.
                visible=contribution is not None or own or access.admin,
                own=own or access.admin,
            )
        )
    return ReportPage(detail=detail, contributions=rows, sees_all=sees_all)


# -- one contribution ---------------------------------------------------------------------------


@dataclass
class ContributionPage:
    view: ContributionView
    report: PeriodicReport | None
    # The work packages the contribution can speak of: started by the period's end, or already
    # written about.
    work_packages: list[WorkPackage]

    @property
    def entries(self) -> dict[int, object]:
        """The written entries by work package number."""
        if self.view.contribution is None:
            return {}
        return {entry.work_package.number: entry for entry in self.view.contribution.entries.all()}


def contribution_page(
    *, user, period: ReportingPeriod, participation: Participation
) -> ContributionPage | None:
    """A participation's contribution with the work packages of its form, or None if the user
    may not see it (``contribution_get``). A fixed number of queries."""
    view = contribution_get(user=user, period=period, participation=participation)
    if view is None:
        return None
    written = (
        set()
        if view.contribution is None
        else {entry.work_package_id for entry in view.contribution.entries.all()}
    )
    work_packages = [
        work_package
        for work_package in WorkPackage.objects.filter(project_id=period.project_id).order_by(
            "number"
        )
        if work_package.start_month <= period.end_month or work_package.pk in written
    ]
    return ContributionPage(view=view, report=report_of(period), work_packages=work_packages)


# -- a project's reports, with what blocks each one's submission ------------------------------


@dataclass(frozen=True)
class ReportRow:
    period: ReportingPeriod
    report: PeriodicReport | None
    due_on: datetime.date
    overdue: bool
    # What stops the submission today; only for a period that has started and whose report can
    # still change (a later period's report waits for its period anyway).
    blockers: list[Blocker]

    @property
    def status(self) -> str:
        return NOT_STARTED if self.report is None else self.report.status


def report_rows(*, project: Project, now: datetime.datetime) -> list[ReportRow]:
    """Every reporting period of a visible project with its report's status, deadline and
    blockers. Seven queries for each period that has started and whose report can still
    change (``period_state``), one for the rest; a project has a handful of periods."""
    today = brussels_today(now)
    rows = []
    for period in report_list(project=project):
        report = report_of(period)
        lateness = report_lateness(period, now)
        blockers: list[Blocker] = []
        if period.start_date <= today and (report is None or report.is_editable):
            state = period_state(period=period, report=report)
            blockers = submission_blockers(state.facts(), today)
        rows.append(
            ReportRow(
                period=period,
                report=report,
                due_on=lateness.due_on,
                overdue=lateness.overdue,
                blockers=blockers,
            )
        )
    return rows
