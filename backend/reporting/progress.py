"""How far projects have got: deliverables by status, overdue deliverables and milestones, and
work packages completed, per work package, per activity cluster and per project, for one
project or a whole portfolio.

The counting is pure functions over plain rows (the date is a parameter); the selectors at the
end read those rows in a fixed number of queries, for one project or for a batch of projects,
whatever the number of projects, work packages, deliverables and milestones. A portfolio's
progress is not recomputed on request: the checks store each project's
(``monitoring.summaries``) and the portfolio's readers sum those rows.

Rules:
- A deliverable is overdue when it is not submitted (pending or draft) and its due date in
  force has passed: ``due_on < today`` (today in Brussels).
- A milestone is achieved when it has an achievement date; overdue when it is not achieved and
  the end of its due month has passed.
- A work package counts as completed when the coordinator declared it completed in a periodic
  report that was submitted or approved ("declared"); "approved" counts only those whose report
  the officer approved.
- A work package in several activity clusters counts in each of them (with its deliverables);
  a milestone counts once per cluster even if several of the cluster's work packages share it.
  The project's totals count each item once, milestones without a work package included.
"""

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields

from django.db.models import Count, F, Max, Q, QuerySet

from backend.common.dates import month_end
from backend.grants.models import Project
from backend.grants.selectors import AnyOf, projects_visible_to
from backend.reporting.models import (
    PeriodicReport,
    ReportStatus,
    WorkPackageDecision,
    WorkPackageDeclaration,
)
from backend.workplan.models import (
    ActivityCluster,
    Deliverable,
    DeliverableStatus,
    Milestone,
    WorkPackage,
)
from backend.workplan.rules import deliverable_is_overdue, milestone_is_overdue

from .rules import SENT_REPORT_STATUSES

# -- plain rows --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkPackageRow:
    id: int
    project_id: int
    number: int
    title: str
    clusters: tuple[str, ...]  # cluster codes, in cluster order


@dataclass(frozen=True)
class DeliverableRow:
    """``count`` deliverables of one work package with one status, due on ``due_on`` (or, read
    in groups, all due before today or all not, the latest on ``due_on``)."""

    project_id: int
    work_package_id: int
    status: str
    due_on: datetime.date
    count: int = 1


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    project_id: int
    due_on: datetime.date  # the end of its due month
    achieved_on: datetime.date | None
    work_package_ids: tuple[int, ...]

    @property
    def achieved(self) -> bool:
        return self.achieved_on is not None


@dataclass(frozen=True)
class DeclarationRow:
    """A work package declared completed in a report with this status."""

    work_package_id: int
    report_status: str


@dataclass(frozen=True)
class ClusterRow:
    code: str
    name: str


# -- counts ------------------------------------------------------------------------------------


class _Addable:
    def __add__(self, other):
        return type(self)(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )


@dataclass(frozen=True)
class DeliverableCounts(_Addable):
    pending: int = 0
    draft: int = 0
    submitted: int = 0
    accepted: int = 0
    total: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class MilestoneCounts(_Addable):
    achieved: int = 0
    total: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class WorkPackageCounts(_Addable):
    total: int = 0
    completed_declared: int = 0
    completed_approved: int = 0


@dataclass(frozen=True)
class Summary(_Addable):
    deliverables: DeliverableCounts = field(default_factory=DeliverableCounts)
    milestones: MilestoneCounts = field(default_factory=MilestoneCounts)
    work_packages: WorkPackageCounts = field(default_factory=WorkPackageCounts)


@dataclass(frozen=True)
class WorkPackageProgress:
    work_package: WorkPackageRow
    summary: Summary


@dataclass(frozen=True)
class ClusterProgress:
    code: str
    name: str
    summary: Summary


@dataclass(frozen=True)
class ProjectProgress:
    totals: Summary
    clusters: tuple[ClusterProgress, ...]
    work_packages: tuple[WorkPackageProgress, ...]


@dataclass(frozen=True)
class PortfolioProgress:
    totals: Summary
    clusters: tuple[ClusterProgress, ...]


# -- pure rules --------------------------------------------------------------------------------


def deliverable_counts(rows: Iterable[DeliverableRow], today: datetime.date) -> DeliverableCounts:
    by_status: dict[str, int] = defaultdict(int)
    overdue = 0
    for row in rows:
        by_status[row.status] += row.count
        if deliverable_is_overdue(row.status, row.due_on, today):
            overdue += row.count
    return DeliverableCounts(
        pending=by_status[DeliverableStatus.PENDING],
        draft=by_status[DeliverableStatus.DRAFT],
        submitted=by_status[DeliverableStatus.SUBMITTED],
        accepted=by_status[DeliverableStatus.ACCEPTED],
        total=sum(by_status.values()),
        overdue=overdue,
    )


def milestone_counts(rows: Iterable[MilestoneRow], today: datetime.date) -> MilestoneCounts:
    rows = list(rows)
    return MilestoneCounts(
        achieved=sum(1 for row in rows if row.achieved),
        total=len(rows),
        overdue=sum(1 for row in rows if milestone_is_overdue(row.achieved_on, row.due_on, today)),
    )


def work_package_counts(
    work_package_ids: Collection[int], declarations: Iterable[DeclarationRow]
) -> WorkPackageCounts:
    """How many of these work packages are declared completed, and how many approved so (a
    work package declared in several reports counts once)."""
    ids = set(work_package_ids)
    declared = set()
    approved = set()
    for row in declarations:
        if row.work_package_id not in ids:
            continue
        if row.report_status in SENT_REPORT_STATUSES:
            declared.add(row.work_package_id)
        if row.report_status == ReportStatus.APPROVED:
            approved.add(row.work_package_id)
    return WorkPackageCounts(
        total=len(ids), completed_declared=len(declared), completed_approved=len(approved)
    )


def project_progress(
    *,
    clusters: Iterable[ClusterRow],
    work_packages: Iterable[WorkPackageRow],
    deliverables: Iterable[DeliverableRow],
    milestones: Iterable[MilestoneRow],
    declarations: Iterable[DeclarationRow],
    today: datetime.date,
    with_work_packages: bool = True,
) -> ProjectProgress:
    """One project's progress per work package, per cluster (every cluster listed, in order,
    even one with no work package) and in total. ``with_work_packages=False`` leaves the
    per-work-package part empty, for callers that only sum clusters and totals."""
    work_packages = sorted(work_packages, key=lambda wp: wp.number)
    deliverables = list(deliverables)
    milestones = list(milestones)
    declarations = list(declarations)

    deliverables_of: dict[int, list[DeliverableRow]] = defaultdict(list)
    for row in deliverables:
        deliverables_of[row.work_package_id].append(row)
    milestones_of: dict[int, list[MilestoneRow]] = defaultdict(list)
    for row in milestones:
        for work_package_id in set(row.work_package_ids):
            milestones_of[work_package_id].append(row)

    def summary(work_package_ids: Collection[int]) -> Summary:
        linked = {row.id: row for wp_id in work_package_ids for row in milestones_of.get(wp_id, ())}
        return Summary(
            deliverables=deliverable_counts(
                (row for wp_id in work_package_ids for row in deliverables_of.get(wp_id, ())),
                today,
            ),
            milestones=milestone_counts(linked.values(), today),
            work_packages=work_package_counts(work_package_ids, declarations),
        )

    per_work_package = (
        tuple(WorkPackageProgress(wp, summary([wp.id])) for wp in work_packages)
        if with_work_packages
        else ()
    )
    per_cluster = tuple(
        ClusterProgress(
            code=cluster.code,
            name=cluster.name,
            summary=summary([wp.id for wp in work_packages if cluster.code in wp.clusters]),
        )
        for cluster in clusters
    )
    totals = Summary(
        deliverables=deliverable_counts(deliverables, today),
        milestones=milestone_counts(milestones, today),
        work_packages=work_package_counts([wp.id for wp in work_packages], declarations),
    )
    return ProjectProgress(totals=totals, clusters=per_cluster, work_packages=per_work_package)


def portfolio_progress(
    clusters: Iterable[ClusterRow], projects: Iterable[ProjectProgress]
) -> PortfolioProgress:
    """The projects' progress summed, in total and per cluster."""
    clusters = list(clusters)
    totals = Summary()
    per_cluster = {cluster.code: Summary() for cluster in clusters}
    for progress in projects:
        totals += progress.totals
        for cluster in progress.clusters:
            per_cluster[cluster.code] += cluster.summary
    return PortfolioProgress(
        totals=totals,
        clusters=tuple(
            ClusterProgress(code=cluster.code, name=cluster.name, summary=per_cluster[cluster.code])
            for cluster in clusters
        ),
    )


# -- selectors ---------------------------------------------------------------------------------


def cluster_rows() -> list[ClusterRow]:
    return [
        ClusterRow(code=cluster.code, name=str(cluster))
        for cluster in ActivityCluster.objects.order_by("number")
    ]


def progress_of_projects(
    project_ids: Collection[int] | QuerySet,
    today: datetime.date,
    clusters: list[ClusterRow],
    *,
    with_work_packages: bool = True,
) -> dict[int, ProjectProgress]:
    """The progress of these projects (ids, or a query of projects' ids), in eight queries
    (nine given a query) whatever their number and size. Each table is read by the projects'
    ids or by the ids of rows read before (work packages, milestones, reporting periods), so
    that a few projects' progress reads their own rows by index whatever the size of the
    database. Deliverables are counted by the database, grouped by work package, status and
    whether they fell due before ``today``; the rules judge the dates here.
    ``with_work_packages``: as for ``project_progress``."""
    ids = (
        list(project_ids.values_list("pk", flat=True).order_by())
        if isinstance(project_ids, QuerySet)
        else list(project_ids)
    )
    work_packages = _work_package_rows(ids, clusters)
    deliverables = _deliverable_rows(ids, today)
    milestones = _milestone_rows(ids)
    declarations = _declaration_rows(work_packages)
    return {
        project_id: project_progress(
            clusters=clusters,
            work_packages=work_packages[project_id],
            deliverables=deliverables[project_id],
            milestones=milestones[project_id],
            declarations=declarations[project_id],
            today=today,
            with_work_packages=with_work_packages,
        )
        for project_id in ids
    }


def _work_package_rows(
    project_ids: list[int], clusters: list[ClusterRow]
) -> dict[int, list[WorkPackageRow]]:
    """The projects' work packages with their clusters in cluster order, by project; two
    queries."""
    cluster_order = {cluster.code: index for index, cluster in enumerate(clusters)}
    rows = list(
        WorkPackage.objects.filter(AnyOf(F("project_id"), project_ids))
        .order_by()
        .values_list("id", "project_id", "number", "title")
    )
    codes_of: dict[int, list[str]] = defaultdict(list)
    for work_package_id, code in (
        WorkPackage.clusters.through.objects.filter(
            AnyOf(F("workpackage_id"), [row[0] for row in rows])
        )
        .order_by()
        .values_list("workpackage_id", "activitycluster__code")
    ):
        codes_of[work_package_id].append(code)
    work_packages: dict[int, list[WorkPackageRow]] = defaultdict(list)
    for work_package_id, project_id, number, title in rows:
        work_packages[project_id].append(
            WorkPackageRow(
                id=work_package_id,
                project_id=project_id,
                number=number,
                title=title,
                clusters=tuple(
                    sorted(codes_of[work_package_id], key=lambda code: cluster_order.get(code, 99))
                ),
            )
        )
    return work_packages


def _deliverable_rows(
    project_ids: list[int], today: datetime.date
) -> dict[int, list[DeliverableRow]]:
    """The projects' deliverables counted by work package, status and whether they fell due
    before ``today``, each group with its latest due date (overdue is "due before today", so
    the latest date of a group says it for the whole group); one query, a few rows per work
    package whatever the number of deliverables."""
    deliverables: dict[int, list[DeliverableRow]] = defaultdict(list)
    for project_id, work_package_id, status, _past, due_on, count in (
        Deliverable.objects.filter(AnyOf(F("project_id"), project_ids))
        .annotate(past=Q(due_on__lt=today))
        .values_list("project_id", "work_package_id", "status", "past")
        .annotate(latest=Max("due_on"), count=Count("id"))
        .order_by()
    ):
        deliverables[project_id].append(
            DeliverableRow(project_id, work_package_id, status, due_on, count)
        )
    return deliverables


def _milestone_rows(project_ids: list[int]) -> dict[int, list[MilestoneRow]]:
    """The projects' milestones with their work packages, by project; three queries (the
    projects' start dates, the milestones, their work packages)."""
    starts = dict(
        Project.objects.filter(AnyOf(F("id"), project_ids))
        .order_by()
        .values_list("id", "start_date")
    )
    rows = list(
        Milestone.objects.filter(AnyOf(F("project_id"), project_ids))
        .order_by()
        .values_list("id", "project_id", "due_month", "achieved_on")
    )
    linked: dict[int, list[int]] = defaultdict(list)
    for milestone_id, work_package_id in (
        Milestone.work_packages.through.objects.filter(
            AnyOf(F("milestone_id"), [row[0] for row in rows])
        )
        .order_by()
        .values_list("milestone_id", "workpackage_id")
    ):
        linked[milestone_id].append(work_package_id)
    milestones: dict[int, list[MilestoneRow]] = defaultdict(list)
    for milestone_id, project_id, due_month, achieved_on in rows:
        milestones[project_id].append(
            MilestoneRow(
                id=milestone_id,
                project_id=project_id,
                due_on=month_end(starts[project_id], due_month),
                achieved_on=achieved_on,
                work_package_ids=tuple(linked[milestone_id]),
            )
        )
    return milestones


def _declaration_rows(
    work_packages: dict[int, list[WorkPackageRow]],
) -> dict[int, list[DeclarationRow]]:
    """The work packages declared completed in a submitted or approved report, by project; two
    queries (the declarations of these work packages, then the reports of their periods)."""
    project_of = {row.id: project_id for project_id, rows in work_packages.items() for row in rows}
    declared = list(
        WorkPackageDeclaration.objects.filter(
            AnyOf(F("work_package_id"), list(project_of)), completed=True
        )
        # A work package the officer rejected is not completed (a later report declares it).
        .exclude(decision=WorkPackageDecision.REJECTED)
        .order_by()
        .values_list("work_package_id", "reporting_period_id")
    )
    sent = dict(
        PeriodicReport.objects.filter(
            AnyOf(F("reporting_period_id"), sorted({period for _wp, period in declared})),
            status__in=SENT_REPORT_STATUSES,
        )
        .order_by()
        .values_list("reporting_period_id", "status")
    )
    declarations: dict[int, list[DeclarationRow]] = defaultdict(list)
    for work_package_id, period_id in declared:
        if period_id in sent:
            declarations[project_of[work_package_id]].append(
                DeclarationRow(work_package_id, sent[period_id])
            )
    return declarations


def project_progress_get(
    *, user, project_id: int, today: datetime.date
) -> tuple[Project, ProjectProgress] | None:
    """A project the user can see and its progress on ``today``, or None if it does not exist
    or the user may not see it (the two are not told apart). Eight queries whatever the size
    of the project."""
    project = projects_visible_to(user).filter(pk=project_id).first()
    if project is None:
        return None
    progress = progress_of_projects([project.pk], today, cluster_rows())
    return project, progress[project.pk]


class ProjectsNotVisible(Exception):
    """Ids asked for that are no project the user can see."""

    def __init__(self, ids: list[int]):
        self.ids = ids
        super().__init__(", ".join(str(project_id) for project_id in ids))
