"""``grant_facts`` reads what the payment schedule needs from the record: the grant's figures, each
period's dates and report (status, day received in Brussels), the work packages still to declare
(the reporting app's own rule), late deliverables without a justification, completions (approved
or not), reductions, approved instalments and their payments, and the consortium's breaches at
each period's end; in a fixed number of queries whatever the number of projects or rows."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from backend.grants.models import Participation
from backend.grants.selectors import consortia
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
    BALANCE,
    INTERIM,
    ApprovedInstalment,
    Completion,
    Interval,
    PeriodFacts,
    ReductionFacts,
    WorkPackageFacts,
)
from backend.payments.selectors import grant_facts, net_paid, project_ledger, project_payments
from backend.reporting import services
from backend.reporting.models import (
    DeadlineSuspension,
    LateJustification,
    SuspensionReason,
    WorkPackageDecision,
    WorkPackageDeclaration,
)
from backend.reporting.selectors import period_state
from backend.workplan.models import Deliverable, ReportingPeriod
from tests.reporting.helpers import (
    LATE_CODE,
    accept,
    deliverable,
    ready_to_submit,
    rp1_codes,
    submit_deliverables,
    work_package,
)

pytestmark = pytest.mark.django_db

D = datetime.date
E = Decimal
BRUSSELS = ZoneInfo("Europe/Brussels")
TODAY = D(2026, 11, 27)  # RP1 (ended 2025-08-31) is past, RP2 (ends 2027-02-28) is running
# Half past midnight in Brussels on 16 September is still 15 September in UTC.
SUBMITTED_AT = datetime.datetime(2025, 9, 16, 0, 30, tzinfo=BRUSSELS)
# The queries of grant_facts, whatever the number of projects: the projects and their
# suspensions, work packages, shares, periods and their reports, declarations, deliverables,
# justifications, reductions, payments, instalments, payment suspensions and deadline
# suspensions (14), and the consortia's when the caller does not pass them in (10: their
# organisations read by id, with their dated history, organisation updates and role changes,
# and their third parties).
OWN_QUERIES = 14
QUERIES = OWN_QUERIES + 10


def facts_of(project, today=TODAY):
    return grant_facts([project.pk], today=today)[project.pk]


def period_row(project, number):
    return ReportingPeriod.objects.select_related("project").get(project=project, number=number)


def to_declare(project, number) -> tuple[int, ...]:
    """What the reporting app says the period's report must declare and does not yet."""
    row = period_row(project, number)
    state = period_state(period=row, report=getattr(row, "report", None))
    return tuple(n for n in state.to_declare if n not in state.declarations)


def rp1_with_wp6_completed(project, users) -> None:
    """RP1 ready to submit, with WP6 (every deliverable accepted) declared completed."""
    ready_to_submit(project, users)
    accept(project, *work_package(project, 6).deliverables.values_list("code", flat=True))
    services.declaration_save(
        period=period_row(project, 1),
        work_package=work_package(project, 6),
        user=users["manager"],
        completed=True,
        completed_on=D(2025, 8, 31),
    )


def submit_rp1(project, users, at=SUBMITTED_AT) -> None:
    with time_machine.travel(at, tick=False):
        services.report_submit(period=period_row(project, 1), user=users["manager"])


# -- the grant and its periods -------------------------------------------------------------------


def test_the_grant_figures_periods_and_work_packages(demo):
    facts = facts_of(demo)

    assert (
        facts.max_grant,
        facts.prefinancing_percent,
        facts.cap_percent,
        facts.signed_on,
        facts.start_date,
    ) == (E("3998750.00"), E("40.00"), E("90.00"), D(2024, 2, 14), D(2024, 3, 1))
    assert (
        facts.pays_partial_completion,
        facts.additional_prefinancing_percent,
        facts.payment_days,
    ) == (
        False,
        None,
        {"prefinancing": 30, "additional_prefinancing": 90, "interim": 90, "balance": 90},
    )
    assert [(p.number, p.start_on, p.end_on, p.payment) for p in facts.periods] == [
        (1, D(2024, 3, 1), D(2025, 8, 31), INTERIM),
        (2, D(2025, 9, 1), D(2027, 2, 28), INTERIM),
        (3, D(2027, 3, 1), D(2028, 2, 29), BALANCE),
    ]
    assert [(p.report_status, p.report_received_on) for p in facts.periods] == [(None, None)] * 3
    assert sorted((wp.number, wp.lump_sum) for wp in facts.work_packages) == [
        (1, E("520000.00")),
        (2, E("430000.00")),
        (3, E("710000.00")),
        (4, E("640000.00")),
        (5, E("620000.00")),
        (6, E("380000.00")),
        (7, E("318750.00")),
        (8, E("380000.00")),
    ]
    wp1 = next(wp for wp in facts.work_packages if wp.number == 1)
    assert isinstance(wp1, WorkPackageFacts)
    assert wp1.shares["GAUJA"] == E("226086.96")
    assert len(wp1.shares) == 15
    assert sum(wp1.shares.values()) == wp1.lump_sum
    assert (facts.completions, facts.reductions, dict(facts.approved)) == ((), (), {})
    # The rule set's defaults: the officer decides on a breach, reports in order, interest at
    # 2.15 + 3.50 points a year; nothing suspended.
    assert (
        facts.breach_blocks_payments,
        facts.reports_in_order,
        facts.interest_percent,
        dict(facts.payment_suspensions),
    ) == (False, True, E("5.65"), {})
    assert [p.deadline_suspensions for p in facts.periods] == [()] * 3


def test_the_call_options_are_read(demo):
    demo.call.pays_partial_completion = True
    demo.call.additional_prefinancing_percent = E("15.00")
    demo.call.payment_days = 60
    demo.call.save()

    facts = facts_of(demo)

    assert (
        facts.pays_partial_completion,
        facts.additional_prefinancing_percent,
        facts.payment_days,
    ) == (
        True,
        E("15.00"),
        {"prefinancing": 30, "additional_prefinancing": 60, "interim": 60, "balance": 60},
    )


def test_undeclared_work_packages_follow_the_reporting_rule(demo, users):
    # Nothing declared: every work package started by M18 (all eight) in RP1, and in RP2.
    facts = facts_of(demo)
    assert facts.periods[0].undeclared_work_packages == tuple(range(1, 9)) == to_declare(demo, 1)
    assert facts.periods[1].undeclared_work_packages == tuple(range(1, 9)) == to_declare(demo, 2)

    services.declaration_save(
        period=period_row(demo, 1),
        work_package=work_package(demo, 2),
        user=users["manager"],
        completed=False,
    )
    facts = facts_of(demo)
    assert facts.periods[0].undeclared_work_packages == (1, 3, 4, 5, 6, 7, 8)
    assert facts.periods[0].undeclared_work_packages == to_declare(demo, 1)


def test_a_work_package_completed_in_a_received_report_is_not_declared_again(demo, users):
    rp1_with_wp6_completed(demo, users)
    # A draft report: WP6 is still to declare in RP2.
    assert facts_of(demo).periods[1].undeclared_work_packages == tuple(range(1, 9))

    submit_rp1(demo, users)

    facts = facts_of(demo)
    assert facts.periods[0].undeclared_work_packages == ()
    assert facts.periods[1].undeclared_work_packages == (1, 2, 3, 4, 5, 7, 8)
    assert facts.periods[1].undeclared_work_packages == to_declare(demo, 2)


def test_changes_requested_the_next_report_declares_it_as_the_reporting_app_says(demo, users):
    rp1_with_wp6_completed(demo, users)
    submit_rp1(demo, users)
    services.report_request_changes(
        period=period_row(demo, 1), user=users["officer"], comments="Say more on WP3."
    )

    facts = facts_of(demo)

    assert facts.periods[0].report_status == "changes_requested"
    # The reporting app counts only submitted or approved reports: WP6 is to declare in RP2.
    assert to_declare(demo, 2) == tuple(range(1, 9))
    assert facts.periods[1].undeclared_work_packages == to_declare(demo, 2)


def test_report_status_and_the_day_received_in_brussels(demo, users):
    rp1_with_wp6_completed(demo, users)
    submit_rp1(demo, users)

    facts = facts_of(demo)

    rp1 = facts.periods[0]
    assert isinstance(rp1, PeriodFacts)
    assert rp1.report_status == "submitted"
    # Stored in UTC as 2025-09-15 22:30; received on 16 September in Brussels.
    report = period_row(demo, 1).report
    assert report.first_submitted_at.astimezone(datetime.UTC).date() == D(2025, 9, 15)
    assert rp1.report_received_on == D(2025, 9, 16)
    assert facts.periods[1].report_status is None


def test_the_first_submission_is_the_day_received(demo, users):
    rp1_with_wp6_completed(demo, users)
    submit_rp1(demo, users)
    services.report_request_changes(
        period=period_row(demo, 1), user=users["officer"], comments="Say more on WP3."
    )
    submit_rp1(demo, users, at=datetime.datetime(2025, 10, 20, 9, 0, tzinfo=BRUSSELS))

    rp1 = facts_of(demo).periods[0]

    assert (rp1.report_status, rp1.report_received_on) == ("submitted", D(2025, 9, 16))


def test_completions_approved_or_not(demo, users):
    rp1_with_wp6_completed(demo, users)
    assert facts_of(demo).completions == (Completion(6, 1, E(100), approved=False),)

    submit_rp1(demo, users)
    assert facts_of(demo).completions == (Completion(6, 1, E(100), approved=False),)

    services.report_approve(period=period_row(demo, 1), user=users["officer"])
    assert facts_of(demo).completions == (Completion(6, 1, E(100), approved=True),)


def test_a_declared_completion_percentage_is_a_partial_completion(demo, users):
    demo.call.pays_partial_completion = True
    demo.call.save()
    services.declaration_save(
        period=period_row(demo, 3),
        work_package=work_package(demo, 4),
        user=users["manager"],
        completed=False,
        completion_percent=E("62.50"),
    )
    services.declaration_save(
        period=period_row(demo, 3),
        work_package=work_package(demo, 5),
        user=users["manager"],
        completed=False,
    )

    assert facts_of(demo).completions == (Completion(4, 3, E("62.50"), approved=False),)


# -- late deliverables -----------------------------------------------------------------------------


def test_late_deliverables_without_justification(demo, users):
    codes = rp1_codes(demo)
    # Every deliverable due in RP1 but D1.3 submitted or accepted; one due in RP2 left pending.
    accept(demo, *codes[:2])
    submit_deliverables(demo, *[code for code in codes[2:] if code != LATE_CODE])

    facts = facts_of(demo)

    assert facts.periods[0].late_unjustified == (LATE_CODE,)
    # RP2 has not ended; its deliverables are pending but they are not RP1's.
    rp2_due = Deliverable.objects.filter(
        project=demo,
        due_on__gte=period_row(demo, 2).start_date,
        due_on__lte=period_row(demo, 2).end_date,
    ).order_by("position", "id")
    assert facts.periods[1].late_unjustified == tuple(rp2_due.values_list("code", flat=True))
    assert LATE_CODE not in facts.periods[1].late_unjustified

    # A justification in RP1's report clears it.
    services.justification_save(
        period=period_row(demo, 1),
        deliverable=deliverable(demo, LATE_CODE),
        user=users["manager"],
        text="The survey closed late.",
    )
    assert facts_of(demo).periods[0].late_unjustified == ()
    assert LateJustification.objects.count() == 1


def test_a_draft_deliverable_is_late_a_submitted_one_is_not(demo):
    codes = rp1_codes(demo)
    accept(demo, *codes)
    Deliverable.objects.filter(project=demo, code=codes[0]).update(
        status="draft", delivered_on=None, approved_on=None
    )

    assert facts_of(demo).periods[0].late_unjustified == (codes[0],)

    submit_deliverables(demo, codes[0])
    assert facts_of(demo).periods[0].late_unjustified == ()


# -- reductions, approved instalments and payments -----------------------------------------------


# 23:30 in UTC on 5 March is 6 March in Brussels: the day it was approved.
APPROVED_AT = datetime.datetime(2024, 3, 5, 23, 30, tzinfo=datetime.UTC)


def _instalment(project, key, amount, *, work_packages=(), period=None):
    return Instalment.objects.create(
        project=project,
        key=key,
        kind="prefinancing" if period is None else "interim",
        reporting_period=None if period is None else period_row(project, period),
        amount_eur=amount,
        approved_at=APPROVED_AT,
        work_packages=list(work_packages),
    )


def _pay(instalment, amount, *, direction=Direction.PAYMENT, reference="PAY-1"):
    return Payment.objects.create(
        instalment=instalment,
        project=instalment.project,
        direction=direction,
        amount_eur=amount,
        paid_on=D(2024, 3, 10),
        reference=reference,
        recorded_at=timezone.now(),
    )


def _reduction(project, status=ReductionStatus.CONFIRMED, **values):
    dates = {}
    if status in (ReductionStatus.LETTER_SENT, ReductionStatus.OBSERVATIONS_RECEIVED):
        dates = {"letter_sent_on": D(2026, 1, 5), "observations_due_on": D(2026, 2, 4)}
    if status == ReductionStatus.OBSERVATIONS_RECEIVED:
        dates["observations_received_on"] = D(2026, 1, 20)
    if status in (ReductionStatus.CONFIRMED, ReductionStatus.WITHDRAWN):
        dates["decided_on"] = values.pop("decided_on", D(2026, 3, 1))
    return Reduction.objects.create(
        project=project,
        status=status,
        reason=values.pop("reason", "Poor quality."),
        recorded_at=timezone.now(),
        **dates,
        **values,
    )


def test_only_confirmed_reductions_are_read_in_the_order_they_were_confirmed(demo, other_project):
    gauja = Participation.objects.get(project=demo, short_name="GAUJA")
    _reduction(demo, percent=E("10.00"), decided_on=D(2026, 4, 1))
    _reduction(
        demo,
        kind=ReductionKind.AMOUNT,
        amount_eur=E("12000.00"),
        participation=gauja,
        work_package=work_package(demo, 3),
        decided_on=D(2026, 2, 1),
    )
    for status in (
        ReductionStatus.DRAFT,
        ReductionStatus.LETTER_SENT,
        ReductionStatus.OBSERVATIONS_RECEIVED,
        ReductionStatus.WITHDRAWN,
    ):
        _reduction(demo, percent=E("50.00"), status=status)
    _reduction(other_project, percent=E("20.00"))

    facts = grant_facts([demo.pk, other_project.pk], today=TODAY)

    assert facts[demo.pk].reductions == (
        ReductionFacts("GAUJA", 3, None, E("12000.00"), D(2026, 2, 1)),
        ReductionFacts(None, None, E("10.00"), None, D(2026, 4, 1)),
    )
    assert facts[other_project.pk].reductions == (
        ReductionFacts(None, None, E("20.00"), None, D(2026, 3, 1)),
    )


def test_approved_instalments_and_paid_flags(demo, other_project):
    prefinancing = _instalment(demo, "prefinancing", E("1599500.00"))
    _pay(prefinancing, E("1599500.00"))
    _instalment(demo, "rp1", E("380000.00"), work_packages=[6], period=1)

    facts = facts_of(demo)

    assert dict(facts.approved) == {
        "prefinancing": ApprovedInstalment(
            E("1599500.00"),
            paid=True,
            work_packages=(),
            paid_on=D(2024, 3, 10),
            approved_on=D(2024, 3, 6),
        ),
        "rp1": ApprovedInstalment(
            E("380000.00"), paid=False, work_packages=(6,), approved_on=D(2024, 3, 6)
        ),
    }
    assert dict(facts_of(other_project).approved) == {}
    assert project_payments(demo.pk)["prefinancing"].amount == E("1599500.00")
    assert net_paid(demo.pk) == E("1599500.00")


# -- the consortium's eligibility ------------------------------------------------------------------


def _leave(project, on: datetime.date, keep: int = 1) -> None:
    """Every participant but the first ``keep`` (the coordinator first) leaves on ``on``."""
    leaving = (
        Participation.objects.filter(project=project)
        .exclude(role="coordinator")
        .order_by("position", "id")
    )[keep - 1 :]
    Participation.objects.filter(pk__in=[p.pk for p in leaving]).update(left_on=on)


def test_no_breach_for_the_demo_consortium(demo):
    facts = facts_of(demo)

    assert facts.open_breaches == ()
    assert [p.breaches_at_end for p in facts.periods] == [(), (), ()]


def test_a_breach_at_a_period_end_and_now(demo):
    # The partners leave on 2025-06-30, before RP1 ends (2025-08-31).
    _leave(demo, D(2025, 6, 30))

    facts = facts_of(demo)

    rp1, rp2, rp3 = facts.periods
    assert "min_full_partners" in rp1.breaches_at_end
    assert rp1.breaches_at_end == facts.open_breaches
    # RP2 and RP3 have not ended on 2026-11-27: no breach at their end yet.
    assert (rp2.breaches_at_end, rp3.breaches_at_end) == ((), ())


def test_a_breach_after_the_period_end_is_open_but_not_at_its_end(demo):
    # The partners leave on 2025-09-30, after RP1 ended: RP1 ended with an eligible consortium.
    _leave(demo, D(2025, 9, 30))

    facts = facts_of(demo)

    assert facts.periods[0].breaches_at_end == ()
    assert "min_full_partners" in facts.open_breaches


def test_snapshots_passed_in_are_used(demo, django_assert_max_num_queries):
    snapshots = consortia([demo.pk])
    _leave(demo, D(2025, 6, 30))  # not in the snapshot read before

    with django_assert_max_num_queries(OWN_QUERIES):
        facts = grant_facts([demo.pk], today=TODAY, snapshots=snapshots)[demo.pk]

    assert facts.open_breaches == ()
    assert facts.periods[0].breaches_at_end == ()


# -- a fixed number of queries ---------------------------------------------------------------------


def _busy(project, users=None) -> None:
    """Declarations, justifications, reductions, instalments and payments on a project."""
    _reduction(project, percent=E("5.00"), reason="Late.")
    gauja = Participation.objects.filter(project=project).order_by("position", "id").first()
    _reduction(project, kind=ReductionKind.AMOUNT, amount_eur=E("100.00"), participation=gauja)
    PaymentSuspension.objects.create(
        project=project,
        key="rp1",
        reason="Breach.",
        suspended_on=D(2026, 1, 1),
        suspended_at=timezone.now(),
    )
    prefinancing = _instalment(project, "prefinancing", project.max_grant_eur * 40 / 100)
    _pay(prefinancing, project.max_grant_eur * 40 / 100, reference=f"PAY-{project.pk}")
    if users is not None:
        rp1_with_wp6_completed(project, users)
        submit_rp1(project, users)
        services.report_approve(period=period_row(project, 1), user=users["officer"])
        _instalment(project, "rp1", E("380000.00"), work_packages=[6], period=1)


def test_a_fixed_number_of_queries_for_one_project_and_for_two(
    demo, other_project, users, django_assert_max_num_queries
):
    with django_assert_max_num_queries(QUERIES):
        one = grant_facts([demo.pk], today=TODAY)
    assert list(one) == [demo.pk]

    _busy(demo, users)
    _busy(other_project)
    with django_assert_max_num_queries(QUERIES):
        two = grant_facts([demo.pk, other_project.pk], today=TODAY)

    assert set(two) == {demo.pk, other_project.pk}
    assert two[demo.pk].completions == (Completion(6, 1, E(100), approved=True),)
    assert set(two[demo.pk].approved) == {"prefinancing", "rp1"}
    assert two[other_project.pk].max_grant == E("400000.00")
    assert [p.number for p in two[other_project.pk].periods] == [1, 2]
    assert set(two[other_project.pk].approved) == {"prefinancing"}


# -- the grant's payment terms and the rule set's payment options ----------------------------------


def test_the_grant_payment_days_override_the_call_kind_by_kind(demo):
    demo.call.payment_days = 60
    demo.call.prefinancing_payment_days = 20
    demo.call.save()
    demo.prefinancing_payment_days = 15
    demo.balance_payment_days = 45
    demo.save()

    assert facts_of(demo).payment_days == {
        "prefinancing": 15,  # the grant's
        "additional_prefinancing": 60,  # the call's payment days
        "interim": 60,
        "balance": 45,  # the grant's
    }


def test_the_rule_set_payment_options_are_read(demo):
    ruleset = demo.call.ruleset
    ruleset.breach_blocks_payments = True
    ruleset.reports_in_order = False
    ruleset.late_interest_reference_percent = E("4.00")
    ruleset.late_interest_margin_points = E("3.50")
    ruleset.save()

    facts = facts_of(demo)

    assert (facts.breach_blocks_payments, facts.reports_in_order, facts.interest_percent) == (
        True,
        False,
        E("7.50"),
    )


# -- the officer's decisions, suspensions and justifications ---------------------------------------


def _rp1_approved_with(demo, users, **decision):
    rp1_with_wp6_completed(demo, users)
    submit_rp1(demo, users)
    services.report_approve(period=period_row(demo, 1), user=users["officer"])
    WorkPackageDeclaration.objects.filter(
        reporting_period=period_row(demo, 1), work_package=work_package(demo, 6)
    ).update(**decision)


def test_a_rejected_work_package_gives_no_completion_and_is_declared_again(demo, users):
    _rp1_approved_with(
        demo, users, decision=WorkPackageDecision.REJECTED, decision_reason="Not as in Annex 1."
    )

    facts = facts_of(demo)

    assert facts.completions == ()
    # RP2 asks for WP6 again.
    assert 6 in facts.periods[1].undeclared_work_packages


def test_an_accepted_work_package_with_the_officer_percentage(demo, users):
    _rp1_approved_with(demo, users, decision=WorkPackageDecision.ACCEPTED)
    assert facts_of(demo).completions == (Completion(6, 1, E(100), approved=True),)

    WorkPackageDeclaration.objects.filter(work_package=work_package(demo, 6)).update(
        accepted_percent=E("80.00")
    )
    assert facts_of(demo).completions == (Completion(6, 1, E("80.00"), approved=True),)


def test_payment_suspensions_by_instalment_and_deadline_suspensions_by_period(demo, users):
    rp1_with_wp6_completed(demo, users)
    submit_rp1(demo, users)
    report = period_row(demo, 1).report
    DeadlineSuspension.objects.create(
        report=report,
        reason=SuspensionReason.CHANGES_REQUESTED,
        started_on=D(2025, 10, 1),
        ended_on=D(2025, 10, 11),
    )
    DeadlineSuspension.objects.create(
        report=report, reason=SuspensionReason.INFORMATION_REQUESTED, started_on=D(2025, 11, 1)
    )
    for start, end in ((D(2025, 12, 1), D(2025, 12, 5)), (D(2026, 1, 1), None)):
        PaymentSuspension.objects.create(
            project=demo,
            key="rp1",
            reason="Breach.",
            suspended_on=start,
            lifted_on=end,
            suspended_at=timezone.now(),
        )

    facts = facts_of(demo)

    assert facts.periods[0].deadline_suspensions == (
        Interval(D(2025, 10, 1), D(2025, 10, 11), "changes_requested"),
        Interval(D(2025, 11, 1), None, "information_requested"),
    )
    assert facts.periods[1].deadline_suspensions == ()
    assert dict(facts.payment_suspensions) == {
        "rp1": (
            Interval(D(2025, 12, 1), D(2025, 12, 5), "Breach."),
            Interval(D(2026, 1, 1), None, "Breach."),
        )
    }


def test_an_approval_keeps_its_justification(demo):
    Instalment.objects.create(
        project=demo,
        key="prefinancing",
        kind="prefinancing",
        amount_eur=E("1599500.00"),
        approved_at=timezone.now(),
        justification="The breach does not concern the pre-financing.",
    )

    approval = facts_of(demo).approved["prefinancing"]

    assert approval.justification == "The breach does not concern the pre-financing."


def test_shares_are_read_without_with_shares_only_for_a_beneficiary_reduction(demo, other_project):
    gauja = Participation.objects.get(project=demo, short_name="GAUJA")
    _reduction(demo, percent=E("10.00"), participation=gauja)
    _reduction(other_project, percent=E("10.00"))

    facts = grant_facts([demo.pk, other_project.pk], today=TODAY, with_shares=False)

    assert all(wp.shares for wp in facts[demo.pk].work_packages)
    assert not any(wp.shares for wp in facts[other_project.pk].work_packages)


# -- the project ledger ---------------------------------------------------------------------------


def test_the_project_ledger_lists_payments_recoveries_and_confirmed_reductions(demo, users):
    # RP1 approved with WP6 (380,000.00) completed: the accepted total.
    rp1_with_wp6_completed(demo, users)
    submit_rp1(demo, users)
    services.report_approve(period=period_row(demo, 1), user=users["officer"])
    prefinancing = _instalment(demo, "prefinancing", E("1599500.00"))
    _pay(prefinancing, E("1599500.00"), reference="PAY-PF")
    rp2 = _instalment(demo, "rp2", E("1000.00"), period=2)
    Payment.objects.create(
        instalment=rp2,
        project=demo,
        direction=Direction.RECOVERY,
        amount_eur=E("1000.00"),
        paid_on=D(2026, 5, 1),
        reference="REC-1",
        recorded_at=timezone.now(),
    )
    whole = _reduction(demo, percent=E("10.00"), decided_on=D(2026, 4, 1), reason="Quality.")
    wp6 = _reduction(
        demo,
        kind=ReductionKind.AMOUNT,
        amount_eur=E("2000.00"),
        work_package=work_package(demo, 6),
        decided_on=D(2026, 3, 1),
        reason="Late.",
    )
    _reduction(demo, percent=E("50.00"), status=ReductionStatus.DRAFT)

    ledger = project_ledger(demo.pk, TODAY)

    assert [
        (e.date, e.kind, e.key, e.reduction_id, e.amount, e.reference) for e in ledger.entries
    ] == [
        (D(2024, 3, 10), "payment", "prefinancing", None, E("1599500.00"), "PAY-PF"),
        # 2,000.00 taken from WP6 first, then 10 % of the 380,000.00 accepted.
        (D(2026, 3, 1), "reduction", "", wp6.pk, E("-2000.00"), "Late."),
        (D(2026, 4, 1), "reduction", "", whole.pk, E("-38000.00"), "Quality."),
        (D(2026, 5, 1), "recovery", "rp2", None, E("-1000.00"), "REC-1"),
    ]
    assert ledger.accepted_total == E("380000.00")
    assert ledger.confirmed_reductions == E("40000.00")
    assert ledger.net_paid == E("1598500.00")
    assert ledger.balance_outstanding == E("380000.00") - E("40000.00") - E("1598500.00")
    assert ledger.cap == E("3998750.00") * 90 / 100


def test_the_project_ledger_in_a_fixed_number_of_queries(
    demo, other_project, users, django_assert_max_num_queries
):
    _busy(demo, users)
    with django_assert_max_num_queries(QUERIES + 2):
        ledger = project_ledger(demo.pk, TODAY)
    assert ledger.net_paid == demo.max_grant_eur * 40 / 100
