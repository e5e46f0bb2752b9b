"""Reads for the agency officer's dashboard: the portfolio's compliance, project by project, the
pictures of the portfolio over time, and one project's compliance page.

Every read is scoped to the requesting user (``projects_visible_to``: an officer's portfolio,
every project for administrators) and takes a fixed number of queries, whatever the number of
projects, flags, deliverables or payments.

The portfolio table judges each project from its open flags (``monitoring.rag``): the verdict
on the composition rules is the one the watchers last found, read from the open eligibility
flags, so that the whole portfolio is judged, filtered and sorted by status from one grouped
query of flags instead of evaluating every consortium on each request. The next instalment
comes from the payment schedule's rules (``backend.payments``), computed for the page's
projects only (for all the matching projects when they are sorted by it or exported).
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth

from backend.common.dates import BRUSSELS, add_months, brussels_today
from backend.grants.eligibility.engine import Verdict, evaluate
from backend.grants.models import Project
from backend.grants.selectors import consortia, projects_visible_to
from backend.payments import rules as payment_rules
from backend.payments import statuses as instalment_statuses
from backend.payments.models import Direction, Payment, Reduction
from backend.payments.reductions import reductions_visible
from backend.payments.selectors import (
    Ledger,
    ScheduleState,
    grant_facts,
    project_ledger,
    schedule_state,
)
from backend.reporting.progress import ClusterProgress, portfolio_progress_get
from monitoring.models import Flag, FlagStatus
from monitoring.rag import STATUSES, Compliance, OpenFlag, compliance
from monitoring.selectors import flag_list

PER_PAGE = 25
# Sort keys; a leading "-" sorts the other way round.
SORTS = ("acronym", "status", "flags", "due")
DEFAULT_SORT = "status"
WEEKS = 26
RESOLVED_HISTORY = 20
ZERO = payment_rules.ZERO


# -- the portfolio table -------------------------------------------------------------------------


@dataclass(frozen=True)
class PortfolioFilters:
    status: str | None = None  # red, amber or green
    severity: str | None = None  # projects with an open flag of this severity
    call: str | None = None  # a call's identifier
    search: str = ""  # in the acronym or the grant agreement number
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class NextInstalment:
    """The first instalment of the schedule not paid yet."""

    key: str
    kind: str
    period: int | None
    status: str  # one of backend.payments.statuses, never paid nor nothing due
    due_on: datetime.date | None  # pre-financing: when it is due; a period: its report's
    amount: Decimal


@dataclass(frozen=True)
class PortfolioRow:
    project_id: int
    acronym: str
    grant_agreement_number: str
    title: str
    call: str
    start_date: datetime.date
    compliance: Compliance
    next_instalment: NextInstalment | None = None

    @property
    def status(self) -> str:
        return self.compliance.status


def _rows(user, filters: PortfolioFilters) -> list[PortfolioRow]:
    """The matching projects, judged from their open flags, in two queries, not sorted."""
    projects = projects_visible_to(user)
    if filters.call:
        projects = projects.filter(call__identifier=filters.call)
    if filters.search:
        projects = projects.filter(
            Q(acronym__icontains=filters.search)
            | Q(grant_agreement_number__icontains=filters.search)
        )
    found = list(
        projects.values_list(
            "id", "acronym", "grant_agreement_number", "title", "call__identifier", "start_date"
        ).order_by()
    )
    open_flags: dict[int, list[OpenFlag]] = defaultdict(list)
    for project_id, kind, severity, count in (
        Flag.objects.filter(resolved_at__isnull=True, project__in=projects)
        .values_list("project_id", "kind", "severity")
        .annotate(count=Count("id"))
        .order_by()
    ):
        open_flags[project_id].append(OpenFlag(kind, severity, count))
    rows = [
        PortfolioRow(
            project_id=project_id,
            acronym=acronym,
            grant_agreement_number=number,
            title=title,
            call=call,
            start_date=start_date,
            compliance=compliance(open_flags[project_id]),
        )
        for project_id, acronym, number, title, call, start_date in found
    ]
    if filters.status:
        rows = [row for row in rows if row.status == filters.status]
    if filters.severity:
        rows = [row for row in rows if row.compliance.flags.of(filters.severity)]
    return rows


# What the next instalment skips: done, or nothing to pay (it asks nothing of anyone).
SETTLED = (instalment_statuses.PAID, instalment_statuses.NOTHING_DUE)


def next_instalment(instalments: Iterable[payment_rules.Instalment]) -> NextInstalment | None:
    """The first instalment still to pay or recover: not paid, and not one with nothing due."""
    for item in instalments:
        if item.status not in SETTLED:
            return NextInstalment(
                key=item.key,
                kind=item.kind,
                period=item.period,
                status=item.status,
                due_on=item.due_on,
                amount=item.amount,
            )
    return None


def _with_instalments(rows: list[PortfolioRow], today: datetime.date) -> list[PortfolioRow]:
    """The rows with their next instalment, in the queries of one ``grant_facts`` batch."""
    if not rows:
        return rows
    facts = grant_facts([row.project_id for row in rows], today=today, with_shares=False)
    return [
        replace(
            row,
            next_instalment=next_instalment(payment_rules.schedule(facts[row.project_id], today)),
        )
        for row in rows
    ]


def _sorted(rows: list[PortfolioRow], sort: str) -> list[PortfolioRow]:
    """Sorted by ``sort``, then by acronym. "status" puts red first, "flags" the fewest open
    flags first, "due" the earliest next instalment first (projects with none last)."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    rows = sorted(rows, key=lambda row: (row.acronym.casefold(), row.grant_agreement_number))
    if key == "acronym":
        return sorted(rows, key=lambda row: row.acronym.casefold(), reverse=descending)
    if key == "status":
        return sorted(rows, key=lambda row: STATUSES.index(row.status), reverse=descending)
    if key == "flags":
        return sorted(
            rows,
            key=lambda row: (
                row.compliance.flags.total,
                row.compliance.flags.critical,
                row.compliance.flags.high,
            ),
            reverse=descending,
        )
    if key == "due":
        dated, undated = [], []
        for row in rows:
            has_date = row.next_instalment is not None and row.next_instalment.due_on
            (dated if has_date else undated).append(row)
        return (
            sorted(dated, key=lambda row: row.next_instalment.due_on, reverse=descending) + undated
        )
    raise ValueError(f"unknown sort {sort!r}")


def portfolio_page(
    *,
    user,
    today: datetime.date,
    filters: PortfolioFilters,
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
) -> Page:
    """One page of the portfolio table: ``page.object_list`` holds its rows with their next
    instalment; ``page.paginator.count`` the number of matching projects. A page number out
    of range gives the last page."""
    rows = _rows(user, filters)
    if filters.sort.lstrip("-") == "due":
        rows = _sorted(_with_instalments(rows, today), filters.sort)
        return Paginator(rows, per_page).get_page(page)
    found = Paginator(_sorted(rows, filters.sort), per_page).get_page(page)
    found.object_list = _with_instalments(list(found.object_list), today)
    return found


def portfolio_export(
    *, user, today: datetime.date, filters: PortfolioFilters
) -> list[PortfolioRow]:
    """Every matching project's row, sorted, with its next instalment (for the exports)."""
    return _sorted(_with_instalments(_rows(user, filters), today), filters.sort)


def portfolio_calls(*, user) -> list[str]:
    """The identifiers of the calls of the user's projects, for the call filter."""
    return list(
        projects_visible_to(user)
        .order_by("call__identifier")
        .values_list("call__identifier", flat=True)
        .distinct()
    )


# -- the pictures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCount:
    week: str  # ISO week, e.g. 2026-W48
    as_of: datetime.datetime  # the end of the week, or now for the current week
    last_day: datetime.date  # the last day counted: the week's Sunday, or today
    open: int


@dataclass(frozen=True)
class MonthPayments:
    month: str  # 2024-03
    due: Decimal  # cumulative: instalments that fell due up to the end of the month
    paid: Decimal  # cumulative: payments less recoveries up to the end of the month


@dataclass(frozen=True)
class StatusCount:
    """How many instalments of the portfolio have a status, with its one label and colour."""

    status: str
    label: str
    colour: str  # grey, amber, red or green (backend.payments.statuses)
    count: int

    @property
    def held_back(self) -> bool:
        """Red: a payment held back (blocked or suspended). Grey (scheduled, nothing due) asks
        nothing of anyone; amber waits on the officer."""
        return self.colour == instalment_statuses.RED


@dataclass(frozen=True)
class PortfolioCharts:
    open_flags: list[WeekCount]
    deliverables: tuple[ClusterProgress, ...]
    payments: list[MonthPayments]
    instalments: list[StatusCount]

    @property
    def held_back(self) -> int:
        """The instalments held back across the portfolio (never those with nothing due)."""
        return sum(row.count for row in self.instalments if row.held_back)


def week_ends(
    now: datetime.datetime, weeks: int = WEEKS
) -> list[tuple[str, datetime.datetime, datetime.date]]:
    """The last ``weeks`` ISO weeks, oldest first, each with the instant it ends (Monday
    00:00 in Brussels; the current week ends now) and its last day counted."""
    today = brussels_today(now)
    monday = today - datetime.timedelta(days=today.weekday())
    ends = []
    for back in range(weeks - 1, -1, -1):
        start = monday - datetime.timedelta(weeks=back)
        end = datetime.datetime.combine(
            start + datetime.timedelta(weeks=1), datetime.time.min, tzinfo=BRUSSELS
        )
        year, week, _ = start.isocalendar()
        last_day = min(start + datetime.timedelta(days=6), today)
        ends.append((f"{year}-W{week:02d}", min(end, now), last_day))
    return ends


def open_flags_by_week(*, user, now: datetime.datetime, weeks: int = WEEKS) -> list[WeekCount]:
    """How many flags of the user's projects were open at the end of each of the last weeks,
    counted by the database in one query: a flag is open at an instant when it was first seen
    by then and not resolved by then."""
    ends = week_ends(now, weeks)
    counts = Flag.objects.filter(project__in=projects_visible_to(user)).aggregate(
        **{
            f"w{index}": Count(
                "id",
                filter=Q(first_seen_at__lte=end)
                & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=end)),
            )
            for index, (_, end, _) in enumerate(ends)
        }
    )
    return [
        WeekCount(week=label, as_of=end, last_day=last_day, open=counts[f"w{index}"] or 0)
        for index, (label, end, last_day) in enumerate(ends)
    ]


def deliverables_by_cluster(*, user, today: datetime.date) -> tuple[ClusterProgress, ...]:
    """The deliverables of the user's projects by status, per activity cluster (a work
    package in several clusters counts in each): the work plan's portfolio progress."""
    return portfolio_progress_get(user=user, today=today).summed.clusters


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def portfolio_schedules(*, user, today: datetime.date) -> dict[int, list]:
    """The payment schedule of each of the user's projects as things stand today, in the
    queries of one ``grant_facts`` batch."""
    ids = list(projects_visible_to(user).values_list("pk", flat=True))
    return {
        project_id: payment_rules.schedule(facts, today)
        for project_id, facts in grant_facts(ids, today=today, with_shares=False).items()
    }


def instalments_by_status(schedules: dict[int, list]) -> list[StatusCount]:
    """Every instalment of the schedules counted by status, in the statuses' order, each with
    its one label and colour; the statuses no instalment has are left out."""
    counts: dict[str, int] = defaultdict(int)
    for instalments in schedules.values():
        for item in instalments:
            counts[item.status] += 1
    return [
        StatusCount(
            status=status,
            label=instalment_statuses.status_label(status),
            colour=instalment_statuses.status_colour(status),
            count=counts[status],
        )
        for status in instalment_statuses.STATUSES
        if counts.get(status)
    ]


def payments_by_month(
    *, user, today: datetime.date, schedules: dict[int, list] | None = None
) -> list[MonthPayments]:
    """What the payment schedules of the user's projects made due, and what was paid, month
    by month, both cumulative, from the first month with either to this month (or the last
    month something falls due).

    Due: every instalment whose period has ended (any status but "scheduled"), at the amount
    the schedule counts for it now (the approved amount once approved; a recovery negative),
    in the month its payment falls due (its payment due date, else its due date). Paid:
    payments less recoveries, in the month they were made. ``schedules``: those of
    ``portfolio_schedules``, when the caller has them already."""
    if schedules is None:
        schedules = portfolio_schedules(user=user, today=today)
    ids = list(schedules)
    due: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    for instalments in schedules.values():
        for item in instalments:
            day = item.payment_due_on or item.due_on
            if item.status == instalment_statuses.SCHEDULED or day is None:
                continue
            due[_month(day)] += item.amount
    paid: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    for month, direction, total in (
        Payment.objects.filter(project_id__in=ids)
        .annotate(month=TruncMonth("paid_on"))
        .values_list("month", "direction")
        .annotate(total=Sum("amount_eur"))
        .order_by()
    ):
        month = month.date() if isinstance(month, datetime.datetime) else month
        paid[month] += total if direction == Direction.PAYMENT else -total
    months = set(due) | set(paid)
    if not months:
        return []
    month, last = min(months), max(max(months), _month(today))
    result = []
    due_total = paid_total = ZERO
    while month <= last:
        due_total += due.get(month, ZERO)
        paid_total += paid.get(month, ZERO)
        result.append(MonthPayments(month.strftime("%Y-%m"), due_total, paid_total))
        month = add_months(month, 1)
    return result


def portfolio_charts(*, user, now: datetime.datetime) -> PortfolioCharts:
    today = brussels_today(now)
    schedules = portfolio_schedules(user=user, today=today)
    return PortfolioCharts(
        open_flags=open_flags_by_week(user=user, now=now),
        deliverables=deliverables_by_cluster(user=user, today=today),
        payments=payments_by_month(user=user, today=today, schedules=schedules),
        instalments=instalments_by_status(schedules),
    )


# -- one project's compliance ----------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentLine:
    """One instalment of the schedule as the compliance page shows it: the engine's answer
    (status, amount, deadline, suspensions, lateness) and the officer's approval, if any."""

    item: payment_rules.Instalment
    justification: str = ""  # the officer's, when approved despite a breach
    approved_on: datetime.date | None = None

    @property
    def waits_on(self) -> tuple[payment_rules.Condition, ...]:
        """What holds it back (blocked) or what the officer decides on (decision needed)."""
        if self.item.status in (instalment_statuses.BLOCKED, instalment_statuses.DECISION_NEEDED):
            return self.item.reasons
        return ()

    @property
    def suspended_open(self) -> bool:
        return self.item.status == instalment_statuses.SUSPENDED


@dataclass(frozen=True)
class ProjectCompliance:
    project: Project
    verdict: Verdict  # the composition rules, evaluated today
    compliance: Compliance  # from the open flags, as on the dashboard
    open_flags: list[Flag]  # most severe first
    resolved_flags: list[Flag]  # the latest resolved first
    schedule: ScheduleState
    payments: list[PaymentLine]  # the schedule's instalments, in its order
    ledger: Ledger  # the money in one read: accepted, reduced, paid, outstanding
    reductions: list[Reduction]  # those the user may read, in the order recorded


def _payment_lines(schedule: ScheduleState) -> list[PaymentLine]:
    lines = []
    for item in schedule.instalments:
        row = schedule.rows.get(item.key)
        lines.append(
            PaymentLine(
                item=item,
                justification=row.justification if row is not None else "",
                approved_on=brussels_today(row.approved_at) if row is not None else None,
            )
        )
    return lines


def project_compliance(*, user, project: Project) -> ProjectCompliance:
    """A project the user sees: today's verdict on its composition, its open flags, the
    latest resolved ones, its payment schedule, its ledger and the reductions the user may
    read, in a fixed number of queries."""
    consortium, rules = consortia([project.pk])[project.pk]
    schedule = schedule_state(project)
    open_flags = list(flag_list(user=user, project_id=project.pk, status=FlagStatus.OPEN))
    resolved = list(
        flag_list(user=user, project_id=project.pk, status=FlagStatus.RESOLVED).order_by(
            "-resolved_at", "-id"
        )[:RESOLVED_HISTORY]
    )
    return ProjectCompliance(
        project=project,
        verdict=evaluate(consortium, rules, schedule.today),
        compliance=compliance(OpenFlag(flag.kind, flag.severity) for flag in open_flags),
        open_flags=open_flags,
        resolved_flags=resolved,
        schedule=schedule,
        payments=_payment_lines(schedule),
        ledger=project_ledger(project.pk, schedule.today, facts=schedule.facts),
        reductions=list(reductions_visible(user=user, project=project)),
    )
