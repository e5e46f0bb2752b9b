"""The payment schedule of a lump-sum grant, its amounts and each instalment's conditions, as
pure functions over plain data. No ORM, no clock: the day is a parameter.

The schedule: pre-financing, then one instalment per reporting period (its Data Sheet's payment:
additional pre-financing or interim), the last period's being the balance.

Amounts, in EUR to the cent (rounded half up):

- pre-financing = prefinancing_percent of the maximum grant, due 30 days after signature or 10
  days before the start, whichever is later;
- additional pre-financing = the call's percentage of the maximum grant (the grant's
  pre-financing percentage when the call sets none);
- an interim payment = the lump sums of the work packages declared completed up to its period
  and not paid before, times the reduction factor;
- both limited so that pre-financing and every payment before the balance stay within
  payments_cap_percent of the maximum grant;
- the balance = the accepted total (the lump sums of completed work packages, plus, where the
  call pays partial completion, the final period's declared percentage of the others; times
  the reduction factor) minus every earlier instalment; negative, it is a recovery.

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
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_noop

from backend.common.dates import report_due_on
from backend.grants.eligibility.messages import rule_label

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
ZERO = Decimal("0.00")

# Pre-financing is paid within 30 days of the entry into force, or 10 days before the start,
# whichever is later: the Horizon Europe Data Sheet's terms (FFG, above). Not confirmed for CoVE
# grants by the programme guide.
PREFINANCING_AFTER_SIGNATURE_DAYS = 30
PREFINANCING_BEFORE_START_DAYS = 10

PREFINANCING = "prefinancing"
ADDITIONAL_PREFINANCING = "additional_prefinancing"
INTERIM = "interim"
BALANCE = "balance"

SCHEDULED = "scheduled"
BLOCKED = "blocked"
READY = "ready"
APPROVED = "approved"
PAID = "paid"
STATUSES = (SCHEDULED, BLOCKED, READY, APPROVED, PAID)

# Condition codes, in the order they are checked and shown.
GRANT_SIGNED = "grant_signed"
REPORT_APPROVED = "report_approved"
WORK_PACKAGES_DECLARED = "work_packages_declared"
CONSORTIUM_ELIGIBLE = "consortium_eligible"
LATE_DELIVERABLES_JUSTIFIED = "late_deliverables_justified"
AMOUNT_ABOVE_ZERO = "amount_above_zero"


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    return cents(amount * percent / HUNDRED)


# -- the facts ---------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class WorkPackageFacts:
    number: int
    lump_sum: Decimal
    shares: Mapping[str, Decimal] = field(default_factory=dict)  # participant -> amount


@dataclass(frozen=True)
class Completion:
    """A work package declared completed (percent 100) in a period's report, or, in the final
    period where the call pays partial completion, declared done to a percentage."""

    work_package: int
    period: int
    percent: Decimal = HUNDRED
    approved: bool = True  # its report is approved (else: declared, awaiting the report)


@dataclass(frozen=True)
class ApprovedInstalment:
    amount: Decimal
    paid: bool = False
    work_packages: tuple[int, ...] = ()  # the work packages it paid


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
    payment_days: int = 90
    reduction_percent: Decimal = ZERO
    open_breaches: tuple[str, ...] = ()  # eligibility rules in breach today
    approved: Mapping[str, ApprovedInstalment] = field(default_factory=dict)  # key -> approval


# -- the answer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Condition:
    code: str
    met: bool
    message: str  # gettext_noop text, rendered in the reader's language with params
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Instalment:
    key: str  # "prefinancing" or "rp<number>"
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
    payment_due_on: datetime.date | None
    payment_late: bool

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


def instalment_key(period: int | None) -> str:
    return PREFINANCING if period is None else f"rp{period}"


def prefinancing_due_on(signed_on: datetime.date, start_date: datetime.date) -> datetime.date:
    return max(
        signed_on + datetime.timedelta(days=PREFINANCING_AFTER_SIGNATURE_DAYS),
        start_date - datetime.timedelta(days=PREFINANCING_BEFORE_START_DAYS),
    )


def reduction_factor(reduction_percent: Decimal) -> Decimal:
    return max(ZERO, HUNDRED - reduction_percent) / HUNDRED


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


# -- the schedule ------------------------------------------------------------------------------


def _status(key: str, conditions: tuple[Condition, ...], started: bool, facts: GrantFacts) -> str:
    approval = facts.approved.get(key)
    if approval is not None:
        return PAID if approval.paid else APPROVED
    if not started:
        return SCHEDULED
    return READY if all(condition.met for condition in conditions) else BLOCKED


def _late(due: datetime.date | None, status: str, today: datetime.date) -> bool:
    return status != PAID and due is not None and today > due


def schedule(facts: GrantFacts, today: datetime.date) -> list[Instalment]:
    """Every instalment of the grant, in order, as things stand on ``today``.

    Amounts count the work packages declared completed in approved reports; a work package is
    paid once, by the first instalment (in schedule order, or an approved one) that counts it.
    ``projected_amount`` adds the work packages declared in the period's own report that is
    not approved yet, to show what approving it would bring."""
    builder = _ScheduleBuilder(facts, today)
    instalments = [builder.add(builder.prefinancing())]
    periods = sorted(facts.periods, key=lambda period: period.number)
    for index, period in enumerate(periods):
        last = index == len(periods) - 1
        instalments.append(builder.add(builder.period_instalment(period, last=last)))
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
        self.factor = reduction_factor(facts.reduction_percent)
        self.cap_total = percent_of(facts.max_grant, facts.cap_percent)
        self.lump = {wp.number: wp.lump_sum for wp in facts.work_packages}
        self.approved_completions = _completion_periods(c for c in facts.completions if c.approved)
        self.earlier = ZERO  # the amounts of the instalments so far (approved, else computed)
        # Work packages an approved instalment already paid are never counted again.
        self.counted_work_packages = {
            n for approval in facts.approved.values() for n in approval.work_packages
        }

    def add(self, instalment: Instalment) -> Instalment:
        self.earlier += instalment.amount
        self.counted_work_packages.update(instalment.work_packages)
        return instalment

    def capped(self, amount: Decimal) -> Decimal:
        """Within the cap on the payments before the balance."""
        return max(ZERO, min(amount, self.cap_total - self.earlier))

    def prefinancing(self) -> Instalment:
        facts = self.facts
        approval = facts.approved.get(PREFINANCING)
        amount = (
            approval.amount
            if approval is not None
            else percent_of(facts.max_grant, facts.prefinancing_percent)
        )
        conditions = (_signed(facts, self.today), _amount(amount, balance=False))
        due = prefinancing_due_on(facts.signed_on, facts.start_date)
        status = _status(PREFINANCING, conditions, True, facts)
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
            payment_due_on=due,
            payment_late=_late(due, status, self.today),
        )

    def period_instalment(self, period: PeriodFacts, *, last: bool) -> Instalment:
        """The instalment of a reporting period: the balance for the last one."""
        facts, key = self.facts, instalment_key(period.number)
        if last:
            computed = self._balance(period)
        elif period.payment == ADDITIONAL_PREFINANCING:
            computed = self._additional_prefinancing()
        else:
            computed = self._interim(period)
        approval = facts.approved.get(key)
        amount = computed.amount if approval is None else approval.amount
        conditions = (
            _report(period),
            _declared(period),
            _eligible(period, facts.open_breaches),
            _justified(period),
            _amount(amount, balance=last),
        )
        status = _status(key, conditions, self.today > period.end_on, facts)
        received = period.report_received_on
        payment_due = (
            None if received is None else received + datetime.timedelta(days=facts.payment_days)
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
            payment_due_on=payment_due,
            payment_late=amount > 0 and _late(payment_due, status, self.today),
        )

    def _balance(self, period: PeriodFacts) -> _Amounts:
        """The accepted total less the earlier instalments (negative: a recovery). It pays only
        what the accepted total counts: a work package not completed is paid only by its
        final-period percentage, where the call pays partial completion."""
        facts, completions = self.facts, self.approved_completions
        accepted = cents(_accepted_total(facts, self.lump, completions) * self.factor)
        with_own_report = _completion_periods(
            c for c in facts.completions if c.approved or c.period == period.number
        )
        projection = cents(_accepted_total(facts, self.lump, with_own_report) * self.factor)
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
        """The lump sums of the work packages completed (in approved reports) up to the period
        and not paid before, times the reduction factor, within the cap; projected with those
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
        uncapped = self._lump_sums(pays)
        projected = self.capped(self._lump_sums(pays + self._declared_in_own_report(period)))
        return _Amounts(INTERIM, uncapped, self.capped(uncapped), projected, pays)

    def _lump_sums(self, work_packages: Iterable[int]) -> Decimal:
        return cents(sum((self.lump[n] for n in work_packages), ZERO) * self.factor)

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
    completed; where the call pays partial completion, the percentage declared in the final
    period; else nothing."""
    if percent == HUNDRED:
        return Decimal(1)
    last = max((p.number for p in facts.periods), default=0)
    if facts.pays_partial_completion and period == last and percent > 0:
        return percent / HUNDRED
    return ZERO


def _accepted_total(
    facts: GrantFacts, lump: Mapping[int, Decimal], completed_in: Mapping[int, tuple]
) -> Decimal:
    """The lump sums of the completed work packages; where the call pays partial completion,
    plus the declared share of the others (declared in the final period)."""
    total = ZERO
    for number, amount in lump.items():
        period, percent = completed_in.get(number, (None, ZERO))
        total += amount * _accepted_weight(facts, period, percent)
    return total


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
    payment by their shares of the work packages it pays (scaled as the instalment is); the
    balance by what each is owed on the accepted work packages, less its part of the earlier
    instalments. The parts add up to the instalment's amount exactly."""
    totals = _share_totals(facts)
    position = next(index for index, item in enumerate(instalments) if item.key == key)
    instalment = instalments[position]
    amount = _counted_amount(facts, instalment)
    if instalment.kind in (PREFINANCING, ADDITIONAL_PREFINANCING):
        return split(amount, totals)
    if instalment.kind == INTERIM:
        weights = _interim_weights(facts, instalment, totals)
        # An interim that pays no work package's lump sum divides like the grant.
        return split(amount, weights if any(weights.values()) else totals)
    return _balance_split(facts, instalments[:position], amount, totals)


def _share_totals(facts: GrantFacts) -> dict[str, Decimal]:
    """Each participant's lump-sum shares of the whole grant."""
    totals: dict[str, Decimal] = {}
    for wp in facts.work_packages:
        for name, share in wp.shares.items():
            totals[name] = totals.get(name, ZERO) + share
    return totals


def _interim_weights(
    facts: GrantFacts, instalment: Instalment, totals: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Each participant's shares of the work packages an interim payment pays."""
    by_number = {wp.number: wp for wp in facts.work_packages}
    weights = dict.fromkeys(totals, ZERO)
    for number in instalment.work_packages:
        for name, share in by_number[number].shares.items():
            weights[name] += share
    return weights


def _owed(facts: GrantFacts, totals: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """What each participant is owed on the accepted work packages, reduction included."""
    factor = reduction_factor(facts.reduction_percent)
    completed_in = _completion_periods(c for c in facts.completions if c.approved)
    owed = dict.fromkeys(totals, ZERO)
    for wp in facts.work_packages:
        period, percent = completed_in.get(wp.number, (None, ZERO))
        weight = _accepted_weight(facts, period, percent)
        if not weight:
            continue
        for name, share in wp.shares.items():
            owed[name] += share * weight * factor
    return owed


def _balance_split(
    facts: GrantFacts,
    earlier: list[Instalment],
    amount: Decimal,
    totals: Mapping[str, Decimal],
) -> dict[str, Decimal]:
    """The balance: each participant's accepted amount less its part of the ``earlier``
    instalments."""
    owed = _owed(facts, totals)
    parts = split(cents(sum(owed.values(), ZERO)), owed)
    for instalment in earlier:
        for name, part in beneficiary_split(facts, earlier, instalment.key).items():
            parts[name] -= part
    # A balance approved before the facts changed (a reduction recorded since) keeps its
    # approved amount: the difference is spread like what is owed, so the parts still add up.
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
