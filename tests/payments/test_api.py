"""The payments API: the schedule, an instalment with its split, approval, payment recording and
reductions; who may call what; refusals that name the problem and write nothing."""

import datetime
from decimal import Decimal

import pytest

from backend.audit.models import Event
from backend.payments.models import Instalment, Payment
from tests.payments.test_services import (
    NOW,
    approve_prefinancing,
    counts,
    rp1_ready,
    travel,
)

pytestmark = pytest.mark.django_db

PAYMENT = {"amount": "1599500.00", "paid_on": "2026-11-27", "reference": "EACEA/2026/0815"}


def url(project, suffix: str = "") -> str:
    return f"/api/v1/projects/{project.pk}/instalments/{suffix}"


def ask(api_client, user, method: str, path: str, data=None):
    api_client.force_authenticate(user)
    with travel():
        return getattr(api_client, method)(path, data, format="json")


# -- the schedule ------------------------------------------------------------------------------


def test_the_schedule_of_the_demo(api_client, demo, users):
    response = ask(api_client, users["partner_contact"], "get", url(demo))
    assert response.status_code == 200
    data = response.json()
    assert {key: value for key, value in data.items() if key != "instalments"} == {
        "project": demo.pk,
        "today": "2026-11-27",
        "max_grant": "3998750.00",
        "cap_percent": "90.00",
        "cap": "3598875.00",
        "accepted_total": "0.00",
        "confirmed_reductions": "0.00",
        "net_paid": "0.00",
        "balance_outstanding": "0.00",
    }
    assert [(i["key"], i["kind"], i["period"], i["status"]) for i in data["instalments"]] == [
        ("prefinancing", "prefinancing", None, "ready"),
        ("rp1", "interim", 1, "blocked"),  # no report yet
        ("rp2", "interim", 2, "scheduled"),
        ("rp3", "balance", 3, "scheduled"),
    ]
    assert data["instalments"][0] == {
        "key": "prefinancing",
        "kind": "prefinancing",
        "period": None,
        # 30 days after the signature (2024-02-14) is later than 10 days before the start
        "due_on": "2024-03-15",
        "amount": "1599500.00",
        "projected_amount": "1599500.00",
        "uncapped_amount": "1599500.00",
        "capped": False,
        "is_recovery": False,
        "work_packages": [],
        "status": "ready",
        "status_label": "Ready for approval",
        "status_colour": "amber",
        "conditions": [
            {
                "code": "grant_signed",
                "met": True,
                "message": "The grant agreement entered into force on 2024-02-14.",
            },
            {
                "code": "amount_above_zero",
                "met": True,
                "message": "The amount is EUR 1599500.00.",
            },
        ],
        "reasons": [],
        "report_received_on": None,
        "payment_days": 30,
        "suspended_days": 0,
        # From the signature (2024-02-14) to today (2026-11-27).
        "net_days": 1017,
        "payment_due_on": "2024-03-15",
        "payment_late": True,
        "days_late": 987,
        # EUR 1,599,500.00 x (2.15 + 3.50) % a year x 987 / 365 days.
        "interest": "244375.12",
        "suspensions": [],
        "payment_suspension": None,
        "approval": None,
        "payment": None,
    }
    rp2 = data["instalments"][2]
    assert rp2["due_on"] == "2027-04-29"  # 60 days after RP2 ends on 2027-02-28
    assert rp2["conditions"][0] == {
        "code": "report_approved",
        "met": False,
        "message": "The report of RP2 has not been submitted yet.",
    }
    # Nothing completed: the balance would take the pre-financing back.
    rp3 = data["instalments"][3]
    assert (rp3["amount"], rp3["is_recovery"]) == ("-1599500.00", True)


def test_the_schedule_shows_approvals_payments_and_the_net_paid(api_client, demo, users):
    rp1_ready(demo)
    approve_prefinancing(demo, users)
    paid = ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), PAYMENT)
    assert paid.status_code == 201
    assert ask(api_client, users["officer"], "post", url(demo, "rp1/approve")).status_code == 200

    data = ask(api_client, users["manager"], "get", url(demo)).json()
    assert data["net_paid"] == "1599500.00"
    prefinancing, rp1 = data["instalments"][:2]
    assert prefinancing["status"] == "paid"
    assert prefinancing["payment_late"] is False
    assert prefinancing["approval"] == {
        "amount": "1599500.00",
        "approved_at": "2026-11-27T10:00:00+01:00",
        "approved_by": "po",
        "justification": "",
    }
    assert prefinancing["payment"] == {
        "direction": "payment",
        "amount": "1599500.00",
        "paid_on": "2026-11-27",
        "reference": "EACEA/2026/0815",
        "recorded_at": "2026-11-27T10:00:00+01:00",
        "recorded_by": "po2",
    }
    assert (rp1["status"], rp1["amount"], rp1["work_packages"]) == ("approved", "520000.00", [1])
    assert rp1["report_received_on"] == "2025-10-01"
    assert rp1["payment_due_on"] == "2025-12-30"  # 90 days after the report was received
    assert rp1["payment_late"] is True
    assert rp1["payment"] is None


def test_the_schedule_is_read_in_a_fixed_number_of_queries(
    api_client, demo, other_project, users, django_assert_max_num_queries
):
    """The demo (3 periods, 8 work packages, an approval and a payment) and SECOVE (2 periods,
    1 work package, nothing approved) take the same number of queries."""
    rp1_ready(demo)
    approve_prefinancing(demo, users)
    ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), PAYMENT)
    ask(api_client, users["officer"], "post", url(demo, "rp1/approve"))
    api_client.force_authenticate(users["admin"])
    with travel():
        # 28: the consortia read their dated history and third parties too, and their
        # organisations by id; the payment facts the reports and suspensions apart.
        with django_assert_max_num_queries(28) as demo_queries:
            assert api_client.get(url(demo)).status_code == 200
        with django_assert_max_num_queries(28) as other_queries:
            assert api_client.get(url(other_project)).status_code == 200
    assert len(demo_queries.captured_queries) == len(other_queries.captured_queries)


def test_an_instalment_with_its_split_among_the_beneficiaries(api_client, demo, users):
    response = ask(api_client, users["other_partner"], "get", url(demo, "prefinancing"))
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "ready"
    beneficiaries = data["beneficiaries"]
    # Pre-financing splits by each beneficiary's share of the whole grant; the coordinator first.
    assert beneficiaries[0] == {"participant": "GAUJA", "amount": "271837.43"}
    assert {b["participant"]: b["amount"] for b in beneficiaries}["ZILEMED"] == "44672.13"
    assert len(beneficiaries) == 16
    assert sum(Decimal(b["amount"]) for b in beneficiaries) == Decimal("1599500.00")

    alone = ask(api_client, users["other_partner"], "get", url(demo, "prefinancing/beneficiaries"))
    assert alone.status_code == 200
    assert alone.json() == beneficiaries


def test_an_interim_payment_splits_by_the_shares_of_the_work_packages_it_pays(
    api_client, demo, users
):
    rp1_ready(demo)
    data = ask(api_client, users["officer"], "get", url(demo, "rp1")).json()
    assert (data["status"], data["amount"], data["work_packages"]) == ("ready", "520000.00", [1])
    wp1_shares = {
        name: str(amount)
        for name, amount in demo.work_packages.get(number=1).shares.values_list(
            "participation__short_name", "amount_eur"
        )
        if amount
    }
    split = {b["participant"]: b["amount"] for b in data["beneficiaries"] if b["amount"] != "0.00"}
    assert split == wp1_shares  # WP1 is paid in full: each is paid its share
    assert sum(Decimal(b["amount"]) for b in data["beneficiaries"]) == Decimal("520000.00")


@pytest.mark.parametrize("key", ["rp4", "rp0", "balance", "RP1", "prefinancing2"])
@pytest.mark.parametrize("suffix", ["", "/beneficiaries"])
def test_an_unknown_instalment_is_not_found(api_client, demo, users, key, suffix):
    assert ask(api_client, users["admin"], "get", url(demo, key + suffix)).status_code == 404


@pytest.mark.parametrize("key", ["rp4", "balance"])
@pytest.mark.parametrize("step", ["approve", "payment"])
def test_an_unknown_instalment_cannot_be_approved_or_paid(api_client, demo, users, key, step):
    before = counts()
    response = ask(api_client, users["officer"], "post", url(demo, f"{key}/{step}"), PAYMENT)
    assert response.status_code == 404
    assert counts() == before


# -- who may call what -------------------------------------------------------------------------

READERS = {
    "admin": 200,
    "officer": 200,
    "manager": 200,
    "partner_contact": 200,
    "other_partner": 200,
    "other_officer": 404,
    "other_manager": 404,
    "stranger": 404,
    None: 401,
}
OFFICERS = {
    "admin": 200,
    "officer": 200,
    "manager": 403,
    "partner_contact": 403,
    "other_partner": 403,
    "other_officer": 404,
    "other_manager": 404,
    "stranger": 404,
    None: 401,
}


@pytest.mark.parametrize(("role", "expected"), READERS.items())
@pytest.mark.parametrize(
    "suffix", ["", "prefinancing", "prefinancing/beneficiaries"], ids=["list", "detail", "split"]
)
def test_who_reads_the_schedule(api_client, demo, users, role, expected, suffix):
    user = users[role] if role else None
    assert ask(api_client, user, "get", url(demo, suffix)).status_code == expected


@pytest.mark.parametrize(("role", "expected"), OFFICERS.items())
def test_who_approves(api_client, demo, users, role, expected):
    user = users[role] if role else None
    before = counts()
    response = ask(api_client, user, "post", url(demo, "prefinancing/approve"))
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["status"] == "approved"
        assert response.json()["approval"]["approved_by"] == user.username
        assert Instalment.objects.get().approved_by == user
        return
    assert counts() == before
    if expected == 403:
        assert response.json() == {
            "detail": "Only the project's agency officers and administrators approve instalments."
        }


@pytest.mark.parametrize(("role", "expected"), OFFICERS.items())
def test_who_records_a_payment(api_client, demo, users, role, expected):
    """Approved by the second officer, so that the demo's officer may record the payment."""
    approve_prefinancing(demo, users, approver="payer")
    user = users[role] if role else None
    before = counts()
    response = ask(api_client, user, "post", url(demo, "prefinancing/payment"), PAYMENT)
    expected = 201 if expected == 200 else expected
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["status"] == "paid"
        assert Payment.objects.get().recorded_by == user
        return
    assert counts() == before
    if expected == 403:
        assert response.json() == {
            "detail": "Only the project's agency officers and administrators record payments "
            "and recoveries."
        }


# -- approving ---------------------------------------------------------------------------------


def test_approving_answers_with_the_approved_instalment(api_client, demo, users):
    response = ask(api_client, users["officer"], "post", url(demo, "prefinancing/approve"))
    assert response.status_code == 200
    data = response.json()
    assert (data["key"], data["status"], data["amount"]) == (
        "prefinancing",
        "approved",
        "1599500.00",
    )
    assert data["approval"] == {
        "amount": "1599500.00",
        "approved_at": "2026-11-27T10:00:00+01:00",
        "approved_by": "po",
        "justification": "",
    }
    assert data["payment"] is None
    assert sum(Decimal(b["amount"]) for b in data["beneficiaries"]) == Decimal("1599500.00")
    assert Event.objects.filter(verb="instalment.approved").count() == 1


def test_approving_a_blocked_instalment_is_a_conflict_naming_the_reasons(api_client, demo, users):
    rp1_ready(demo, report_status="submitted")
    before = counts()
    response = ask(api_client, users["officer"], "post", url(demo, "rp1/approve"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": 'RP1 cannot be approved: it is "Blocked" (The report of RP1 awaits the '
        "officer's review. There is nothing to pay: the amount is EUR 0.00.)"
    }
    assert counts() == before


def test_approving_a_scheduled_instalment_is_a_conflict(api_client, demo, users):
    before = counts()
    response = ask(api_client, users["admin"], "post", url(demo, "rp3/approve"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": 'RP3 cannot be approved: it is "Scheduled" (RP3 ends on 2028-02-29.)'
    }
    assert counts() == before


def test_approving_twice_is_a_conflict(api_client, demo, users):
    first = ask(api_client, users["officer"], "post", url(demo, "prefinancing/approve"))
    assert first.status_code == 200
    before = counts()
    response = ask(api_client, users["officer"], "post", url(demo, "prefinancing/approve"))
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Pre-financing was already approved on 2026-11-27; it cannot be approved again."
    }
    assert counts() == before


# -- recording a payment -----------------------------------------------------------------------


def test_recording_a_payment_answers_201_with_the_paid_instalment(api_client, demo, users):
    approve_prefinancing(demo, users)
    response = ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), PAYMENT)
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "paid"
    assert data["payment"] == {
        "direction": "payment",
        "amount": "1599500.00",
        "paid_on": "2026-11-27",
        "reference": "EACEA/2026/0815",
        "recorded_at": NOW.isoformat(),
        "recorded_by": "po2",
    }
    assert Event.objects.filter(verb="payment.recorded").count() == 1


def test_a_payment_before_the_approval_is_a_conflict(api_client, demo, users):
    before = counts()
    response = ask(api_client, users["officer"], "post", url(demo, "prefinancing/payment"), PAYMENT)
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Pre-financing is not approved yet: an officer approves it before its payment "
        "is recorded."
    }
    assert counts() == before


def test_a_payment_before_the_approval_is_a_conflict_whatever_the_body(api_client, demo, users):
    """The instalment's state is checked before the input is read."""
    response = ask(
        api_client, users["officer"], "post", url(demo, "prefinancing/payment"), {"amount": "x"}
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Pre-financing is not approved yet")


def test_paying_twice_is_a_conflict(api_client, demo, users):
    approve_prefinancing(demo, users)
    ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), PAYMENT)
    before = counts()
    response = ask(
        api_client,
        users["admin"],
        "post",
        url(demo, "prefinancing/payment"),
        {**PAYMENT, "reference": "OTHER"},
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Pre-financing was already paid on 2026-11-27 with reference EACEA/2026/0815; "
        "it cannot be paid twice."
    }
    assert counts() == before


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            {"amount": "-1599500.00"},
            "amount",
            "The amount cannot be negative: give the amount paid (or, for a recovery, "
            "recovered) as a positive number.",
        ),
        ({"amount": 0}, "amount", "The amount must be above zero."),
        (
            {"amount": "12.345"},
            "amount",
            'Give the amount to the cent: "12.345" has more than 2 decimal places.',
        ),
        ({"amount": "abc"}, "amount", '"abc" is not a number; give it as e.g. "1599500.00".'),
        ({"amount": "NaN"}, "amount", '"NaN" is not a number; give it as e.g. "1599500.00".'),
        ({"amount": None}, "amount", 'Give the amount in euros, e.g. "1599500.00".'),
        ({"amount": "  "}, "amount", 'Give the amount in euros, e.g. "1599500.00".'),
        ({"amount": True}, "amount", 'Give a number, e.g. "1599500.00".'),
        ({"amount": ["1599500.00"]}, "amount", 'Give a number, e.g. "1599500.00".'),
        (
            {"amount": "1600000.00"},
            "amount",
            "The amount must be EUR 1599500.00, the amount approved for Pre-financing "
            "(EUR 1600000.00 was given).",
        ),
        (
            {"paid_on": "2026-11-28"},
            "paid_on",
            "The date cannot be in the future: today is 2026-11-27.",
        ),
        (
            {"paid_on": "2026-31-01"},
            "paid_on",
            '"2026-31-01" is not a date; give it as YYYY-MM-DD.',
        ),
        (
            {"paid_on": "2026-02-30"},
            "paid_on",
            '"2026-02-30" is not a date; give it as YYYY-MM-DD.',
        ),
        (
            {"paid_on": "27.11.2026"},
            "paid_on",
            '"27.11.2026" is not a date; give it as YYYY-MM-DD.',
        ),
        ({"paid_on": 20261127}, "paid_on", '"20261127" is not a date; give it as YYYY-MM-DD.'),
        ({"paid_on": None}, "paid_on", "Give the date of the payment (YYYY-MM-DD)."),
        ({"paid_on": ""}, "paid_on", "Give the date of the payment (YYYY-MM-DD)."),
        (
            {"paid_on": "2026-11-26"},
            "paid_on",
            "The date cannot be before Pre-financing was approved, on 2026-11-27.",
        ),
        (
            {"reference": ""},
            "reference",
            "Give the payment's reference, e.g. the agency's payment order.",
        ),
        (
            {"reference": None},
            "reference",
            "Give the payment's reference, e.g. the agency's payment order.",
        ),
        ({"reference": "R" * 101}, "reference", "Write at most 100 characters."),
        ({"reference": 815}, "reference", "Not a valid string."),
    ],
)
def test_bad_payment_input_is_400_naming_the_field(api_client, demo, users, change, path, message):
    approve_prefinancing(demo, users)
    before = counts()
    response = ask(
        api_client,
        users["payer"],
        "post",
        url(demo, "prefinancing/payment"),
        {**PAYMENT, **change},
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The payment was not recorded.",
        "errors": [{"path": path, "message": message}],
    }
    assert counts() == before


def test_the_amount_may_be_a_json_number_and_trailing_zeros_are_cents(api_client, demo, users):
    approve_prefinancing(demo, users)
    response = ask(
        api_client,
        users["payer"],
        "post",
        url(demo, "prefinancing/payment"),
        {**PAYMENT, "amount": 1599500},
    )
    assert response.status_code == 201
    assert Payment.objects.get().amount_eur == Decimal("1599500.00")


def test_every_wrong_field_of_a_payment_is_named_at_once(api_client, demo, users):
    """Values the API cannot read and values the service's rules refuse, in one answer."""
    approve_prefinancing(demo, users)
    response = ask(
        api_client,
        users["payer"],
        "post",
        url(demo, "prefinancing/payment"),
        {"amount": "-1", "paid_on": "tomorrow", "reference": ""},
    )
    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [
        "amount",
        "paid_on",
        "reference",
    ]
    assert not Payment.objects.exists()


def test_a_payment_without_a_body_names_every_field(api_client, demo, users):
    approve_prefinancing(demo, users)
    response = ask(api_client, users["payer"], "post", url(demo, "prefinancing/payment"), {})
    assert response.status_code == 400
    assert [error["path"] for error in response.json()["errors"]] == [
        "amount",
        "paid_on",
        "reference",
    ]
    assert not Payment.objects.exists()


def test_the_payment_dates_in_the_schedule_are_iso(api_client, demo, users):
    """A guard on the JSON: dates are ISO strings, amounts strings with 2 decimals."""
    data = ask(api_client, users["officer"], "get", url(demo, "rp1")).json()
    assert data["due_on"] == (datetime.date(2025, 8, 31) + datetime.timedelta(days=60)).isoformat()
    assert data["amount"] == "0.00"
