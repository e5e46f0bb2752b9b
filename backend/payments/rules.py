"""The payment schedule of a lump-sum grant, its amounts and each instalment's conditions, as
pure functions over plain data. No ORM, no clock: the day is a parameter.

The schedule: pre-financing, then one instalment per reporting period (its Data Sheet's payment:
additional pre-financing or interim), the last period's being the balance.

Amounts, in EUR to the cent (rounded half up):

- pre-financing = prefinancing_percent of the maximum grant, due the grant's pre-financing
  payment days (else the call's) after signature or 10 days before the start, whichever is later;
- additional pre-financing = the call's percentage of the maximum grant (the grant's
  pre-financing percentage when the call sets none);
- an interim payment = the net accepted amounts (below) of the work packages declared completed
  up to its period, accepted by the officer, and not paid before;
- both limited so that pre-financing and every payment before the balance stay within
  payments_cap_percent of the maximum grant;
- the balance = the net accepted total minus every earlier instalment; negative, it is a
  recovery;
- a recovery after the balance ("recovery<n>"): when a reduction confirmed after the balance
  was approved brings the net accepted total below what the instalments add up to.

What is accepted is a matrix of cells, one per participant and work package: the participant's
share of the work package's lump sum times its accepted weight (1 once completed; where the
call pays partial completion, the final period's accepted percentage). A confirmed reduction
takes its percentage of the (accepted) cells it targets (one participant, one work package,
both, or every cell), or its amount, spread over those cells in proportion to what is left in
them, never taking a cell below zero. The net cells give the amounts and the split among the
beneficiaries.

An earlier instalment counts with the amount the officer approved, or else with its computed
amount (it is still owed on its own), so no amount is ever counted twice.

Sources: a lump sum is paid for the work packages completed, not for costs (Finnish National
Agency, lump sums in Erasmus+ centralised actions:
https://www.oph.fi/en/programmes/instructions-centralized-actions-lump-sum-budgets). The timing
of pre-financing, the cap on the payments before the balance, the agency's payment period and
the balance as the accepted total less the payments made are the terms of the same corporate
Model Grant Agreement as summarised for Horizon Europe (FFG, "Grant payments":
https://www.ffg.at/en/europe/heu/legal-financial/theme_grant-payments). None of them is
confirmed for CoVE grants by the Erasmus+ Programme Guide: the percentages, the cap and the
payment period are settings of each grant and call (from its Data Sheet); only the pre-financing
dates below are constants.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_noop

from backend.common.dates import report_due_on
from backend.grants.eligibility.messages import rule_label
from backend.payments.statuses import (
    APPROVED,
    BLOCKED,
    COLOURS,
    DECISION_NEEDED,
    NOTHING_DUE,
    PAID,
    READY,
    SCHEDULED,
    STATUSES,
    SUSPENDED,
    InstalmentStatus,
    status_colour,
    status_label,
)

__all__ = [
    "APPROVED",
    "BLOCKED",
    "COLOURS",
    "DECISION_NEEDED",
    "NOTHING_DUE",
    "PAID",
    "READY",
    "SCHEDULED",
    "STATUSES",
    "SUSPENDED",
    "InstalmentStatus",
    "status_colour",
    "status_label",
]

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")
DAYS_A_YEAR = Decimal(365)

# Pre-financing is paid within the grant's pre-financing payment days (the call's by default, 30)
# of the entry into force, or 10 days before the start, whichever is later: the Horizon Europe
# Data Sheet's terms (FFG, above). Not confirmed for CoVE grants by the programme guide.
DEFAULT_PREFINANCING_PAYMENT_DAYS = 30
PREFINANCING_BEFORE_START_DAYS = 10
DEFAULT_PAYMENT_DAYS = 90

PREFINANCING = "prefinancing"
ADDITIONAL_PREFINANCING = "additional_prefinancing"
INTERIM = "interim"
BALANCE = "balance"
RECOVERY = "recovery"

# Condition codes, in the order they are checked and shown.
GRANT_SIGNED = "grant_signed"
REPORT_APPROVED = "report_approved"
EARLIER_REPORTS_APPROVED = "earlier_reports_approved"
WORK_PACKAGES_DECLARED = "work_packages_declared"
CONSORTIUM_ELIGIBLE = "consortium_eligible"
LATE_DELIVERABLES_JUSTIFIED = "late_deliverables_justified"
AMOUNT_ABOVE_ZERO = "amount_above_zero"

# The participant holding what a work package's shares leave of its lump sum (shares not read,
# or not adding up): counted in amounts, never in a split among beneficiaries.
UNSHARED = ""


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return cents(amount * percent / HUNDRED)


# -- the facts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A stretch of suspended days, from ``start`` to ``end`` (the day it ended: not counted);
    ``end`` None: still open."""

    start: datetime.date
    end: datetime.date | None = None
    reason: str = ""

    def is_open(self, today: datetime.date) -> bool:
        return self.start <= today and (self.end is None or self.end > today)


@dataclass(frozen=True)
class PeriodFacts:
    number: int
    start_on: datetime.date
    end_on: datetime.date
    payment: str  # interim, additional_prefinancing or balance (the last period)
    report_status: str | None = None  # None: not started
    report_received_on: datetime.date | None = None  # the day of its first submission
    undeclared_work_packages: tuple[int, ...] = ()  # numbers still to declare in its report
    late_unjustified: tuple[str, ...] = ()  # codes of late deliverables without justification
    breaches_at_end: tuple[str, ...] = ()  # eligibility rules in breach on its last day
    deadline_suspensions: tuple[Interval, ...] = ()  # its report's, while the deadline stops


@dataclass(frozen=True)
class WorkPackageFacts:
    number: int
    lump_sum: Decimal
    shares: Mapping[str, Decimal] = field(default_factory=dict)  # participant -> amount


@dataclass(frozen=True)
class Completion:
    """A work package declared completed (percent 100) in a period's report, or, in the final
    period where the call pays partial completion, declared done to a percentage. ``approved``:
    its report is approved and the officer did not reject the work package (a rejected one
    gives no Completion); ``percent`` is the one the officer accepted, else the declared one."""

    work_package: int
    period: int
    percent: Decimal = HUNDRED
    approved: bool = True  # its report is approved (else: declared, awaiting the report)


@dataclass(frozen=True)
class ReductionFacts:
    """A confirmed reduction: a percentage or an amount of the accepted cells it targets (one
    participant's, one work package's, both, or, neither given, every cell)."""

    participant: str | None = None  # short name; None: every beneficiary
    work_package: int | None = None  # number; None: every work package
    percent: Decimal | None = None
    amount: Decimal | None = None
    decided_on: datetime.date = datetime.date.min

    def targets(self, participant: str, work_package: int) -> bool:
        return (self.participant is None or self.participant == participant) and (
            self.work_package is None or self.work_package == work_package
        )


@dataclass(frozen=True)
class ApprovedInstalment:
    amount: Decimal
    paid: bool = False
    work_packages: tuple[int, ...] = ()  # the work packages it paid
    paid_on: datetime.date | None = None
    justification: str = ""
    # The day it was approved: its split among the beneficiaries counts the reductions
    # confirmed up to that day (None: every one).
    approved_on: datetime.date | None = None


@dataclass(frozen=True)
class GrantFacts:
    max_grant: Decimal
    prefinancing_percent: Decimal
    cap_percent: Decimal
    signed_on: datetime.date
    start_date: datetime.date
    periods: tuple[PeriodFacts, ...]
    work_packages: tuple[WorkPackageFacts, ...] = ()
    completions: tuple[Completion, ...] = ()
    additional_prefinancing_percent: Decimal | None = None
    pays_partial_completion: bool = False
    # The agency's payment days by kind (prefinancing, additional_prefinancing, interim,
    # balance): the grant's own, else the call's. A kind missing: the defaults.
    payment_days: Mapping[str, int] = field(default_factory=dict)
    reductions: tuple[ReductionFacts, ...] = ()  # the confirmed ones
    open_breaches: tuple[str, ...] = ()  # eligibility rules in breach today
    approved: Mapping[str, ApprovedInstalment] = field(default_factory=dict)  # key -> approval
    breach_blocks_payments: bool = False
    reports_in_order: bool = True
    interest_percent: Decimal = Decimal("5.65")  # a year: reference rate + margin
    payment_suspensions: Mapping[str, tuple[Interval, ...]] = field(default_factory=dict)
    # The project's suspensions (its implementation stopped): every instalment's payment
    # deadline stands still meanwhile, as it does for a suspension of its payment.
    project_suspensions: tuple[Interval, ...] = ()

    def days_to_pay(self, kind: str) -> int:
        """The agency's payment days for a kind of instalment."""
        days = self.payment_days
        if isinstance(days, int):  # one figure for every kind
            return days
        default = (
            DEFAULT_PREFINANCING_PAYMENT_DAYS if kind == PREFINANCING else DEFAULT_PAYMENT_DAYS
        )
        return days.get(kind, default)


# -- the answer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    code: str
    met: bool
    message: str  # gettext_noop text, rendered in the reader's language with params
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Deadline:
    """The agency's payment deadline of an instalment, as it has run."""

    payment_days: int = 0
    suspended_days: int = 0
    net_days: int | None = None
    payment_due_on: datetime.date | None = None
    days_late: int = 0
    interest: Decimal = ZERO
    suspensions: tuple[Interval, ...] = ()
    payment_late: bool = False


@dataclass(frozen=True)
class Instalment:
    key: str  # "prefinancing", "rp<number>" or "recovery<number>"
    kind: str
    period: int | None
    due_on: datetime.date | None  # pre-financing: when it is due; a period: its report's due date
    amount: Decimal  # payable now, from approved reports (or as approved); negative: recovery
    uncapped_amount: Decimal
    projected_amount: Decimal  # with its period's declarations once its report is approved
    work_packages: tuple[int, ...]  # the work packages it pays (interim and balance)
    status: str
    conditions: tuple[Condition, ...]
    report_received_on: datetime.date | None
    payment_due_on: datetime.date | None  # receipt + payment days + suspended days
    payment_late: bool  # owed past its due date today, and not suspended
    payment_days: int = 0
    suspended_days: int = 0
    net_days: int | None = None  # days the deadline has run (to today or the payment)
    days_late: int = 0
    interest: Decimal = ZERO  # late-payment interest, to the cent
    suspensions: tuple[Interval, ...] = ()  # the deadline and payment suspensions that count

    @property
    def capped(self) -> bool:
        return self.amount < self.uncapped_amount

    @property
    def reasons(self) -> tuple[Condition, ...]:
        """What blocks it: the conditions not met."""
        return tuple(condition for condition in self.conditions if not condition.met)

    @property
    def is_recovery(self) -> bool:
        return self.amount < 0


def periods_until(periods: Iterable[PeriodFacts], last_day: datetime.date) -> tuple:
    """The reporting periods of a grant terminated on ``last_day``: those starting after it
    are dropped, and the period it falls in ends on it and pays the balance (its report is
    the final report, due 60 days after the last day)."""
    kept = sorted((p for p in periods if p.start_on <= last_day), key=lambda p: p.number)
    if not kept:
        return ()
    last = kept[-1]
    return (
        *kept[:-1],
        replace(last, end_on=min(last.end_on, last_day), payment=BALANCE),
    )


def instalment_key(period: int | None) -> str:
    return PREFINANCING if period is None else f"rp{period}"


def recovery_key(number: int) -> str:
    return f"{RECOVERY}{number}"


def prefinancing_due_on(
    signed_on: datetime.date,
    start_date: datetime.date,
    days: int = DEFAULT_PREFINANCING_PAYMENT_DAYS,
) -> datetime.date:
    return max(
        signed_on + datetime.timedelta(days=days),
        start_date - datetime.timedelta(days=PREFINANCING_BEFORE_START_DAYS),
    )


# -- the payment deadline ----------------------------------------------------------------------


def suspended_days(
    intervals: Iterable[Interval], start: datetime.date, stop: datetime.date
) -> tuple[int, tuple[Interval, ...]]:
    """The days from ``start`` to ``stop`` (not counted) covered by the intervals, overlapping
    days counted once, an open interval running to ``stop``; and the intervals that count."""
    counting = tuple(
        sorted(
            (i for i in intervals if i.start < stop and (i.end is None or i.end > start)),
            key=lambda i: (i.start, i.end or datetime.date.max),
        )
    )
    days, covered_to = 0, start
    for interval in counting:
        begin = max(interval.start, covered_to)
        end = min(interval.end or stop, stop)
        if end > begin:
            days += (end - begin).days
            covered_to = end
    return days, counting


def interest_on(amount: Decimal, percent: Decimal, days_late: int) -> Decimal:
    """Late-payment interest: the amount times the yearly rate, per day late (365 a year)."""
    if days_late <= 0 or amount <= 0:
        return ZERO
    return cents(amount * percent / HUNDRED * days_late / DAYS_A_YEAR)


def deadline(
    facts: GrantFacts,
    *,
    start: datetime.date | None,
    days: int,
    amount: Decimal,
    intervals: tuple[Interval, ...],
    paid_on: datetime.date | None,
    today: datetime.date,
) -> Deadline:
    """The deadline that runs from ``start`` (a report's receipt; pre-financing: the entry into
    force, its first possible day being the due date less ``days``) for ``days``, pushed by the
    suspended days up to the payment, else today."""
    if start is None:
        return Deadline(payment_days=days)
    stop = paid_on if paid_on is not None else max(today, start)
    stopped, counting = suspended_days(intervals, start, stop)
    due = start + datetime.timedelta(days=days + stopped)
    # Only money the agency owes can be late: nothing due and a recovery never are.
    late = max(0, (stop - due).days) if amount > 0 else 0
    open_now = paid_on is None and any(i.is_open(today) for i in intervals)
    return Deadline(
        payment_days=days,
        suspended_days=stopped,
        net_days=max(0, (stop - start).days - stopped),
        payment_due_on=due,
        days_late=late,
        interest=interest_on(amount, facts.interest_percent, late),
        suspensions=counting,
        payment_late=amount > 0 and paid_on is None and late > 0 and not open_now,
    )


# -- the matrix of accepted cells --------------------------------------------------------------


Cells = dict[tuple[str, int], Decimal]


def gross_cells(facts: GrantFacts, completed_in: Mapping[int, tuple]) -> Cells:
    """Each participant's share of each work package's lump sum times its accepted weight (what
    the shares leave of the lump sum: the UNSHARED participant's)."""
    cells: Cells = {}
    for wp in facts.work_packages:
        period, percent = completed_in.get(wp.number, (None, ZERO))
        weight = _accepted_weight(facts, period, percent)
        for name, share in wp.shares.items():
            cells[(name, wp.number)] = share * weight
        rest = wp.lump_sum - sum(wp.shares.values(), ZERO)
        if rest > 0:
            cells[(UNSHARED, wp.number)] = rest * weight
    return cells


def _confirmation_order(reductions: tuple[ReductionFacts, ...]) -> list[int]:
    """The positions of the reductions in the order they were confirmed."""
    return sorted(range(len(reductions)), key=lambda position: reductions[position].decided_on)


def reduce_cells(
    gross: Mapping[tuple[str, int], Decimal], reductions: tuple[ReductionFacts, ...]
) -> tuple[Cells, list[Decimal]]:
    """The net cells once the reductions (in the order they were confirmed) took their part,
    and what each took (exactly, by its position in ``reductions``)."""
    net: Cells = dict(gross)
    taken = [ZERO] * len(reductions)
    for position in _confirmation_order(reductions):
        reduction = reductions[position]
        targeted = [cell for cell in net if reduction.targets(*cell)]
        before = sum((net[cell] for cell in targeted), ZERO)
        if reduction.percent is not None:
            for cell in targeted:
                net[cell] = max(ZERO, net[cell] - gross[cell] * reduction.percent / HUNDRED)
        elif reduction.amount is not None and before > 0:
            take = min(reduction.amount, before)
            for cell in targeted:
                net[cell] = max(ZERO, net[cell] - take * net[cell] / before)
        taken[position] = before - sum((net[cell] for cell in targeted), ZERO)
    return net, taken


def net_cells(facts: GrantFacts, completions: Iterable[Completion] | None = None) -> Cells:
    """The accepted cells less the confirmed reductions (by default of the approved
    completions)."""
    if completions is None:
        completions = (c for c in facts.completions if c.approved)
    return reduce_cells(gross_cells(facts, _completion_periods(completions)), facts.reductions)[0]


def _by_work_package(cells: Mapping[tuple[str, int], Decimal]) -> dict[int, Decimal]:
    totals: dict[int, Decimal] = {}
    for (_name, number), value in cells.items():
        totals[number] = totals.get(number, ZERO) + value
    return totals


@dataclass(frozen=True)
class Totals:
    """What is accepted, what the confirmed reductions take of it (each, in confirmation order
    as given) and what is left, to the cent."""

    accepted_total: Decimal
    reductions: tuple[Decimal, ...]
    net_total: Decimal

    @property
    def confirmed_reductions(self) -> Decimal:
        return self.accepted_total - self.net_total


def accepted_totals(facts: GrantFacts) -> Totals:
    """The accepted total of the approved completions, and the confirmed reductions' part."""
    gross = gross_cells(facts, _completion_periods(c for c in facts.completions if c.approved))
    net, taken = reduce_cells(gross, facts.reductions)
    # Each reduction's part to the cent: the rounded totals before and after it, so that the
    # parts add up to the accepted total less the net total exactly.
    running = sum(gross.values(), ZERO)
    parts = [ZERO] * len(taken)
    for position in _confirmation_order(facts.reductions):
        after = running - taken[position]
        parts[position] = cents(running) - cents(after)
        running = after
    return Totals(cents(sum(gross.values(), ZERO)), tuple(parts), cents(sum(net.values(), ZERO)))


# -- conditions --------------------------------------------------------------------------------


def _signed(facts: GrantFacts, today: datetime.date) -> Condition:
    return Condition(
        GRANT_SIGNED,
        facts.signed_on <= today,
        gettext_noop("The grant agreement entered into force on %(date)s.")
        if facts.signed_on <= today
        else gettext_noop("The grant agreement enters into force on %(date)s."),
        {"date": facts.signed_on},
    )


_REPORT_MESSAGES = {
    None: gettext_noop("The report of RP%(number)s has not been submitted yet."),
    "draft": gettext_noop("The report of RP%(number)s has not been submitted yet."),
    "submitted": gettext_noop("The report of RP%(number)s awaits the officer's review."),
    "changes_requested": gettext_noop(
        "The officer requested changes to the report of RP%(number)s; it has to be submitted again."
    ),
    "approved": gettext_noop("The report of RP%(number)s is approved."),
}


def _report(period: PeriodFacts) -> Condition:
    return Condition(
        REPORT_APPROVED,
        period.report_status == "approved",
        _REPORT_MESSAGES.get(period.report_status, _REPORT_MESSAGES[None]),
        {"number": period.number},
    )


def _declared(period: PeriodFacts) -> Condition:
    if not period.undeclared_work_packages:
        return Condition(
            WORK_PACKAGES_DECLARED,
            True,
            gettext_noop("The status of every work package is declared for RP%(number)s."),
            {"number": period.number},
        )
    return Condition(
        WORK_PACKAGES_DECLARED,
        False,
        gettext_noop("The status of %(work_packages)s is not declared for RP%(number)s."),
        {
            "number": period.number,
            "work_packages": ", ".join(f"WP{n}" for n in period.undeclared_work_packages),
        },
    )


@dataclass(frozen=True)
class RuleNames:
    """Composition rules named in a message: printed as their labels, in the language active
    when the message is rendered; compared by their ids."""

    rules: tuple[str, ...]

    def __str__(self) -> str:

        return "; ".join(rule_label(rule) for rule in self.rules)


def _eligible(period: PeriodFacts, open_breaches: tuple[str, ...]) -> Condition:
    at_end = tuple(dict.fromkeys(period.breaches_at_end))
    now = tuple(rule for rule in dict.fromkeys(open_breaches) if rule not in at_end)
    if not at_end and not now:
        return Condition(
            CONSORTIUM_ELIGIBLE,
            True,
            gettext_noop(
                "The consortium met the composition rules at the end of RP%(number)s and has "
                "no open breach."
            ),
            {"number": period.number},
        )
    if at_end:
        return Condition(
            CONSORTIUM_ELIGIBLE,
            False,
            gettext_noop(
                "The consortium breached the composition rules at the end of RP%(number)s "
                "(%(end_date)s): %(rules)s."
            ),
            {"number": period.number, "end_date": period.end_on, "rules": RuleNames(at_end)},
        )
    return Condition(
        CONSORTIUM_ELIGIBLE,
        False,
        gettext_noop("The consortium has an open eligibility breach: %(rules)s."),
        {"rules": RuleNames(now)},
    )


def _justified(period: PeriodFacts) -> Condition:
    if not period.late_unjustified:
        return Condition(
            LATE_DELIVERABLES_JUSTIFIED,
            True,
            gettext_noop("No deliverable of RP%(number)s is late without a justification."),
            {"number": period.number},
        )
    return Condition(
        LATE_DELIVERABLES_JUSTIFIED,
        False,
        gettext_noop("Late deliverables of RP%(number)s have no justification: %(codes)s."),
        {"number": period.number, "codes": ", ".join(period.late_unjustified)},
    )


def _amount(amount: Decimal, *, balance: bool) -> Condition:
    if balance:
        return Condition(
            AMOUNT_ABOVE_ZERO,
            amount != 0,
            gettext_noop("The balance is EUR %(amount)s.")
            if amount >= 0
            else gettext_noop("The balance is a recovery of EUR %(amount)s."),
            {"amount": abs(amount)},
        )
    return Condition(
        AMOUNT_ABOVE_ZERO,
        amount > 0,
        gettext_noop("The amount is EUR %(amount)s.")
        if amount > 0
        else gettext_noop("There is nothing to pay: the amount is EUR %(amount)s."),
        {"amount": amount},
    )


def _earlier_reports(period: PeriodFacts, periods: Iterable[PeriodFacts]) -> Condition:
    waiting = tuple(
        p.number for p in periods if p.number < period.number and p.report_status != "approved"
    )
    if not waiting:
        return Condition(
            EARLIER_REPORTS_APPROVED,
            True,
            gettext_noop("The reports of the periods before RP%(number)s are approved."),
            {"number": period.number},
        )
    return Condition(
        EARLIER_REPORTS_APPROVED,
        False,
        gettext_noop(
            "The payment of RP%(number)s waits for the approval of the earlier reports: "
            "%(periods)s."
        ),
        {"number": period.number, "periods": ", ".join(f"RP{n}" for n in waiting)},
    )


def _final_report(period: PeriodFacts) -> Condition:
    """The one condition of a recovery: the final report approved."""
    return _report(period)


# -- the schedule ------------------------------------------------------------------------------

_ELIGIBILITY_AND_AMOUNT = (CONSORTIUM_ELIGIBLE, AMOUNT_ABOVE_ZERO)


def _status(
    facts: GrantFacts,
    key: str,
    conditions: tuple[Condition, ...],
    *,
    started: bool,
    amount: Decimal,
    suspended: bool,
) -> str:
    """Approved: paid or approved (suspended while a suspension is open). Else: scheduled until
    its period ends; suspended; blocked by an unmet condition other than the consortium's
    eligibility; nothing due when there is nothing to pay; decision needed when only the
    eligibility is unmet (blocked where the rule set says so); else ready."""
    approval = facts.approved.get(key)
    if approval is not None:
        if approval.paid:
            return PAID
        return SUSPENDED if suspended else APPROVED
    if not started:
        return SCHEDULED
    if suspended:
        return SUSPENDED
    unmet = {condition.code for condition in conditions if not condition.met}
    if unmet - set(_ELIGIBILITY_AND_AMOUNT):
        return BLOCKED
    if amount == 0:
        return NOTHING_DUE
    if CONSORTIUM_ELIGIBLE in unmet:
        return BLOCKED if facts.breach_blocks_payments else DECISION_NEEDED
    return READY


def schedule(facts: GrantFacts, today: datetime.date) -> list[Instalment]:
    """Every instalment of the grant, in order, as things stand on ``today``: pre-financing,
    one per reporting period (the last: the balance), then the recoveries after the balance.

    Amounts count the work packages declared completed in approved reports (and not rejected);
    a work package is paid once, by the first instalment (in schedule order, or an approved
    one) that counts it. ``projected_amount`` adds the work packages declared in the period's
    own report that is not approved yet, to show what approving it would bring."""
    builder = _ScheduleBuilder(facts, today)
    instalments = [builder.add(builder.prefinancing())]
    periods = sorted(facts.periods, key=lambda period: period.number)
    for index, period in enumerate(periods):
        last = index == len(periods) - 1
        instalments.append(builder.add(builder.period_instalment(period, last=last)))
    if periods:
        instalments.extend(builder.recoveries(periods[-1]))
    return instalments


@dataclass(frozen=True)
class _Amounts:
    """A period's instalment as computed from the facts (before any officer's approval)."""

    kind: str
    uncapped: Decimal
    amount: Decimal
    projected: Decimal
    pays: tuple[int, ...] = ()


class _ScheduleBuilder:
    """The schedule, one instalment after the other: what the instalments so far amount to
    (approved, else computed) and which work packages they paid, so that no amount is counted
    twice."""

    def __init__(self, facts: GrantFacts, today: datetime.date):
        self.facts = facts
        self.today = today
        self.cap_total = percent_of(facts.max_grant, facts.cap_percent)
        self.approved_completions = _completion_periods(c for c in facts.completions if c.approved)
        self.net_by_wp = _by_work_package(net_cells(facts))
        self.earlier = ZERO  # the amounts of the instalments so far (approved, else computed)
        self.seen: set[str] = set()
        # The instalments before the balance: one approved out of order counts in the cap of
        # those before it too.
        periods = sorted(p.number for p in facts.periods)
        self.before_balance = {PREFINANCING, *(instalment_key(n) for n in periods[:-1])}
        # Work packages an approved instalment already paid are never counted again.
        self.counted_work_packages = {
            n for approval in facts.approved.values() for n in approval.work_packages
        }

    def add(self, instalment: Instalment) -> Instalment:
        self.earlier += instalment.amount
        self.seen.add(instalment.key)
        self.counted_work_packages.update(instalment.work_packages)
        return instalment

    def capped(self, amount: Decimal) -> Decimal:
        """Within the cap on the payments before the balance: what the instalments so far
        take, and those after it already approved."""
        later = sum(
            (
                approval.amount
                for key, approval in self.facts.approved.items()
                if key in self.before_balance and key not in self.seen
            ),
            ZERO,
        )
        return max(ZERO, min(amount, self.cap_total - self.earlier - later))

    def _suspended_now(self, key: str) -> bool:
        return any(i.is_open(self.today) for i in self.facts.payment_suspensions.get(key, ()))

    def prefinancing(self) -> Instalment:
        facts = self.facts
        approval = facts.approved.get(PREFINANCING)
        amount = (
            approval.amount
            if approval is not None
            else percent_of(facts.max_grant, facts.prefinancing_percent)
        )
        conditions = (_signed(facts, self.today), _amount(amount, balance=False))
        days = facts.days_to_pay(PREFINANCING)
        due = prefinancing_due_on(facts.signed_on, facts.start_date, days)
        status = _status(
            facts,
            PREFINANCING,
            conditions,
            started=True,
            amount=amount,
            suspended=self._suspended_now(PREFINANCING),
        )
        # The deadline runs as if from the day that gives the due date.
        clock = self._deadline(PREFINANCING, due - datetime.timedelta(days=days), days, amount, ())
        return Instalment(
            key=PREFINANCING,
            kind=PREFINANCING,
            period=None,
            due_on=due,
            amount=amount,
            uncapped_amount=amount,
            projected_amount=amount,
            work_packages=(),
            status=status,
            conditions=conditions,
            report_received_on=None,
            **_deadline_fields(clock),
        )

    def _deadline(
        self,
        key: str,
        start: datetime.date | None,
        days: int,
        amount: Decimal,
        report_intervals: tuple[Interval, ...],
    ) -> Deadline:
        """The deadline of an instalment: its report's suspensions and its own."""
        approval = self.facts.approved.get(key)
        paid_on = None
        if approval is not None and approval.paid:
            paid_on = approval.paid_on or self.today
        return deadline(
            self.facts,
            start=start,
            days=days,
            amount=amount,
            intervals=report_intervals
            + tuple(self.facts.payment_suspensions.get(key, ()))
            + self.facts.project_suspensions,
            paid_on=paid_on,
            today=self.today,
        )

    def period_instalment(self, period: PeriodFacts, *, last: bool) -> Instalment:
        """The instalment of a reporting period: the balance for the last one."""
        facts, key = self.facts, instalment_key(period.number)
        self.seen.add(key)  # its own approval is not a later one
        if last:
            computed = self._balance(period)
        elif period.payment == ADDITIONAL_PREFINANCING:
            computed = self._additional_prefinancing()
        else:
            computed = self._interim(period)
        approval = facts.approved.get(key)
        amount = computed.amount if approval is None else approval.amount
        conditions = self._period_conditions(period, amount, last=last)
        status = _status(
            facts,
            key,
            conditions,
            started=self.today > period.end_on,
            amount=amount,
            suspended=self._suspended_now(key),
        )
        received = period.report_received_on
        clock = self._deadline(
            key,
            received,
            facts.days_to_pay(computed.kind),
            amount,
            period.deadline_suspensions,
        )
        return Instalment(
            key=key,
            kind=computed.kind,
            period=period.number,
            due_on=report_due_on(period.end_on),
            amount=amount,
            uncapped_amount=computed.uncapped if approval is None else amount,
            projected_amount=computed.projected if approval is None else amount,
            work_packages=computed.pays if approval is None else approval.work_packages,
            status=status,
            conditions=conditions,
            report_received_on=received,
            **_deadline_fields(clock),
        )

    def _period_conditions(
        self, period: PeriodFacts, amount: Decimal, *, last: bool
    ) -> tuple[Condition, ...]:
        """A recovery (a negative balance) waits only on the final report; a payment on its
        report, the earlier reports (where the rule set says so), the declarations, the
        consortium and the justifications."""
        if last and amount < 0:
            return (_final_report(period), _amount(amount, balance=True))
        earlier = (
            (_earlier_reports(period, self.facts.periods),) if self.facts.reports_in_order else ()
        )
        return (
            _report(period),
            *earlier,
            _declared(period),
            _eligible(period, self.facts.open_breaches),
            _justified(period),
            _amount(amount, balance=last),
        )

    def recoveries(self, final: PeriodFacts) -> list[Instalment]:
        """The recoveries after the balance: those approved, then, once the balance is
        approved, a new one when the net accepted total is below what the instalments add up
        to (a reduction confirmed since)."""
        facts = self.facts
        found = []
        number = 1
        while recovery_key(number) in facts.approved:
            found.append(
                self.add(self._recovery(final, number, facts.approved[recovery_key(number)].amount))
            )
            number += 1
        if instalment_key(final.number) in facts.approved:
            missing = cents(sum(self.net_by_wp.values(), ZERO)) - self.earlier
            if missing < 0:
                found.append(self.add(self._recovery(final, number, missing)))
        return found

    def _recovery(self, final: PeriodFacts, number: int, amount: Decimal) -> Instalment:
        key = recovery_key(number)
        conditions = (_final_report(final), _amount(amount, balance=True))
        status = _status(
            self.facts,
            key,
            conditions,
            started=True,
            amount=amount,
            suspended=self._suspended_now(key),
        )
        clock = self._deadline(key, None, 0, amount, ())
        return Instalment(
            key=key,
            kind=RECOVERY,
            period=final.number,
            due_on=None,
            amount=amount,
            uncapped_amount=amount,
            projected_amount=amount,
            work_packages=(),
            status=status,
            conditions=conditions,
            report_received_on=None,
            **_deadline_fields(clock),
        )

    def _balance(self, period: PeriodFacts) -> _Amounts:
        """The net accepted total less the earlier instalments (negative: a recovery). It pays
        only what the accepted total counts: a work package not completed is paid only by its
        final-period percentage, where the call pays partial completion."""
        facts, completions = self.facts, self.approved_completions
        accepted = cents(sum(self.net_by_wp.values(), ZERO))
        with_own_report = [c for c in facts.completions if c.approved or c.period == period.number]
        projection = cents(sum(net_cells(facts, with_own_report).values(), ZERO))
        pays = tuple(
            sorted(
                n
                for n, (completed_period, percent) in completions.items()
                if n not in self.counted_work_packages
                and _accepted_weight(facts, completed_period, percent) > 0
            )
        )
        amount = accepted - self.earlier
        return _Amounts(BALANCE, amount, amount, projection - self.earlier, pays)

    def _additional_prefinancing(self) -> _Amounts:
        """The call's percentage of the maximum grant (the grant's pre-financing percentage
        when the call sets none), within the cap."""
        facts = self.facts
        percent = (
            facts.additional_prefinancing_percent
            if facts.additional_prefinancing_percent is not None
            else facts.prefinancing_percent
        )
        uncapped = percent_of(facts.max_grant, percent)
        amount = self.capped(uncapped)
        return _Amounts(ADDITIONAL_PREFINANCING, uncapped, amount, amount)

    def _interim(self, period: PeriodFacts) -> _Amounts:
        """The net accepted amounts of the work packages completed (in approved reports, not
        rejected) up to the period and not paid before, within the cap; projected with those
        the period's own report declares."""
        pays = tuple(
            sorted(
                n
                for n, (completed_period, percent) in self.approved_completions.items()
                if percent == HUNDRED
                and completed_period <= period.number
                and n not in self.counted_work_packages
            )
        )
        uncapped = cents(sum((self.net_by_wp.get(n, ZERO) for n in pays), ZERO))
        own = self._declared_in_own_report(period)
        if own:
            with_own = [
                c for c in self.facts.completions if c.approved or c.period == period.number
            ]
            projected_net = _by_work_package(net_cells(self.facts, with_own))
            projected = cents(sum((projected_net.get(n, ZERO) for n in pays + own), ZERO))
        else:
            projected = uncapped
        return _Amounts(INTERIM, uncapped, self.capped(uncapped), self.capped(projected), pays)

    def _declared_in_own_report(self, period: PeriodFacts) -> tuple[int, ...]:
        """The work packages declared completed in the period's report, not approved yet, that
        no instalment counts."""
        return tuple(
            sorted(
                c.work_package
                for c in self.facts.completions
                if c.period == period.number
                and not c.approved
                and c.percent == HUNDRED
                and c.work_package not in self.counted_work_packages
                and c.work_package not in self.approved_completions
            )
        )


def _deadline_fields(clock: Deadline) -> dict:
    return {
        "payment_due_on": clock.payment_due_on,
        "payment_late": clock.payment_late,
        "payment_days": clock.payment_days,
        "suspended_days": clock.suspended_days,
        "net_days": clock.net_days,
        "days_late": clock.days_late,
        "interest": clock.interest,
        "suspensions": clock.suspensions,
    }


def _completion_periods(completions: Iterable[Completion]) -> dict[int, tuple[int, Decimal]]:
    """Each work package's first completion: the period, and the percentage (100 completed)."""
    found: dict[int, tuple[int, Decimal]] = {}
    for completion in sorted(completions, key=lambda c: (c.period, -c.percent)):
        current = found.get(completion.work_package)
        if current is None or (current[1] < HUNDRED and completion.percent == HUNDRED):
            found[completion.work_package] = (completion.period, completion.percent)
    return found


def _accepted_weight(facts: GrantFacts, period: int | None, percent: Decimal) -> Decimal:
    """The part of a work package's lump sum the accepted total counts: all of it once
    completed; where the call pays partial completion, the percentage accepted in the final
    period; else nothing."""
    if percent == HUNDRED:
        return Decimal(1)
    last = max((p.number for p in facts.periods), default=0)
    if facts.pays_partial_completion and period == last and percent > 0:
        return percent / HUNDRED
    return ZERO


# -- per beneficiary ---------------------------------------------------------------------------


def split(amount: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """``amount`` divided in proportion to ``weights``, to the cent, adding up exactly (the
    cents left over by rounding go to the largest remainders)."""
    total = sum(weights.values(), ZERO)
    if total == 0 or not weights:
        return dict.fromkeys(weights, ZERO)
    sign = -1 if amount < 0 else 1
    whole = abs(amount)
    exact = {name: whole * weight / total for name, weight in weights.items()}
    shares = {name: value.quantize(CENT, rounding="ROUND_DOWN") for name, value in exact.items()}
    left = int((whole - sum(shares.values(), ZERO)) / CENT)
    for name in sorted(exact, key=lambda n: (-(exact[n] - shares[n]), n))[:left]:
        shares[name] += CENT
    return {name: sign * value for name, value in shares.items()}


def beneficiary_split(
    facts: GrantFacts, instalments: list[Instalment], key: str
) -> dict[str, Decimal]:
    """How an instalment of the schedule ``instalments`` divides among the participants holding
    lump-sum shares: pre-financing in proportion to their shares of the whole grant; an interim
    payment by their net cells of the work packages it pays (the confirmed reductions taken);
    the balance and a recovery after it by what each is owed on the net accepted cells, less
    its part of the earlier instalments. An approved instalment counts the reductions confirmed
    up to the day it was approved. The parts add up to the instalment's amount exactly."""
    totals = share_totals(facts)
    position = next(index for index, item in enumerate(instalments) if item.key == key)
    instalment = instalments[position]
    amount = _counted_amount(facts, instalment)
    if instalment.kind in (PREFINANCING, ADDITIONAL_PREFINANCING):
        return split(amount, totals)
    view = _as_approved(facts, key)
    if instalment.kind == INTERIM:
        weights = _interim_weights(view, instalment, totals)
        # An interim that pays no work package's lump sum divides like the grant.
        return split(amount, weights if any(weights.values()) else totals)
    return _balance_split(view, facts, instalments[:position], amount, totals)


def _as_approved(facts: GrantFacts, key: str) -> GrantFacts:
    """The facts with the reductions an approved instalment knew of: those confirmed up to the
    day it was approved."""
    approval = facts.approved.get(key)
    if approval is None or approval.approved_on is None:
        return facts
    known = tuple(r for r in facts.reductions if r.decided_on <= approval.approved_on)
    return facts if len(known) == len(facts.reductions) else replace(facts, reductions=known)


def share_totals(facts: GrantFacts) -> dict[str, Decimal]:
    """Each participant's lump-sum shares of the whole grant."""
    totals: dict[str, Decimal] = {}
    for wp in facts.work_packages:
        for name, share in wp.shares.items():
            totals[name] = totals.get(name, ZERO) + share
    return totals


def _interim_weights(
    facts: GrantFacts, instalment: Instalment, totals: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Each participant's net cells of the work packages an interim payment pays (their
    shares, where reductions took everything)."""
    paid = set(instalment.work_packages)
    cells = net_cells(facts)
    weights = dict.fromkeys(totals, ZERO)
    for (name, number), value in cells.items():
        if number in paid and name in weights:
            weights[name] += value
    if any(weights.values()):
        return weights
    by_number = {wp.number: wp for wp in facts.work_packages}
    for number in instalment.work_packages:
        for name, share in by_number[number].shares.items():
            weights[name] += share
    return weights


def _owed(facts: GrantFacts, totals: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """What each participant is owed on the net accepted cells."""
    owed = dict.fromkeys(totals, ZERO)
    for (name, _number), value in net_cells(facts).items():
        if name in owed:
            owed[name] += value
    return owed


def _balance_split(
    view: GrantFacts,
    facts: GrantFacts,
    earlier: list[Instalment],
    amount: Decimal,
    totals: Mapping[str, Decimal],
) -> dict[str, Decimal]:
    """The balance (or a recovery after it): each participant's net accepted amount (with the
    reductions of ``view``) less its part of the ``earlier`` instalments."""
    owed = _owed(view, totals)
    parts = split(cents(sum(owed.values(), ZERO)), owed)
    for instalment in earlier:
        for name, part in beneficiary_split(facts, earlier, instalment.key).items():
            parts[name] -= part
    # An amount approved before the facts changed (a reduction confirmed since), or a part of
    # the lump sums no share covers, keeps the instalment's amount: the difference is spread
    # like what is owed, so the parts still add up.
    difference = amount - sum(parts.values(), ZERO)
    if difference:
        weights = owed if any(owed.values()) else totals
        for name, part in split(difference, weights).items():
            parts[name] += part
    return parts


def _counted_amount(facts: GrantFacts, instalment: Instalment) -> Decimal:
    """The amount approved, else the amount computed."""
    approval = facts.approved.get(instalment.key)
    return approval.amount if approval is not None else instalment.amount
