"""Scenarios through the API, one per point of issue 15's "What goes wrong today", on the
demo grant (M1 is March 2024; RP1 ends 2025-08-31, RP2 2027-02-28, RP3, the balance,
2028-02-29):

(1) a negative balance is approved and recovered while the consortium breaches the composition
    rules; a work package completed earlier needs a decision, not a hard block, and a
    suspension holds its payment until it is lifted;
(2) a reduction confirmed after the balance gives a recovery with its own approval and receipt;
(5) a report sent back suspends the agency's payment deadline (no false "late"), and a late
    payment shows its interest;
(6) an interim payment with nothing to pay reads "Nothing due", in grey;
(7) a later period's payment waits for an earlier report;
(3) a reduction of one beneficiary's share of one work package changes only its part, and
    only once confirmed;
(9) the schedule reads the payment days the grant file sets.
Points 4 and 8 are in tests/reporting/test_issue15_scenarios.py.
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.grants.models import Participation, Project
from backend.payments.models import Instalment, Payment, Reduction, ReductionStatus
from backend.reporting.models import DeadlineSuspension, PeriodicReport, WorkPackageDeclaration
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage
from tests.payments.test_api import url

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
AFTER_THE_END = datetime.datetime(2028, 6, 1, 10, 0, tzinfo=BRUSSELS)
PREFINANCING_EUR = Decimal("1599500.00")
WP1_EUR = Decimal("520000.00")


def at(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def call(api_client, user, method: str, path: str, data=None, *, when=AFTER_THE_END):
    api_client.force_authenticate(user)
    with at(when):
        return getattr(api_client, method)(path, data, format="json")


def report(
    project,
    number: int,
    *,
    status: str = "approved",
    completed: tuple[int, ...] = (),
    received: datetime.date,
) -> PeriodicReport:
    """Period ``number``'s report in ``status``, first received on ``received`` (approved a
    month later): every deliverable due by the period's end accepted, every work package
    started by then and not declared completed in an earlier report declared, ``completed``
    among them completed."""
    period = ReportingPeriod.objects.get(project=project, number=number)
    Deliverable.objects.filter(project=project, due_on__lte=period.end_date).update(
        status="accepted", delivered_on=period.end_date, approved_on=period.end_date
    )
    moment = datetime.datetime.combine(received, datetime.time(12), tzinfo=BRUSSELS)
    done_before = set(
        WorkPackageDeclaration.objects.filter(
            work_package__project=project, completed=True, reporting_period__number__lt=number
        ).values_list("work_package__number", flat=True)
    )
    for wp in WorkPackage.objects.filter(project=project, start_month__lte=period.end_month):
        if wp.number in done_before:
            continue
        WorkPackageDeclaration.objects.create(
            work_package=wp,
            reporting_period=period,
            completed=wp.number in completed,
            completed_on=period.end_date if wp.number in completed else None,
            declared_at=moment,
        )
    return PeriodicReport.objects.create(
        project=project,
        reporting_period=period,
        status=status,
        technical_part="What we did.",
        submitted_at=moment,
        first_submitted_at=moment,
        approved_at=moment + datetime.timedelta(days=30) if status == "approved" else None,
    )


def instalment(api_client, user, project, key: str, *, when=AFTER_THE_END) -> dict:
    response = call(api_client, user, "get", url(project, key), when=when)
    assert response.status_code == 200
    return response.json()


def pay(api_client, user, project, key: str, amount, reference: str, *, when=AFTER_THE_END):
    body = {"amount": str(amount), "paid_on": when.date().isoformat(), "reference": reference}
    return call(api_client, user, "post", url(project, f"{key}/payment"), body, when=when)


def ledger(api_client, user, project, *, when=AFTER_THE_END) -> dict:
    response = call(api_client, user, "get", f"/api/v1/projects/{project.pk}/ledger", when=when)
    assert response.status_code == 200
    return response.json()


# -- (1) a recovery is not blocked; a breach calls for a decision ------------------------------


def test_1_a_negative_balance_is_recovered_during_a_breach_and_rp1_waits_on_a_decision(
    api_client, demo, users
):
    officer, payer = users["officer"], users["payer"]
    report(demo, 1, completed=(1,), received=datetime.date(2025, 10, 1))
    report(demo, 2, received=datetime.date(2027, 4, 1))
    report(demo, 3, received=datetime.date(2028, 4, 1))
    # Every partner but the coordinator leaves after the end: an open composition breach.
    Participation.objects.filter(project=demo).exclude(role="coordinator").update(
        left_on=datetime.date(2028, 3, 15)
    )
    assert call(api_client, officer, "post", url(demo, "prefinancing/approve")).status_code == 200
    assert pay(api_client, payer, demo, "prefinancing", PREFINANCING_EUR, "PF").status_code == 201

    # RP1 pays WP1, completed while the consortium met the rules: a decision, not a block.
    rp1 = instalment(api_client, officer, demo, "rp1")
    assert (rp1["status"], rp1["status_label"], rp1["status_colour"], rp1["amount"]) == (
        "decision_needed",
        "Decision needed",
        "amber",
        "520000.00",
    )
    suspended = call(
        api_client,
        officer,
        "post",
        url(demo, "rp1/suspend"),
        {"reason": "The consortium breaches the rules.", "suspended_on": "2028-05-20"},
    )
    assert suspended.status_code == 201
    assert suspended.json()["status"] == "suspended"
    held = call(
        api_client, officer, "post", url(demo, "rp1/approve"), {"justification": "Earlier work."}
    )
    assert held.status_code == 409
    assert "its payment is suspended since 2028-05-20" in held.json()["detail"]
    lifted = call(
        api_client,
        payer,
        "post",
        url(demo, "rp1/lift"),
        {"reason": "Decided to pay the earlier work.", "lifted_on": "2028-06-01"},
    )
    assert (lifted.status_code, lifted.json()["status"]) == (200, "decision_needed")
    approved = call(
        api_client,
        officer,
        "post",
        url(demo, "rp1/approve"),
        {"justification": "WP1 was completed in RP1, before the breach."},
    )
    assert approved.status_code == 200
    assert approved.json()["approval"]["justification"] == (
        "WP1 was completed in RP1, before the breach."
    )
    assert pay(api_client, payer, demo, "rp1", WP1_EUR, "RP1").status_code == 201

    # The balance is a recovery: it waits only on the final report, never on the consortium.
    balance = instalment(api_client, officer, demo, "rp3")
    assert (balance["kind"], balance["status"], balance["amount"], balance["is_recovery"]) == (
        "balance",
        "ready",
        "-1599500.00",
        True,
    )
    assert [c["code"] for c in balance["conditions"] if not c["met"]] == []
    assert call(api_client, officer, "post", url(demo, "rp3/approve")).status_code == 200
    recovered = pay(api_client, payer, demo, "rp3", "1599500.00", "RECOVERY/RP3")
    assert recovered.status_code == 201
    assert recovered.json()["payment"]["direction"] == "recovery"
    assert recovered.json()["status"] == "paid"

    totals = ledger(api_client, users["manager"], demo)
    assert (totals["accepted_total"], totals["net_paid"], totals["balance_outstanding"]) == (
        "520000.00",
        "520000.00",
        "0.00",
    )
    assert [(e["kind"], e["instalment"], e["amount"]) for e in totals["entries"]] == [
        ("payment", "prefinancing", "1599500.00"),
        ("payment", "rp1", "520000.00"),
        ("recovery", "rp3", "-1599500.00"),
    ]


# -- (2) a reduction after the balance gives a recovery ----------------------------------------


def test_2_a_reduction_confirmed_after_the_balance_is_recovered(api_client, demo, users):
    officer, payer = users["officer"], users["payer"]
    every_wp = tuple(WorkPackage.objects.filter(project=demo).values_list("number", flat=True))
    accepted = sum(WorkPackage.objects.filter(project=demo).values_list("lump_sum_eur", flat=True))
    report(demo, 1, completed=(1,), received=datetime.date(2025, 10, 1))
    report(demo, 2, received=datetime.date(2027, 4, 1))
    report(demo, 3, completed=every_wp, received=datetime.date(2028, 4, 1))
    for key, reference in [("prefinancing", "PF"), ("rp1", "RP1"), ("rp3", "BAL")]:
        approved = call(api_client, officer, "post", url(demo, f"{key}/approve"))
        assert approved.status_code == 200, approved.json()
        amount = approved.json()["amount"]
        assert pay(api_client, payer, demo, key, amount, reference).status_code == 201
    assert ledger(api_client, officer, demo)["net_paid"] == f"{accepted:.2f}"

    # After the balance, the officer confirms a 10 % reduction of the whole grant.
    Reduction.objects.create(
        project=demo,
        kind="percent",
        percent=Decimal("10.00"),
        reason="Improper implementation.",
        status=ReductionStatus.CONFIRMED,
        letter_sent_on=datetime.date(2028, 4, 20),
        observations_due_on=datetime.date(2028, 5, 20),
        decided_on=datetime.date(2028, 5, 25),
        recorded_at=AFTER_THE_END,
        recorded_by=officer,
    )
    reduction = (accepted / 10).quantize(Decimal("0.01"))
    schedule = call(api_client, officer, "get", url(demo)).json()
    recovery = schedule["instalments"][-1]
    assert (recovery["key"], recovery["kind"], recovery["period"], recovery["status"]) == (
        "recovery1",
        "recovery",
        3,
        "ready",
    )
    assert recovery["amount"] == f"{-reduction:.2f}"
    assert schedule["balance_outstanding"] == f"{-reduction:.2f}"

    approved = call(api_client, officer, "post", url(demo, "recovery1/approve"))
    assert approved.status_code == 200
    row = Instalment.objects.get(project=demo, key="recovery1")
    assert (row.kind, row.reporting_period.number, row.amount_eur) == ("recovery", 3, -reduction)
    assert call(api_client, officer, "post", url(demo, "recovery1/approve")).status_code == 409

    recovered = pay(api_client, payer, demo, "recovery1", reduction, "RECOVERY/1")
    assert recovered.status_code == 201
    assert (recovered.json()["status"], recovered.json()["payment"]["direction"]) == (
        "paid",
        "recovery",
    )
    assert Payment.objects.get(instalment=row).amount_eur == reduction
    totals = ledger(api_client, officer, demo)
    assert (
        totals["confirmed_reductions"],
        totals["net_paid"],
        totals["balance_outstanding"],
    ) == (f"{reduction:.2f}", f"{accepted - reduction:.2f}", "0.00")
    assert {e["kind"] for e in totals["entries"]} == {"payment", "recovery", "reduction"}


# -- (5) a suspended payment deadline; interest on a late payment ------------------------------


def test_5_a_report_sent_back_suspends_the_deadline_and_a_late_payment_shows_interest(
    api_client, demo, users
):
    rp1 = report(demo, 1, completed=(1,), received=datetime.date(2025, 10, 1))
    # Sent back on 2025-10-20, resubmitted on 2026-10-01 (346 days): 90 days from receipt run
    # to 2025-12-30, pushed to 2026-12-11.
    DeadlineSuspension.objects.create(
        report=rp1,
        reason="changes_requested",
        message="Add the evidence of WP1.",
        started_on=datetime.date(2025, 10, 20),
        ended_on=datetime.date(2026, 10, 1),
    )
    before = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=BRUSSELS)
    data = instalment(api_client, users["officer"], demo, "rp1", when=before)
    assert data["status"] == "ready"
    assert (data["payment_days"], data["suspended_days"]) == (90, 346)
    assert data["payment_due_on"] == "2026-12-11"
    assert (data["payment_late"], data["days_late"], data["interest"]) == (False, 0, "0.00")
    assert data["suspensions"] == [
        {"start": "2025-10-20", "end": "2026-10-01", "reason": "changes_requested"}
    ]
    assert data["net_days"] == 422 - 346  # 2025-10-01 to 2026-11-27, less the suspension

    # 30 days past the suspended deadline: late, with interest at 2.15 + 3.50 % a year.
    late = datetime.datetime(2027, 1, 10, 10, 0, tzinfo=BRUSSELS)
    data = instalment(api_client, users["officer"], demo, "rp1", when=late)
    assert (data["payment_late"], data["days_late"]) == (True, 30)
    assert data["interest"] == "2414.79"  # 520,000.00 x 5.65 % x 30 / 365


# -- (6) nothing to pay is "Nothing due", in grey ----------------------------------------------


def test_6_rp1_with_nothing_to_pay_reads_nothing_due_in_grey(api_client, demo, users):
    report(demo, 1, received=datetime.date(2025, 10, 1))  # no work package completed
    today = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=BRUSSELS)
    schedule = call(api_client, users["manager"], "get", url(demo), when=today).json()
    rp1 = next(i for i in schedule["instalments"] if i["key"] == "rp1")
    assert (rp1["status"], rp1["status_label"], rp1["status_colour"], rp1["amount"]) == (
        "nothing_due",
        "Nothing due",
        "grey",
        "0.00",
    )
    assert "reduction_percent" not in schedule
    refused = call(api_client, users["officer"], "post", url(demo, "rp1/approve"), when=today)
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": "RP1 cannot be approved: there is nothing to pay (the amount is EUR 0.00)."
    }
    assert not Instalment.objects.exists()


# -- (7) reports in order ----------------------------------------------------------------------


def test_7_a_later_payment_waits_for_an_earlier_report(api_client, demo, users):
    first = report(demo, 1, status="submitted", received=datetime.date(2025, 10, 1))
    report(demo, 2, completed=(2,), received=datetime.date(2027, 4, 1))
    when = datetime.datetime(2027, 6, 1, 10, 0, tzinfo=BRUSSELS)

    rp2 = instalment(api_client, users["officer"], demo, "rp2", when=when)
    assert (rp2["status"], rp2["status_colour"]) == ("blocked", "red")
    unmet = [c["code"] for c in rp2["conditions"] if not c["met"]]
    assert unmet == ["earlier_reports_approved"]
    refused = call(api_client, users["officer"], "post", url(demo, "rp2/approve"), when=when)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith('RP2 cannot be approved: it is "Blocked" (')
    assert not Instalment.objects.exists()

    PeriodicReport.objects.filter(pk=first.pk).update(
        status="approved", approved_at=datetime.datetime(2027, 5, 1, tzinfo=BRUSSELS)
    )
    rp2 = instalment(api_client, users["officer"], demo, "rp2", when=when)
    assert rp2["status"] == "ready"
    approved = call(api_client, users["officer"], "post", url(demo, "rp2/approve"), when=when)
    assert approved.status_code == 200
    assert approved.json()["work_packages"] == [2]


# -- (3) a reduction of one beneficiary's share of one work package, with its procedure --------


def test_3_a_reduction_of_one_beneficiarys_share_changes_only_its_part_once_confirmed(
    api_client, demo, users
):
    """EUR 1,000.00 off ZILEMED's share of WP1 (EUR 16,956.52): through its procedure nothing
    changes; confirmed, RP1 pays EUR 519,000.00 and only ZILEMED's part of it is lower."""
    officer = users["officer"]
    report(demo, 1, completed=(1,), received=datetime.date(2025, 10, 1))
    today = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=BRUSSELS)
    reductions = f"/api/v1/projects/{demo.pk}/reductions/"

    def split() -> dict[str, str]:
        body = call(api_client, officer, "get", url(demo, "rp1/beneficiaries"), when=today)
        assert body.status_code == 200
        return {row["participant"]: row["amount"] for row in body.json()}

    before = split()
    drafted = call(
        api_client,
        officer,
        "post",
        reductions,
        {
            "participant": "ZILEMED",
            "work_package": 1,
            "amount": "1000.00",
            "reason": "ZILEMED did not hold the evaluation workshops of WP1.",
        },
        when=today,
    )
    assert drafted.status_code == 201, drafted.json()
    rid = drafted.json()["id"]
    steps = [
        ("letter", {"sent_on": "2026-11-02"}, "letter_sent"),
        ("observations", {"received_on": "2026-11-02", "observations": "We disagree."}, None),
    ]
    for step, body, status in steps:
        answer = call(api_client, officer, "post", f"{reductions}{rid}/{step}", body, when=today)
        assert answer.status_code == 200, answer.json()
        assert status is None or answer.json()["status"] == status
        assert split() == before
        assert instalment(api_client, officer, demo, "rp1", when=today)["amount"] == "520000.00"

    confirmed = call(
        api_client,
        officer,
        "post",
        f"{reductions}{rid}/confirm",
        {"decided_on": "2026-11-02", "note": "The observations do not change the finding."},
        when=today,
    )
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "confirmed"
    assert instalment(api_client, officer, demo, "rp1", when=today)["amount"] == "519000.00"
    after = split()
    assert Decimal(after["ZILEMED"]) == Decimal(before["ZILEMED"]) - 1000
    assert {k: v for k, v in after.items() if k != "ZILEMED"} == {
        k: v for k, v in before.items() if k != "ZILEMED"
    }
    assert sum(Decimal(amount) for amount in after.values()) == Decimal("519000.00")
    assert ledger(api_client, officer, demo, when=today)["confirmed_reductions"] == "1000.00"


# -- (9) the grant's own payment terms -----------------------------------------------------------


def test_9_the_schedule_reads_the_payment_days_the_grant_file_sets(api_client, users):
    """The specification's example with its own pre-financing and interim days: the schedule
    counts them, and the call's for the balance. Signed 2022-05-20, starting 2022-06-15: the
    pre-financing is due 20 days after the signature (the call's 30 would give 2022-06-19)."""
    from tests.grants.helpers import spec_example

    data = {**spec_example(), "grant_agreement_number": "101999009"}
    data["payment_schedule"]["payment_days"] = {"prefinancing": 20, "interim": 45}
    imported = call(api_client, users["officer"], "post", "/api/v1/grants/import", data)
    assert imported.status_code == 201, imported.json()
    project = Project.objects.get(grant_agreement_number="101999009")

    schedule = call(api_client, users["officer"], "get", url(project)).json()
    days = {item["key"]: item["payment_days"] for item in schedule["instalments"]}
    assert days == {"prefinancing": 20, "rp1": 45, "rp2": project.call.payment_days}
    prefinancing = schedule["instalments"][0]
    assert (prefinancing["due_on"], prefinancing["payment_due_on"]) == ("2022-06-09", "2022-06-09")
