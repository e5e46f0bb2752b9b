"""The ledger's invariants over random grants and random histories, driven through the pure rules
(``schedule``, ``beneficiary_split``, ``accepted_totals``): no database, no clock.

A random grant has 2-5 work packages shared among 2-4 participants, 2-4 reporting periods, a
cap and a pre-financing percentage. Its history is a random sequence of, at each period's end,
the report with the officer's decision on each work package declared completed (accepted,
rejected, or, in the final period where the call pays partial completion, a percentage), and,
at any time, approvals ("approve" = record the scheduled amount and work packages of an
instalment that is ready or needs a decision), payments, confirmed reductions (a percentage or
an amount, of one beneficiary, one work package, both or the whole grant) and the recoveries
they bring. Whatever the history:

- the net amount paid before the balance never exceeds the cap;
- once the balance (and every recovery after it) is approved and paid, the net amount paid is
  the accepted total less the confirmed reductions;
- no instalment is approved or paid twice, and no work package is paid twice;
- every instalment's split among the beneficiaries adds up to its amount to the cent.
"""

import datetime
from dataclasses import dataclass, field, replace
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.payments.rules import (
    BALANCE,
    DECISION_NEEDED,
    PREFINANCING,
    READY,
    RECOVERY,
    ApprovedInstalment,
    Completion,
    GrantFacts,
    PeriodFacts,
    ReductionFacts,
    WorkPackageFacts,
    accepted_totals,
    beneficiary_split,
    percent_of,
    schedule,
)

E = Decimal
ZERO = E("0.00")
START = datetime.date(2024, 1, 1)
PARTICIPANTS = ("A", "B", "C", "D")
APPROVABLE = (READY, DECISION_NEEDED)


# -- random grants ------------------------------------------------------------------------------


def _cents(draw, low: int, high: int) -> Decimal:
    return E(draw(st.integers(low, high))) / 100


@st.composite
def grants(draw) -> GrantFacts:
    participants = PARTICIPANTS[: draw(st.integers(2, 4))]
    work_packages = []
    for number in range(1, draw(st.integers(2, 5)) + 1):
        shares = {
            name: _cents(draw, 0, 5_000_000) for name in participants if draw(st.booleans())
        } or {participants[0]: _cents(draw, 1, 5_000_000)}
        work_packages.append(WorkPackageFacts(number, sum(shares.values(), ZERO), shares))
    total = sum((wp.lump_sum for wp in work_packages), ZERO)
    periods = []
    count = draw(st.integers(2, 4))
    for number in range(1, count + 1):
        start = datetime.date(2024 + number - 1, 1, 1)
        payment = BALANCE if number == count else "interim"
        periods.append(
            PeriodFacts(number, start, datetime.date(2024 + number - 1, 12, 31), payment)
        )
    cap = E(draw(st.integers(70, 100)))
    return GrantFacts(
        max_grant=total,
        prefinancing_percent=E(draw(st.integers(0, int(cap)))),
        cap_percent=cap,
        signed_on=START - datetime.timedelta(days=60),
        start_date=START,
        periods=tuple(periods),
        work_packages=tuple(work_packages),
        pays_partial_completion=draw(st.booleans()),
    )


# -- the history --------------------------------------------------------------------------------


@dataclass
class Ledger:
    """What happened so far: the facts the rules are given, and what was paid."""

    facts: GrantFacts
    today: datetime.date
    paid: dict[str, Decimal] = field(default_factory=dict)  # key -> signed amount
    approvals: list[str] = field(default_factory=list)  # keys, in the order approved
    payments: list[str] = field(default_factory=list)

    def schedule(self):
        return schedule(self.facts, self.today)

    def approve(self, instalment) -> None:
        assert instalment.key not in self.facts.approved
        assert instalment.status in APPROVABLE
        assert instalment.amount != 0
        approved = dict(self.facts.approved)
        approved[instalment.key] = ApprovedInstalment(
            instalment.amount, work_packages=instalment.work_packages, approved_on=self.today
        )
        self.facts = replace(self.facts, approved=approved)
        self.approvals.append(instalment.key)

    def pay(self, key: str) -> None:
        approval = self.facts.approved[key]
        assert not approval.paid
        assert key not in self.paid
        approved = dict(self.facts.approved)
        approved[key] = replace(approval, paid=True, paid_on=self.today)
        self.facts = replace(self.facts, approved=approved)
        self.paid[key] = approval.amount
        self.payments.append(key)

    def reduce(self, reduction: ReductionFacts) -> None:
        reduction = replace(reduction, decided_on=self.today)
        self.facts = replace(self.facts, reductions=(*self.facts.reductions, reduction))

    def report(self, number: int, decisions: dict[int, object]) -> None:
        """The period's report approved, with the officer's decision per work package declared
        (True: accepted; False: rejected, no completion; a Decimal: accepted percentage)."""
        completions = list(self.facts.completions)
        for wp, decision in decisions.items():
            if decision is True:
                completions.append(Completion(wp, number))
            elif isinstance(decision, Decimal):
                completions.append(Completion(wp, number, decision))
        periods = tuple(
            replace(p, report_status="approved", report_received_on=self.today)
            if p.number == number
            else p
            for p in self.facts.periods
        )
        self.facts = replace(self.facts, periods=periods, completions=tuple(completions))

    def net_paid(self, *, before_balance: bool = False) -> Decimal:
        last = f"rp{len(self.facts.periods)}"
        return sum(
            (
                amount
                for key, amount in self.paid.items()
                if not before_balance or (key != last and not key.startswith(RECOVERY))
            ),
            ZERO,
        )


@st.composite
def reductions(draw, facts: GrantFacts) -> ReductionFacts:
    participants = sorted({name for wp in facts.work_packages for name in wp.shares})
    participant = draw(st.none() | st.sampled_from(participants))
    work_package = draw(st.none() | st.sampled_from([wp.number for wp in facts.work_packages]))
    if draw(st.booleans()):
        return ReductionFacts(participant, work_package, percent=E(draw(st.integers(1, 100))))
    return ReductionFacts(participant, work_package, amount=_cents(draw, 1, 3_000_000))


def _completed(facts: GrantFacts) -> set[int]:
    return {c.work_package for c in facts.completions if c.percent == 100}


def _decisions(draw, ledger: Ledger, number: int) -> dict[int, object]:
    """The work packages the period's report declares completed, and the officer's decision on
    each; in the final period, where partial completion is paid, a percentage for the others."""
    last = number == len(ledger.facts.periods)
    decisions: dict[int, object] = {}
    for wp in ledger.facts.work_packages:
        if wp.number in _completed(ledger.facts):
            continue
        choice = draw(st.sampled_from(["skip", "accept", "reject", "percent"]))
        if choice == "accept":
            decisions[wp.number] = True
        elif choice == "reject":
            decisions[wp.number] = False
        elif choice == "percent" and last and ledger.facts.pays_partial_completion:
            decisions[wp.number] = E(draw(st.integers(1, 99)))
    return decisions


def _some_actions(draw, ledger: Ledger) -> None:
    """A few random approvals, payments and reductions on the current day."""
    for _ in range(draw(st.integers(0, 4))):
        action = draw(st.sampled_from(["approve", "pay", "reduce", "approve", "pay"]))
        if action == "approve":
            candidates = [i for i in ledger.schedule() if i.status in APPROVABLE]
            if candidates:
                ledger.approve(draw(st.sampled_from(candidates)))
        elif action == "pay":
            unpaid = sorted(k for k, a in ledger.facts.approved.items() if not a.paid)
            if unpaid:
                ledger.pay(draw(st.sampled_from(unpaid)))
        else:
            ledger.reduce(draw(reductions(ledger.facts)))
        _check(ledger)


def _settle(ledger: Ledger) -> None:
    """Approve and pay everything there is, until nothing is left to do."""
    for _ in range(20):
        pending = [i for i in ledger.schedule() if i.status in APPROVABLE]
        for instalment in pending:
            ledger.approve(instalment)
        for key in sorted(k for k, a in ledger.facts.approved.items() if not a.paid):
            ledger.pay(key)
        _check(ledger)
        if not pending:
            return
    raise AssertionError("the schedule keeps offering instalments")


# -- the invariants -----------------------------------------------------------------------------


def _check(ledger: Ledger) -> None:
    facts = ledger.facts
    instalments = ledger.schedule()
    keys = [i.key for i in instalments]
    assert len(keys) == len(set(keys)), keys
    # Before the balance: never beyond the cap.
    assert ledger.net_paid(before_balance=True) <= percent_of(facts.max_grant, facts.cap_percent)
    # No work package is paid by two approved instalments.
    paid_work_packages = [n for a in facts.approved.values() for n in a.work_packages]
    assert len(paid_work_packages) == len(set(paid_work_packages))
    # Each split adds up to its instalment to the cent.
    for instalment in instalments:
        parts = beneficiary_split(facts, instalments, instalment.key)
        assert sum(parts.values(), ZERO) == instalment.amount, instalment.key
        assert all(part == part.quantize(E("0.01")) for part in parts.values())
    # Approved keys are never offered again.
    for instalment in instalments:
        if instalment.key in facts.approved:
            assert instalment.status not in APPROVABLE


@settings(
    max_examples=300,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(grant=grants(), data=st.data())
def test_the_ledger_keeps_its_invariants(grant, data):
    ledger = Ledger(grant, START)
    draw = data.draw
    _some_actions(draw, ledger)
    for period in grant.periods:
        ledger.today = period.end_on + datetime.timedelta(days=1)
        ledger.report(period.number, _decisions(draw, ledger, period.number))
        _check(ledger)
        _some_actions(draw, ledger)
    _settle(ledger)

    net_total = accepted_totals(ledger.facts).net_total
    assert ledger.net_paid() == net_total

    # Reductions confirmed after the balance: recoveries after it, until the books balance.
    for _ in range(draw(st.integers(0, 3))):
        ledger.today += datetime.timedelta(days=30)
        ledger.reduce(draw(reductions(ledger.facts)))
        _check(ledger)
        _settle(ledger)
        totals = accepted_totals(ledger.facts)
        assert ledger.net_paid() == totals.net_total
        assert totals.accepted_total - totals.confirmed_reductions == totals.net_total

    assert len(ledger.approvals) == len(set(ledger.approvals))
    assert len(ledger.payments) == len(set(ledger.payments))
    assert PREFINANCING in ledger.facts.approved or grant.prefinancing_percent == 0
