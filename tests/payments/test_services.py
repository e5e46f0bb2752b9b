"""The payment services: approving an instalment, recording its payment (or recovery), recording
a reduction; each refusal writes nothing; the database guards against double payment and
payments above the maximum grant. The services take typed values (Decimal, date); how the API
reads what a client sends is tested in test_api.py."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from backend.audit.models import Event
from backend.common.errors import Conflict, InvalidInput
from backend.grants.models import Participation, RuleSet
from backend.payments import services
from backend.payments.models import Instalment, Payment, PaymentSuspension, Reduction
from backend.payments.rules import schedule
from backend.payments.selectors import grant_facts
from backend.payments.services import (
    UnknownInstalment,
    instalment_approve,
    payment_record,
)
from backend.reporting.models import PeriodicReport, WorkPackageDeclaration
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
# The demo's pre-financing is ready then; RP1 (ended 2025-08-31) is past, RP2 is running.
NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=BRUSSELS)
TODAY = NOW.date()
PREFINANCING_EUR = Decimal("1599500.00")  # 40 % of EUR 3,998,750.00
WP1_EUR = Decimal("520000.00")


def travel(moment: datetime.datetime = NOW):
    return time_machine.travel(moment, tick=False)


def counts() -> dict[str, int]:
    """The payment tables and the audit trail."""
    return {
        "instalments": Instalment.objects.count(),
        "payments": Payment.objects.count(),
        "reductions": Reduction.objects.count(),
        "events": Event.objects.count(),
    }


def status_of(project, key: str, today: datetime.date = TODAY) -> str:
    facts = grant_facts([project.pk], today=today)[project.pk]
    return next(item for item in schedule(facts, today) if item.key == key).status


def rp1_ready(project, *, report_status: str = "approved", late: str | None = None) -> None:
    """The demo's RP1 as its payment needs it: every deliverable due in RP1 accepted (but
    ``late``, left pending without a justification), the report in ``report_status`` (received
    on 2025-10-01), WP1 declared completed on 2025-08-15 and every other work package started
    by M18 declared not completed."""
    period = ReportingPeriod.objects.get(project=project, number=1)
    received = datetime.datetime(2025, 10, 1, 12, 0, tzinfo=BRUSSELS)
    Deliverable.objects.filter(project=project, due_on__lte=period.end_date).update(
        status="accepted",
        delivered_on=datetime.date(2025, 8, 1),
        approved_on=datetime.date(2025, 8, 20),
    )
    if late:
        Deliverable.objects.filter(project=project, code=late).update(
            status="pending", delivered_on=None, approved_on=None
        )
    PeriodicReport.objects.create(
        project=project,
        reporting_period=period,
        status=report_status,
        technical_part="What we did.",
        submitted_at=received,
        first_submitted_at=received,
        approved_at=datetime.datetime(2025, 11, 3, 9, 0, tzinfo=BRUSSELS)
        if report_status == "approved"
        else None,
    )
    for wp in WorkPackage.objects.filter(project=project, start_month__lte=period.end_month):
        WorkPackageDeclaration.objects.create(
            work_package=wp,
            reporting_period=period,
            completed=wp.number == 1,
            completed_on=datetime.date(2025, 8, 15) if wp.number == 1 else None,
            declared_at=received,
        )


def approve_prefinancing(demo, users, approver: str = "officer") -> Instalment:
    with travel():
        return instalment_approve(project=demo, key="prefinancing", user=users[approver])


# -- approving ---------------------------------------------------------------------------------


def test_an_officer_approves_the_ready_prefinancing(
    demo, users, django_capture_on_commit_callbacks
):
    assert status_of(demo, "prefinancing") == "ready"
    with travel(), django_capture_on_commit_callbacks() as callbacks:
        instalment = instalment_approve(project=demo, key="prefinancing", user=users["officer"])

    row = Instalment.objects.get(project=demo, key="prefinancing")
    assert row == instalment
    assert (row.kind, row.reporting_period, row.amount_eur) == (
        "prefinancing",
        None,
        PREFINANCING_EUR,
    )
    assert row.approved_by == users["officer"]
    assert row.approved_at == NOW
    assert row.work_packages == []
    assert row.conditions == [
        {
            "code": "grant_signed",
            "met": True,
            "message": "The grant agreement entered into force on 2024-02-14.",
        },
        {"code": "amount_above_zero", "met": True, "message": "The amount is EUR 1599500.00."},
    ]
    event = Event.objects.get(verb="instalment.approved")
    assert (event.verb, event.actor, event.project_id) == (
        "instalment.approved",
        users["officer"],
        demo.pk,
    )
    assert (event.object_type, event.object_id) == ("instalment", str(row.pk))
    assert event.before == {"status": "ready"}
    assert event.after == {
        "status": "approved",
        "key": "prefinancing",
        "kind": "prefinancing",
        "amount_eur": "1599500.00",
        "work_packages": [],
        "justification": "",
    }
    assert len(callbacks) == 1  # the watchers are told once the approval commits
    assert status_of(demo, "prefinancing") == "approved"


def test_an_administrator_approves_too(demo, users):
    with travel():
        instalment_approve(project=demo, key="prefinancing", user=users["admin"])
    assert Instalment.objects.get().approved_by == users["admin"]


def test_an_interim_payment_is_approved_with_the_work_packages_it_pays(demo, users):
    rp1_ready(demo)
    assert status_of(demo, "rp1") == "ready"
    with travel():
        instalment_approve(project=demo, key="rp1", user=users["officer"])

    row = Instalment.objects.get(project=demo, key="rp1")
    assert (row.kind, row.reporting_period.number) == ("interim", 1)
    assert row.amount_eur == WP1_EUR
    assert row.work_packages == [1]
    assert [(c["code"], c["met"]) for c in row.conditions] == [
        ("report_approved", True),
        ("earlier_reports_approved", True),
        ("work_packages_declared", True),
        ("consortium_eligible", True),
        ("late_deliverables_justified", True),
        ("amount_above_zero", True),
    ]
    assert row.conditions[0]["message"] == "The report of RP1 is approved."
    assert Event.objects.filter(verb="instalment.approved").count() == 1


def test_an_instalment_whose_report_awaits_review_is_not_approved(demo, users):
    rp1_ready(demo, report_status="submitted")
    before = counts()
    with travel(), pytest.raises(Conflict) as refused:
        instalment_approve(project=demo, key="rp1", user=users["officer"])
    assert refused.value.message == (
        'RP1 cannot be approved: it is "Blocked" (The report of RP1 awaits the officer\'s '
        "review. There is nothing to pay: the amount is EUR 0.00.)"
    )
    assert counts() == before


def test_an_instalment_with_a_late_deliverable_unjustified_is_not_approved(demo, users):
    code = (
        Deliverable.objects.filter(project=demo, due_on__lte=datetime.date(2025, 8, 31))
        .order_by("due_on", "position")
        .values_list("code", flat=True)
        .last()
    )
    rp1_ready(demo, late=code)
    before = counts()
    with travel(), pytest.raises(Conflict) as refused:
        instalment_approve(project=demo, key="rp1", user=users["officer"])
    assert refused.value.message == (
        f'RP1 cannot be approved: it is "Blocked" (Late deliverables of RP1 have no '
        f"justification: {code}.)"
    )
    assert counts() == before


def test_an_instalment_whose_period_is_running_is_scheduled_and_not_approved(demo, users):
    before = counts()
    with travel(), pytest.raises(Conflict) as refused:
        instalment_approve(project=demo, key="rp2", user=users["officer"])
    assert refused.value.message == (
        'RP2 cannot be approved: it is "Scheduled" (RP2 ends on 2027-02-28.)'
    )
    assert counts() == before


def test_an_instalment_is_approved_once(demo, users):
    approve_prefinancing(demo, users)
    before = counts()
    with travel(), pytest.raises(Conflict) as refused:
        instalment_approve(project=demo, key="prefinancing", user=users["admin"])
    assert refused.value.message == (
        "Pre-financing was already approved on 2026-11-27; it cannot be approved again."
    )
    assert counts() == before


def test_the_unique_constraint_refuses_an_approval_the_schedule_did_not_see(
    demo, users, monkeypatch
):
    """Approved by someone else after the schedule was computed: the database refuses the
    second row, and the service answers with a Conflict."""
    stale = grant_facts([demo.pk], today=TODAY)
    approve_prefinancing(demo, users)
    monkeypatch.setattr(services, "grant_facts", lambda ids, today: stale)
    before = counts()
    with travel(), pytest.raises(Conflict) as refused:
        instalment_approve(project=demo, key="prefinancing", user=users["admin"])
    assert refused.value.message == (
        "Pre-financing was already approved on 2026-11-27; it cannot be approved again."
    )
    assert counts() == before


@pytest.mark.parametrize("role", ["manager", "partner_contact", "other_officer", "stranger"])
def test_only_the_projects_officers_approve(demo, users, role):
    before = counts()
    with travel(), pytest.raises(PermissionDenied) as refused:
        instalment_approve(project=demo, key="prefinancing", user=users[role])
    assert str(refused.value) == (
        "Only the project's agency officers and administrators approve instalments."
    )
    assert counts() == before


def test_an_unknown_instalment_is_not_found(demo, users):
    with travel(), pytest.raises(UnknownInstalment):
        instalment_approve(project=demo, key="rp4", user=users["officer"])
    assert counts()["instalments"] == 0


# -- payments ----------------------------------------------------------------------------------


def pay(demo, users, key="prefinancing", payer="payer", **changes):
    """``users[payer]`` records the payment: the second officer by default, since the demo's
    officer approves."""
    values = {
        "amount": PREFINANCING_EUR,
        "paid_on": datetime.date(2026, 11, 27),
        "reference": "EACEA/2026/0815",
    }
    values.update(changes)
    with travel():
        return payment_record(project=demo, key=key, user=users[payer], **values)


def test_an_officer_records_the_payment_of_an_approved_instalment(
    demo, users, django_capture_on_commit_callbacks
):
    approve_prefinancing(demo, users)
    with django_capture_on_commit_callbacks() as callbacks:
        payment = pay(demo, users, reference="  EACEA/2026/0815 ")

    row = Payment.objects.get()
    assert row == payment
    assert row.instalment.key == "prefinancing"
    assert (row.direction, row.amount_eur, row.paid_on, row.reference) == (
        "payment",
        PREFINANCING_EUR,
        datetime.date(2026, 11, 27),
        "EACEA/2026/0815",
    )
    assert (row.recorded_by, row.recorded_at) == (users["payer"], NOW)
    event = Event.objects.filter(verb="payment.recorded").get()
    assert event.before == {"status": "approved", "net_paid_eur": "0.00"}
    assert event.after == {
        "status": "paid",
        "key": "prefinancing",
        "direction": "payment",
        "amount_eur": "1599500.00",
        "paid_on": "2026-11-27",
        "reference": "EACEA/2026/0815",
        "net_paid_eur": "1599500.00",
    }
    assert len(callbacks) == 1
    assert status_of(demo, "prefinancing") == "paid"


def test_an_amount_without_cents_is_to_the_cent(demo, users):
    approve_prefinancing(demo, users)
    pay(demo, users, amount=Decimal("1599500"))
    assert Payment.objects.get().amount_eur == PREFINANCING_EUR


def test_a_payment_before_the_approval_is_refused(demo, users):
    before = counts()
    with pytest.raises(Conflict) as refused:
        pay(demo, users)
    assert refused.value.message == (
        "Pre-financing is not approved yet: an officer approves it before its payment is recorded."
    )
    assert counts() == before


def test_an_instalment_is_paid_once(demo, users):
    approve_prefinancing(demo, users)
    pay(demo, users, paid_on=datetime.date(2026, 11, 27))
    before = counts()
    with pytest.raises(Conflict) as refused:
        pay(demo, users, reference="EACEA/2026/0999")
    assert refused.value.message == (
        "Pre-financing was already paid on 2026-11-27 with reference EACEA/2026/0815; it cannot "
        "be paid twice."
    )
    assert counts() == before


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (
            "-1599500.00",
            "The amount cannot be negative: give the amount paid (or, for a recovery, "
            "recovered) as a positive number.",
        ),
        ("0", "The amount must be above zero."),
        ("0.00", "The amount must be above zero."),
        ("12.345", 'Give the amount to the cent: "12.345" has more than 2 decimal places.'),
        (
            "1599499.99",
            "The amount must be EUR 1599500.00, the amount approved for Pre-financing "
            "(EUR 1599499.99 was given).",
        ),
    ],
)
def test_a_wrong_amount_is_refused_naming_it(demo, users, amount, message):
    approve_prefinancing(demo, users)
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        pay(demo, users, amount=Decimal(amount))
    assert [e.as_dict() for e in refused.value.errors] == [{"path": "amount", "message": message}]
    assert refused.value.detail == "The payment was not recorded."
    assert counts() == before


@pytest.mark.parametrize(
    ("paid_on", "message"),
    [
        ("2026-11-28", "The date cannot be in the future: today is 2026-11-27."),
        ("2026-11-26", "The date cannot be before Pre-financing was approved, on 2026-11-27."),
    ],
)
def test_a_wrong_date_is_refused_naming_it(demo, users, paid_on, message):
    approve_prefinancing(demo, users)
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        pay(demo, users, paid_on=datetime.date.fromisoformat(paid_on))
    assert [e.as_dict() for e in refused.value.errors] == [{"path": "paid_on", "message": message}]
    assert counts() == before


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("", "Give the payment's reference, e.g. the agency's payment order."),
        ("   ", "Give the payment's reference, e.g. the agency's payment order."),
        ("R" * 101, "Write at most 100 characters."),
    ],
)
def test_a_missing_or_wrong_reference_is_refused(demo, users, reference, message):
    approve_prefinancing(demo, users)
    before = counts()
    with pytest.raises(InvalidInput) as refused:
        pay(demo, users, reference=reference)
    assert [e.as_dict() for e in refused.value.errors] == [
        {"path": "reference", "message": message}
    ]
    assert counts() == before


def test_every_wrong_field_is_named_at_once(demo, users):
    approve_prefinancing(demo, users)
    with pytest.raises(InvalidInput) as refused:
        pay(demo, users, amount=Decimal("-1"), paid_on=datetime.date(2026, 11, 28), reference="")
    assert [e.path for e in refused.value.errors] == ["amount", "paid_on", "reference"]
    assert not Payment.objects.exists()


def test_payments_above_the_maximum_grant_are_refused_before_the_database_is_asked(demo, users):
    approve_prefinancing(demo, users)
    # The maximum grant lowered after the approval (an amendment).
    type(demo).objects.filter(pk=demo.pk).update(max_grant_eur=Decimal("1000000.00"))
    before = counts()
    with pytest.raises(Conflict) as refused:
        pay(demo, users)
    assert refused.value.message == (
        "Payments less recoveries would reach EUR 1599500.00, above the maximum grant of "
        "EUR 1000000.00; the payment was not recorded."
    )
    assert counts() == before


def test_a_recovery_is_recorded_with_its_positive_amount(demo, users):
    """A negative balance approved: the money comes back."""
    approve_prefinancing(demo, users)
    pay(demo, users)
    Instalment.objects.create(
        project=demo,
        key="rp3",
        kind="balance",
        reporting_period=ReportingPeriod.objects.get(project=demo, number=3),
        amount_eur=Decimal("-1000.00"),
        approved_at=NOW,
        approved_by=users["officer"],
    )
    with pytest.raises(InvalidInput) as refused:
        pay(demo, users, key="rp3", amount=Decimal("999.99"))
    assert refused.value.errors[0].message == (
        "The amount must be EUR 1000.00, the recovery approved for RP3 (EUR 999.99 was given)."
    )
    pay(demo, users, key="rp3", amount=Decimal("1000.00"), reference="RECOVERY/1")
    recovery = Payment.objects.get(instalment__key="rp3")
    assert (recovery.direction, recovery.amount_eur) == ("recovery", Decimal("1000.00"))
    assert Event.objects.filter(verb="payment.recorded").order_by("id").last().after[
        "net_paid_eur"
    ] == ("1598500.00")


@pytest.mark.parametrize("role", ["manager", "partner_contact", "other_officer"])
def test_only_the_projects_officers_record_payments(demo, users, role):
    approve_prefinancing(demo, users)
    before = counts()
    with travel(), pytest.raises(PermissionDenied) as refused:
        payment_record(
            project=demo,
            key="prefinancing",
            user=users[role],
            amount=PREFINANCING_EUR,
            paid_on=TODAY,
            reference="X",
        )
    assert str(refused.value) == (
        "Only the project's agency officers and administrators record payments and recoveries."
    )
    assert counts() == before


def test_a_payment_of_an_unknown_instalment_is_not_found(demo, users):
    with pytest.raises(UnknownInstalment):
        pay(demo, users, key="rp9")
    with pytest.raises(UnknownInstalment):
        pay(demo, users, key="balance")


# -- the database guard ------------------------------------------------------------------------


def _approved(project, key: str, amount: str) -> Instalment:
    number = None if key == "prefinancing" else int(key[2:])
    return Instalment.objects.create(
        project=project,
        key=key,
        kind="prefinancing" if number is None else "interim",
        reporting_period=None
        if number is None
        else ReportingPeriod.objects.get(project=project, number=number),
        amount_eur=Decimal(amount),
        approved_at=timezone.now(),
    )


def _direct_payment(instalment: Instalment, amount: str, direction: str = "payment") -> Payment:
    return Payment.objects.create(
        instalment=instalment,
        project=instalment.project,
        direction=direction,
        amount_eur=Decimal(amount),
        paid_on=datetime.date(2026, 11, 27),
        reference="DIRECT",
        recorded_at=timezone.now(),
    )


def check_database_refuses_payments_above_the_maximum_grant(demo):
    """Payments inserted without the services: up to the maximum grant (EUR 3,998,750.00)
    they are stored; one cent more and the database refuses the row; a recovery makes room."""
    _direct_payment(_approved(demo, "prefinancing", "1599500.00"), "1599500.00")
    rp1 = _approved(demo, "rp1", "2399250.01")
    with pytest.raises(IntegrityError), transaction.atomic():
        _direct_payment(rp1, "2399250.01")
    assert Payment.objects.count() == 1
    rp2 = _approved(demo, "rp2", "2399250.00")
    _direct_payment(rp2, "2399250.00")  # exactly the maximum grant
    assert Payment.objects.count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.filter(instalment=rp2).update(amount_eur=Decimal("2399250.01"))
    assert Payment.objects.get(instalment=rp2).amount_eur == Decimal("2399250.00")


def test_the_database_refuses_payments_above_the_maximum_grant(demo):
    check_database_refuses_payments_above_the_maximum_grant(demo)


@pytest.mark.postgres
def test_the_database_refuses_payments_above_the_maximum_grant_on_postgresql(demo):
    check_database_refuses_payments_above_the_maximum_grant(demo)


def test_the_database_refuses_a_second_payment_of_an_instalment(demo):
    instalment = _approved(demo, "prefinancing", "1599500.00")
    _direct_payment(instalment, "1599500.00")
    with pytest.raises(IntegrityError), transaction.atomic():
        _direct_payment(instalment, "1.00")
    assert Payment.objects.count() == 1


# -- decisions: a justification, a suspension ----------------------------------------------------


def _breach_after_rp1(project) -> None:
    """RP1 approved with WP1 completed; every partner but the coordinator leaves on 2025-09-30,
    after RP1 ended: RP1 calls for the officer's decision."""
    rp1_ready(project)
    Participation.objects.filter(project=project).exclude(role="coordinator").update(
        left_on=datetime.date(2025, 9, 30)
    )


def test_a_decision_is_approved_only_with_a_justification(demo, users):
    _breach_after_rp1(demo)
    assert status_of(demo, "rp1") == "decision_needed"
    before = counts()
    with travel(), pytest.raises(InvalidInput) as refused:
        instalment_approve(project=demo, key="rp1", user=users["officer"])
    assert [error.path for error in refused.value.errors] == ["justification"]
    assert counts() == before

    with travel():
        row = instalment_approve(
            project=demo, key="rp1", user=users["officer"], justification=" Earlier work. "
        )
    assert (row.justification, row.amount_eur) == ("Earlier work.", WP1_EUR)
    assert status_of(demo, "rp1") == "approved"


def test_with_breaches_blocking_payments_a_breach_is_a_block(demo, users):
    _breach_after_rp1(demo)
    RuleSet.objects.filter(key=demo.call.ruleset_id).update(breach_blocks_payments=True)
    assert status_of(demo, "rp1") == "blocked"
    with travel(), pytest.raises(Conflict) as refused:
        instalment_approve(project=demo, key="rp1", user=users["officer"], justification="Why.")
    assert refused.value.message.startswith('RP1 cannot be approved: it is "Blocked" (')
    assert not Instalment.objects.exists()


def test_a_suspension_holds_the_approval_and_the_payment_until_it_is_lifted(demo, users):
    approve_prefinancing(demo, users)
    with travel():
        suspension = services.payment_suspend(
            project=demo,
            key="prefinancing",
            user=users["officer"],
            reason=" Breach. ",
            suspended_on=TODAY,
        )
    assert (suspension.reason, suspension.suspended_by) == ("Breach.", users["officer"])
    assert status_of(demo, "prefinancing") == "suspended"
    with pytest.raises(Conflict):
        pay(demo, users)
    assert not Payment.objects.exists()

    with travel():
        services.payment_suspension_lift(
            project=demo, key="prefinancing", user=users["payer"], reason="Fixed.", lifted_on=TODAY
        )
    assert status_of(demo, "prefinancing") == "approved"
    pay(demo, users)
    assert Payment.objects.count() == 1
    assert sorted(
        Event.objects.filter(verb__startswith="instalment.suspen").values_list("verb", flat=True)
    ) == ["instalment.suspended", "instalment.suspension_lifted"]


def test_suspension_dates_are_checked_by_the_service(demo, users):
    with travel(), pytest.raises(InvalidInput) as refused:
        services.payment_suspend(
            project=demo,
            key="rp1",
            user=users["officer"],
            reason="",
            suspended_on=TODAY + datetime.timedelta(days=1),
        )
    assert [error.path for error in refused.value.errors] == ["reason", "suspended_on"]
    assert not PaymentSuspension.objects.exists()


@pytest.mark.parametrize("role", ["manager", "partner_contact"])
def test_only_the_projects_officers_suspend(demo, users, role):
    with travel(), pytest.raises(PermissionDenied) as refused:
        services.payment_suspend(
            project=demo, key="rp1", user=users[role], reason="Breach.", suspended_on=TODAY
        )
    assert str(refused.value) == (
        "Only the project's agency officers and administrators approve instalments."
    )
    assert not PaymentSuspension.objects.exists()


def test_the_database_keeps_one_open_suspension_per_instalment(demo, users):
    """The check before it may be passed by two requests at once: the unique constraint on the
    open suspension refuses the second."""
    common = {
        "project": demo,
        "key": "rp1",
        "reason": "Breach.",
        "suspended_on": TODAY,
        "suspended_at": NOW,
    }
    PaymentSuspension.objects.create(**common)
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentSuspension.objects.create(**common)
