"""A project at a glance: its timeline month by month (reporting periods, work packages by
activity cluster with their deliverables, milestones, instalments, today) and its progress.

``timeline_build`` is a pure function over plain rows (the date is a parameter); the selectors
below read those rows for one project in a fixed number of queries, whatever the number of
work packages, deliverables, milestones or instalments. Positions are project months: an item
dated before the start or after the end is placed on the first or last month and says so
(``outside``).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from backend.common.dates import month_end, month_start, project_month, report_due_on
from backend.grants.models import Participation, ParticipationRole, Project
from backend.payments.models import InstalmentKind
from backend.payments.permissions import can_view_payments
from backend.payments.rules import schedule
from backend.payments.selectors import grant_facts
from backend.reporting.progress import (
    ClusterRow,
    ProjectProgress,
    cluster_rows,
    progress_of_projects,
)
from backend.workplan.models import (
    Deliverable,
    DeliverableStatus,
    Milestone,
    PeriodPayment,
    ReportingPeriod,
    WorkPackage,
)
from backend.workplan.rules import deliverable_is_overdue, milestone_is_overdue
from frontend.presenters import INSTALMENT_STATUS

BEFORE = "before"
AFTER = "after"

# Milestone states, as the timeline shows them.
ACHIEVED = "achieved"
OVERDUE = "overdue"
UPCOMING = "upcoming"
MILESTONE_STATES = {
    ACHIEVED: _("Achieved"),
    OVERDUE: _("Overdue"),
    UPCOMING: _("Not yet due"),
}

# The payment schedule's kinds in words, as every page names them (the statuses: the
# presenter's, from the schedule's one table of labels and colours).
INSTALMENT_KINDS = dict(InstalmentKind.choices)


# -- plain rows in -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodRow:
    number: int
    start_month: int
    end_month: int
    payment: str


@dataclass(frozen=True)
class WorkPackageRow:
    id: int
    number: int
    title: str
    lead: str
    start_month: int
    end_month: int
    clusters: tuple[str, ...]  # cluster codes, in cluster order


@dataclass(frozen=True)
class DeliverableRow:
    id: int
    code: str
    title: str
    work_package_id: int
    lead: str
    due_month: int
    due_on: datetime.date  # in force (possibly revised)
    status: str


@dataclass(frozen=True)
class MilestoneRow:
    id: int
    code: str
    title: str
    due_month: int
    achieved_on: datetime.date | None


@dataclass(frozen=True)
class InstalmentRow:
    key: str
    kind: str
    period: int | None
    due_on: datetime.date | None
    amount: Decimal
    status: str


# -- the timeline out --------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    number: int
    start_on: datetime.date
    end_on: datetime.date
    year_starts: bool  # the first month of the project or of a calendar year


@dataclass(frozen=True)
class Year:
    year: int
    first_month: int
    months: int


@dataclass(frozen=True)
class PeriodBar:
    number: int
    start_month: int
    end_month: int
    start_on: datetime.date
    end_on: datetime.date
    report_due_on: datetime.date
    payment: str
    payment_label: str

    @property
    def months(self) -> int:
        return self.end_month - self.start_month + 1


@dataclass(frozen=True)
class DeliverableMark:
    id: int
    code: str
    title: str
    work_package: int
    lead: str
    due_month: int  # as planned
    due_on: datetime.date  # in force
    month: int  # where it is shown: the month its due date in force falls in
    outside: str | None
    status: str
    status_label: str
    overdue: bool
    revised: bool  # due on another day than the end of its planned month


@dataclass(frozen=True)
class MonthMarks:
    """The marks shown in one month of a row."""

    month: int
    marks: tuple


@dataclass(frozen=True)
class WorkPackageBar:
    id: int
    number: int
    title: str
    lead: str
    start_month: int
    end_month: int
    start_on: datetime.date
    end_on: datetime.date
    clusters: tuple[str, ...]
    deliverables: tuple[DeliverableMark, ...]
    deliverable_months: tuple[MonthMarks, ...]

    @property
    def months(self) -> int:
        return self.end_month - self.start_month + 1


@dataclass(frozen=True)
class ClusterGroup:
    code: str  # empty: work packages in no cluster
    name: str
    work_packages: tuple[WorkPackageBar, ...]


@dataclass(frozen=True)
class MilestoneMark:
    id: int
    code: str
    title: str
    due_month: int
    due_on: datetime.date
    month: int
    outside: str | None
    achieved_on: datetime.date | None
    state: str
    state_label: str


@dataclass(frozen=True)
class InstalmentMark:
    key: str
    kind: str
    kind_label: str
    period: int | None
    due_on: datetime.date | None
    month: int
    outside: str | None
    amount: Decimal
    status: str
    status_label: str
    colour: str  # grey, amber, red or green: the status's one colour


@dataclass(frozen=True)
class Timeline:
    start_date: datetime.date
    end_date: datetime.date
    duration: int
    today: datetime.date
    today_month: int | None  # None: today is outside the project
    today_percent: int  # how far into today's month today is, 0-100
    months: tuple[Month, ...]
    years: tuple[Year, ...]
    periods: tuple[PeriodBar, ...]
    clusters: tuple[ClusterGroup, ...]
    work_packages: tuple[WorkPackageBar, ...]  # each once, by number
    deliverables: tuple[DeliverableMark, ...]  # by due date
    milestones: tuple[MilestoneMark, ...]
    milestone_months: tuple[MonthMarks, ...]
    instalments: tuple[InstalmentMark, ...]
    instalment_months: tuple[MonthMarks, ...]

    @property
    def year_starts(self) -> tuple[int, ...]:
        """The months that start a calendar year (after the first)."""
        return tuple(
            month.number for month in self.months if month.year_starts and month.number > 1
        )


def _place(start: datetime.date, duration: int, day: datetime.date) -> tuple[int, str | None]:
    month = project_month(start, day)
    if month < 1:
        return 1, BEFORE
    if month > duration:
        return duration, AFTER
    return month, None


def _clamp(month: int, duration: int) -> tuple[int, str | None]:
    if month < 1:
        return 1, BEFORE
    if month > duration:
        return duration, AFTER
    return month, None


def _by_month(marks: Iterable) -> tuple[MonthMarks, ...]:
    grouped: dict[int, list] = defaultdict(list)
    for mark in marks:
        grouped[mark.month].append(mark)
    return tuple(MonthMarks(month, tuple(grouped[month])) for month in sorted(grouped))


def timeline_build(
    *,
    start_date: datetime.date,
    duration: int,
    periods: Iterable[PeriodRow],
    clusters: Sequence[ClusterRow],
    work_packages: Iterable[WorkPackageRow],
    deliverables: Iterable[DeliverableRow],
    milestones: Iterable[MilestoneRow],
    instalments: Iterable[InstalmentRow],
    today: datetime.date,
) -> Timeline:
    """The timeline of a project that starts on ``start_date`` and runs ``duration`` months,
    as things stand on ``today``."""
    months = _months(start_date, duration)
    work_packages = sorted(work_packages, key=lambda row: row.number)
    numbers = {row.id: row.number for row in work_packages}
    deliverable_marks, marks_of = _deliverable_marks(
        start_date, duration, deliverables, numbers, today
    )
    bars = _work_package_bars(start_date, work_packages, marks_of)
    milestone_marks = _milestone_marks(start_date, duration, milestones, today)
    instalment_marks = _instalment_marks(start_date, duration, instalments)
    today_month, today_percent = _today_position(start_date, duration, today)
    return Timeline(
        start_date=start_date,
        end_date=month_end(start_date, duration),
        duration=duration,
        today=today,
        today_month=today_month,
        today_percent=today_percent,
        months=months,
        years=_years(months),
        periods=_period_bars(start_date, periods),
        clusters=_cluster_groups(clusters, bars),
        work_packages=bars,
        deliverables=deliverable_marks,
        milestones=milestone_marks,
        milestone_months=_by_month(milestone_marks),
        instalments=instalment_marks,
        instalment_months=_by_month(instalment_marks),
    )


def _months(start_date: datetime.date, duration: int) -> tuple[Month, ...]:
    """The project's months; a month starts a year when it is the first or its calendar year
    is not the one before's."""
    months: list[Month] = []
    for number in range(1, duration + 1):
        first = month_start(start_date, number)
        months.append(
            Month(
                number=number,
                start_on=first,
                end_on=month_end(start_date, number),
                year_starts=number == 1 or first.year != months[-1].start_on.year,
            )
        )
    return tuple(months)


def _years(months: Sequence[Month]) -> tuple[Year, ...]:
    """The calendar years the months span, each with its first project month and its length."""
    years: list[list[int]] = []
    for month in months:
        if month.year_starts:
            years.append([month.start_on.year, month.number, 0])
        years[-1][2] += 1
    return tuple(Year(*entry) for entry in years)


def _period_bars(start_date: datetime.date, periods: Iterable[PeriodRow]) -> tuple[PeriodBar, ...]:
    return tuple(
        PeriodBar(
            number=row.number,
            start_month=row.start_month,
            end_month=row.end_month,
            start_on=month_start(start_date, row.start_month),
            end_on=month_end(start_date, row.end_month),
            report_due_on=report_due_on(month_end(start_date, row.end_month)),
            payment=row.payment,
            payment_label=PeriodPayment(row.payment).label
            if row.payment in PeriodPayment.values
            else row.payment,
        )
        for row in sorted(periods, key=lambda row: row.number)
    )


def _deliverable_marks(
    start_date: datetime.date,
    duration: int,
    deliverables: Iterable[DeliverableRow],
    work_package_numbers: dict[int, int],
    today: datetime.date,
) -> tuple[tuple[DeliverableMark, ...], dict[int, list[DeliverableMark]]]:
    """The deliverables by due date in force, each placed in the month that date falls in;
    and the same marks by work package id."""
    marks = []
    marks_of: dict[int, list[DeliverableMark]] = defaultdict(list)
    for row in sorted(deliverables, key=lambda row: (row.due_on, row.code)):
        month, outside = _place(start_date, duration, row.due_on)
        mark = DeliverableMark(
            id=row.id,
            code=row.code,
            title=row.title,
            work_package=work_package_numbers.get(row.work_package_id, 0),
            lead=row.lead,
            due_month=row.due_month,
            due_on=row.due_on,
            month=month,
            outside=outside,
            status=row.status,
            status_label=DeliverableStatus(row.status).label
            if row.status in DeliverableStatus.values
            else row.status,
            overdue=deliverable_is_overdue(row.status, row.due_on, today),
            revised=row.due_on != month_end(start_date, row.due_month),
        )
        marks_of[row.work_package_id].append(mark)
        marks.append(mark)
    return tuple(marks), marks_of


def _work_package_bars(
    start_date: datetime.date,
    work_packages: Iterable[WorkPackageRow],
    marks_of: dict[int, list[DeliverableMark]],
) -> tuple[WorkPackageBar, ...]:
    """The work packages in the given order, each with its deliverables (``marks_of``, by
    work package id)."""
    return tuple(
        WorkPackageBar(
            id=row.id,
            number=row.number,
            title=row.title,
            lead=row.lead,
            start_month=row.start_month,
            end_month=row.end_month,
            start_on=month_start(start_date, row.start_month),
            end_on=month_end(start_date, row.end_month),
            clusters=row.clusters,
            deliverables=tuple(marks_of.get(row.id, ())),
            deliverable_months=_by_month(marks_of.get(row.id, ())),
        )
        for row in work_packages
    )


def _cluster_groups(
    clusters: Sequence[ClusterRow], bars: Sequence[WorkPackageBar]
) -> tuple[ClusterGroup, ...]:
    """The work packages of each activity cluster (one may be in several), then those in no
    cluster, if any."""
    groups = [
        ClusterGroup(
            code=cluster.code,
            name=cluster.name,
            work_packages=tuple(bar for bar in bars if cluster.code in bar.clusters),
        )
        for cluster in clusters
    ]
    known = {cluster.code for cluster in clusters}
    loose = tuple(bar for bar in bars if not known.intersection(bar.clusters))
    if loose:
        groups.append(ClusterGroup(code="", name=_("No activity cluster"), work_packages=loose))
    return tuple(groups)


def _milestone_state(row: MilestoneRow, due_on: datetime.date, today: datetime.date) -> str:
    if row.achieved_on is not None:
        return ACHIEVED
    if milestone_is_overdue(row.achieved_on, due_on, today):
        return OVERDUE
    return UPCOMING


def _milestone_marks(
    start_date: datetime.date,
    duration: int,
    milestones: Iterable[MilestoneRow],
    today: datetime.date,
) -> tuple[MilestoneMark, ...]:
    """The milestones by due month, each due at the end of its month."""
    marks = []
    for row in sorted(milestones, key=lambda row: (row.due_month, row.code)):
        due_on = month_end(start_date, row.due_month)
        month, outside = _clamp(row.due_month, duration)
        state = _milestone_state(row, due_on, today)
        marks.append(
            MilestoneMark(
                id=row.id,
                code=row.code,
                title=row.title,
                due_month=row.due_month,
                due_on=due_on,
                month=month,
                outside=outside,
                achieved_on=row.achieved_on,
                state=state,
                state_label=MILESTONE_STATES[state],
            )
        )
    return tuple(marks)


def _instalment_marks(
    start_date: datetime.date, duration: int, instalments: Iterable[InstalmentRow]
) -> tuple[InstalmentMark, ...]:
    """The instalments as given (the schedule's order); one with no due date yet is shown at
    the end."""
    marks = []
    for row in instalments:
        if row.due_on is None:
            month, outside = (duration, AFTER)
        else:
            month, outside = _place(start_date, duration, row.due_on)
        marks.append(
            InstalmentMark(
                key=row.key,
                kind=row.kind,
                kind_label=INSTALMENT_KINDS.get(row.kind, row.kind),
                period=row.period,
                due_on=row.due_on,
                month=month,
                outside=outside,
                amount=row.amount,
                status=row.status,
                status_label=INSTALMENT_STATUS.label(row.status),
                colour=INSTALMENT_STATUS.colour(row.status),
            )
        )
    return tuple(marks)


def _today_position(
    start_date: datetime.date, duration: int, today: datetime.date
) -> tuple[int | None, int]:
    """Today's project month (None outside the project) and how far into it today is
    (0-100)."""
    today_month = project_month(start_date, today)
    if not 1 <= today_month <= duration:
        return None, 0
    first = month_start(start_date, today_month)
    days = (month_end(start_date, today_month) - first).days + 1
    return today_month, round(100 * (today - first).days / days)


# -- selectors ---------------------------------------------------------------------------------


def instalment_rows(project: Project, today: datetime.date) -> list[InstalmentRow]:
    """The project's payment schedule as it stands on ``today``, in a fixed number of
    queries: its payment facts without the beneficiaries' shares (``grant_facts``: the
    schedule needs them only where a beneficiary's reduction is confirmed, and reads them
    there), and none of the officers' instalment records (the timeline shows the schedule,
    not who approved or paid)."""
    facts = grant_facts([project.pk], today=today, with_shares=False)[project.pk]
    return [
        InstalmentRow(
            key=item.key,
            kind=item.kind,
            period=item.period,
            due_on=item.due_on,
            amount=item.amount,
            status=item.status,
        )
        for item in schedule(facts, today)
    ]


def project_timeline(
    *,
    project: Project,
    today: datetime.date,
    clusters: list[ClusterRow] | None = None,
    with_instalments: bool = True,
) -> Timeline:
    """The timeline of a project the caller has checked the user may see: six queries, plus
    the payment schedule's with ``with_instalments``."""
    if clusters is None:
        clusters = cluster_rows()
    order = {cluster.code: index for index, cluster in enumerate(clusters)}
    codes_of: dict[int, list[str]] = defaultdict(list)
    for work_package_id, code in WorkPackage.clusters.through.objects.filter(
        workpackage__project_id=project.pk
    ).values_list("workpackage_id", "activitycluster__code"):
        codes_of[work_package_id].append(code)
    work_packages = [
        WorkPackageRow(
            id=row["id"],
            number=row["number"],
            title=row["title"],
            lead=row["lead__short_name"],
            start_month=row["start_month"],
            end_month=row["end_month"],
            clusters=tuple(sorted(codes_of[row["id"]], key=lambda code: order.get(code, 99))),
        )
        for row in WorkPackage.objects.filter(project_id=project.pk).values(
            "id", "number", "title", "lead__short_name", "start_month", "end_month"
        )
    ]
    deliverables = [
        DeliverableRow(
            id=row["id"],
            code=row["code"],
            title=row["title"],
            work_package_id=row["work_package_id"],
            lead=row["lead__short_name"],
            due_month=row["due_month"],
            due_on=row["due_on"],
            status=row["status"],
        )
        for row in Deliverable.objects.filter(project_id=project.pk).values(
            "id",
            "code",
            "title",
            "work_package_id",
            "lead__short_name",
            "due_month",
            "due_on",
            "status",
        )
    ]
    milestones = [
        MilestoneRow(**row)
        for row in Milestone.objects.filter(project_id=project.pk).values(
            "id", "code", "title", "due_month", "achieved_on"
        )
    ]
    periods = [
        PeriodRow(**row)
        for row in ReportingPeriod.objects.filter(project_id=project.pk).values(
            "number", "start_month", "end_month", "payment"
        )
    ]
    return timeline_build(
        start_date=project.start_date,
        duration=project.duration_months,
        periods=periods,
        clusters=clusters,
        work_packages=work_packages,
        deliverables=deliverables,
        milestones=milestones,
        instalments=instalment_rows(project, today) if with_instalments else [],
        today=today,
    )


@dataclass(frozen=True)
class Overview:
    """What a project's home page shows."""

    project: Project
    coordinator: Participation | None
    progress: ProjectProgress
    timeline: Timeline
    shows_payments: bool

    @property
    def instalment_legend(self) -> list[tuple[str, str]]:
        """The instalments' marks by colour, each with the statuses it stands for: ("grey",
        "Scheduled, Nothing due"), ... in the order of the statuses' table."""
        return instalment_legend()


def instalment_legend() -> list[tuple[str, str]]:
    """Each colour of the instalment statuses with their labels, in the statuses' order."""
    by_colour: dict[str, list[str]] = {}
    for status in INSTALMENT_STATUS.choices.values:
        by_colour.setdefault(INSTALMENT_STATUS.colour(status), []).append(
            INSTALMENT_STATUS.label(status)
        )
    return [(colour, ", ".join(labels)) for colour, labels in by_colour.items()]


def project_overview(*, user, project: Project, today: datetime.date) -> Overview:
    """A visible project's coordinator, progress (``progress_of_projects``, as the API's
    project-progress) and timeline, the instalments included when the user may see the
    payment schedule (``can_view_payments``, as the API's instalment list). A fixed number of
    queries whatever the size of the project."""

    clusters = cluster_rows()
    coordinator = (
        Participation.objects.filter(
            project_id=project.pk, role=ParticipationRole.COORDINATOR, left_on__isnull=True
        )
        .select_related("organisation")
        .first()
    )
    progress = progress_of_projects([project.pk], today, clusters)[project.pk]
    shows_payments, _reason = can_view_payments(user, project)
    timeline = project_timeline(
        project=project, today=today, clusters=clusters, with_instalments=shows_payments
    )
    return Overview(
        project=project,
        coordinator=coordinator,
        progress=progress,
        timeline=timeline,
        shows_payments=shows_payments,
    )


def work_package_options(*, project: Project) -> list[tuple[int, str]]:
    """(number, title) of the project's work packages, by number: one query."""
    return list(
        WorkPackage.objects.filter(project_id=project.pk)
        .order_by("number")
        .values_list("number", "title")
    )
