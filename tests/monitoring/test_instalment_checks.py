"""The instalment watchers (issue 5, point 4): each check reads the payment schedule and flags an
instalment ready for payment, one blocked (with its reasons) and a payment the agency owes for
longer than the call's payment period; idempotent, and in line with the eligibility flags
found in the same check.

The demo (CARETECH): maximum grant EUR 3,998,750.00, signed 2024-02-14, starts 2024-03-01.
Pre-financing 40 % = EUR 1,599,500.00, due 2024-03-15 (30 days after the signature, later than
10 days before the start). RP1 (M1-18) ends 2025-08-31; WP1's lump sum is EUR 520,000.00; the
cap of 90 % leaves EUR 3,598,875.00 - 1,599,500.00 = 1,999,375.00 for the interim payments, so
RP1's interim payment with WP1 completed is EUR 520,000.00.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from backend.payments.models import Instalment, Payment, PaymentSuspension
from backend.payments.selectors import schedule_state
from backend.payments.services import instalment_approve, payment_record
from backend.reporting import services as reporting
from backend.reporting.models import DeadlineSuspension, PeriodicReport, SuspensionReason
from monitoring.checks import INSTALMENT_KINDS, check_projects
from monitoring.models import Flag
from tests import factories
from tests.amendments.helpers import DOWN_TO_SEVEN
from tests.reporting.helpers import period, ready_to_submit, work_package

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
PREFINANCING = Decimal("1599500.00")
WP1 = Decimal("520000.00")


def at(year: int, month: int, day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, 0, tzinfo=BRUSSELS)


def travel(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def check(project, moment: datetime.datetime):
    with travel(moment):
        return check_projects([project.pk], now=timezone.now())


def open_flags(project) -> dict[str, Flag]:
    """The open instalment flags, by fingerprint."""
    return {
        flag.fingerprint: flag
        for flag in Flag.objects.filter(
            project=project, kind__in=INSTALMENT_KINDS, resolved_at__isnull=True
        )
    }


def rp1_approved_with_wp1_completed(project, users, *, submitted: datetime.datetime) -> None:
    """RP1's report, WP1 declared completed on the period's last day (the officer waived its
    deliverable condition), submitted on ``submitted`` and approved the same day, through the
    services."""
    rp1 = period(project, 1)
    with travel(submitted):
        ready_to_submit(project, users)
        reporting.completion_waive(
            work_package=work_package(project, 1),
            user=users["officer"],
            reason="D1.4 is delivered with the final report.",
        )
        reporting.declaration_save(
            period=rp1,
            work_package=work_package(project, 1),
            user=users["manager"],
            completed=True,
            completed_on=datetime.date(2025, 8, 31),
        )
        reporting.report_submit(period=rp1, user=users["manager"])
        reporting.report_approve(period=rp1, user=users["officer"])


# -- pre-financing -------------------------------------------------------------------------------


def test_an_unpaid_pre_financing_is_ready_then_late_after_its_due_date(demo):
    check(demo, at(2024, 3, 15))

    flags = open_flags(demo)
    assert set(flags) == {"instalment_ready:prefinancing"}
    ready = flags["instalment_ready:prefinancing"]
    assert ready.severity == "low"
    assert ready.message("en") == "The pre-financing of EUR 1599500.00 is ready for payment."
    assert ready.message("lv")
    assert ready.explanation["details"] == {
        "key": "prefinancing",
        "kind": "prefinancing",
        "reporting_period": None,
        "status": "ready",
        "amount": "1599500.00",
    }

    check(demo, at(2024, 3, 16))

    flags = open_flags(demo)
    assert set(flags) == {"instalment_ready:prefinancing", "payment_late:prefinancing"}
    assert flags["instalment_ready:prefinancing"].pk == ready.pk
    late = flags["payment_late:prefinancing"]
    assert late.severity == "high"
    # One day late at 2.15 + 3.50 = 5.65 % a year: 1,599,500.00 x 5.65 % / 365 = 247.59.
    assert late.message("en") == (
        "The pre-financing of EUR 1599500.00 was due for payment on 2024-03-15 and has not been "
        "paid: 1 days late, interest of EUR 247.59 so far."
    )
    assert late.message("lv")
    assert late.explanation["details"]["payment_due_on"] == "2024-03-15"


def test_before_the_signature_the_pre_financing_is_blocked_with_the_reason(demo):
    check(demo, at(2024, 2, 13))

    flag = open_flags(demo)["instalment_blocked:prefinancing"]
    assert flag.severity == "medium"
    assert flag.message("en") == (
        "The pre-financing of EUR 1599500.00 is blocked: The grant agreement enters into force "
        "on 2024-02-14."
    )
    assert flag.explanation["details"]["reasons"] == ["grant_signed"]
    assert flag.message("lv")

    check(demo, at(2024, 2, 14))

    flag.refresh_from_db()
    assert (flag.resolved_at, flag.resolution) == (at(2024, 2, 14), "auto")
    assert set(open_flags(demo)) == {"instalment_ready:prefinancing"}


def test_an_approved_pre_financing_is_no_longer_ready_and_paying_it_resolves_its_late_flag(
    demo, users
):
    check(demo, at(2024, 3, 20))
    assert set(open_flags(demo)) == {"instalment_ready:prefinancing", "payment_late:prefinancing"}

    with travel(at(2024, 3, 21)):
        instalment_approve(project=demo, key="prefinancing", user=users["officer"])
    check(demo, at(2024, 3, 21, 10))

    assert set(open_flags(demo)) == {"payment_late:prefinancing"}  # approved, still unpaid
    assert Flag.objects.get(fingerprint="instalment_ready:prefinancing").resolution == "auto"

    with travel(at(2024, 3, 22)):
        payment_record(
            project=demo,
            key="prefinancing",
            user=factories.officer_of(demo, "po2"),
            amount=Decimal("1599500.00"),
            paid_on=datetime.date(2024, 3, 22),
            reference="EACEA/2024/PF/1",
        )
    check(demo, at(2024, 3, 22, 10))

    assert open_flags(demo) == {}
    late = Flag.objects.get(fingerprint="payment_late:prefinancing")
    assert (late.resolved_at, late.resolution) == (at(2024, 3, 22, 10), "auto")


# -- an interim payment ------------------------------------------------------------------------


def test_a_period_without_a_report_blocks_its_interim_payment_with_every_reason(demo):
    check(demo, at(2025, 9, 15))

    flags = open_flags(demo)
    assert "instalment_blocked:rp1" in flags
    assert "instalment_blocked:rp2" not in flags  # RP2 has not ended: scheduled
    flag = flags["instalment_blocked:rp1"]
    assert flag.severity == "medium"
    assert flag.explanation["details"]["reasons"] == [
        "report_approved",
        "work_packages_declared",
        "late_deliverables_justified",
        "amount_above_zero",
    ]
    assert flag.message("en").startswith(
        "The interim payment of RP1 is blocked: The report of RP1 has not been submitted yet. "
        "The status of WP1, WP2, WP3, WP4, WP5, WP6, WP7, WP8 is not declared for RP1. "
        "Late deliverables of RP1 have no justification: D1.1, "
    )
    assert flag.message("en").endswith("There is nothing to pay: the amount is EUR 0.00.")
    assert flag.message("lv")


def test_the_blocked_flag_keeps_its_identity_while_its_reasons_change_then_approval_resolves_it(
    demo, users
):
    check(demo, at(2025, 9, 15))
    blocked = open_flags(demo)["instalment_blocked:rp1"]
    rp1 = period(demo, 1)

    with travel(at(2025, 9, 16)):
        ready_to_submit(demo, users)
        reporting.completion_waive(
            work_package=work_package(demo, 1), user=users["officer"], reason="Merged."
        )
        reporting.declaration_save(
            period=rp1,
            work_package=work_package(demo, 1),
            user=users["manager"],
            completed=True,
            completed_on=datetime.date(2025, 8, 31),
        )
        reporting.report_submit(period=rp1, user=users["manager"])
    check(demo, at(2025, 9, 16, 10))

    flag = open_flags(demo)["instalment_blocked:rp1"]
    assert flag.pk == blocked.pk
    assert flag.first_seen_at == at(2025, 9, 15)
    # WP1 is declared in a report not approved yet: nothing is payable until it is.
    assert flag.explanation["details"]["reasons"] == ["report_approved", "amount_above_zero"]
    assert flag.message("en") == (
        "The interim payment of RP1 is blocked: The report of RP1 awaits the officer's review. "
        "There is nothing to pay: the amount is EUR 0.00."
    )

    with travel(at(2025, 9, 17)):
        reporting.report_approve(period=rp1, user=users["officer"])
    check(demo, at(2025, 9, 17, 10))

    flags = open_flags(demo)
    assert "instalment_blocked:rp1" not in flags
    blocked.refresh_from_db()
    assert (blocked.resolved_at, blocked.resolution) == (at(2025, 9, 17, 10), "auto")
    ready = flags["instalment_ready:rp1"]
    assert ready.severity == "low"
    assert ready.message("en") == (
        "The interim payment of RP1, EUR 520000.00, is ready for payment."
    )
    assert ready.explanation["details"]["amount"] == str(WP1)
    assert ready.message("lv")


def test_approving_the_report_through_the_service_rechecks_the_project_on_commit(
    demo, users, django_capture_on_commit_callbacks
):
    rp1 = period(demo, 1)
    with travel(at(2025, 9, 16)):
        ready_to_submit(demo, users)
        reporting.completion_waive(
            work_package=work_package(demo, 1), user=users["officer"], reason="Merged."
        )
        reporting.declaration_save(
            period=rp1,
            work_package=work_package(demo, 1),
            user=users["manager"],
            completed=True,
            completed_on=datetime.date(2025, 8, 31),
        )
        reporting.report_submit(period=rp1, user=users["manager"])
    check(demo, at(2025, 9, 16, 10))
    assert "instalment_blocked:rp1" in open_flags(demo)

    with travel(at(2025, 9, 17)), django_capture_on_commit_callbacks(execute=True):
        reporting.report_approve(period=rp1, user=users["officer"])

    flags = open_flags(demo)
    assert "instalment_blocked:rp1" not in flags
    assert flags["instalment_ready:rp1"].first_seen_at == at(2025, 9, 17)


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        (
            lambda project, users: reporting.declaration_save(
                period=period(project, 1),
                work_package=work_package(project, 2),
                user=users["manager"],
                completed=False,
            ),
            "work package declared",
        ),
        (
            lambda project, users: reporting.justification_save(
                period=period(project, 1),
                deliverable=project.deliverables.get(code="D1.1"),
                user=users["manager"],
                text="The handbook waited for the consortium agreement.",
            ),
            "late deliverable justified",
        ),
    ],
    ids=["declaration", "justification"],
)
def test_a_declaration_or_a_justification_tells_the_watchers_on_commit(
    demo, users, step, reason, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        "monitoring.tasks.check_projects_task.apply_async",
        lambda args, kwargs, **options: queued.append((args[0], kwargs["reason"])),
    )
    with travel(at(2025, 9, 15)), django_capture_on_commit_callbacks(execute=False) as callbacks:
        step(demo, users)
    assert queued == []

    for callback in callbacks:
        callback()

    assert queued == [([demo.pk], reason)]


def test_declaring_the_work_packages_takes_that_reason_off_the_blocked_flag_at_once(
    demo, users, django_capture_on_commit_callbacks
):
    check(demo, at(2025, 9, 15))
    assert (
        "work_packages_declared"
        in (open_flags(demo)["instalment_blocked:rp1"].explanation["details"]["reasons"])
    )
    rp1 = period(demo, 1)

    with travel(at(2025, 9, 16)), django_capture_on_commit_callbacks(execute=True):
        for number in range(1, 9):
            reporting.declaration_save(
                period=rp1,
                work_package=work_package(demo, number),
                user=users["manager"],
                completed=False,
            )

    assert open_flags(demo)["instalment_blocked:rp1"].explanation["details"]["reasons"] == [
        "report_approved",
        "late_deliverables_justified",
        "amount_above_zero",
    ]


def _breach_before_rp1_ended(project) -> None:
    # Six participants left before RP1 ended: 7 full partners remain, 8 are required.
    project.participations.filter(short_name__in=DOWN_TO_SEVEN).update(
        left_on=datetime.date(2025, 6, 30)
    )


def test_an_eligibility_breach_found_in_the_same_check_calls_for_the_officer_decision(demo, users):
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    check(demo, at(2025, 9, 15, 10))
    ready = open_flags(demo)["instalment_ready:rp1"]
    assert ready.severity == "low"

    _breach_before_rp1_ended(demo)
    check(demo, at(2025, 9, 16))

    assert Flag.objects.filter(
        project=demo, fingerprint="eligibility_breach:min_full_partners", resolved_at__isnull=True
    ).exists()
    flags = open_flags(demo)
    assert "instalment_blocked:rp1" not in flags
    # The "ready" flag gives way to one of its own kind: the officer has a decision to take.
    assert "instalment_ready:rp1" not in flags
    ready.refresh_from_db()
    assert ready.resolution == "auto"
    decision = flags["instalment_decision:rp1"]
    assert (decision.kind, decision.severity) == ("instalment_decision", "medium")
    assert decision.explanation["details"]["status"] == "decision_needed"
    assert decision.explanation["details"]["reasons"] == ["consortium_eligible"]
    assert decision.message("en") == (
        "The interim payment of RP1, EUR 520000.00, needs the officer's decision: The consortium "
        "breached the composition rules at the end of RP1 (2025-08-31): the minimum number of "
        "full partners. Suspend the payment, or approve it with a justification."
    )
    assert decision.message("lv")


def test_an_eligibility_breach_blocks_the_instalment_where_the_rule_set_says_so(demo, users):
    ruleset = demo.call.ruleset
    ruleset.breach_blocks_payments = True
    ruleset.save()
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    _breach_before_rp1_ended(demo)

    check(demo, at(2025, 9, 16))

    flags = open_flags(demo)
    assert "instalment_ready:rp1" not in flags
    assert "instalment_decision:rp1" not in flags
    blocked = flags["instalment_blocked:rp1"]
    assert blocked.explanation["details"]["reasons"] == ["consortium_eligible"]
    assert blocked.message("en") == (
        "The interim payment of RP1 is blocked: The consortium breached the composition rules "
        "at the end of RP1 (2025-08-31): the minimum number of full partners."
    )
    assert blocked.first_seen_at == at(2025, 9, 16)


def test_a_suspended_payment_raises_neither_a_decision_nor_a_late_payment(demo, users):
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    _breach_before_rp1_ended(demo)
    PaymentSuspension.objects.create(
        project=demo,
        key="rp1",
        reason="The consortium breaches the composition rules.",
        suspended_on=datetime.date(2025, 9, 20),
        suspended_at=at(2025, 9, 20),
    )

    check(demo, at(2026, 1, 5))

    flags = open_flags(demo)
    held = {"instalment_ready:rp1", "instalment_decision:rp1", "instalment_blocked:rp1"}
    assert not (held | {"payment_late:rp1"}) & set(flags)
    # Pre-financing is not suspended: still ready and late.
    assert {"instalment_ready:prefinancing", "payment_late:prefinancing"} <= set(flags)


def test_nothing_due_raises_no_blocked_flag(demo, users):
    """RP1's report approved with no work package completed: nothing to pay, no flag."""
    rp1 = period(demo, 1)
    with travel(at(2025, 9, 15)):
        ready_to_submit(demo, users)
        reporting.report_submit(period=rp1, user=users["manager"])
        reporting.report_approve(period=rp1, user=users["officer"])

    check(demo, at(2025, 9, 16))

    with travel(at(2025, 9, 16)):
        assert schedule_state(demo).get("rp1").status == "nothing_due"
    assert not {"instalment_ready:rp1", "instalment_blocked:rp1"} & set(open_flags(demo))


def test_a_check_run_twice_leaves_the_same_instalment_flags(demo, users):
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    check(demo, at(2026, 1, 5))
    first = list(
        Flag.objects.filter(kind__in=INSTALMENT_KINDS)
        .order_by("id")
        .values("id", "fingerprint", "severity", "explanation", "resolved_at")
    )
    assert {row["fingerprint"] for row in first} == {
        "instalment_ready:prefinancing",
        "payment_late:prefinancing",
        "instalment_ready:rp1",
        "payment_late:rp1",
    }

    result = check(demo, at(2026, 1, 5, 11))

    assert (
        list(
            Flag.objects.filter(kind__in=INSTALMENT_KINDS)
            .order_by("id")
            .values("id", "fingerprint", "severity", "explanation", "resolved_at")
        )
        == first
    )
    assert (result.raised, result.resolved) == ((), ())


# -- the agency's payment period ---------------------------------------------------------------


def test_an_interim_payment_is_late_90_days_after_the_report_was_received(demo, users):
    """Received (first submitted) on 2025-09-15: payment due within 90 days, by 2025-12-14."""
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    assert PeriodicReport.objects.get(reporting_period__number=1).first_submitted_at == at(
        2025, 9, 15
    )

    check(demo, at(2025, 12, 14))
    assert "payment_late:rp1" not in open_flags(demo)

    check(demo, at(2025, 12, 15))

    late = open_flags(demo)["payment_late:rp1"]
    assert late.severity == "high"
    # One day late at 5.65 % a year: 520,000.00 x 5.65 % / 365 = 80.49.
    assert late.message("en") == (
        "The report of RP1 was received on 2025-09-15; the payment of EUR 520000.00 was due "
        "within 90 days, plus 0 days suspended, by 2025-12-14, and has not been made: 1 days "
        "late, interest of EUR 80.49 so far."
    )
    assert late.message("lv")
    assert late.explanation["details"] == {
        "key": "rp1",
        "kind": "interim",
        "reporting_period": 1,
        "status": "ready",
        "amount": "520000.00",
        "payment_due_on": "2025-12-14",
        "report_received_on": "2025-09-15",
        "days_late": 1,
        "suspended_days": 0,
        "interest": "80.49",
    }


def test_a_suspended_deadline_pushes_the_late_payment_flag(demo, users):
    """Information requested from 2025-10-01 to 2025-10-11 (10 days): due 2025-12-24."""
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    DeadlineSuspension.objects.create(
        report=PeriodicReport.objects.get(project=demo, reporting_period__number=1),
        reason=SuspensionReason.INFORMATION_REQUESTED,
        started_on=datetime.date(2025, 10, 1),
        ended_on=datetime.date(2025, 10, 11),
    )

    check(demo, at(2025, 12, 24))
    assert "payment_late:rp1" not in open_flags(demo)

    check(demo, at(2025, 12, 27))

    late = open_flags(demo)["payment_late:rp1"]
    # Three days late: 520,000.00 x 5.65 % x 3 / 365 = 241.48.
    assert late.message("en") == (
        "The report of RP1 was received on 2025-09-15; the payment of EUR 520000.00 was due "
        "within 90 days, plus 10 days suspended, by 2025-12-24, and has not been made: 3 days "
        "late, interest of EUR 241.48 so far."
    )


def test_the_payment_period_runs_from_the_first_submission_not_the_approval(demo, users):
    """The report was first received on 2025-09-15, sent back and approved much later: the
    agency's 90 days still run from the first receipt."""
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    PeriodicReport.objects.filter(reporting_period__number=1).update(
        first_submitted_at=at(2025, 9, 1), approved_at=at(2025, 11, 20)
    )

    check(demo, at(2025, 12, 1))

    late = open_flags(demo)["payment_late:rp1"]
    assert late.explanation["details"]["payment_due_on"] == "2025-11-30"


def test_recording_the_interim_payment_resolves_its_late_flag(demo, users):
    rp1_approved_with_wp1_completed(demo, users, submitted=at(2025, 9, 15))
    check(demo, at(2026, 1, 5))
    assert {"instalment_ready:rp1", "payment_late:rp1"} <= set(open_flags(demo))

    with travel(at(2026, 1, 6)):
        instalment_approve(project=demo, key="rp1", user=users["officer"])
        payment_record(
            project=demo,
            key="rp1",
            user=factories.officer_of(demo, "po2"),
            amount=WP1,
            paid_on=datetime.date(2026, 1, 6),
            reference="EACEA/2026/RP1",
        )
    assert Instalment.objects.get(project=demo, key="rp1").amount_eur == WP1
    assert Payment.objects.filter(project=demo).count() == 1

    check(demo, at(2026, 1, 6, 10))

    flags = open_flags(demo)
    assert "instalment_ready:rp1" not in flags
    assert "payment_late:rp1" not in flags
    assert set(flags) == {"instalment_ready:prefinancing", "payment_late:prefinancing"}
    late = Flag.objects.get(project=demo, fingerprint="payment_late:rp1")
    assert (late.resolved_at, late.resolution) == (at(2026, 1, 6, 10), "auto")


def test_the_flags_of_one_project_leave_another_alone(demo, other_project):
    check(demo, at(2024, 3, 20))
    check(other_project, at(2024, 3, 20))
    demo_flags = set(open_flags(demo))

    check(other_project, at(2024, 3, 21))

    assert set(open_flags(demo)) == demo_flags
    assert {flag.project_id for flag in Flag.objects.filter(kind__in=INSTALMENT_KINDS)} == {
        demo.pk,
        other_project.pk,
    }
