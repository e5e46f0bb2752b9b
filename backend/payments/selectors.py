"""Reads for the payment schedule: the plain facts ``backend.payments.rules`` needs, for one
project or a batch, in a fixed number of queries whatever the number of projects, periods,
work packages, deliverables or payments."""

import datetime
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db.models import F, OuterRef, Subquery

from backend.common.dates import BRUSSELS, brussels_today, month_end, month_start
from backend.grants.eligibility.engine import BREACH, change_dates, evaluate
from backend.grants.eligibility.facts import Consortium, RuleSetFacts
from backend.grants.models import Participation, Project, ProjectSuspension
from backend.grants.selectors import AnyOf, consortia
from backend.payments.models import (
    Direction,
    Instalment,
    Payment,
    PaymentSuspension,
    Reduction,
    ReductionKind,
    ReductionStatus,
)
from backend.payments.rules import (
    ADDITIONAL_PREFINANCING,
    BALANCE,
    INTERIM,
    PREFINANCING,
    ZERO,
    ApprovedInstalment,
    Completion,
    GrantFacts,
    Interval,
    PeriodFacts,
    ReductionFacts,
    WorkPackageFacts,
    accepted_totals,
    percent_of,
    periods_until,
    schedule,
)
from backend.payments.rules import Instalment as ScheduledInstalment
from backend.reporting.models import (
    DeadlineSuspension,
    LateJustification,
    PeriodicReport,
    ReportStatus,
    WorkPackageDecision,
    WorkPackageDeclaration,
)
from backend.reporting.rules import (
    DeclarationFact,
    DeliverableFact,
    WorkPackageFact,
    declared_completed_before,
    needs_justification,
    work_packages_to_declare,
)
from backend.workplan.models import (
    Deliverable,
    ReportingPeriod,
    WorkPackage,
    WorkPackageShare,
)
from backend.workplan.rules import NOT_SUBMITTED


def breached_rules(consortium: Consortium, rules: RuleSetFacts, day: datetime.date) -> tuple:
    return tuple(r.rule for r in evaluate(consortium, rules, day).results if r.status == BREACH)


class _Breaches:
    """The rules a consortium breaches on given days, evaluated as few times as possible: the
    verdict only changes on the consortium's change dates, so a day after which nothing changes
    has today's verdict."""

    def __init__(self, snapshot, today: datetime.date, known_today: tuple | None = None):
        self.snapshot = snapshot
        self.today = today
        self._today: tuple | None = known_today
        self._last_change = (
            None if snapshot is None else max(change_dates(snapshot[0]), default=None)
        )

    def now(self) -> tuple:
        if self.snapshot is None:
            return ()
        if self._today is None:
            self._today = breached_rules(*self.snapshot, self.today)
        return self._today

    def on(self, day: datetime.date) -> tuple:
        if self.snapshot is None or day >= self.today:
            return ()
        # Change dates are read within the project's life: after its end, evaluate.
        within = self.today <= self.snapshot[0].end_date
        if within and (self._last_change is None or self._last_change <= day):
            return self.now()
        return breached_rules(*self.snapshot, day)


@dataclass(frozen=True)
class PaymentRecord:
    """A payment or recovery recorded for an approved instalment."""

    key: str
    direction: str
    amount: Decimal
    paid_on: datetime.date
    reference: str


def grant_facts(
    project_ids: Collection[int],
    *,
    today: datetime.date,
    snapshots: Mapping[int, tuple[Consortium, RuleSetFacts]] | None = None,
    breaches_today: Mapping[int, tuple[str, ...]] | None = None,
    with_shares: bool = True,
) -> dict[int, GrantFacts]:
    """The payment facts of each project. ``snapshots`` are the consortia already read (the
    watchers read them for the eligibility checks); else they are read here. Without
    ``with_shares`` the beneficiaries' shares are read only for the projects with a confirmed
    reduction of one beneficiary (the schedule needs them there; elsewhere only the split among
    beneficiaries does). ``breaches_today``: the rules each consortium
    breaches today, when the caller has just evaluated them."""
    projects = _projects(project_ids)
    if snapshots is None:
        snapshots = consortia(projects)
    record = _PaymentRecord.read(projects, with_shares=with_shares)
    facts = {}
    for project_id, project in projects.items():
        breaches = _Breaches(
            snapshots.get(project_id),
            today,
            None if breaches_today is None else breaches_today.get(project_id, ()),
        )
        facts[project_id] = record.grant_facts(project, breaches)
    return facts


def _projects(project_ids: Collection[int]) -> dict[int, dict]:
    """The projects' own payment terms and their calls', and their suspensions (as
    ``Interval``s under "suspensions"), by id: two queries, each by the projects' ids."""
    ids = list(project_ids)
    projects: dict[int, dict] = {}
    for row in (
        Project.objects.filter(AnyOf(F("id"), ids))
        .order_by("id")
        .values(
            "id",
            "max_grant_eur",
            "prefinancing_percent",
            "payments_cap_percent",
            "signed_on",
            "start_date",
            "terminated_on",
            "prefinancing_payment_days",
            "additional_prefinancing_payment_days",
            "interim_payment_days",
            "balance_payment_days",
            "call__pays_partial_completion",
            "call__additional_prefinancing_percent",
            "call__payment_days",
            "call__prefinancing_payment_days",
            "call__ruleset__breach_blocks_payments",
            "call__ruleset__reports_in_order",
            "call__ruleset__late_interest_reference_percent",
            "call__ruleset__late_interest_margin_points",
        )
    ):
        projects[row["id"]] = {**row, "suspensions": []}
    for project_id, start, end, reason in (
        ProjectSuspension.objects.filter(AnyOf(F("project_id"), ids))
        .order_by("project_id", "started_on", "id")
        .values_list("project_id", "started_on", "ended_on", "reason")
    ):
        projects[project_id]["suspensions"].append(Interval(start, end, reason))
    return projects


def payment_days(project: Mapping[str, object]) -> dict[str, int]:
    """The agency's payment days by kind: the grant's own, else the call's (pre-financing: the
    call's pre-financing days; the others: the call's payment days)."""
    call_days = project["call__payment_days"]
    return {
        PREFINANCING: _first(
            project["prefinancing_payment_days"], project["call__prefinancing_payment_days"]
        ),
        ADDITIONAL_PREFINANCING: _first(project["additional_prefinancing_payment_days"], call_days),
        INTERIM: _first(project["interim_payment_days"], call_days),
        BALANCE: _first(project["balance_payment_days"], call_days),
    }


def _first(value, default):
    return default if value is None else value


def _by_project(rows: Iterable[dict], key: str = "project_id") -> dict[int, list[dict]]:
    grouped: dict[int, list[dict]] = defaultdict(list)
    for row in rows:
        grouped[row[key]].append(row)
    return grouped


def _shares(projects: Collection[int]) -> dict[int, dict[str, Decimal]]:
    """Each work package's lump-sum shares: participant -> amount, by work package id. Both
    sides of the join are restricted to the projects, so that either can lead by its index."""
    shares: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if not projects:
        return shares
    ids = list(projects)
    for wp_id, name, amount in (
        WorkPackageShare.objects.filter(
            AnyOf(F("work_package__project_id"), ids), AnyOf(F("participation__project_id"), ids)
        )
        .order_by()
        .values_list("work_package_id", "participation__short_name", "amount_eur")
    ):
        shares[wp_id][name] = amount
    return shares


def _not_submitted(
    projects: Collection[int], work_package_numbers: Mapping[int, int]
) -> dict[int, list[DeliverableFact]]:
    """The deliverables not submitted yet (pending or draft), by project, in the work plan's
    order; ``work_package_numbers``: the projects' work packages' numbers by id (read
    already), so that no other table is joined."""
    found: dict[int, list[DeliverableFact]] = defaultdict(list)
    for deliverable_id, project_id, code, work_package_id, due_on, status in (
        Deliverable.objects.filter(AnyOf(F("project_id"), projects), status__in=NOT_SUBMITTED)
        .order_by("project_id", "position", "id")
        .values_list("id", "project_id", "code", "work_package_id", "due_on", "status")
    ):
        found[project_id].append(
            DeliverableFact(
                deliverable_id, code, work_package_numbers.get(work_package_id), due_on, status
            )
        )
    return dict(found)


def _approved(projects: Collection[int]) -> dict[int, dict[str, ApprovedInstalment]]:
    """The instalments the officer approved, by project and key, each saying if it was paid."""
    paid = dict(
        Payment.objects.filter(AnyOf(F("project_id"), projects))
        .order_by()
        .values_list("instalment_id", "paid_on")
    )
    approved: dict[int, dict[str, ApprovedInstalment]] = defaultdict(dict)
    for row in (
        Instalment.objects.filter(AnyOf(F("project_id"), projects))
        .order_by()
        .values(
            "id", "project_id", "key", "amount_eur", "work_packages", "justification", "approved_at"
        )
    ):
        approved[row["project_id"]][row["key"]] = ApprovedInstalment(
            amount=row["amount_eur"],
            paid=row["id"] in paid,
            work_packages=tuple(row["work_packages"]),
            paid_on=paid.get(row["id"]),
            justification=row["justification"],
            approved_on=row["approved_at"].astimezone(BRUSSELS).date(),
        )
    return approved


def _reductions(projects: Collection[int]) -> dict[int, tuple[ReductionFacts, ...]]:
    """The confirmed reductions, by project, in the order they were confirmed. The
    participant's name and the work package's number are looked up by their primary keys
    for each row, not joined."""
    found: dict[int, list[ReductionFacts]] = defaultdict(list)
    for row in (
        Reduction.objects.filter(AnyOf(F("project_id"), projects), status=ReductionStatus.CONFIRMED)
        .annotate(
            participant_name=Subquery(
                Participation.objects.filter(pk=OuterRef("participation_id"))
                .order_by()
                .values("short_name")
            ),
            package_number=Subquery(
                WorkPackage.objects.filter(pk=OuterRef("work_package_id"))
                .order_by()
                .values("number")
            ),
        )
        .order_by("decided_on", "id")
        .values(
            "project_id",
            "participant_name",
            "package_number",
            "kind",
            "percent",
            "amount_eur",
            "decided_on",
        )
    ):
        found[row["project_id"]].append(_reduction_facts(row))
    return {project_id: tuple(rows) for project_id, rows in found.items()}


def _reduction_facts(row: dict) -> ReductionFacts:
    percent_kind = row["kind"] == ReductionKind.PERCENT
    return ReductionFacts(
        participant=row["participant_name"],
        work_package=row["package_number"],
        percent=row["percent"] if percent_kind else None,
        amount=None if percent_kind else row["amount_eur"],
        decided_on=row["decided_on"] or datetime.date.min,
    )


def _payment_suspensions(projects: Collection[int]) -> dict[int, dict[str, tuple]]:
    """The officer's payment suspensions, by project and instalment key."""
    found: dict[int, dict[str, list[Interval]]] = defaultdict(lambda: defaultdict(list))
    for project_id, key, start, end, reason in (
        PaymentSuspension.objects.filter(AnyOf(F("project_id"), projects))
        .order_by("suspended_on", "id")
        .values_list("project_id", "key", "suspended_on", "lifted_on", "reason")
    ):
        found[project_id][key].append(Interval(start, end, reason))
    return {
        project_id: {key: tuple(rows) for key, rows in by_key.items()}
        for project_id, by_key in found.items()
    }


def _deadline_suspensions(report_periods: Mapping[int, int]) -> dict[int, tuple[Interval, ...]]:
    """The payment deadline's suspensions, by reporting period id; ``report_periods``: the
    reporting period of each of the projects' reports, by report id."""
    found: dict[int, list[Interval]] = defaultdict(list)
    for report_id, start, end, reason in (
        DeadlineSuspension.objects.filter(AnyOf(F("report_id"), report_periods))
        .order_by("started_on", "id")
        .values_list("report_id", "started_on", "ended_on", "reason")
    ):
        found[report_periods[report_id]].append(Interval(start, end, reason))
    return {period_id: tuple(rows) for period_id, rows in found.items()}


def _justified(report_periods: Mapping[int, int]) -> frozenset[tuple[int, int]]:
    """(reporting period id, deliverable id) of the late deliverables justified in the
    projects' reports; ``report_periods``: each report's period, by report id."""
    rows = (
        LateJustification.objects.filter(AnyOf(F("report_id"), report_periods))
        .order_by()
        .values_list("report_id", "deliverable_id")
    )
    return frozenset(
        (report_periods[report_id], deliverable_id) for report_id, deliverable_id in rows
    )


def _declarations(work_packages: list[dict], periods: list[dict]) -> dict[int, list[dict]]:
    """The work packages' declarations in the periods' reports, by project, in period and
    work package order: read by the work packages' ids, with the numbers and the report's
    status of the rows read before."""
    packages = {row["id"]: row for row in work_packages}
    by_period = {row["id"]: row for row in periods}
    found = []
    for row in (
        WorkPackageDeclaration.objects.filter(AnyOf(F("work_package_id"), packages))
        .order_by()
        .values(
            "work_package_id",
            "reporting_period_id",
            "completed",
            "completion_percent",
            "decision",
            "accepted_percent",
        )
    ):
        package = packages[row["work_package_id"]]
        period = by_period.get(row["reporting_period_id"])
        if period is None:
            continue
        found.append(
            {
                "work_package__project_id": package["project_id"],
                "work_package__number": package["number"],
                "reporting_period__number": period["number"],
                "completed": row["completed"],
                "completion_percent": row["completion_percent"],
                "decision": row["decision"],
                "accepted_percent": row["accepted_percent"],
                "reporting_period__report__status": period["report__status"],
            }
        )
    found.sort(key=lambda row: (row["reporting_period__number"], row["work_package__number"]))
    return _by_project(found, key="work_package__project_id")


def _completions(declarations: Iterable[dict]) -> tuple[Completion, ...]:
    """The work packages declared completed, or done to a percentage, in each period's report."""
    completions = []
    for row in declarations:
        if row["decision"] == WorkPackageDecision.REJECTED:
            continue  # no completion: it can be declared again later
        percent = Decimal(100) if row["completed"] else row["completion_percent"]
        if row["accepted_percent"] is not None:
            percent = row["accepted_percent"]
        if percent:
            completions.append(
                Completion(
                    work_package=row["work_package__number"],
                    period=row["reporting_period__number"],
                    percent=percent,
                    approved=row["reporting_period__report__status"] == ReportStatus.APPROVED,
                )
            )
    return tuple(completions)


def _declaration_fact(row: dict) -> DeclarationFact:
    return DeclarationFact(
        period=row["reporting_period__number"],
        work_package=row["work_package__number"],
        # A rejected work package is not completed: it is to be declared again.
        completed=row["completed"] and row["decision"] != WorkPackageDecision.REJECTED,
        report_status=row["reporting_period__report__status"],
    )


@dataclass(frozen=True)
class _PaymentRecord:
    """What a batch of projects' payment facts are computed from, read in a fixed number of
    queries whatever the number of projects; by project id (shares: by work package id)."""

    work_packages: Mapping[int, list[dict]]
    shares: Mapping[int, dict[str, Decimal]]
    periods: Mapping[int, list[dict]]
    declarations: Mapping[int, list[dict]]
    not_submitted: Mapping[int, list[DeliverableFact]]
    justified: frozenset[tuple[int, int]]  # (reporting period id, deliverable id)
    reductions: Mapping[int, tuple[ReductionFacts, ...]]
    approved: Mapping[int, dict[str, ApprovedInstalment]]
    payment_suspensions: Mapping[int, dict[str, tuple[Interval, ...]]]
    deadline_suspensions: Mapping[int, tuple[Interval, ...]]  # by reporting period id

    @classmethod
    def read(cls, projects: Collection[int], *, with_shares: bool) -> "_PaymentRecord":
        """Each table by the projects' ids, or by the ids of their rows read before (work
        packages, reports): no join to a table that is not restricted to the projects, so
        that a batch reads its own rows by index whatever the size of the database."""
        ids = list(projects)
        reductions = _reductions(ids)
        if not with_shares:
            projects_with_shares = [
                project_id
                for project_id, rows in reductions.items()
                if any(row.participant is not None for row in rows)
            ]
        work_packages = list(
            WorkPackage.objects.filter(AnyOf(F("project_id"), ids))
            .order_by("project_id", "number")
            .values("id", "project_id", "number", "start_month", "lump_sum_eur")
        )
        numbers = {row["id"]: row["number"] for row in work_packages}
        periods = list(
            ReportingPeriod.objects.filter(AnyOf(F("project_id"), ids))
            .order_by("project_id", "number")
            .values("id", "project_id", "number", "start_month", "end_month", "payment")
        )
        reports = {
            row["reporting_period_id"]: row
            for row in PeriodicReport.objects.filter(AnyOf(F("project_id"), ids))
            .order_by()
            .values("id", "reporting_period_id", "status", "first_submitted_at")
        }
        for row in periods:
            report = reports.get(row["id"], {})
            row["report__id"] = report.get("id")
            row["report__status"] = report.get("status")
            row["report__first_submitted_at"] = report.get("first_submitted_at")
        report_periods = {report["id"]: period_id for period_id, report in reports.items()}
        return cls(
            work_packages=_by_project(work_packages),
            shares=_shares(ids if with_shares else projects_with_shares),
            periods=_by_project(periods),
            declarations=_declarations(work_packages, periods),
            not_submitted=_not_submitted(ids, numbers),
            justified=_justified(report_periods),
            reductions=reductions,
            approved=_approved(ids),
            payment_suspensions=_payment_suspensions(ids),
            deadline_suspensions=_deadline_suspensions(report_periods),
        )

    def grant_facts(self, project: dict, breaches: _Breaches) -> GrantFacts:
        project_id = project["id"]
        work_packages = self.work_packages.get(project_id, [])
        return GrantFacts(
            max_grant=project["max_grant_eur"],
            prefinancing_percent=project["prefinancing_percent"],
            cap_percent=project["payments_cap_percent"],
            signed_on=project["signed_on"],
            start_date=project["start_date"],
            periods=self.period_facts(project, breaches),
            work_packages=tuple(
                WorkPackageFacts(row["number"], row["lump_sum_eur"], self.shares.get(row["id"], {}))
                for row in work_packages
            ),
            completions=_completions(self.declarations.get(project_id, [])),
            additional_prefinancing_percent=project["call__additional_prefinancing_percent"],
            pays_partial_completion=project["call__pays_partial_completion"],
            payment_days=payment_days(project),
            reductions=self.reductions.get(project_id, ()),
            open_breaches=breaches.now(),
            approved=self.approved.get(project_id, {}),
            breach_blocks_payments=project["call__ruleset__breach_blocks_payments"],
            reports_in_order=project["call__ruleset__reports_in_order"],
            interest_percent=project["call__ruleset__late_interest_reference_percent"]
            + project["call__ruleset__late_interest_margin_points"],
            payment_suspensions=self.payment_suspensions.get(project_id, {}),
            project_suspensions=tuple(project["suspensions"]),
        )

    def period_facts(self, project: dict, breaches: _Breaches) -> tuple[PeriodFacts, ...]:
        """What each reporting period's instalment depends on."""
        project_id, start = project["id"], project["start_date"]
        wp_facts = [
            WorkPackageFact(row["number"], row["start_month"])
            for row in self.work_packages.get(project_id, [])
        ]
        declarations = [_declaration_fact(row) for row in self.declarations.get(project_id, [])]
        not_submitted = self.not_submitted.get(project_id, [])
        last_day = project["terminated_on"]
        facts = []
        for row in self.periods.get(project_id, []):
            number = row["number"]
            period_start = month_start(start, row["start_month"])
            period_end = month_end(start, row["end_month"])
            if last_day is not None:
                if period_start > last_day:
                    continue
                period_end = min(period_end, last_day)
            to_declare = work_packages_to_declare(
                wp_facts,
                period_end_month=row["end_month"],
                completed_before=declared_completed_before(declarations, number),
            )
            declared = {d.work_package for d in declarations if d.period == number}
            received = row["report__first_submitted_at"]
            facts.append(
                PeriodFacts(
                    number=number,
                    start_on=period_start,
                    end_on=period_end,
                    payment=row["payment"],
                    report_status=row["report__status"],
                    report_received_on=None
                    if received is None
                    else received.astimezone(BRUSSELS).date(),
                    undeclared_work_packages=tuple(n for n in to_declare if n not in declared),
                    late_unjustified=tuple(
                        d.code
                        for d in not_submitted
                        if needs_justification(d, period_start, period_end)
                        and (row["id"], d.id) not in self.justified
                    ),
                    breaches_at_end=breaches.on(period_end),
                    deadline_suspensions=self.deadline_suspensions.get(row["id"], ()),
                )
            )
        # A grant terminated early: the periods after its last day went, the last one is cut
        # there and pays the balance.
        if last_day is not None:
            return periods_until(facts, last_day)
        return tuple(facts)


def project_payments(project_id: int) -> dict[str, PaymentRecord]:
    """The payments and recoveries recorded for a project, by instalment key."""
    return {
        key: PaymentRecord(key, direction, amount, paid_on, reference)
        for key, direction, amount, paid_on, reference in Payment.objects.filter(
            project_id=project_id
        ).values_list("instalment__key", "direction", "amount_eur", "paid_on", "reference")
    }


def net_paid(project_id: int) -> Decimal:
    """Payments less recoveries."""
    total = ZERO
    for direction, amount in Payment.objects.filter(project_id=project_id).values_list(
        "direction", "amount_eur"
    ):
        total += amount if direction == Direction.PAYMENT else -amount
    return total


@dataclass(frozen=True)
class ScheduleState:
    """A project's schedule as things stand today, with the approval and payment rows."""

    project: Project
    today: datetime.date
    facts: GrantFacts
    instalments: list[ScheduledInstalment]
    rows: dict[str, Instalment]  # key -> approved instalment (approved_by and payment joined)

    @property
    def net_paid(self) -> Decimal:
        """Payments less recoveries recorded."""
        total = ZERO
        for row in self.rows.values():
            payment = payment_of(row)
            if payment is not None:
                total += payment.signed_amount
        return total

    @property
    def totals(self) -> "LedgerTotals":  # defined below, with the ledger
        """The ledger's totals, from the facts and rows read already."""
        return ledger_totals(self.facts, self.net_paid)

    def get(self, key: str) -> ScheduledInstalment | None:
        return next((item for item in self.instalments if item.key == key), None)


def payment_of(row: Instalment | None) -> Payment | None:
    if row is None:
        return None
    try:
        return row.payment
    except Payment.DoesNotExist:
        return None


def schedule_state(project: Project) -> ScheduleState:
    """The schedule in a fixed number of queries, whatever the number of instalments."""
    today = brussels_today()
    facts = grant_facts([project.pk], today=today)[project.pk]
    rows = {
        row.key: row
        for row in Instalment.objects.filter(project_id=project.pk).select_related(
            "approved_by", "payment__recorded_by"
        )
    }
    return ScheduleState(project, today, facts, schedule(facts, today), rows)


PAYMENT_ENTRY = "payment"
RECOVERY_ENTRY = "recovery"
REDUCTION_ENTRY = "reduction"


@dataclass(frozen=True)
class LedgerEntry:
    """One movement of a project's money: a payment made, a recovery received, or a confirmed
    reduction of what is accepted."""

    date: datetime.date
    kind: str  # payment, recovery or reduction
    key: str  # the instalment's key ("" for a reduction)
    reduction_id: int | None  # the reduction's id (None for a payment or recovery)
    amount: Decimal  # signed: paid out positive; recovered or reduced negative
    reference: str  # the payment's reference, or the reduction's reason


@dataclass(frozen=True)
class LedgerTotals:
    """A project's money in four figures. The balance outstanding is the accepted total less
    the confirmed reductions less the net amount paid (negative: to recover)."""

    accepted_total: Decimal
    confirmed_reductions: Decimal
    net_paid: Decimal
    cap: Decimal

    @property
    def balance_outstanding(self) -> Decimal:
        return self.accepted_total - self.confirmed_reductions - self.net_paid


def ledger_totals(facts: GrantFacts, net_paid: Decimal) -> LedgerTotals:
    """The totals of a project's payment facts, given what was paid less what was recovered."""
    totals = accepted_totals(facts)
    return LedgerTotals(
        accepted_total=totals.accepted_total,
        confirmed_reductions=totals.confirmed_reductions,
        net_paid=net_paid,
        cap=percent_of(facts.max_grant, facts.cap_percent),
    )


@dataclass(frozen=True)
class Ledger(LedgerTotals):
    """A project's money in one read: the movements in date order, and the totals."""

    project_id: int
    entries: tuple[LedgerEntry, ...]


def project_ledger(
    project_id: int, today: datetime.date, *, facts: GrantFacts | None = None
) -> Ledger:
    """The payments, recoveries and confirmed reductions of a project, with its totals, in a
    fixed number of queries. A reduction's amount is what it takes of the accepted total as
    things stand (the reductions taken in the order they were confirmed). ``facts``: the
    project's payment facts when the caller has read them already (its schedule)."""
    if facts is None:
        facts = grant_facts([project_id], today=today)[project_id]
    totals = accepted_totals(facts)
    entries = [
        LedgerEntry(
            paid_on,
            PAYMENT_ENTRY if direction == Direction.PAYMENT else RECOVERY_ENTRY,
            key,
            None,
            amount if direction == Direction.PAYMENT else -amount,
            reference,
        )
        for key, direction, amount, paid_on, reference in Payment.objects.filter(
            project_id=project_id
        ).values_list("instalment__key", "direction", "amount_eur", "paid_on", "reference")
    ]
    reductions = (
        Reduction.objects.filter(project_id=project_id, status=ReductionStatus.CONFIRMED)
        .order_by("decided_on", "id")
        .values_list("id", "decided_on", "reason")
    )
    # The same order as the facts' reductions: what each took is at its position.
    for (reduction_id, decided_on, reason), taken in zip(
        reductions, totals.reductions, strict=False
    ):
        entries.append(LedgerEntry(decided_on, REDUCTION_ENTRY, "", reduction_id, -taken, reason))
    entries.sort(key=lambda entry: (entry.date, entry.kind != REDUCTION_ENTRY, entry.key))
    net = sum((e.amount for e in entries if e.kind != REDUCTION_ENTRY), ZERO)
    return Ledger(
        project_id=project_id, entries=tuple(entries), **asdict(ledger_totals(facts, net))
    )


def participant_order(project_id: int) -> dict[str, int]:
    """The participants' short names and their position in the grant."""
    return {
        name: position
        for position, name in enumerate(
            Participation.objects.filter(project_id=project_id)
            .order_by("position", "id")
            .values_list("short_name", flat=True)
        )
    }
