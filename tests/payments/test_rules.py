"""The payment schedule's rules, worked by hand: every amount below is written as the arithmetic
a reader can redo on paper (the grant's lump sum paid as pre-financing, interim payments for
completed work packages and the balance), and checked against ``schedule()`` and
``beneficiary_split()`` computed from plain facts (no database, no clock)."""

import datetime
from dataclasses import replace
from decimal import Decimal

import pytest

from backend.grants.eligibility.messages import render
from backend.payments.rules import (
    ADDITIONAL_PREFINANCING,
    AMOUNT_ABOVE_ZERO,
    APPROVED,
    BALANCE,
    BLOCKED,
    CONSORTIUM_ELIGIBLE,
    DECISION_NEEDED,
    EARLIER_REPORTS_APPROVED,
    GRANT_SIGNED,
    INTERIM,
    LATE_DELIVERABLES_JUSTIFIED,
    NOTHING_DUE,
    PAID,
    PREFINANCING,
    READY,
    RECOVERY,
    REPORT_APPROVED,
    SCHEDULED,
    SUSPENDED,
    WORK_PACKAGES_DECLARED,
    ApprovedInstalment,
    Completion,
    GrantFacts,
    Interval,
    PeriodFacts,
    ReductionFacts,
    RuleNames,
    Totals,
    WorkPackageFacts,
    accepted_totals,
    beneficiary_split,
    interest_on,
    prefinancing_due_on,
    schedule,
    split,
    suspended_days,
)

D = datetime.date
E = Decimal


def by_key(instalments):
    return {instalment.key: instalment for instalment in instalments}


def reason_codes(instalment):
    return [condition.code for condition in instalment.reasons]


def splits(facts, instalments):
    return {i.key: beneficiary_split(facts, instalments, i.key) for i in instalments}


def assert_splits_add_up(facts, instalments):
    """Every instalment's per-beneficiary parts add up exactly to its amount."""
    for instalment in instalments:
        parts = beneficiary_split(facts, instalments, instalment.key)
        assert sum(parts.values(), E("0.00")) == instalment.amount, instalment.key


# -- grant A: two reporting periods, interim + balance, the cap biting ----------------------------
#
# Maximum grant EUR 400,000.00, pre-financing 60 %, cap 80 %. Signed 2025-01-10, starts
# 2025-03-01. RP1 2025-03-01..2026-02-28 (interim), RP2 2026-03-01..2027-02-28 (balance).
# WP1 100,000 (A 70,000, B 30,000), WP2 150,000 (A 50,000, B 100,000), WP3 150,000 (A 90,000,
# B 60,000): A holds 210,000, B 190,000 of the 400,000.

A_WORK_PACKAGES = (
    WorkPackageFacts(1, E("100000.00"), {"A": E("70000.00"), "B": E("30000.00")}),
    WorkPackageFacts(2, E("150000.00"), {"A": E("50000.00"), "B": E("100000.00")}),
    WorkPackageFacts(3, E("150000.00"), {"A": E("90000.00"), "B": E("60000.00")}),
)


def grant_a(**overrides) -> GrantFacts:
    values = {
        "max_grant": E("400000.00"),
        "prefinancing_percent": E("60.00"),
        "cap_percent": E("80.00"),
        "signed_on": D(2025, 1, 10),
        "start_date": D(2025, 3, 1),
        "periods": (
            PeriodFacts(
                1,
                D(2025, 3, 1),
                D(2026, 2, 28),
                INTERIM,
                report_status="approved",
                report_received_on=D(2026, 3, 20),
            ),
            PeriodFacts(
                2,
                D(2026, 3, 1),
                D(2027, 2, 28),
                BALANCE,
                report_status="approved",
                report_received_on=D(2027, 3, 15),
            ),
        ),
        "work_packages": A_WORK_PACKAGES,
        # WP1 and WP2 completed in RP1, WP3 in RP2; both reports approved.
        "completions": (Completion(1, 1), Completion(2, 1), Completion(3, 2)),
    }
    values.update(overrides)
    return GrantFacts(**values)


def test_two_periods_prefinancing_interim_capped_and_balance():
    facts = grant_a()

    instalments = schedule(facts, D(2027, 4, 1))

    assert [(i.key, i.kind, i.period) for i in instalments] == [
        ("prefinancing", PREFINANCING, None),
        ("rp1", INTERIM, 1),
        ("rp2", BALANCE, 2),
    ]
    prefinancing, rp1, rp2 = instalments
    assert prefinancing.amount == E("400000.00") * 60 / 100 == E("240000.00")
    # RP1: WP1 + WP2 = 250,000, but the cap is 400,000 x 80 % = 320,000 and pre-financing took
    # 240,000 of it: 320,000 - 240,000 = 80,000 left.
    cap = E("400000.00") * 80 / 100
    assert rp1.uncapped_amount == E("100000.00") + E("150000.00") == E("250000.00")
    assert rp1.amount == cap - E("240000.00") == E("80000.00")
    assert rp1.capped
    assert rp1.work_packages == (1, 2)
    # The balance: every work package completed (400,000) less 240,000 and 80,000 paid.
    assert rp2.amount == E("400000.00") - E("240000.00") - E("80000.00") == E("80000.00")
    assert rp2.work_packages == (3,)
    assert not rp2.is_recovery
    assert [i.status for i in instalments] == [READY, READY, READY]
    assert sum(i.amount for i in instalments) == E("400000.00")


def test_two_periods_split_per_beneficiary():
    facts = grant_a()
    instalments = schedule(facts, D(2027, 4, 1))

    parts = splits(facts, instalments)

    # Pre-financing by the shares of the whole grant: A 210,000 / 400,000, B 190,000 / 400,000.
    assert parts["prefinancing"] == {
        "A": E("240000.00") * 210000 / 400000,  # 126,000.00
        "B": E("240000.00") * 190000 / 400000,  # 114,000.00
    }
    # RP1 pays WP1 + WP2: A 70,000 + 50,000 = 120,000, B 30,000 + 100,000 = 130,000, scaled to
    # the 80,000 the cap leaves.
    assert parts["rp1"] == {
        "A": E("80000.00") * 120000 / 250000,  # 38,400.00
        "B": E("80000.00") * 130000 / 250000,  # 41,600.00
    }
    # The balance: what each is owed (all three work packages) less its earlier parts.
    assert parts["rp2"] == {
        "A": E("210000.00") - E("126000.00") - E("38400.00"),  # 45,600.00
        "B": E("190000.00") - E("114000.00") - E("41600.00"),  # 34,400.00
    }
    assert_splits_add_up(facts, instalments)


# -- grant B: three reporting periods, a late work package, a reduction, a recovery --------------
#
# Maximum grant EUR 300,000.00, pre-financing 20 %, cap 90 %. RP1 2024 (interim), RP2 2025
# (interim), RP3 2026 (balance). WP1 90,000 (X 60,000, Y 30,000), WP2 120,000 (X 40,000,
# Y 80,000), WP3 90,000 (X 45,000, Y 45,000).
# WP1 completed in RP1. WP2 declared NOT completed in RP1 and completed in RP2 (a period late).
# WP3 is never completed. Pre-financing (60,000) and RP1 (90,000) were approved and paid; then
# the officer recorded a 10 % reduction, before RP2.

B_WORK_PACKAGES = (
    WorkPackageFacts(1, E("90000.00"), {"X": E("60000.00"), "Y": E("30000.00")}),
    WorkPackageFacts(2, E("120000.00"), {"X": E("40000.00"), "Y": E("80000.00")}),
    WorkPackageFacts(3, E("90000.00"), {"X": E("45000.00"), "Y": E("45000.00")}),
)


def _b_periods(**rp3):
    return (
        PeriodFacts(1, D(2024, 1, 1), D(2024, 12, 31), INTERIM, "approved", D(2025, 2, 1)),
        PeriodFacts(2, D(2025, 1, 1), D(2025, 12, 31), INTERIM, "approved", D(2026, 2, 1)),
        PeriodFacts(
            3,
            D(2026, 1, 1),
            D(2026, 12, 31),
            BALANCE,
            **{"report_status": "approved", "report_received_on": D(2027, 2, 1), **rp3},
        ),
    )


def grant_b(**overrides) -> GrantFacts:
    values = {
        "max_grant": E("300000.00"),
        "prefinancing_percent": E("20.00"),
        "cap_percent": E("90.00"),
        "signed_on": D(2023, 11, 20),
        "start_date": D(2024, 1, 1),
        "periods": _b_periods(),
        "work_packages": B_WORK_PACKAGES,
        "completions": (Completion(1, 1), Completion(2, 2)),
        "reductions": (ReductionFacts(percent=E("10.00")),),
        "approved": {
            "prefinancing": ApprovedInstalment(E("60000.00"), paid=True),
            "rp1": ApprovedInstalment(E("90000.00"), paid=True, work_packages=(1,)),
        },
    }
    values.update(overrides)
    return GrantFacts(**values)


def test_three_periods_late_work_package_reduction_and_recovery():
    facts = grant_b()

    prefinancing, rp1, rp2, rp3 = schedule(facts, D(2027, 3, 1))

    assert prefinancing.amount == E("300000.00") * 20 / 100 == E("60000.00")
    assert prefinancing.status == PAID
    # RP1 was approved before the reduction: it keeps its 90,000 (WP1 in full).
    assert rp1.amount == E("90000.00")
    assert rp1.work_packages == (1,)
    assert rp1.status == PAID
    # WP2, completed a period late, is paid by RP2's interim, reduced by 10 %; the cap
    # (300,000 x 90 % = 270,000) leaves 270,000 - 60,000 - 90,000 = 120,000: it does not bite.
    assert rp2.work_packages == (2,)
    assert rp2.amount == E("120000.00") * (100 - 10) / 100 == E("108000.00")
    assert not rp2.capped
    assert rp2.status == READY
    # The balance: accepted = (WP1 + WP2) x 90 % = 210,000 x 0.9 = 189,000 (WP3 never
    # completed), less 60,000 + 90,000 + 108,000 = 258,000 paid or owed: a recovery of 69,000.
    accepted = (E("90000.00") + E("120000.00")) * 90 / 100
    assert rp3.amount == accepted - (E("60000.00") + E("90000.00") + E("108000.00"))
    assert rp3.amount == E("-69000.00")
    assert rp3.kind == BALANCE
    assert rp3.is_recovery
    assert rp3.work_packages == ()
    assert rp3.status == READY
    amount = next(c for c in rp3.conditions if c.code == AMOUNT_ABOVE_ZERO)
    assert render(amount.message, amount.params, "en") == (
        "The balance is a recovery of EUR 69000.00."
    )
    # A recovery is no payment: it is never "late".
    assert not rp3.payment_late


def test_three_periods_a_late_work_package_is_not_paid_by_the_first_interim():
    # Before RP2's report exists: RP1's interim pays WP1 only, WP2 waits for its completion.
    facts = grant_b(
        approved={},
        reductions=(),
        completions=(Completion(1, 1),),
        periods=_b_periods(),
    )

    rp1 = by_key(schedule(facts, D(2025, 3, 1)))["rp1"]

    assert rp1.work_packages == (1,)
    assert rp1.amount == E("90000.00")


def test_three_periods_reduction_applies_to_what_is_not_approved_yet():
    # The same 10 % reduction with nothing approved yet: RP1 is reduced as well,
    # 90,000 x 0.9 = 81,000, and the balance settles the rest.
    facts = grant_b(approved={})

    _prefinancing, rp1, rp2, rp3 = schedule(facts, D(2027, 3, 1))

    assert rp1.amount == E("90000.00") * 90 / 100 == E("81000.00")
    assert rp2.amount == E("108000.00")
    assert rp3.amount == E("189000.00") - (E("60000.00") + E("81000.00") + E("108000.00"))
    assert rp3.amount == E("-60000.00")


def test_three_periods_split_per_beneficiary_including_the_recovery():
    facts = grant_b()
    instalments = schedule(facts, D(2027, 3, 1))

    parts = splits(facts, instalments)

    # X holds 60,000 + 40,000 + 45,000 = 145,000, Y 30,000 + 80,000 + 45,000 = 155,000.
    assert parts["prefinancing"] == {
        "X": E("60000.00") * 145000 / 300000,  # 29,000.00
        "Y": E("60000.00") * 155000 / 300000,  # 31,000.00
    }
    assert parts["rp1"] == {"X": E("60000.00"), "Y": E("30000.00")}  # WP1's shares
    assert parts["rp2"] == {
        "X": E("108000.00") * 40000 / 120000,  # 36,000.00
        "Y": E("108000.00") * 80000 / 120000,  # 72,000.00
    }
    # Owed: X (60,000 + 40,000) x 0.9 = 90,000; Y (30,000 + 80,000) x 0.9 = 99,000.
    assert parts["rp3"] == {
        "X": E("90000.00") - E("29000.00") - E("60000.00") - E("36000.00"),  # -35,000.00
        "Y": E("99000.00") - E("31000.00") - E("30000.00") - E("72000.00"),  # -34,000.00
    }
    assert sum(parts["rp3"].values()) == E("-69000.00")
    assert_splits_add_up(facts, instalments)


# -- additional pre-financing --------------------------------------------------------------------


def _additional(**overrides) -> GrantFacts:
    values = {
        "max_grant": E("250000.00"),
        "prefinancing_percent": E("40.00"),
        "cap_percent": E("90.00"),
        "signed_on": D(2024, 1, 5),
        "start_date": D(2024, 2, 1),
        "periods": (
            PeriodFacts(
                1, D(2024, 2, 1), D(2025, 1, 31), ADDITIONAL_PREFINANCING, "approved", D(2025, 3, 1)
            ),
            PeriodFacts(2, D(2025, 2, 1), D(2026, 1, 31), BALANCE, "approved", D(2026, 3, 1)),
        ),
        "work_packages": (
            WorkPackageFacts(1, E("250000.00"), {"A": E("150000.00"), "B": E("100000.00")}),
        ),
        "completions": (Completion(1, 2),),
    }
    values.update(overrides)
    return GrantFacts(**values)


def test_additional_prefinancing_defaults_to_the_grant_prefinancing_percent():
    facts = _additional()

    prefinancing, rp1, rp2 = schedule(facts, D(2026, 4, 1))

    assert rp1.kind == ADDITIONAL_PREFINANCING
    assert rp1.amount == E("250000.00") * 40 / 100 == E("100000.00")
    assert rp1.work_packages == ()
    assert rp2.amount == E("250000.00") - E("100000.00") - E("100000.00") == E("50000.00")
    assert beneficiary_split(facts, [prefinancing, rp1, rp2], "rp1") == {
        "A": E("100000.00") * 150000 / 250000,  # 60,000.00
        "B": E("100000.00") * 100000 / 250000,  # 40,000.00
    }


def test_additional_prefinancing_takes_the_call_percentage_within_the_cap():
    facts = _additional(additional_prefinancing_percent=E("30.00"))
    rp1 = by_key(schedule(facts, D(2026, 4, 1)))["rp1"]
    assert rp1.amount == E("250000.00") * 30 / 100 == E("75000.00")

    # With a cap of 60 % (150,000), pre-financing's 100,000 leaves 50,000 of the 75,000.
    capped = by_key(
        schedule(
            _additional(additional_prefinancing_percent=E("30.00"), cap_percent=E("60.00")),
            D(2026, 4, 1),
        )
    )["rp1"]
    assert capped.uncapped_amount == E("75000.00")
    assert capped.amount == E("250000.00") * 60 / 100 - E("100000.00") == E("50000.00")


# -- rounding to the cent ------------------------------------------------------------------------
#
# Maximum grant EUR 123,456.78, pre-financing 40 %, cap 85 %, a 3 % reduction; three
# beneficiaries with equal shares of WP1 (41,152.26) and WP2 (82,304.52); both completed in RP1.


def _rounding() -> GrantFacts:
    third_1, third_2 = E("13717.42"), E("27434.84")
    return GrantFacts(
        max_grant=E("123456.78"),
        prefinancing_percent=E("40.00"),
        cap_percent=E("85.00"),
        signed_on=D(2024, 1, 5),
        start_date=D(2024, 2, 1),
        periods=(
            PeriodFacts(1, D(2024, 2, 1), D(2025, 1, 31), INTERIM, "approved", D(2025, 3, 1)),
            PeriodFacts(2, D(2025, 2, 1), D(2026, 1, 31), BALANCE, "approved", D(2026, 3, 1)),
        ),
        work_packages=(
            WorkPackageFacts(1, E("41152.26"), dict.fromkeys("ABC", third_1)),
            WorkPackageFacts(2, E("82304.52"), dict.fromkeys("ABC", third_2)),
        ),
        completions=(Completion(1, 1), Completion(2, 1)),
        reductions=(ReductionFacts(percent=E("3.00")),),
    )


def test_amounts_are_rounded_half_up_to_the_cent():
    facts = _rounding()

    prefinancing, rp1, rp2 = schedule(facts, D(2026, 4, 1))

    # 123,456.78 x 40 % = 49,382.712 -> 49,382.71
    assert E("123456.78") * 40 / 100 == E("49382.712")
    assert prefinancing.amount == E("49382.71")
    # Uncapped RP1: 123,456.78 x 0.97 = 119,753.0766 -> 119,753.08; the cap:
    # 123,456.78 x 85 % = 104,938.263 -> 104,938.26, less 49,382.71 = 55,555.55.
    assert rp1.uncapped_amount == E("119753.08")
    assert rp1.amount == E("104938.26") - E("49382.71") == E("55555.55")
    # The balance: 119,753.08 - 49,382.71 - 55,555.55 = 14,814.82.
    assert rp2.amount == E("119753.08") - E("49382.71") - E("55555.55") == E("14814.82")


def test_the_split_of_amounts_that_do_not_divide_evenly_adds_up_to_the_cent():
    facts = _rounding()
    instalments = schedule(facts, D(2026, 4, 1))

    parts = splits(facts, instalments)

    # 49,382.71 / 3 = 16,460.9033...: 16,460.90 each, the cent left goes to the first name
    # (equal remainders).
    assert parts["prefinancing"] == {
        "A": E("16460.91"),
        "B": E("16460.90"),
        "C": E("16460.90"),
    }
    # 55,555.55 / 3 = 18,518.5166...: 18,518.51 each, two cents left over: A and B.
    assert parts["rp1"] == {"A": E("18518.52"), "B": E("18518.52"), "C": E("18518.51")}
    # Owed: 119,753.08 / 3 = 39,917.6933...: A 39,917.70, B and C 39,917.69; less the above.
    assert parts["rp2"] == {
        "A": E("39917.70") - E("16460.91") - E("18518.52"),  # 4,938.27
        "B": E("39917.69") - E("16460.90") - E("18518.52"),  # 4,938.27
        "C": E("39917.69") - E("16460.90") - E("18518.51"),  # 4,938.28
    }
    assert_splits_add_up(facts, instalments)


def test_split_gives_the_cents_left_by_rounding_to_the_largest_remainders():
    # 100.00 in proportion 1 : 2 : 3 -> 16.666..., 33.333..., 50.00: rounded down 16.66 +
    # 33.33 + 50.00 = 99.99, one cent left, to the largest remainder (A's 0.00666...).
    assert split(E("100.00"), {"A": E(1), "B": E(2), "C": E(3)}) == {
        "A": E("16.67"),
        "B": E("33.33"),
        "C": E("50.00"),
    }
    # A recovery divides the same way, negative.
    assert split(E("-100.00"), {"A": E(1), "B": E(1), "C": E(1)}) == {
        "A": E("-33.34"),
        "B": E("-33.33"),
        "C": E("-33.33"),
    }
    assert split(E("10.00"), {"A": E(0)}) == {"A": E("0.00")}


# -- the partial-completion option -----------------------------------------------------------------
#
# Maximum grant EUR 200,000.00, pre-financing 20 % (40,000), cap 90 %. WP1 100,000 (A 50,000,
# B 50,000) completed in RP1; WP2 100,000 (A 60,000, B 40,000) declared NOT completed in the
# final period RP2, done to 62.50 %.


def _partial(pays: bool) -> GrantFacts:
    return GrantFacts(
        max_grant=E("200000.00"),
        prefinancing_percent=E("20.00"),
        cap_percent=E("90.00"),
        signed_on=D(2024, 1, 5),
        start_date=D(2024, 2, 1),
        periods=(
            PeriodFacts(1, D(2024, 2, 1), D(2025, 1, 31), INTERIM, "approved", D(2025, 3, 1)),
            PeriodFacts(2, D(2025, 2, 1), D(2026, 1, 31), BALANCE, "approved", D(2026, 3, 1)),
        ),
        work_packages=(
            WorkPackageFacts(1, E("100000.00"), {"A": E("50000.00"), "B": E("50000.00")}),
            WorkPackageFacts(2, E("100000.00"), {"A": E("60000.00"), "B": E("40000.00")}),
        ),
        completions=(Completion(1, 1), Completion(2, 2, percent=E("62.50"))),
        pays_partial_completion=pays,
    )


def test_partial_completion_off_a_work_package_not_completed_is_not_paid():
    facts = _partial(False)

    prefinancing, rp1, rp2 = schedule(facts, D(2026, 4, 1))

    assert prefinancing.amount == E("40000.00")
    assert rp1.amount == E("100000.00")  # WP1; the cap (180,000) does not bite
    # Accepted: WP1 only (100,000), less 140,000 paid: a recovery of 40,000.
    assert rp2.amount == E("100000.00") - E("40000.00") - E("100000.00") == E("-40000.00")
    assert rp2.work_packages == ()
    assert beneficiary_split(facts, [prefinancing, rp1, rp2], "rp2") == {
        # Pre-financing split A 110,000 / 200,000 = 22,000, B 18,000; RP1 50,000 each.
        "A": E("50000.00") - E("22000.00") - E("50000.00"),  # -22,000.00
        "B": E("50000.00") - E("18000.00") - E("50000.00"),  # -18,000.00
    }


def test_partial_completion_on_pays_the_final_period_percentage():
    facts = _partial(True)

    prefinancing, rp1, rp2 = schedule(facts, D(2026, 4, 1))

    # Accepted: 100,000 + 100,000 x 62.50 % = 162,500, less 140,000: 22,500.
    assert rp2.amount == E("100000.00") + E("100000.00") * E("62.50") / 100 - E("140000.00")
    assert rp2.amount == E("22500.00")
    assert rp2.work_packages == (2,)
    assert beneficiary_split(facts, [prefinancing, rp1, rp2], "rp2") == {
        # Owed: A 50,000 + 60,000 x 0.625 = 87,500; B 50,000 + 40,000 x 0.625 = 75,000.
        "A": E("87500.00") - E("22000.00") - E("50000.00"),  # 15,500.00
        "B": E("75000.00") - E("18000.00") - E("50000.00"),  # 7,000.00
    }


def test_partial_completion_counts_only_in_the_final_period():
    # A percentage declared in RP1 (not the final period) is never paid, option on or not.
    facts = _partial(True)
    facts = GrantFacts(
        **{
            **facts.__dict__,
            "completions": (Completion(1, 1), Completion(2, 1, percent=E("62.50"))),
        }
    )

    _prefinancing, rp1, rp2 = schedule(facts, D(2026, 4, 1))

    assert rp1.work_packages == (1,)
    assert rp2.amount == E("-40000.00")
    assert rp2.work_packages == ()


def test_partial_completion_percentage_is_rounded_to_the_cent():
    facts = _partial(True)
    facts = GrantFacts(
        **{
            **facts.__dict__,
            "work_packages": (
                facts.work_packages[0],
                WorkPackageFacts(2, E("100000.01"), {"A": E("100000.01")}),
            ),
            "completions": (Completion(1, 1), Completion(2, 2, percent=E("33.33"))),
        }
    )

    rp2 = schedule(facts, D(2026, 4, 1))[-1]

    # 100,000.01 x 33.33 % = 33,330.0033333 -> 33,330.00; plus WP1's 100,000, less 140,000.
    assert rp2.amount == E("100000.00") + E("33330.00") - E("140000.00") == E("-6670.00")


# -- approved instalments ------------------------------------------------------------------------


def test_an_approved_amount_is_what_later_instalments_count():
    # The officer approved RP1 at 75,000 (not the 80,000 computed now).
    facts = grant_a(approved={"rp1": ApprovedInstalment(E("75000.00"), work_packages=(1, 2))})

    prefinancing, rp1, rp2 = schedule(facts, D(2027, 4, 1))

    assert (rp1.amount, rp1.uncapped_amount, rp1.projected_amount) == (E("75000.00"),) * 3
    assert rp1.status == APPROVED
    assert rp1.work_packages == (1, 2)
    assert rp2.amount == E("400000.00") - E("240000.00") - E("75000.00") == E("85000.00")
    assert rp2.work_packages == (3,)
    assert beneficiary_split(facts, [prefinancing, rp1, rp2], "rp1") == {
        "A": E("75000.00") * 120000 / 250000,  # 36,000.00
        "B": E("75000.00") * 130000 / 250000,  # 39,000.00
    }


def test_an_approved_balance_splits_to_its_approved_amount():
    # The balance was approved at 80,000; a 10 % reduction recorded afterwards does not change
    # it, and its split still adds up to 80,000.
    facts = grant_a(
        reductions=(ReductionFacts(percent=E("10.00")),),
        approved={
            "prefinancing": ApprovedInstalment(E("240000.00"), paid=True),
            "rp1": ApprovedInstalment(E("80000.00"), paid=True, work_packages=(1, 2)),
            "rp2": ApprovedInstalment(E("80000.00"), work_packages=(3,)),
        },
    )
    instalments = schedule(facts, D(2027, 4, 1))

    assert instalments[2].amount == E("80000.00")
    # Owed after the reduction: A 210,000 x 0.9 = 189,000, B 190,000 x 0.9 = 171,000; less the
    # earlier parts: A 189,000 - 126,000 - 38,400 = 24,600, B 171,000 - 114,000 - 41,600 =
    # 15,400, 40,000 in all; the other 40,000 approved is spread 189 : 171 (A 21,000, B 19,000).
    assert beneficiary_split(facts, instalments, "rp2") == {
        "A": E("24600.00") + E("40000.00") * 189 / 360,  # 45,600.00
        "B": E("15400.00") + E("40000.00") * 171 / 360,  # 34,400.00
    }
    assert_splits_add_up(facts, instalments)


def test_a_work_package_an_approved_instalment_paid_is_never_paid_again():
    # RP1's approved instalment paid WP1 and WP2, although the record now says WP2 was completed
    # in RP2: RP2's interim does not pay WP2 again.
    facts = grant_b(
        reductions=(),
        approved={
            "prefinancing": ApprovedInstalment(E("60000.00"), paid=True),
            "rp1": ApprovedInstalment(E("150000.00"), paid=True, work_packages=(1, 2)),
        },
    )

    _prefinancing, _rp1, rp2, rp3 = schedule(facts, D(2027, 3, 1))

    assert rp2.work_packages == ()
    assert rp2.amount == E("0.00")
    assert rp2.status == NOTHING_DUE
    assert reason_codes(rp2) == [AMOUNT_ABOVE_ZERO]
    # The balance: 90,000 + 120,000 = 210,000 accepted, less 60,000 + 150,000.
    assert rp3.amount == E("0.00")
    assert rp3.work_packages == ()


def test_approved_and_paid_statuses():
    facts = grant_b()

    statuses = [i.status for i in schedule(facts, D(2027, 3, 1))]

    assert statuses == [PAID, PAID, READY, READY]
    facts = grant_b(
        approved={
            **grant_b().approved,
            "rp2": ApprovedInstalment(E("108000.00"), work_packages=(2,)),
        }
    )
    assert [i.status for i in schedule(facts, D(2027, 3, 1))] == [PAID, PAID, APPROVED, READY]


# -- due dates -----------------------------------------------------------------------------------


def test_prefinancing_is_due_ten_days_before_the_start_when_that_is_later():
    # Signed 2025-01-10: +30 days = 2025-02-09; start 2025-03-01: -10 days = 2025-02-19.
    assert prefinancing_due_on(D(2025, 1, 10), D(2025, 3, 1)) == D(2025, 2, 19)
    prefinancing = schedule(grant_a(), D(2025, 2, 1))[0]
    assert prefinancing.due_on == prefinancing.payment_due_on == D(2025, 2, 19)


def test_prefinancing_is_due_thirty_days_after_signature_when_that_is_later():
    # Signed 2025-02-20: +30 days = 2025-03-22; start 2025-03-01: -10 days = 2025-02-19.
    assert prefinancing_due_on(D(2025, 2, 20), D(2025, 3, 1)) == D(2025, 3, 22)
    prefinancing = schedule(grant_a(signed_on=D(2025, 2, 20)), D(2025, 3, 1))[0]
    assert prefinancing.due_on == D(2025, 3, 22)


def test_prefinancing_payment_is_late_from_the_day_after_it_is_due():
    assert not schedule(grant_a(), D(2025, 2, 19))[0].payment_late
    assert schedule(grant_a(), D(2025, 2, 20))[0].payment_late
    paid = grant_a(approved={"prefinancing": ApprovedInstalment(E("240000.00"), paid=True)})
    assert not schedule(paid, D(2025, 2, 20))[0].payment_late


def test_a_period_payment_is_due_payment_days_after_the_report_is_received():
    rp1 = schedule(grant_a(), D(2026, 6, 18))[1]

    # The report is due 60 days after the period ends: 2026-02-28 + 60 = 2026-04-29.
    assert rp1.due_on == D(2026, 4, 29)
    # Received 2026-03-20, + 90 days = 2026-06-18.
    assert rp1.report_received_on == D(2026, 3, 20)
    assert rp1.payment_due_on == D(2026, 3, 20) + datetime.timedelta(days=90) == D(2026, 6, 18)
    assert not rp1.payment_late  # on the day it is due
    assert schedule(grant_a(), D(2026, 6, 19))[1].payment_late  # the day after

    # A call that gives the agency 60 days: 2026-03-20 + 60 = 2026-05-19.
    rp1 = schedule(grant_a(payment_days={"interim": 60}), D(2026, 5, 20))[1]
    assert rp1.payment_due_on == D(2026, 5, 19)
    assert rp1.payment_late


def test_no_payment_is_due_before_the_report_is_received():
    periods = (
        PeriodFacts(1, D(2025, 3, 1), D(2026, 2, 28), INTERIM, report_status="draft"),
        grant_a().periods[1],
    )
    rp1 = schedule(grant_a(periods=periods), D(2027, 1, 1))[1]

    assert rp1.report_received_on is None
    assert rp1.payment_due_on is None
    assert not rp1.payment_late


# -- status --------------------------------------------------------------------------------------


def test_an_instalment_is_scheduled_until_its_period_ends():
    # RP1 ends 2026-02-28: scheduled before and on that day, then its conditions decide.
    assert schedule(grant_a(), D(2025, 6, 1))[1].status == SCHEDULED
    assert schedule(grant_a(), D(2026, 2, 28))[1].status == SCHEDULED
    assert schedule(grant_a(), D(2026, 3, 1))[1].status == READY
    # The balance too, until RP2 ends on 2027-02-28.
    assert schedule(grant_a(), D(2027, 2, 28))[2].status == SCHEDULED


def test_a_blocked_instalment_gives_every_reason():
    periods = (
        PeriodFacts(
            1,
            D(2025, 3, 1),
            D(2026, 2, 28),
            INTERIM,
            report_status="submitted",
            report_received_on=D(2026, 3, 20),
            late_unjustified=("D1.3",),
        ),
        grant_a().periods[1],
    )
    facts = grant_a(
        periods=periods,
        completions=(Completion(1, 1, approved=False), Completion(2, 1, approved=False)),
    )

    rp1 = schedule(facts, D(2026, 4, 1))[1]

    assert rp1.status == BLOCKED
    assert reason_codes(rp1) == [REPORT_APPROVED, LATE_DELIVERABLES_JUSTIFIED, AMOUNT_ABOVE_ZERO]
    # Approving the report would bring WP1 and WP2 (capped as above).
    assert rp1.amount == E("0.00")
    assert rp1.projected_amount == E("80000.00")


# -- one test per blocked reason -------------------------------------------------------------------
#
# A grant A where every work package was completed in RP1: RP1's interim is capped at 80,000 and
# the balance (80,000) is owed whatever RP2's report brings. On 2027-04-01 both are ready; each
# test below breaks one condition only.

TODAY = D(2027, 4, 1)


def _all_in_rp1(**overrides) -> GrantFacts:
    return grant_a(
        **{"completions": (Completion(1, 1), Completion(2, 1), Completion(3, 1)), **overrides}
    )


def _period(number: int, **changes) -> tuple:
    periods = list(grant_a().periods)
    base = periods[number - 1]
    periods[number - 1] = PeriodFacts(**{**base.__dict__, **changes})
    return tuple(periods)


def test_the_base_of_the_reason_tests_is_ready():
    instalments = schedule(_all_in_rp1(), TODAY)

    assert [(i.key, i.amount, i.status) for i in instalments] == [
        ("prefinancing", E("240000.00"), READY),
        ("rp1", E("80000.00"), READY),
        ("rp2", E("80000.00"), READY),
    ]


def _only_reason(instalment, code: str, status: str = BLOCKED):
    assert instalment.status == status
    assert reason_codes(instalment) == [code]
    return instalment.reasons[0]


def test_blocked_grant_signed():
    # On 2025-01-09 the grant signed on 2025-01-10 is not in force: no pre-financing.
    prefinancing = schedule(_all_in_rp1(), D(2025, 1, 9))[0]

    reason = _only_reason(prefinancing, GRANT_SIGNED)
    assert reason.message == "The grant agreement enters into force on %(date)s."
    assert reason.params == {"date": D(2025, 1, 10)}
    assert render(reason.message, reason.params, "en") == (
        "The grant agreement enters into force on 2025-01-10."
    )
    assert schedule(_all_in_rp1(), D(2025, 1, 10))[0].status == READY


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (None, "The report of RP2 has not been submitted yet."),
        ("draft", "The report of RP2 has not been submitted yet."),
        ("submitted", "The report of RP2 awaits the officer's review."),
        (
            "changes_requested",
            "The officer requested changes to the report of RP2; it has to be submitted again.",
        ),
    ],
)
def test_blocked_report_approved(status, message):
    facts = _all_in_rp1(periods=_period(2, report_status=status))

    rp2 = schedule(facts, TODAY)[2]

    assert rp2.amount == E("80000.00")
    reason = _only_reason(rp2, REPORT_APPROVED)
    assert reason.params == {"number": 2}
    assert render(reason.message, reason.params, "en") == message


def test_blocked_work_packages_declared():
    facts = _all_in_rp1(periods=_period(2, undeclared_work_packages=(2, 3)))

    rp2 = schedule(facts, TODAY)[2]

    reason = _only_reason(rp2, WORK_PACKAGES_DECLARED)
    assert reason.params == {"number": 2, "work_packages": "WP2, WP3"}
    assert render(reason.message, reason.params, "en") == (
        "The status of WP2, WP3 is not declared for RP2."
    )


def test_blocked_consortium_eligible_breach_at_the_period_end():
    facts = _all_in_rp1(periods=_period(1, breaches_at_end=("min_full_partners",)))

    rp1, rp2 = schedule(facts, TODAY)[1:]

    # The officer decides (suspend, or approve with a justification) ...
    reason = _only_reason(rp1, CONSORTIUM_ELIGIBLE, DECISION_NEEDED)
    # ... unless the rule set makes a breach block payments.
    blocking = replace(facts, breach_blocks_payments=True)
    assert _only_reason(schedule(blocking, TODAY)[1], CONSORTIUM_ELIGIBLE) == reason
    assert reason.params == {
        "number": 1,
        "end_date": D(2026, 2, 28),
        "rules": RuleNames(("min_full_partners",)),
    }
    assert render(reason.message, reason.params, "en") == (
        "The consortium breached the composition rules at the end of RP1 (2026-02-28): "
        "the minimum number of full partners."
    )
    # RP2 ended with the consortium eligible again: its balance is not blocked.
    assert rp2.status == READY


def test_blocked_consortium_eligible_open_breach_now():
    facts = _all_in_rp1(open_breaches=("coordinator", "min_member_states"))

    prefinancing, rp1, rp2 = schedule(facts, TODAY)

    for instalment in (rp1, rp2):
        reason = _only_reason(instalment, CONSORTIUM_ELIGIBLE, DECISION_NEEDED)
        assert reason.params == {"rules": RuleNames(("coordinator", "min_member_states"))}
        assert render(reason.message, reason.params, "en") == (
            "The consortium has an open eligibility breach: a coordinator from an eligible "
            "country; the minimum number of EU Member States."
        )
    # Pre-financing has no eligibility condition.
    assert prefinancing.status == READY


def test_blocked_late_deliverables_justified():
    facts = _all_in_rp1(periods=_period(1, late_unjustified=("D1.3", "D2.1")))

    rp1 = schedule(facts, TODAY)[1]

    reason = _only_reason(rp1, LATE_DELIVERABLES_JUSTIFIED)
    assert reason.params == {"number": 1, "codes": "D1.3, D2.1"}
    assert render(reason.message, reason.params, "en") == (
        "Late deliverables of RP1 have no justification: D1.3, D2.1."
    )


def test_nothing_due_when_nothing_completed():
    # RP1's report is approved, but it declared no work package completed: nothing is due (grey),
    # not blocked.
    facts = _all_in_rp1(completions=(Completion(1, 2), Completion(2, 2), Completion(3, 2)))

    rp1 = schedule(facts, TODAY)[1]

    assert rp1.work_packages == ()
    reason = _only_reason(rp1, AMOUNT_ABOVE_ZERO, NOTHING_DUE)
    assert reason.params == {"amount": E("0.00")}
    assert render(reason.message, reason.params, "en") == (
        "There is nothing to pay: the amount is EUR 0.00."
    )
    # Long past the report's receipt and the payment days, nothing to pay is never late.
    later = schedule(facts, TODAY + datetime.timedelta(days=400))[1]
    assert (later.status, later.days_late, later.interest, later.payment_late) == (
        NOTHING_DUE,
        0,
        E("0.00"),
        False,
    )


def test_nothing_due_for_a_balance_of_nothing():
    # Pre-financing 240,000 + RP1 80,000 = 320,000 = what WP1 + WP2 + ... accepted come to: the
    # balance is zero, neither a payment nor a recovery.
    facts = _all_in_rp1(
        work_packages=(
            WorkPackageFacts(1, E("100000.00"), {"A": E("100000.00")}),
            WorkPackageFacts(2, E("220000.00"), {"B": E("220000.00")}),
        ),
        completions=(Completion(1, 1), Completion(2, 1)),
    )

    rp2 = schedule(facts, TODAY)[2]

    assert rp2.amount == E("100000.00") + E("220000.00") - E("240000.00") - E("80000.00")
    reason = _only_reason(rp2, AMOUNT_ABOVE_ZERO, NOTHING_DUE)
    assert render(reason.message, reason.params, "en") == "The balance is EUR 0.00."


def test_an_interim_paying_no_lump_sum_divides_like_the_grant():
    # An approved interim that names no work package (an officer's decision) is still split,
    # by the shares of the whole grant: A 210,000 / 400,000, B 190,000 / 400,000.
    facts = grant_a(approved={"rp1": ApprovedInstalment(E("10000.00"))})
    instalments = schedule(facts, D(2027, 4, 1))

    assert beneficiary_split(facts, instalments, "rp1") == {
        "A": E("10000.00") * 210000 / 400000,  # 5,250.00
        "B": E("10000.00") * 190000 / 400000,  # 4,750.00
    }
    assert_splits_add_up(facts, instalments)


# -- grant R: three periods, no cap biting, for reductions, recoveries and reports in order -------
#
# Maximum grant EUR 400,000.00 (work packages as grant A: A holds 210,000, B 190,000),
# pre-financing 10 % = 40,000.00, cap 100 %. RP1 2025 (interim, WP1 100,000), RP2 2026 (interim,
# WP2 150,000), RP3 2027 (balance, WP3 150,000); every report approved.

R_TODAY = D(2028, 2, 1)


def _r_period(number, payment, **changes):
    values = {
        "report_status": "approved",
        "report_received_on": D(2025 + number, 1, 20),
        **changes,
    }
    return PeriodFacts(number, D(2024 + number, 1, 1), D(2024 + number, 12, 31), payment, **values)


def grant_r(**overrides) -> GrantFacts:
    values = {
        "max_grant": E("400000.00"),
        "prefinancing_percent": E("10.00"),
        "cap_percent": E("100.00"),
        "signed_on": D(2024, 11, 1),
        "start_date": D(2025, 1, 1),
        "periods": (
            _r_period(1, INTERIM),
            _r_period(2, INTERIM),
            _r_period(3, BALANCE),
        ),
        "work_packages": A_WORK_PACKAGES,
        "completions": (Completion(1, 1), Completion(2, 2), Completion(3, 3)),
    }
    values.update(overrides)
    return GrantFacts(**values)


def amounts(facts, today=R_TODAY):
    return {i.key: i.amount for i in schedule(facts, today)}


def test_grant_r_without_reductions():
    assert amounts(grant_r()) == {
        "prefinancing": E("40000.00"),
        "rp1": E("100000.00"),
        "rp2": E("150000.00"),
        "rp3": E("400000.00") - E("40000.00") - E("100000.00") - E("150000.00"),  # 110,000
    }


def test_a_whole_grant_percentage_reduction():
    facts = grant_r(reductions=(ReductionFacts(percent=E("10.00")),))

    assert amounts(facts) == {
        "prefinancing": E("40000.00"),
        "rp1": E("90000.00"),
        "rp2": E("135000.00"),
        "rp3": E("360000.00") - E("40000.00") - E("90000.00") - E("135000.00"),  # 95,000
    }
    assert accepted_totals(facts) == Totals(E("400000.00"), (E("40000.00"),), E("360000.00"))


def test_a_beneficiary_reduction_takes_only_its_cells_and_the_split_follows():
    # B's cells: WP1 30,000, WP2 100,000, WP3 60,000; 10 % of each.
    facts = grant_r(reductions=(ReductionFacts(participant="B", percent=E("10.00")),))
    instalments = schedule(facts, R_TODAY)

    assert {i.key: i.amount for i in instalments} == {
        "prefinancing": E("40000.00"),
        "rp1": E("100000.00") - E("3000.00"),  # 97,000
        "rp2": E("150000.00") - E("10000.00"),  # 140,000
        "rp3": E("400000.00") - E("19000.00") - E("40000.00") - E("97000.00") - E("140000.00"),
    }
    assert splits(facts, instalments) == {
        # Pre-financing by the shares of the grant: 210/400 and 190/400 of 40,000.
        "prefinancing": {"A": E("21000.00"), "B": E("19000.00")},
        "rp1": {"A": E("70000.00"), "B": E("27000.00")},
        "rp2": {"A": E("50000.00"), "B": E("90000.00")},
        # A: 210,000 - 21,000 - 70,000 - 50,000; B: 171,000 - 19,000 - 27,000 - 90,000.
        "rp3": {"A": E("69000.00"), "B": E("35000.00")},
    }
    assert_splits_add_up(facts, instalments)


def test_a_work_package_reduction_takes_only_its_cells():
    facts = grant_r(reductions=(ReductionFacts(work_package=2, percent=E("20.00")),))
    instalments = schedule(facts, R_TODAY)

    assert instalments[2].amount == E("150000.00") * 80 / 100 == E("120000.00")
    assert beneficiary_split(facts, instalments, "rp2") == {
        "A": E("40000.00"),
        "B": E("80000.00"),
    }
    assert instalments[3].amount == E("370000.00") - E("40000.00") - E("100000.00") - E("120000.00")
    assert_splits_add_up(facts, instalments)


def test_an_amount_of_one_beneficiary_in_one_work_package():
    facts = grant_r(
        reductions=(ReductionFacts(participant="B", work_package=2, amount=E("25000.00")),)
    )
    instalments = schedule(facts, R_TODAY)

    assert instalments[2].amount == E("125000.00")
    assert beneficiary_split(facts, instalments, "rp2") == {
        "A": E("50000.00"),
        "B": E("75000.00"),
    }
    assert_splits_add_up(facts, instalments)


def test_an_amount_never_takes_a_cell_below_zero():
    # A's cell of WP1 is 70,000: a reduction of 100,000 takes it all, no more.
    facts = grant_r(
        reductions=(ReductionFacts(participant="A", work_package=1, amount=E("100000.00")),)
    )

    assert amounts(facts)["rp1"] == E("30000.00")
    assert accepted_totals(facts).confirmed_reductions == E("70000.00")
    assert beneficiary_split(facts, schedule(facts, R_TODAY), "rp1") == {
        "A": E("0.00"),
        "B": E("30000.00"),
    }


def test_an_amount_spreads_over_what_is_accepted_when_the_instalment_is_computed():
    # 50,000 of the whole grant, confirmed when only WP1 is accepted: RP1 pays 100,000 - 50,000.
    reduction = ReductionFacts(amount=E("50000.00"), decided_on=D(2026, 1, 25))
    early = grant_r(reductions=(reduction,), completions=(Completion(1, 1),))
    assert amounts(early, D(2026, 1, 25))["rp1"] == E("50000.00")

    # Approved and paid so; once everything is accepted the 50,000 spreads over 400,000: WP2
    # keeps 150,000 - 50,000 x 150/400 = 131,250, and the balance settles the rest.
    facts = grant_r(
        reductions=(reduction,),
        approved={
            "prefinancing": ApprovedInstalment(E("40000.00"), paid=True),
            "rp1": ApprovedInstalment(E("50000.00"), paid=True, work_packages=(1,)),
        },
    )
    result = amounts(facts)
    assert result["rp2"] == E("131250.00")
    assert result["rp3"] == E("350000.00") - E("40000.00") - E("50000.00") - E("131250.00")
    assert sum(result.values()) == E("350000.00")


def test_a_reduction_of_a_work_package_not_accepted_yet_waits_for_it():
    facts = grant_r(reductions=(ReductionFacts(work_package=3, percent=E("50.00")),))

    result = amounts(facts)
    assert (result["rp1"], result["rp2"]) == (E("100000.00"), E("150000.00"))
    assert result["rp3"] == E("150000.00") * 50 / 100 - E("40000.00") == E("35000.00")


def _r_paid_through_the_balance(**overrides) -> GrantFacts:
    on = D(2028, 1, 25)
    return grant_r(
        approved={
            "prefinancing": ApprovedInstalment(E("40000.00"), paid=True, approved_on=on),
            "rp1": ApprovedInstalment(E("100000.00"), True, (1,), approved_on=on),
            "rp2": ApprovedInstalment(E("150000.00"), True, (2,), approved_on=on),
            "rp3": ApprovedInstalment(E("110000.00"), True, (3,), approved_on=on),
        },
        **overrides,
    )


def test_no_recovery_after_the_balance_without_a_later_reduction():
    assert [i.key for i in schedule(_r_paid_through_the_balance(), R_TODAY)] == [
        "prefinancing",
        "rp1",
        "rp2",
        "rp3",
    ]


def test_a_reduction_after_the_balance_brings_a_recovery_that_never_waits_on_the_consortium():
    facts = _r_paid_through_the_balance(
        reductions=(ReductionFacts(percent=E("10.00"), decided_on=D(2028, 3, 1)),),
        open_breaches=("coordinator",),
    )

    instalments = schedule(facts, D(2028, 3, 2))

    recovery = instalments[-1]
    assert (recovery.key, recovery.kind, recovery.period) == ("recovery1", RECOVERY, 3)
    # 400,000 less 10 % = 360,000, less the 400,000 approved.
    assert recovery.amount == E("360000.00") - E("400000.00") == E("-40000.00")
    assert recovery.is_recovery
    assert recovery.status == READY
    assert [c.code for c in recovery.conditions] == [REPORT_APPROVED, AMOUNT_ABOVE_ZERO]
    assert beneficiary_split(facts, instalments, "recovery1") == {
        "A": E("-21000.00"),
        "B": E("-19000.00"),
    }
    assert_splits_add_up(facts, instalments)

    # Recovered; a second reduction (10,000 of B) brings a second recovery.
    approved = {
        **facts.approved,
        "recovery1": ApprovedInstalment(E("-40000.00"), paid=True, approved_on=D(2028, 3, 2)),
    }
    later = replace(
        facts,
        approved=approved,
        reductions=(
            *facts.reductions,
            ReductionFacts(participant="B", amount=E("10000.00"), decided_on=D(2028, 5, 1)),
        ),
    )
    instalments = schedule(later, D(2028, 5, 2))
    assert [(i.key, i.amount, i.status) for i in instalments[-2:]] == [
        ("recovery1", E("-40000.00"), PAID),
        ("recovery2", E("-10000.00"), READY),
    ]
    assert beneficiary_split(later, instalments, "recovery2") == {
        "A": E("0.00"),
        "B": E("-10000.00"),
    }


def test_a_recovery_after_the_balance_waits_for_the_final_report_only():
    facts = _r_paid_through_the_balance(
        reductions=(ReductionFacts(percent=E("10.00")),),
        periods=(
            _r_period(1, INTERIM),
            _r_period(2, INTERIM),
            _r_period(3, BALANCE, report_status="changes_requested", late_unjustified=("D3.1",)),
        ),
    )

    recovery = schedule(facts, R_TODAY)[-1]

    assert recovery.status == BLOCKED
    assert reason_codes(recovery) == [REPORT_APPROVED]


def test_a_negative_balance_is_a_recovery_that_never_waits_on_the_consortium():
    # Pre-financing 60 % = 240,000, then a whole-grant reduction of 50 %: 200,000 accepted.
    # RP1 pays 50,000, RP2 75,000; the balance 200,000 - 240,000 - 50,000 - 75,000.
    facts = grant_r(
        prefinancing_percent=E("60.00"),
        reductions=(ReductionFacts(percent=E("50.00")),),
        open_breaches=("coordinator",),
        breach_blocks_payments=True,
        periods=(
            _r_period(1, INTERIM),
            _r_period(2, INTERIM),
            _r_period(3, BALANCE, late_unjustified=("D3.1",), breaches_at_end=("coordinator",)),
        ),
    )

    rp1, rp2, rp3 = schedule(facts, R_TODAY)[1:]

    assert rp3.amount == E("-165000.00")
    assert rp3.status == READY
    assert [c.code for c in rp3.conditions] == [REPORT_APPROVED, AMOUNT_ABOVE_ZERO]
    # The payments still wait on the consortium, the rule set making a breach block them.
    assert (rp1.status, rp2.status) == (BLOCKED, BLOCKED)
    assert reason_codes(rp1) == [CONSORTIUM_ELIGIBLE]


# -- the officer's decision, suspensions -----------------------------------------------------------


def test_an_open_payment_suspension_suspends_the_instalment_until_it_is_lifted():
    suspension = Interval(D(2026, 3, 25), None, "The consortium breaches the rules.")
    facts = grant_a(payment_suspensions={"rp1": (suspension,)})

    assert schedule(facts, D(2026, 4, 1))[1].status == SUSPENDED
    # Before its start it is not open yet.
    assert schedule(facts, D(2026, 3, 24))[1].status == READY
    lifted = grant_a(payment_suspensions={"rp1": (replace(suspension, end=D(2026, 3, 30)),)})
    assert schedule(lifted, D(2026, 4, 1))[1].status == READY
    # An approved instalment is suspended too while a suspension is open.
    approved = replace(facts, approved={"rp1": ApprovedInstalment(E("80000.00"))})
    assert schedule(approved, D(2026, 4, 1))[1].status == SUSPENDED


def test_a_breach_with_nothing_to_pay_is_nothing_due_not_a_decision():
    facts = _all_in_rp1(
        completions=(Completion(1, 2), Completion(2, 2), Completion(3, 2)),
        open_breaches=("coordinator",),
    )

    rp1 = schedule(facts, TODAY)[1]

    assert rp1.status == NOTHING_DUE
    assert reason_codes(rp1) == [CONSORTIUM_ELIGIBLE, AMOUNT_ABOVE_ZERO]


def test_an_approval_keeps_its_justification():
    approval = ApprovedInstalment(E("80000.00"), justification="The breach is being remedied.")
    facts = grant_a(approved={"rp1": approval}, open_breaches=("coordinator",))

    rp1 = schedule(facts, TODAY)[1]

    assert rp1.status == APPROVED
    assert facts.approved["rp1"].justification == "The breach is being remedied."


def test_the_accepted_percentage_of_the_final_period_counts():
    # The officer accepted WP3 at 60 % in the final period: 100,000 + 150,000 + 90,000.
    facts = grant_a(
        pays_partial_completion=True,
        completions=(Completion(1, 1), Completion(2, 1), Completion(3, 2, E("60.00"))),
    )

    rp2 = schedule(facts, TODAY)[2]

    assert rp2.amount == E("340000.00") - E("240000.00") - E("80000.00") == E("20000.00")


def test_a_work_package_rejected_then_declared_again_is_paid_by_the_later_period():
    # WP1 rejected in RP1 (no completion), declared again and accepted in RP2.
    facts = grant_r(completions=(Completion(1, 2), Completion(2, 2), Completion(3, 3)))

    result = amounts(facts)

    assert (result["rp1"], result["rp2"]) == (E("0.00"), E("250000.00"))


# -- reports in order ------------------------------------------------------------------------------


def test_a_payment_waits_for_the_earlier_reports():
    facts = grant_r(
        periods=(
            _r_period(1, INTERIM, report_status="submitted"),
            _r_period(2, INTERIM),
            _r_period(3, BALANCE, report_status=None, report_received_on=None),
        ),
        completions=(
            Completion(1, 1, approved=False),
            Completion(2, 2),
            Completion(3, 3, approved=False),
        ),
    )

    rp2 = schedule(facts, D(2027, 2, 1))[2]

    assert rp2.status == BLOCKED
    reason = _only_reason(rp2, EARLIER_REPORTS_APPROVED)
    assert render(reason.message, reason.params, "en") == (
        "The payment of RP2 waits for the approval of the earlier reports: RP1."
    )
    # A rule set that pays out of order.
    assert schedule(replace(facts, reports_in_order=False), D(2027, 2, 1))[2].status == READY
    assert EARLIER_REPORTS_APPROVED not in [
        c.code
        for c in schedule(replace(facts, reports_in_order=False), D(2027, 2, 1))[2].conditions
    ]


# -- the payment deadline --------------------------------------------------------------------------
#
# Grant A's RP1: EUR 80,000.00, report received 2026-03-20, 90 days: due 2026-06-18.


def test_payment_days_per_kind_from_the_grant():
    # Pre-financing: 45 days after 2025-01-10 is 2025-02-24, later than 10 days before the start.
    facts = grant_a(payment_days={"prefinancing": 45, "interim": 90, "balance": 30})
    prefinancing, rp1, rp2 = schedule(facts, D(2027, 4, 1))

    assert (
        prefinancing.payment_due_on
        == prefinancing_due_on(D(2025, 1, 10), D(2025, 3, 1), 45)
        == D(2025, 2, 24)
    )
    assert (prefinancing.payment_days, rp1.payment_days, rp2.payment_days) == (45, 90, 30)
    assert rp2.payment_due_on == D(2027, 3, 15) + datetime.timedelta(days=30) == D(2027, 4, 14)


def test_suspended_days_push_the_due_date_overlaps_counted_once():
    # Information requested 04-01 to 04-11 (10 days); the payment suspended 04-06 to 04-16:
    # together 04-01 to 04-16, 15 days. Due 2026-06-18 + 15 = 2026-07-03.
    asked = Interval(D(2026, 4, 1), D(2026, 4, 11), "information_requested")
    suspended = Interval(D(2026, 4, 6), D(2026, 4, 16), "Breach.")
    facts = grant_a(
        periods=_period(1, deadline_suspensions=(asked,)),
        payment_suspensions={"rp1": (suspended,)},
    )

    rp1 = schedule(facts, D(2026, 7, 10))[1]

    assert rp1.status == READY
    assert rp1.suspended_days == 15
    assert rp1.suspensions == (asked, suspended)
    assert rp1.payment_due_on == D(2026, 7, 3)
    # 2026-03-20 to 2026-07-10 is 112 days, less 15 suspended.
    assert rp1.net_days == 112 - 15 == 97
    assert rp1.days_late == 7
    # 80,000.00 x 5.65 % x 7 / 365 = 86.68.
    assert rp1.interest == E("86.68")
    assert rp1.payment_late


def test_an_open_deadline_suspension_runs_to_today():
    asked = Interval(D(2026, 6, 1), None, "changes_requested")
    facts = grant_a(periods=_period(1, deadline_suspensions=(asked,)))

    rp1 = schedule(facts, D(2026, 7, 10))[1]

    assert rp1.suspended_days == 39  # 2026-06-01 to 2026-07-10
    assert rp1.payment_due_on == D(2026, 6, 18) + datetime.timedelta(days=39)
    assert (rp1.days_late, rp1.interest, rp1.payment_late) == (0, E("0.00"), False)


def test_no_late_payment_while_the_payment_is_suspended():
    # Late since 2026-06-19; suspended from 2026-06-25: 15 days to 2026-07-10 push the due date
    # to 2026-07-03, but while the suspension is open nothing is flagged late.
    facts = grant_a(payment_suspensions={"rp1": (Interval(D(2026, 6, 25), None, "Breach."),)})

    rp1 = schedule(facts, D(2026, 7, 10))[1]

    assert rp1.status == SUSPENDED
    assert rp1.payment_due_on == D(2026, 7, 3)
    assert rp1.days_late == 7
    assert not rp1.payment_late


def test_a_late_payment_counts_interest_up_to_the_payment():
    facts = grant_a(
        approved={
            "rp1": ApprovedInstalment(E("80000.00"), paid=True, paid_on=D(2026, 6, 28)),
        },
        interest_percent=E("7.50"),
    )

    rp1 = schedule(facts, D(2026, 8, 1))[1]

    assert rp1.status == PAID
    assert (rp1.net_days, rp1.days_late) == (100, 10)
    # 80,000.00 x 7.50 % x 10 / 365 = 164.38.
    assert rp1.interest == E("164.38")
    assert not rp1.payment_late


def test_suspended_days_helper():
    intervals = (
        Interval(D(2026, 1, 10), D(2026, 1, 20)),
        Interval(D(2026, 1, 15), D(2026, 1, 25)),
        Interval(D(2026, 2, 1), None),
        Interval(D(2025, 12, 1), D(2025, 12, 5)),  # before the start: not counted
    )

    days, counting = suspended_days(intervals, D(2026, 1, 1), D(2026, 2, 11))

    assert days == 15 + 10
    assert counting == intervals[:3]


def test_interest_to_the_cent():
    assert interest_on(E("100000.00"), E("5.65"), 1) == E("15.48")  # 15.479...
    assert interest_on(E("100000.00"), E("5.65"), 0) == E("0.00")
    assert interest_on(E("-100000.00"), E("5.65"), 10) == E("0.00")
