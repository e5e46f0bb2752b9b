"""Reads for the payment schedule: the plain facts ``backend.payments.rules`` needs, for one
project or a batch, in a fixed number of queries whatever the number of projects, periods,
work packages, deliverables or payments."""

import datetime
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from backend.common.dates import BRUSSELS, brussels_today, month_end, month_start
from backend.grants.eligibility.engine import BREACH, change_dates, evaluate
from backend.grants.eligibility.facts import Consortium, RuleSetFacts
from backend.grants.models import Participation, Project
from backend.grants.selectors import consortia
from backend.payments.models import Direction, Instalment, Payment, Reduction
from backend.payments.rules import (
    ZERO,
    ApprovedInstalment,
    Completion,
    GrantFacts,
    PeriodFacts,
    WorkPackageFacts,
    schedule,
)
from backend.payments.rules import Instalment as ScheduledInstalment
from backend.reporting.models import (
    LateJustification,
    ReportStatus,
    WorkPackageDeclaration,
)
from backend.reporting.rules import (
    DeliverableFact,
    WorkPackageFact,
    needs_justification,
    work_packages_to_declare,
)
from backend.reporting.selectors import SENT_STATUSES
from backend.workplan.models import (
    Deliverable,
    DeliverableStatus,
    ReportingPeriod,
    WorkPackage,
    WorkPackageShare,
)

# Reports whose declarations of completed work packages the next period's report does not
# repeat: the reporting app's own rule (a report sent back for changes does not count).
RECEIVED = SENT_STATUSES


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
        self._last_change = None if snapshot is None else max(change_dates(*snapshot), default=None)

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
    ``with_shares`` the beneficiaries' shares are not read (the schedule does not need them;
    only the split among beneficiaries does). ``breaches_today``: the rules each consortium
    breaches today, when the caller has just evaluated them."""
    ids = list(project_ids)
    projects = {
        row["id"]: row
        for row in Project.objects.filter(pk__in=ids).values(
            "id",
            "max_grant_eur",
            "prefinancing_percent",
            "payments_cap_percent",
            "signed_on",
            "start_date",
            "call__pays_partial_completion",
            "call__additional_prefinancing_percent",
            "call__payment_days",
        )
    }
    if snapshots is None:
        snapshots = consortia(projects)

    work_packages: dict[int, list[dict]] = defaultdict(list)
    number_of: dict[int, int] = {}
    for row in WorkPackage.objects.filter(project_id__in=projects).values(
        "id", "project_id", "number", "start_month", "lump_sum_eur"
    ):
        work_packages[row["project_id"]].append(row)
        number_of[row["id"]] = row["number"]
    shares: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if with_shares:
        for wp_id, name, amount in WorkPackageShare.objects.filter(
            work_package__project_id__in=projects
        ).values_list("work_package_id", "participation__short_name", "amount_eur"):
            shares[wp_id][name] = amount

    periods: dict[int, list[dict]] = defaultdict(list)
    for row in (
        ReportingPeriod.objects.filter(project_id__in=projects)
        .values(
            "id",
            "project_id",
            "number",
            "start_month",
            "end_month",
            "payment",
            "report__id",
            "report__status",
            "report__first_submitted_at",
        )
        .order_by("project_id", "number")
    ):
        periods[row["project_id"]].append(row)

    declarations: dict[int, list[dict]] = defaultdict(list)
    for row in WorkPackageDeclaration.objects.filter(work_package__project_id__in=projects).values(
        "work_package__project_id",
        "work_package__number",
        "reporting_period__number",
        "completed",
        "completion_percent",
        "reporting_period__report__status",
    ):
        declarations[row["work_package__project_id"]].append(row)

    not_submitted: dict[int, list[DeliverableFact]] = defaultdict(list)
    for row in Deliverable.objects.filter(
        project_id__in=projects,
        status__in=[DeliverableStatus.PENDING, DeliverableStatus.DRAFT],
    ).values("id", "project_id", "code", "work_package__number", "due_on", "status"):
        not_submitted[row["project_id"]].append(
            DeliverableFact(
                id=row["id"],
                code=row["code"],
                work_package=row["work_package__number"],
                due_on=row["due_on"],
                status=row["status"],
            )
        )
    justified = set(
        LateJustification.objects.filter(report__project_id__in=projects).values_list(
            "report__reporting_period_id", "deliverable_id"
        )
    )
    reductions = dict(
        Reduction.objects.filter(project_id__in=projects)
        .values("project_id")
        .annotate(total=Sum("percent"))
        .values_list("project_id", "total")
    )
    paid = set(
        Payment.objects.filter(project_id__in=projects).values_list("instalment_id", flat=True)
    )
    approved: dict[int, dict[str, ApprovedInstalment]] = defaultdict(dict)
    for instalment_id, project_id, key, amount, paid_work_packages in Instalment.objects.filter(
        project_id__in=projects
    ).values_list("id", "project_id", "key", "amount_eur", "work_packages"):
        approved[project_id][key] = ApprovedInstalment(
            amount=amount, paid=instalment_id in paid, work_packages=tuple(paid_work_packages)
        )

    facts = {}
    for project_id, project in projects.items():
        start = project["start_date"]
        breaches = _Breaches(
            snapshots.get(project_id),
            today,
            None if breaches_today is None else breaches_today.get(project_id, ()),
        )
        wp_facts = [
            WorkPackageFact(row["number"], row["start_month"]) for row in work_packages[project_id]
        ]
        period_rows = periods[project_id]
        completions = []
        completed_in_received: dict[int, int] = {}
        declared_in: dict[int, set[int]] = defaultdict(set)
        for row in declarations[project_id]:
            number = row["reporting_period__number"]
            declared_in[number].add(row["work_package__number"])
            status = row["reporting_period__report__status"]
            percent = Decimal(100) if row["completed"] else row["completion_percent"]
            if percent:
                completions.append(
                    Completion(
                        work_package=row["work_package__number"],
                        period=number,
                        percent=percent,
                        approved=status == ReportStatus.APPROVED,
                    )
                )
            if row["completed"] and status in RECEIVED:
                previous = completed_in_received.get(row["work_package__number"])
                if previous is None or number < previous:
                    completed_in_received[row["work_package__number"]] = number
        period_facts = []
        for row in period_rows:
            number = row["number"]
            period_start = month_start(start, row["start_month"])
            period_end = month_end(start, row["end_month"])
            to_declare = work_packages_to_declare(
                wp_facts,
                period_end_month=row["end_month"],
                completed_before=[
                    wp for wp, done in completed_in_received.items() if done < number
                ],
            )
            received = row["report__first_submitted_at"]
            period_facts.append(
                PeriodFacts(
                    number=number,
                    start_on=period_start,
                    end_on=period_end,
                    payment=row["payment"],
                    report_status=row["report__status"],
                    report_received_on=None
                    if received is None
                    else received.astimezone(BRUSSELS).date(),
                    undeclared_work_packages=tuple(
                        n for n in to_declare if n not in declared_in[number]
                    ),
                    late_unjustified=tuple(
                        d.code
                        for d in not_submitted[project_id]
                        if needs_justification(d, period_start, period_end)
                        and (row["id"], d.id) not in justified
                    ),
                    breaches_at_end=breaches.on(period_end),
                )
            )
        facts[project_id] = GrantFacts(
            max_grant=project["max_grant_eur"],
            prefinancing_percent=project["prefinancing_percent"],
            cap_percent=project["payments_cap_percent"],
            signed_on=project["signed_on"],
            start_date=start,
            periods=tuple(period_facts),
            work_packages=tuple(
                WorkPackageFacts(row["number"], row["lump_sum_eur"], shares.get(row["id"], {}))
                for row in work_packages[project_id]
            ),
            completions=tuple(completions),
            additional_prefinancing_percent=project["call__additional_prefinancing_percent"],
            pays_partial_completion=project["call__pays_partial_completion"],
            payment_days=project["call__payment_days"],
            reduction_percent=reductions.get(project_id) or ZERO,
            open_breaches=breaches.now(),
            approved=approved[project_id],
        )
    return facts


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
