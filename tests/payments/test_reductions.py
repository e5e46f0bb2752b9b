"""The services of a grant reduction's procedure: the officer's draft (a beneficiary, a work
package, both or the whole grant; a percentage or an amount), its changes, the pre-information
letter, the observations, the confirmation or withdrawal. Each step writes one audit event and
a new row version; a refusal (bad input, a step out of order, a stale version, a user who may
not) writes nothing. Only a confirmed reduction changes the schedule's amounts."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from backend.audit.models import Audience, Event
from backend.common.concurrency import StaleVersion
from backend.common.errors import Conflict, InvalidInput
from backend.payments import reductions as procedure
from backend.payments.models import Reduction
from backend.payments.reductions import (
    reduction_confirm,
    reduction_create,
    reduction_letter_sent,
    reduction_observations,
    reduction_update,
    reduction_withdraw,
    reductions_visible,
)
from backend.payments.rules import schedule
from backend.payments.selectors import grant_facts
from tests.payments.test_services import NOW, TODAY, rp1_ready, travel

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
WP1_EUR = Decimal("520000.00")
ZILEMED_WP1_EUR = Decimal("16956.52")


@pytest.fixture
def changed(monkeypatch):
    """The projects the services told the watchers about, with the reasons."""
    calls = []
    monkeypatch.setattr(
        procedure,
        "projects_changed",
        lambda ids, reason: calls.append((list(ids), reason)),
    )
    return calls


def draft(demo, users, **values) -> Reduction:
    values = {"percent": Decimal("10"), "reason": "WP1's evaluation was not done.", **values}
    with travel():
        return reduction_create(project=demo, user=users["officer"], **values)


def step(service, reduction, users, *, user="officer", today=TODAY, **values) -> Reduction:
    with travel(datetime.datetime.combine(today, NOW.timetz())):
        return service(reduction=reduction, user=users[user], today=today, **values)


def lettered(demo, users, sent_on=TODAY, **values) -> Reduction:
    return step(reduction_letter_sent, draft(demo, users, **values), users, sent_on=sent_on)


def snapshot() -> dict:
    """The reductions and the audit trail, as they stand."""
    return {
        "reductions": list(Reduction.objects.order_by("id").values()),
        "events": Event.objects.count(),
    }


def refused_fields(raised) -> dict[str, str]:
    return {error.path: error.message for error in raised.value.errors}


# -- the draft ---------------------------------------------------------------------------------


def test_an_officer_drafts_a_reduction_of_a_beneficiarys_share_of_a_work_package(
    demo, users, changed
):
    reduction = draft(
        demo,
        users,
        participant="ZILEMED",
        work_package=1,
        percent=None,
        amount=Decimal("1000.5"),
        reason="  ZILEMED did not take part in the evaluation. ",
    )

    row = Reduction.objects.get()
    assert row == reduction
    assert (row.participation.short_name, row.work_package.number) == ("ZILEMED", 1)
    assert (row.kind, row.percent, row.amount_eur) == ("amount", None, Decimal("1000.50"))
    assert row.reason == "ZILEMED did not take part in the evaluation."
    assert (row.status, row.version, row.recorded_by, row.recorded_at) == (
        "draft",
        1,
        users["officer"],
        NOW,
    )
    event = Event.objects.get(verb="reduction.created")
    assert (event.object_type, event.object_id, event.actor) == (
        "reduction",
        str(row.pk),
        users["officer"],
    )
    assert event.after == {
        "status": "draft",
        "participant": "ZILEMED",
        "work_package": 1,
        "kind": "amount",
        "percent": None,
        "amount_eur": "1000.50",
    }
    # A draft is the agency's business: its event is for the agency's officers alone.
    assert (event.project_id, event.audience) == (demo.pk, Audience.AGENCY)
    assert changed == []


def test_a_whole_grant_percentage_is_the_default_target_and_kind(demo, users):
    reduction = draft(demo, users, percent=Decimal("12.5"))
    assert (reduction.participation, reduction.work_package) == (None, None)
    assert (reduction.kind, reduction.percent, reduction.amount_eur) == (
        "percent",
        Decimal("12.50"),
        None,
    )


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        (
            {"participant": "NOBODY", "work_package": 99},
            {
                "participant": '"NOBODY" is not a participant of this project.',
                "work_package": "The project has no work package 99.",
            },
        ),
        (
            {"participant": "GAUJMALA"},
            {
                "participant": "GAUJMALA holds no lump-sum share of this grant: only a "
                "beneficiary's lump sums can be reduced."
            },
        ),
        (
            {"participant": "ZILEMED", "work_package": 2},
            {"work_package": "ZILEMED holds no lump-sum share of WP2."},
        ),
        (
            {"percent": Decimal("0"), "reason": " "},
            {
                "percent": "The percentage must be above zero.",
                "reason": "Give the reason for the reduction.",
            },
        ),
        ({"percent": Decimal("100.01")}, {"percent": "The percentage cannot exceed 100."}),
        (
            {"percent": Decimal("1.234")},
            {"percent": 'Give the percentage to 2 decimal places at most: "1.234" has more.'},
        ),
        ({"percent": Decimal("NaN")}, {"percent": 'Give a number, e.g. "1500.00".'}),
        (
            {"percent": None},
            {"percent": 'Give the reduction as a percentage, e.g. "10.00".'},
        ),
        (
            {"kind": "amount", "percent": None},
            {"amount": 'Give the reduction as an amount, e.g. "5000.00".'},
        ),
        (
            {"kind": "amount", "amount": Decimal("5")},
            {"percent": "A reduction by an amount has no percentage."},
        ),
        (
            {"percent": Decimal("5"), "amount": Decimal("5")},
            {"amount": "A reduction by a percentage has no amount."},
        ),
        (
            {"percent": None, "amount": Decimal("-1")},
            {"amount": "The amount must be above zero."},
        ),
        (
            {"percent": None, "amount": Decimal("1.001")},
            {"amount": 'Give the amount to the cent: "1.001" has more than 2 decimal places.'},
        ),
        (
            {"percent": None, "amount": Decimal("1e12")},
            {"amount": "The number is too large: give at most 10 digits before the decimal point."},
        ),
        (
            {
                "participant": "ZILEMED",
                "work_package": 1,
                "percent": None,
                "amount": Decimal("16956.53"),
            },
            {
                "amount": "The amount can be at most EUR 16956.52, the lump-sum shares of "
                "ZILEMED in WP1."
            },
        ),
        (
            {"reason": "x" * 2001},
            {"reason": "Write at most 2000 characters."},
        ),
    ],
    ids=[
        "unknown target",
        "no shares",
        "no share of the work package",
        "zero and no reason",
        "above 100",
        "too precise percent",
        "not a number",
        "no size",
        "amount missing",
        "percent with amount kind",
        "both",
        "negative amount",
        "too precise amount",
        "too large amount",
        "above the shares",
        "long reason",
    ],
)
def test_a_draft_refused_names_each_wrong_field_and_writes_nothing(demo, users, values, errors):
    before = snapshot()
    with pytest.raises(InvalidInput) as raised:
        draft(demo, users, **values)
    assert refused_fields(raised) == errors
    assert raised.value.detail == "The reduction was not saved."
    assert snapshot() == before


def test_reductions_of_one_target_add_up_to_the_whole_at_most(demo, users):
    draft(demo, users, participant="ZILEMED", percent=Decimal("60"))
    draft(demo, users, participant="ZILEMED", work_package=1, amount=Decimal("16000"), percent=None)
    withdrawn = draft(demo, users, participant="ZILEMED", percent=Decimal("30"))
    step(reduction_withdraw, withdrawn, users, decided_on=TODAY, note="A mistake.")
    # Another target has its own whole.
    draft(demo, users, participant="LVTDA", percent=Decimal("100"))

    with pytest.raises(InvalidInput) as raised:
        draft(demo, users, participant="ZILEMED", percent=Decimal("40.01"))
    assert refused_fields(raised) == {
        "percent": "Reductions would total 100.01 %; they cannot exceed 100 % (60.00 % is "
        "recorded already)."
    }
    with pytest.raises(InvalidInput) as raised:
        draft(
            demo, users, participant="ZILEMED", work_package=1, amount=Decimal("957"), percent=None
        )
    assert refused_fields(raised) == {
        "amount": "The amount can be at most EUR 956.52: the lump-sum shares of ZILEMED in WP1 "
        "are EUR 16956.52, and EUR 16000.00 of them is reduced already."
    }
    assert draft(demo, users, participant="ZILEMED", percent=Decimal("40")).percent == 40


@pytest.mark.parametrize("role", ["manager", "partner_contact", "other_officer", "stranger"])
def test_only_the_projects_officers_draft_reductions(demo, users, role):
    with pytest.raises(PermissionDenied) as raised:
        reduction_create(project=demo, user=users[role], percent=Decimal(5), reason="Breach.")
    assert str(raised.value) == (
        "Only the project's agency officers and administrators record grant reductions."
    )
    assert not Reduction.objects.exists()


def test_an_administrator_drafts_a_reduction(demo, users):
    with travel():
        reduction = reduction_create(
            project=demo, user=users["admin"], percent=Decimal(5), reason="Breach."
        )
    assert reduction.recorded_by == users["admin"]


# -- changing a draft --------------------------------------------------------------------------


def test_a_draft_changes_its_target_kind_and_reason(demo, users):
    reduction = draft(demo, users)
    changed = step(
        reduction_update,
        reduction,
        users,
        changes={"participant": "LVTDA", "work_package": 2, "amount": Decimal("800")},
        expected_version=1,
    )
    row = Reduction.objects.get()
    assert row == changed
    assert (row.participation.short_name, row.work_package.number) == ("LVTDA", 2)
    assert (row.kind, row.percent, row.amount_eur, row.version) == (
        "amount",
        None,
        Decimal("800.00"),
        2,
    )
    assert row.reason == "WP1's evaluation was not done."
    event = Event.objects.get(verb="reduction.updated")
    assert event.before["kind"] == "percent"
    assert event.after["amount_eur"] == "800.00"
    assert (event.project_id, event.audience) == (demo.pk, Audience.AGENCY)

    # Back to the whole grant, as a percentage.
    step(
        reduction_update,
        row,
        users,
        changes={"participant": None, "work_package": None, "percent": Decimal("3")},
    )
    row.refresh_from_db()
    assert (row.participation, row.work_package, row.kind, row.percent, row.amount_eur) == (
        None,
        None,
        "percent",
        Decimal("3.00"),
        None,
    )


def test_a_draft_changed_since_it_was_read_is_refused(demo, users):
    reduction = draft(demo, users)
    step(reduction_update, reduction, users, changes={"reason": "First."}, expected_version=1)
    before = snapshot()
    with pytest.raises(StaleVersion) as raised:
        step(reduction_update, reduction, users, changes={"reason": "Second."}, expected_version=1)
    assert (raised.value.current, raised.value.expected) == (2, 1)
    assert snapshot() == before


def test_a_bad_change_writes_nothing(demo, users):
    reduction = draft(demo, users)
    before = snapshot()
    with pytest.raises(InvalidInput) as raised:
        step(reduction_update, reduction, users, changes={"percent": Decimal(0), "reason": ""})
    assert set(refused_fields(raised)) == {"percent", "reason"}
    assert snapshot() == before


def test_only_a_draft_changes(demo, users):
    reduction = lettered(demo, users)
    before = snapshot()
    with pytest.raises(Conflict) as raised:
        step(reduction_update, reduction, users, changes={"reason": "Other."})
    assert raised.value.message == (
        'Only a draft reduction can be changed; this one is "Pre-information letter sent".'
    )
    assert snapshot() == before


# -- the letter and the observations -----------------------------------------------------------


def test_the_letter_sets_the_day_the_observations_are_due(demo, users):
    reduction = draft(demo, users)
    sent = step(reduction_letter_sent, reduction, users, sent_on=TODAY, expected_version=1)
    row = Reduction.objects.get()
    assert row == sent
    # The rule set's observation days (30 by default) after the letter.
    assert (row.status, row.letter_sent_on, row.observations_due_on, row.version) == (
        "letter_sent",
        TODAY,
        TODAY + 30 * DAY,
        2,
    )
    event = Event.objects.get(verb="reduction.letter_sent")
    # From the letter on, the consortium reads the reduction and its trail.
    assert event.project_id == demo.pk
    assert event.after["observations_due_on"] == (TODAY + 30 * DAY).isoformat()
    assert event.note == "WP1's evaluation was not done."


def test_the_observation_days_are_the_rule_sets(demo, users):
    ruleset = demo.call.ruleset
    ruleset.observation_days = 45
    ruleset.save()
    assert lettered(demo, users).observations_due_on == TODAY + 45 * DAY


@pytest.mark.parametrize(
    ("sent_on", "message"),
    [
        (TODAY + DAY, "The date cannot be in the future: today is 2026-11-27."),
        (
            TODAY - DAY,
            "The date cannot be before the reduction was recorded, on 2026-11-27.",
        ),
    ],
    ids=["future", "before the draft"],
)
def test_the_letters_date_is_checked(demo, users, sent_on, message):
    reduction = draft(demo, users)
    before = snapshot()
    with pytest.raises(InvalidInput) as raised:
        step(reduction_letter_sent, reduction, users, sent_on=sent_on)
    assert refused_fields(raised) == {"sent_on": message}
    assert snapshot() == before


def test_a_letter_is_sent_once(demo, users):
    reduction = lettered(demo, users)
    with pytest.raises(Conflict) as raised:
        step(reduction_letter_sent, reduction, users, sent_on=TODAY)
    assert raised.value.message == (
        "The pre-information letter of this reduction was already sent on 2026-11-27."
    )


def test_observations_are_recorded_after_the_letter(demo, users):
    reduction = lettered(demo, users)
    later = TODAY + 10 * DAY
    received = step(
        reduction_observations,
        reduction,
        users,
        today=later,
        received_on=later - DAY,
        observations=" The evaluation was postponed, not dropped. ",
        expected_version=2,
    )
    row = Reduction.objects.get()
    assert row == received
    assert (row.status, row.observations_received_on, row.observations, row.version) == (
        "observations_received",
        later - DAY,
        "The evaluation was postponed, not dropped.",
        3,
    )
    event = Event.objects.get(verb="reduction.observations_received")
    assert (event.project_id, event.note) == (demo.pk, row.observations)


def test_observations_need_the_letter_a_date_and_a_text(demo, users):
    reduction = draft(demo, users)
    with pytest.raises(Conflict) as raised:
        step(reduction_observations, reduction, users, received_on=TODAY, observations="No.")
    assert raised.value.message.startswith("The pre-information letter has not been sent yet")

    reduction = step(reduction_letter_sent, reduction, users, sent_on=TODAY)
    before = snapshot()
    with pytest.raises(InvalidInput) as raised:
        step(reduction_observations, reduction, users, received_on=TODAY - DAY, observations="")
    assert refused_fields(raised) == {
        "received_on": "The date cannot be before the pre-information letter was sent, on "
        "2026-11-27.",
        "observations": "Give the beneficiaries' observations, or a summary of them.",
    }
    assert raised.value.detail == "The observations were not recorded."
    assert snapshot() == before


# -- the decision ------------------------------------------------------------------------------


def test_a_reduction_is_not_confirmed_while_the_observations_are_due(demo, users):
    reduction = lettered(demo, users)
    due = TODAY + 30 * DAY
    before = snapshot()
    with pytest.raises(Conflict) as raised:
        step(reduction_confirm, reduction, users, today=due, decided_on=due, note="Confirmed.")
    assert raised.value.message == (
        "The beneficiaries' observations are due by 2026-12-27: the reduction can be "
        "confirmed once they are received, or from 2026-12-28."
    )
    assert snapshot() == before


def test_a_draft_is_not_confirmed(demo, users):
    reduction = draft(demo, users)
    with pytest.raises(Conflict) as raised:
        step(reduction_confirm, reduction, users, decided_on=TODAY, note="Confirmed.")
    assert raised.value.message.startswith("The pre-information letter has not been sent yet")


def test_once_the_observation_period_is_over_the_officer_confirms(demo, users, changed):
    reduction = lettered(demo, users)
    later = TODAY + 40 * DAY
    with pytest.raises(InvalidInput) as raised:
        step(reduction_confirm, reduction, users, today=later, decided_on=TODAY, note="Yes.")
    assert refused_fields(raised) == {
        "decided_on": "The date cannot be before the day after the observations were due, on "
        "2026-12-28."
    }
    confirmed = step(
        reduction_confirm,
        reduction,
        users,
        today=later,
        decided_on=later,
        note=" No observations came. ",
        expected_version=2,
    )
    row = Reduction.objects.get()
    assert row == confirmed
    assert (row.status, row.decided_on, row.decision_note, row.version) == (
        "confirmed",
        later,
        "No observations came.",
        3,
    )
    event = Event.objects.get(verb="reduction.confirmed")
    assert (event.project_id, event.before["status"], event.after["status"]) == (
        demo.pk,
        "letter_sent",
        "confirmed",
    )
    assert changed == [([demo.pk], "reduction confirmed")]


def test_with_the_observations_received_the_officer_confirms_at_once(demo, users):
    reduction = lettered(demo, users)
    reduction = step(
        reduction_observations, reduction, users, received_on=TODAY, observations="We disagree."
    )
    confirmed = step(reduction_confirm, reduction, users, decided_on=TODAY, note="Not convinced.")
    assert (confirmed.status, confirmed.decided_on) == ("confirmed", TODAY)


@pytest.mark.parametrize("stage", ["draft", "letter_sent", "observations_received"])
def test_a_reduction_is_withdrawn_at_any_step_before_it_is_confirmed(demo, users, changed, stage):
    reduction = draft(demo, users)
    if stage != "draft":
        reduction = step(reduction_letter_sent, reduction, users, sent_on=TODAY)
    if stage == "observations_received":
        reduction = step(
            reduction_observations, reduction, users, received_on=TODAY, observations="No."
        )
    withdrawn = step(reduction_withdraw, reduction, users, decided_on=TODAY, note="Convinced.")
    assert (withdrawn.status, withdrawn.decided_on, withdrawn.decision_note) == (
        "withdrawn",
        TODAY,
        "Convinced.",
    )
    event = Event.objects.get(verb="reduction.withdrawn")
    # Withdrawn before the letter, the consortium never hears of it.
    assert event.project_id == demo.pk
    assert event.audience == (Audience.AGENCY if stage == "draft" else Audience.PROJECT)
    assert changed == [([demo.pk], "reduction withdrawn")]


@pytest.mark.parametrize("service", [reduction_confirm, reduction_withdraw])
def test_a_decided_reduction_is_decided_once(demo, users, service):
    reduction = lettered(demo, users)
    reduction = step(
        reduction_observations, reduction, users, received_on=TODAY, observations="No."
    )
    reduction = step(reduction_confirm, reduction, users, decided_on=TODAY, note="Yes.")
    before = snapshot()
    with pytest.raises(Conflict) as raised:
        step(service, reduction, users, decided_on=TODAY, note="Again.")
    assert raised.value.message == 'This reduction is already "Confirmed" since 2026-11-27.'
    assert snapshot() == before


def test_a_decision_needs_a_date_and_a_note(demo, users):
    reduction = draft(demo, users)
    with pytest.raises(InvalidInput) as raised:
        step(reduction_withdraw, reduction, users, decided_on=TODAY + DAY, note=" ")
    assert refused_fields(raised) == {
        "decided_on": "The date cannot be in the future: today is 2026-11-27.",
        "note": "Give a note on the decision: why the reduction is confirmed or withdrawn.",
    }
    assert raised.value.detail == "The decision on the reduction was not recorded."


@pytest.mark.parametrize("role", ["manager", "partner_contact", "other_officer"])
@pytest.mark.parametrize(
    ("service", "values"),
    [
        (reduction_update, {"changes": {"reason": "Other."}}),
        (reduction_letter_sent, {"sent_on": TODAY}),
        (reduction_observations, {"received_on": TODAY, "observations": "No."}),
        (reduction_confirm, {"decided_on": TODAY, "note": "Yes."}),
        (reduction_withdraw, {"decided_on": TODAY, "note": "No."}),
    ],
    ids=["update", "letter", "observations", "confirm", "withdraw"],
)
def test_only_the_projects_officers_take_the_steps(demo, users, role, service, values):
    reduction = draft(demo, users)
    before = snapshot()
    with pytest.raises(PermissionDenied) as raised:
        step(service, reduction, users, user=role, **values)
    assert "agency officers and administrators" in str(raised.value)
    assert snapshot() == before


# -- who reads them ----------------------------------------------------------------------------


def test_the_consortium_reads_a_reduction_once_its_letter_is_sent(demo, users):
    hidden = draft(demo, users, reason="Draft.")
    withdrawn_draft = draft(demo, users, reason="Dropped.")
    step(reduction_withdraw, withdrawn_draft, users, decided_on=TODAY, note="No.")
    sent = lettered(demo, users, reason="Sent.")

    def seen(role):
        return list(reductions_visible(user=users[role], project=demo))

    assert seen("officer") == [hidden, withdrawn_draft, sent]
    assert seen("admin") == [hidden, withdrawn_draft, sent]
    assert seen("manager") == [sent]
    assert seen("partner_contact") == [sent]


# -- what a reduction changes ------------------------------------------------------------------


def _rp1(demo, today):
    facts = grant_facts([demo.pk], today=today)[demo.pk]
    return next(item for item in schedule(facts, today) if item.key == "rp1")


def test_only_a_confirmed_reduction_changes_the_schedules_amounts(demo, users):
    """RP1 pays WP1 (EUR 520,000.00). A 10 % reduction of WP1 changes nothing as a draft, with
    its letter sent or its observations received, nor once withdrawn; confirmed, RP1 pays
    EUR 468,000.00."""
    rp1_ready(demo)
    assert _rp1(demo, TODAY).amount == WP1_EUR

    kept = draft(demo, users, work_package=1, percent=Decimal(10))
    dropped = draft(demo, users, participant="ZILEMED", percent=Decimal(50))
    assert _rp1(demo, TODAY).amount == WP1_EUR
    kept = step(reduction_letter_sent, kept, users, sent_on=TODAY)
    dropped = step(reduction_letter_sent, dropped, users, sent_on=TODAY)
    assert _rp1(demo, TODAY).amount == WP1_EUR
    kept = step(reduction_observations, kept, users, received_on=TODAY, observations="No.")
    assert _rp1(demo, TODAY).amount == WP1_EUR
    step(reduction_withdraw, dropped, users, decided_on=TODAY, note="Convinced.")
    assert _rp1(demo, TODAY).amount == WP1_EUR

    step(reduction_confirm, kept, users, decided_on=TODAY, note="Confirmed.")
    assert _rp1(demo, TODAY).amount == Decimal("468000.00")


def test_a_confirmed_reduction_of_one_beneficiary_follows_into_the_split(demo, users):
    """EUR 1,000.00 off ZILEMED's share of WP1: RP1 pays EUR 519,000.00, ZILEMED's part of it
    EUR 15,956.52; the split adds up."""
    from backend.payments.rules import beneficiary_split

    rp1_ready(demo)
    reduction = lettered(
        demo, users, participant="ZILEMED", work_package=1, percent=None, amount=Decimal(1000)
    )
    reduction = step(
        reduction_observations, reduction, users, received_on=TODAY, observations="No."
    )
    step(reduction_confirm, reduction, users, decided_on=TODAY, note="Confirmed.")

    facts = grant_facts([demo.pk], today=TODAY)[demo.pk]
    instalments = schedule(facts, TODAY)
    rp1 = next(item for item in instalments if item.key == "rp1")
    assert rp1.amount == WP1_EUR - 1000
    split = beneficiary_split(facts, instalments, "rp1")
    assert split["ZILEMED"] == ZILEMED_WP1_EUR - 1000
    assert sum(split.values()) == rp1.amount
