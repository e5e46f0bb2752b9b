"""Reads for the agency officer's dashboard: the portfolio's compliance, project by project, the
pictures of the portfolio over time, and one project's compliance page.

Every read is scoped to the requesting user (``projects_visible_to``: an officer's portfolio,
every project for administrators) and takes a fixed number of queries, whatever the number of
projects, flags, deliverables or payments.

The portfolio's reads recompute nothing: they read the per-project summaries the checks write
(``monitoring.summaries``). The table joins each project to its summary (a project never
checked has none and counts as green, with no flag and no next instalment) and filters, sorts,
counts and pages in the database; the charts are sums the database makes of the summaries,
the schedule's tallies and the payments. So a figure moves when the project is checked (on
change, by the sweep), and a page costs the same whatever the size of the portfolio. An
administrator sees every project: their reads are not filtered by project at all.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Lower, TruncMonth

from backend.common.dates import BRUSSELS, add_months, brussels_today
from backend.grants.eligibility.engine import Verdict, evaluate
from backend.grants.models import Project
from backend.grants.selectors import consortia, projects_visible_to
from backend.payments import rules as payment_rules
from backend.payments import statuses as instalment_statuses
from backend.payments.models import Direction, Payment, Reduction
from backend.payments.reductions import reductions_visible
from backend.payments.selectors import Ledger, ScheduleState, project_ledger, schedule_state
from backend.reporting.progress import ClusterProgress
from monitoring.everything import keep, kept, kept_figures, portfolio_key
from monitoring.models import Flag, FlagStatus
from monitoring.rag import GREEN, STATUSES, Compliance, OpenFlag, compliance
from monitoring.selectors import flag_list
from monitoring.summaries import (
    NextInstalment,
    month_of,
    portfolio_due_by_month,
    portfolio_progress_summed,
    portfolio_status_counts,
    status_counts,
    summary_compliance,
    summary_next_instalment,
    visible_scope,
)

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


# The summary's columns a row of the table reads (a project with no summary reads None).
ROW_VALUES = (
    "id",
    "acronym",
    "grant_agreement_number",
    "title",
    "call__identifier",
    "start_date",
    "summary__status",
    "summary__eligibility",
    "summary__overdue",
    "summary__flags_critical",
    "summary__flags_high",
    "summary__flags_medium",
    "summary__flags_low",
    "summary__next_key",
    "summary__next_kind",
    "summary__next_period",
    "summary__next_status",
    "summary__next_due_on",
    "summary__next_amount",
)


def _order(sort: str) -> list:
    """The table's order: by ``sort``, then by acronym. "status" puts red first, "flags" the
    fewest open flags first, "due" the earliest next instalment first (projects with none
    last, either way)."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    then = [Lower("acronym"), "grant_agreement_number", "id"]
    if key == "acronym":
        first = Lower("acronym")
        return [first.desc() if descending else first.asc(), "grant_agreement_number", "id"]
    if key == "status":
        return [F("rank").desc() if descending else F("rank").asc(), *then]
    if key == "flags":
        names = ("flags_total", "flags_critical", "flags_high")
        return [F(name).desc() if descending else F(name).asc() for name in names] + then
    if key == "due":
        due = F("summary__next_due_on")
        return [due.desc(nulls_last=True) if descending else due.asc(nulls_last=True), *then]
    raise ValueError(f"unknown sort {sort!r}")


def _filtered(user, filters: PortfolioFilters) -> QuerySet:
    """The matching projects joined to their summaries (LEFT JOIN), filtered, not sorted."""
    projects = projects_visible_to(user)
    if filters.call:
        projects = projects.filter(call__identifier=filters.call)
    if filters.search:
        projects = projects.filter(
            Q(acronym__icontains=filters.search)
            | Q(grant_agreement_number__icontains=filters.search)
        )
    projects = projects.annotate(
        rank=Coalesce("summary__status_rank", Value(STATUSES.index(GREEN))),
        flags_total=Coalesce("summary__flags_total", Value(0)),
        flags_critical=Coalesce("summary__flags_critical", Value(0)),
        flags_high=Coalesce("summary__flags_high", Value(0)),
    )
    if filters.status:
        projects = projects.filter(rank=STATUSES.index(filters.status))
    if filters.severity:
        projects = projects.filter(**{f"summary__flags_{filters.severity}__gt": 0})
    return projects


def _matching(user, filters: PortfolioFilters) -> QuerySet:
    """The matching projects' rows, filtered and sorted by the database."""
    return _filtered(user, filters).order_by(*_order(filters.sort)).values_list(*ROW_VALUES)


class _ByStatus:
    """The matching projects in status order (red first, or green first for "-status"), then
    by acronym, as the paginator reads them: counted per status in one grouped query, and a
    page read status by status, each in the order of the projects' acronym index. A page of
    the table sorted by status (the default) so reads its own rows instead of sorting every
    matching project, however many the user can see."""

    def __init__(self, projects: QuerySet, *, descending: bool, kept_as: str | None = None):
        self.projects = projects
        # The portfolio (``portfolio_key``) whose every project matches, unfiltered: its sizes
        # are kept from one change to the next. None: filtered, counted on every load.
        self.kept_as = kept_as
        self.ranks = list(range(len(STATUSES)))
        if descending:
            self.ranks.reverse()
        self._sizes: dict[int, int] | None = None

    def sizes(self) -> dict[int, int]:
        if self._sizes is None:

            def compute() -> dict[int, int]:
                return dict(
                    self.projects.order_by().values_list("rank").annotate(count=Count("id"))
                )

            self._sizes = (
                compute()
                if self.kept_as is None
                else kept_figures("sizes", compute, today=brussels_today(), portfolio=self.kept_as)
            )
        return self._sizes

    def count(self) -> int:
        return sum(self.sizes().values())

    def of_rank(self, rank: int) -> QuerySet:
        """The matching projects of one status. Said on the summary's column (green: or no
        summary) rather than on the table's rank (a COALESCE), so that the planner knows from
        the column's statistics how many there are and walks the acronym index for a page."""
        green = STATUSES.index(GREEN)
        if rank == green:
            return self.projects.filter(Q(summary__status_rank=green) | Q(summary__isnull=True))
        return self.projects.filter(summary__status_rank=rank)

    def __getitem__(self, window: slice) -> list[tuple]:
        start, stop = window.start or 0, window.stop
        rows: list[tuple] = []
        offset = 0
        for rank in self.ranks:
            size = self.sizes().get(rank, 0)
            if size and start < offset + size and (stop is None or stop > offset):
                first = max(start - offset, 0)
                last = size if stop is None else min(stop - offset, size)
                rows += list(
                    self.of_rank(rank)
                    .order_by(Lower("acronym"), "grant_agreement_number", "id")
                    .values_list(*ROW_VALUES)[first:last]
                )
            offset += size
        return rows


def _row(values: tuple) -> PortfolioRow:
    (
        project_id,
        acronym,
        number,
        title,
        call,
        start_date,
        status,
        eligibility,
        overdue,
        critical,
        high,
        medium,
        low,
        key,
        kind,
        period,
        instalment_status,
        due_on,
        amount,
    ) = values
    return PortfolioRow(
        project_id=project_id,
        acronym=acronym,
        grant_agreement_number=number,
        title=title,
        call=call,
        start_date=start_date,
        compliance=summary_compliance(
            status=status,
            eligibility=eligibility,
            overdue=overdue,
            critical=critical,
            high=high,
            medium=medium,
            low=low,
        ),
        next_instalment=summary_next_instalment(
            key=key,
            kind=kind,
            period=period,
            status=instalment_status,
            due_on=due_on,
            amount=amount,
        ),
    )


def portfolio_page(
    *,
    user,
    today: datetime.date,
    filters: PortfolioFilters,
    page: int | str | None = 1,
    per_page: int = PER_PAGE,
    portfolio: str | None = None,
) -> Page:
    """One page of the portfolio table: ``page.object_list`` holds its rows with their next
    instalment; ``page.paginator.count`` the number of matching projects. A page number out
    of range gives the last page. The count, then the page: one query, or, sorted by status,
    one per status on the page (at most three); the same whatever the number of projects.
    ``today`` is kept for the callers: the rows are as the projects were last checked.
    ``portfolio``: the user's ``portfolio_key``, when the caller has it already."""
    if filters.sort.lstrip("-") == "status":
        rows = _ByStatus(
            _filtered(user, filters),
            descending=filters.sort.startswith("-"),
            kept_as=(portfolio or portfolio_key(user))
            if replace(filters, sort=DEFAULT_SORT) == PortfolioFilters()
            else None,
        )
    else:
        rows = _matching(user, filters)
    found = Paginator(rows, per_page).get_page(page)
    found.object_list = [_row(values) for values in found.object_list]
    return found


def portfolio_export(
    *, user, today: datetime.date, filters: PortfolioFilters
) -> Iterator[PortfolioRow]:
    """Every matching project's row, sorted, with its next instalment (for the exports),
    streamed from one query of the summaries."""
    for values in _matching(user, filters).iterator(chunk_size=2000):
        yield _row(values)


def portfolio_calls(*, user, portfolio: str | None = None) -> list[str]:
    """The identifiers of the calls of the user's projects, for the call filter, kept from
    one change of the portfolio to the next (``monitoring.everything``; ``portfolio``: the
    user's ``portfolio_key``, when the caller has it already)."""

    def compute() -> list[str]:
        return list(
            projects_visible_to(user)
            .order_by("call__identifier")
            .values_list("call__identifier", flat=True)
            .distinct()
        )

    return kept_figures(
        "calls", compute, today=brussels_today(), portfolio=portfolio or portfolio_key(user)
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


# How long an administrator's count of a week gone by is kept (``open_flags_by_week``).
PAST_WEEK_SECONDS = 3600


def open_flags_by_week(*, user, now: datetime.datetime, weeks: int = WEEKS) -> list[WeekCount]:
    """How many flags of the user's projects were open at the end of each of the last weeks,
    counted by the database in one query: a flag is open at an instant when it was first seen
    by then and not resolved by then.

    A week gone by keeps its count: a flag is first seen and resolved at the time it is
    written, never before. So an administrator's counts of past weeks (every flag of the
    agency) are kept in the cache for an hour, and a load counts only the weeks not kept, in
    general the current one alone."""
    ends = week_ends(now, weeks)
    scope = visible_scope(user)
    flags = Flag.objects.all() if scope is None else Flag.objects.filter(project__in=scope)
    keys = {
        index: f"dashboard:open-flags:{end.isoformat()}"
        for index, (_label, end, _day) in enumerate(ends)
        if scope is None and end < now
    }
    found = kept(list(keys.values()))
    counts = {f"w{index}": found[key] for index, key in keys.items() if found.get(key) is not None}
    wanted = [index for index in range(len(ends)) if f"w{index}" not in counts]
    if wanted:
        counted = flags.aggregate(
            **{
                f"w{index}": Count(
                    "id",
                    filter=Q(first_seen_at__lte=ends[index][1])
                    & (Q(resolved_at__isnull=True) | Q(resolved_at__gt=ends[index][1])),
                )
                for index in wanted
            }
        )
        counts.update({name: count or 0 for name, count in counted.items()})
        keep(
            {keys[index]: counts[f"w{index}"] for index in wanted if index in keys},
            timeout=PAST_WEEK_SECONDS,
        )
    return [
        WeekCount(week=label, as_of=end, last_day=last_day, open=counts[f"w{index}"])
        for index, (label, end, last_day) in enumerate(ends)
    ]


def deliverables_by_cluster(*, user, today: datetime.date) -> tuple[ClusterProgress, ...]:
    """The deliverables of the user's projects by status, per activity cluster (a work
    package in several clusters counts in each), as their projects were last checked: sums of
    the progress summaries, in two queries. ``today`` is kept for the callers."""
    return portfolio_progress_summed(visible_scope(user)).clusters


def _status_rows(counts: dict[str, int]) -> list[StatusCount]:
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


def instalments_by_status(schedules: dict[int, list]) -> list[StatusCount]:
    """Every instalment of the schedules counted by status, in the statuses' order, each with
    its one label and colour; the statuses no instalment has are left out."""
    counts: dict[str, int] = defaultdict(int)
    for instalments in schedules.values():
        for status, count in status_counts(instalments).items():
            counts[status] += count
    return _status_rows(counts)


def portfolio_instalments(*, user) -> list[StatusCount]:
    """The instalments of the user's projects' schedules counted by status (as
    ``instalments_by_status``), as last checked: one query summing the tallies."""
    return _status_rows(portfolio_status_counts(visible_scope(user)))


def payments_by_month(*, user, today: datetime.date) -> list[MonthPayments]:
    """What the payment schedules of the user's projects made due, and what was paid, month
    by month, both cumulative, from the first month with either to this month (or the last
    month something falls due).

    Due: as the projects were last checked, by the rule of ``monitoring.summaries.due_by_month``
    (summed by the database from the schedules' tallies). Paid: payments less recoveries, in
    the month they were made. Two queries."""
    scope = visible_scope(user)
    due = portfolio_due_by_month(scope)
    payments = Payment.objects.all() if scope is None else Payment.objects.filter(project__in=scope)
    paid: dict[datetime.date, Decimal] = defaultdict(lambda: ZERO)
    for month, direction, total in (
        payments.annotate(month=TruncMonth("paid_on"))
        .values_list("month", "direction")
        .annotate(total=Sum("amount_eur"))
        .order_by()
    ):
        month = month.date() if isinstance(month, datetime.datetime) else month
        paid[month] += total if direction == Direction.PAYMENT else -total
    months = set(due) | set(paid)
    if not months:
        return []
    month, last = min(months), max(max(months), month_of(today))
    result = []
    due_total = paid_total = ZERO
    while month <= last:
        due_total += due.get(month, ZERO)
        paid_total += paid.get(month, ZERO)
        result.append(MonthPayments(month.strftime("%Y-%m"), due_total, paid_total))
        month = add_months(month, 1)
    return result


def portfolio_charts(
    *, user, now: datetime.datetime, portfolio: str | None = None
) -> PortfolioCharts:
    """The portfolio's four pictures, in a fixed number of queries whatever its size, kept
    from one change of the portfolio to the next (``monitoring.everything``; ``portfolio``:
    the user's ``portfolio_key``, when the caller has it already)."""
    today = brussels_today(now)

    def compute() -> PortfolioCharts:
        return PortfolioCharts(
            open_flags=open_flags_by_week(user=user, now=now),
            deliverables=deliverables_by_cluster(user=user, today=today),
            payments=payments_by_month(user=user, today=today),
            instalments=portfolio_instalments(user=user),
        )

    charts = kept_figures(
        "charts", compute, today=today, portfolio=portfolio or portfolio_key(user)
    )
    # The current week is counted up to now: kept, its count is that of the last change.
    current = charts.open_flags[-1]
    return replace(
        charts,
        open_flags=[*charts.open_flags[:-1], replace(current, as_of=max(current.as_of, now))],
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
