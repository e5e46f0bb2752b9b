"""The officer's decisions on an instalment through the API: approving one that calls for a
decision (an open composition breach) with a justification, suspending its payment and lifting
the suspension, the refusals (nothing due, suspended, paid), who may do each, and the ledger.
Each refusal writes nothing."""

import datetime

import pytest

from backend.audit.models import Event
from backend.grants.models import Participation
from backend.payments.models import Instalment, PaymentSuspension
from backend.reporting.models import WorkPackageDeclaration
from tests.payments.test_api import PAYMENT, ask, url
from tests.payments.test_services import approve_prefinancing, counts, rp1_ready, travel

pytestmark = pytest.mark.django_db

SUSPENSION = {
    "reason": "LVTDA left: the consortium breaches the rules.",
    "suspended_on": "2026-11-20",
}
LIFT = {"reason": "A new partner joined.", "lifted_on": "2026-11-27"}
JUSTIFICATION = "WP1 was completed in RP1, while the consortium met the composition rules."


def written() -> dict:
    return {**counts(), "suspensions": PaymentSuspension.objects.count()}


def breach_after_rp1(project) -> None:
    """Every participant but the coordinator leaves on 2025-09-30, after RP1 ended
    (2025-08-31): the consortium met the rules at the end of RP1 and has an open breach now."""
    leaving = Participation.objects.filter(project=project).exclude(role="coordinator")
    leaving.update(left_on=datetime.date(2025, 9, 30))


def decision_needed(project) -> None:
    """RP1 approved with WP1 completed, and an open composition breach."""
    rp1_ready(project)
    breach_after_rp1(project)


def suspend(api_client, user, project, key="rp1", body=SUSPENSION, **headers):
    api_client.force_authenticate(user)
    with travel():
        return api_client.post(url(project, f"{key}/suspend"), body, format="json", **headers)


# -- approving with a decision -----------------------------------------------------------------


def test_an_open_breach_calls_for_a_decision(api_client, demo, users):
    decision_needed(demo)
    data = ask(api_client, users["manager"], "get", url(demo, "rp1")).json()
    assert (data["status"], data["status_label"], data["status_colour"]) == (
        "decision_needed",
        "Decision needed",
        "amber",
    )
    assert data["amount"] == "520000.00"
    eligible = next(c for c in data["conditions"] if c["code"] == "consortium_eligible")
    assert eligible["met"] is False


def test_a_decision_needs_a_justification(api_client, demo, users):
    decision_needed(demo)
    before = written()
    response = ask(api_client, users["officer"], "post", url(demo, "rp1/approve"))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The instalment was not approved.",
        "errors": [
            {
                "path": "justification",
                "message": "Give the justification for approving RP1 although the consortium "
                "breaches the composition rules, or suspend its payment instead.",
            }
        ],
    }
    blank = ask(
        api_client, users["officer"], "post", url(demo, "rp1/approve"), {"justification": "  "}
    )
    assert blank.status_code == 400
    assert blank.json()["errors"][0]["path"] == "justification"
    assert written() == before


def test_a_decision_is_approved_with_its_justification(api_client, demo, users):
    decision_needed(demo)
    response = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, "rp1/approve"),
        {"justification": f"  {JUSTIFICATION} "},
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["status_label"], data["status_colour"]) == (
        "approved",
        "Approved",
        "green",
    )
    assert data["approval"] == {
        "amount": "520000.00",
        "approved_at": "2026-11-27T10:00:00+01:00",
        "approved_by": "po",
        "justification": JUSTIFICATION,
    }
    row = Instalment.objects.get(project=demo, key="rp1")
    assert (row.amount_eur, row.justification, row.work_packages) == (
        520000,
        JUSTIFICATION,
        [1],
    )
    event = Event.objects.get(verb="instalment.approved")
    assert event.before["status"] == "decision_needed"
    assert event.after["justification"] == JUSTIFICATION
    assert event.note == JUSTIFICATION


def test_a_ready_instalment_keeps_an_optional_justification(api_client, demo, users):
    response = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, "prefinancing/approve"),
        {"justification": "As agreed."},
    )
    assert response.status_code == 200
    assert response.json()["approval"]["justification"] == "As agreed."


def test_a_too_long_justification_is_refused_naming_it(api_client, demo, users):
    decision_needed(demo)
    before = written()
    response = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, "rp1/approve"),
        {"justification": "x" * 2001},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "justification", "message": "Write at most 2000 characters."}
    ]
    assert written() == before


def test_nothing_due_is_not_approved(api_client, demo, users):
    rp1_ready(demo)
    WorkPackageDeclaration.objects.filter(work_package__number=1).update(
        completed=False, completed_on=None
    )
    data = ask(api_client, users["officer"], "get", url(demo, "rp1")).json()
    assert (data["status"], data["status_label"], data["status_colour"]) == (
        "nothing_due",
        "Nothing due",
        "grey",
    )
    before = written()
    response = ask(api_client, users["officer"], "post", url(demo, "rp1/approve"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "RP1 cannot be approved: there is nothing to pay (the amount is EUR 0.00)."
    }
    assert written() == before


def test_a_blocked_instalment_is_a_conflict_with_its_label(api_client, demo, users):
    rp1_ready(demo, report_status="submitted")
    before = written()
    response = ask(api_client, users["officer"], "post", url(demo, "rp1/approve"))
    assert response.status_code == 409
    assert response.json()["detail"].startswith('RP1 cannot be approved: it is "Blocked" (')
    assert "awaits the officer's review" in response.json()["detail"]
    assert written() == before


# -- suspending and lifting --------------------------------------------------------------------


def test_an_officer_suspends_a_payment(api_client, demo, users, django_capture_on_commit_callbacks):
    decision_needed(demo)
    with django_capture_on_commit_callbacks() as callbacks:
        response = suspend(api_client, users["officer"], demo)
    assert response.status_code == 201
    data = response.json()
    assert (data["key"], data["status"], data["status_label"], data["status_colour"]) == (
        "rp1",
        "suspended",
        "Suspended",
        "red",
    )
    assert data["payment_suspension"] == {
        "suspended_on": "2026-11-20",
        "reason": SUSPENSION["reason"],
        "suspended_at": "2026-11-27T10:00:00+01:00",
        "suspended_by": "po",
    }
    suspension = PaymentSuspension.objects.get()
    assert (suspension.key, suspension.suspended_on, suspension.lifted_on) == (
        "rp1",
        datetime.date(2026, 11, 20),
        None,
    )
    event = Event.objects.get(verb="instalment.suspended")
    assert event.after["key"] == "rp1"
    assert event.note == SUSPENSION["reason"]
    assert callbacks  # the watchers are told


def test_a_suspended_instalment_is_neither_approved_nor_suspended_again(api_client, demo, users):
    decision_needed(demo)
    assert suspend(api_client, users["officer"], demo).status_code == 201
    before = written()

    approve = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, "rp1/approve"),
        {"justification": JUSTIFICATION},
    )
    assert approve.status_code == 409
    assert approve.json() == {
        "detail": "RP1 cannot be approved: its payment is suspended since 2026-11-20 "
        f"({SUSPENSION['reason']}); lift the suspension first."
    }
    again = suspend(api_client, users["payer"], demo)
    assert again.status_code == 409
    assert again.json() == {
        "detail": "The payment of RP1 is already suspended since 2026-11-20; lift that "
        "suspension before suspending it again."
    }
    assert written() == before


def test_the_suspension_is_lifted_and_the_decision_comes_back(api_client, demo, users):
    decision_needed(demo)
    suspend(api_client, users["officer"], demo)
    response = ask(api_client, users["payer"], "post", url(demo, "rp1/lift"), LIFT)
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "decision_needed"
    assert data["payment_suspension"] is None
    suspension = PaymentSuspension.objects.get()
    assert (suspension.lifted_on, suspension.lift_reason, suspension.lifted_by) == (
        datetime.date(2026, 11, 27),
        LIFT["reason"],
        users["payer"],
    )
    assert Event.objects.get(verb="instalment.suspension_lifted").after["lifted_on"] == (
        "2026-11-27"
    )
    # Lifted, it can be suspended again, and approved with a justification.
    approved = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, "rp1/approve"),
        {"justification": JUSTIFICATION},
    )
    assert approved.status_code == 200


def test_lifting_what_is_not_suspended_is_a_conflict(api_client, demo, users):
    before = written()
    response = ask(api_client, users["officer"], "post", url(demo, "rp1/lift"), LIFT)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The payment of RP1 is not suspended: there is nothing to lift."
    }
    assert written() == before


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"suspended_on": "2026-11-20"}, "reason", "Give the reason for suspending the payment."),
        (
            {"reason": "Breach.", "suspended_on": "2026-11-28"},
            "suspended_on",
            "The date cannot be in the future: today is 2026-11-27.",
        ),
        (
            {"reason": "Breach."},
            "suspended_on",
            "Give the date from which the payment is suspended (YYYY-MM-DD).",
        ),
        (
            {"reason": "Breach.", "suspended_on": "20.11.2026"},
            "suspended_on",
            '"20.11.2026" is not a date; give it as YYYY-MM-DD.',
        ),
    ],
)
def test_bad_suspension_input_is_400_naming_the_field(api_client, demo, users, body, path, message):
    before = written()
    response = suspend(api_client, users["officer"], demo, body=body)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The payment was not suspended.",
        "errors": [{"path": path, "message": message}],
    }
    assert written() == before


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"lifted_on": "2026-11-27"}, "reason", "Give the reason for lifting the suspension."),
        (
            {"reason": "Fixed.", "lifted_on": "2026-11-19"},
            "lifted_on",
            "The suspension cannot be lifted before it started, on 2026-11-20.",
        ),
        (
            {"reason": "Fixed.", "lifted_on": "2026-12-01"},
            "lifted_on",
            "The date cannot be in the future: today is 2026-11-27.",
        ),
    ],
)
def test_bad_lift_input_is_400_naming_the_field(api_client, demo, users, body, path, message):
    suspend(api_client, users["officer"], demo)
    before = written()
    response = ask(api_client, users["officer"], "post", url(demo, "rp1/lift"), body)
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The suspension was not lifted.",
        "errors": [{"path": path, "message": message}],
    }
    assert written() == before
    assert PaymentSuspension.objects.get().lifted_on is None


def test_a_suspended_payment_is_not_recorded(api_client, demo, users):
    approve_prefinancing(demo, users)
    suspend(api_client, users["officer"], demo, key="prefinancing")
    before = written()
    response = ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), PAYMENT)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The payment of Pre-financing is suspended since 2026-11-20 "
        f"({SUSPENSION['reason']}); lift the suspension before its payment is recorded."
    }
    assert written() == before
    data = ask(api_client, users["payer"], "get", url(demo, "prefinancing")).json()
    assert data["status"] == "suspended"


def test_an_approved_instalment_suspended_is_not_approved_again(api_client, demo, users):
    approve_prefinancing(demo, users)
    suspend(api_client, users["officer"], demo, key="prefinancing")
    data = ask(api_client, users["officer"], "get", url(demo, "prefinancing")).json()
    assert (data["status"], data["approval"]["approved_by"]) == ("suspended", "po")
    before = written()
    response = ask(api_client, users["officer"], "post", url(demo, "prefinancing/approve"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Pre-financing was already approved on 2026-11-27; it cannot be approved again."
    }
    assert written() == before


def test_a_paid_instalment_is_not_suspended(api_client, demo, users):
    approve_prefinancing(demo, users)
    assert (
        ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), PAYMENT)
    ).status_code == 201
    before = written()
    response = suspend(api_client, users["officer"], demo, key="prefinancing")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Pre-financing was paid on 2026-11-27; its payment can no longer be suspended."
    }
    assert written() == before


@pytest.mark.parametrize("key", ["rp4", "recovery1", "balance"])
@pytest.mark.parametrize("step", ["suspend", "lift"])
def test_an_unknown_instalment_is_not_suspended_or_lifted(api_client, demo, users, key, step):
    before = written()
    response = ask(api_client, users["officer"], "post", url(demo, f"{key}/{step}"), SUSPENSION)
    assert response.status_code == 404
    assert written() == before


def test_a_suspension_retried_with_its_idempotency_key_is_made_once(api_client, demo, users):
    first = suspend(api_client, users["officer"], demo, HTTP_IDEMPOTENCY_KEY="suspend-rp1")
    again = suspend(api_client, users["officer"], demo, HTTP_IDEMPOTENCY_KEY="suspend-rp1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert PaymentSuspension.objects.count() == 1
    assert Event.objects.filter(verb="instalment.suspended").count() == 1


# -- who may do what ---------------------------------------------------------------------------

REFUSED = "Only the project's agency officers and administrators approve instalments."
ROLES = {
    "officer": 201,
    "payer": 201,  # the second officer of the project
    "admin": 201,
    "manager": 403,
    "partner_contact": 403,
    "other_officer": 404,
    "stranger": 404,
    None: 401,
}


@pytest.mark.parametrize(("role", "expected"), ROLES.items())
def test_who_suspends(api_client, demo, users, role, expected):
    user = users[role] if role else None
    before = written()
    response = suspend(api_client, user, demo)
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["status"] == "suspended"
        assert response.json()["payment_suspension"]["suspended_by"] == user.username
        assert PaymentSuspension.objects.get().suspended_by == user
        return
    assert written() == before
    if expected == 403:
        assert response.json() == {"detail": REFUSED}
    if expected == 404:
        assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize(("role", "expected"), ROLES.items())
def test_who_lifts(api_client, demo, users, role, expected):
    suspend(api_client, users["officer"], demo)
    user = users[role] if role else None
    before = written()
    response = ask(api_client, user, "post", url(demo, "rp1/lift"), LIFT)
    expected = 200 if expected == 201 else expected
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["payment_suspension"] is None
        assert PaymentSuspension.objects.get().lifted_by == user
        return
    assert written() == before
    assert PaymentSuspension.objects.get().lifted_on is None
    if expected == 403:
        assert response.json() == {"detail": REFUSED}


@pytest.mark.parametrize(("role", "expected"), ROLES.items())
def test_who_approves_with_a_decision(api_client, demo, users, role, expected):
    decision_needed(demo)
    user = users[role] if role else None
    before = written()
    response = ask(
        api_client, user, "post", url(demo, "rp1/approve"), {"justification": JUSTIFICATION}
    )
    expected = 200 if expected == 201 else expected
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["approval"]["approved_by"] == user.username
        assert Instalment.objects.get().justification == JUSTIFICATION
        return
    assert written() == before
    if expected == 403:
        assert response.json() == {"detail": REFUSED}


# -- the ledger --------------------------------------------------------------------------------


def ledger_url(project) -> str:
    return f"/api/v1/projects/{project.pk}/ledger"


def test_the_ledger_lists_payments_with_the_totals(api_client, demo, users):
    approve_prefinancing(demo, users)
    ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), PAYMENT)

    response = ask(api_client, users["partner_contact"], "get", ledger_url(demo))
    assert response.status_code == 200
    data = response.json()
    assert {key: value for key, value in data.items() if key != "entries"} == {
        "project": demo.pk,
        "today": "2026-11-27",
        "cap": "3598875.00",
        "accepted_total": "0.00",
        "confirmed_reductions": "0.00",
        "net_paid": "1599500.00",
        "balance_outstanding": "-1599500.00",
    }
    assert data["entries"] == [
        {
            "date": "2026-11-27",
            "kind": "payment",
            "instalment": "prefinancing",
            "reduction": None,
            "amount": "1599500.00",
            "reference": "EACEA/2026/0815",
        }
    ]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("officer", 200),
        ("manager", 200),
        ("partner_contact", 200),
        ("other_officer", 404),
        ("stranger", 404),
        (None, 401),
    ],
)
def test_who_reads_the_ledger(api_client, demo, users, role, expected):
    user = users[role] if role else None
    response = ask(api_client, user, "get", ledger_url(demo))
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["net_paid"] == "0.00"
    elif expected == 404:
        assert response.json() == {"detail": "Not found."}
