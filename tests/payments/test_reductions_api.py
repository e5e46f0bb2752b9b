"""The reductions API: the officer's draft, its changes and each step of the procedure over
HTTP (with the row version as ETag and If-Match); refusals that name each wrong field, say why a
step is out of order, and write nothing; who reads and who writes, bodies checked; a draft kept
from the consortium in the list, the detail and the activity feed."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from backend.audit.models import Event
from backend.payments.models import Reduction
from tests.payments.test_services import NOW, TODAY, rp1_ready

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
DRAFT = {
    "participant": "ZILEMED",
    "work_package": 1,
    "kind": "amount",
    "amount": "5000",
    "reason": "ZILEMED did not run the evaluation workshops of WP1.",
}


def url(project, reduction=None, suffix: str = "") -> str:
    base = f"/api/v1/projects/{project.pk}/reductions/"
    if reduction is None:
        return base
    rid = reduction if isinstance(reduction, int) else reduction["id"]
    return f"{base}{rid}" + (f"/{suffix}" if suffix else "")


def ask(api_client, user, method, path, data=None, *, day=TODAY, **headers):
    api_client.force_authenticate(user)
    with time_machine.travel(datetime.datetime.combine(day, NOW.timetz()), tick=False):
        return getattr(api_client, method)(path, data, format="json", **headers)


def snapshot() -> dict:
    return {
        "reductions": list(Reduction.objects.order_by("id").values()),
        "events": Event.objects.count(),
    }


def create(api_client, demo, users, body=None) -> dict:
    response = ask(api_client, users["officer"], "post", url(demo), body or DRAFT)
    assert response.status_code == 201, response.content
    return response.json()


def letter(api_client, demo, users, reduction, day=TODAY) -> dict:
    response = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, reduction, "letter"),
        {"sent_on": day.isoformat()},
        day=day,
    )
    assert response.status_code == 200, response.content
    return response.json()


# -- the procedure -----------------------------------------------------------------------------


def test_an_officer_drafts_a_reduction(api_client, demo, users):
    response = ask(api_client, users["officer"], "post", url(demo), DRAFT)
    assert response.status_code == 201
    row = Reduction.objects.get()
    assert response.json() == {
        "id": row.pk,
        "status": "draft",
        "status_label": "Draft",
        "target": {"participant": "ZILEMED", "work_package": 1},
        "kind": "amount",
        "percent": None,
        "amount": "5000.00",
        "reason": "ZILEMED did not run the evaluation workshops of WP1.",
        "letter_sent_on": None,
        "observations_due_on": None,
        "observations_received_on": None,
        "observations": "",
        "decided_on": None,
        "decision_note": "",
        "recorded_at": "2026-11-27T10:00:00+01:00",
        "recorded_by": "po",
        "version": 1,
    }
    assert response["ETag"] == '"1"'


def test_a_percentage_of_the_whole_grant_needs_no_kind_nor_target(api_client, demo, users):
    data = create(api_client, demo, users, {"percent": "2.5", "reason": "Late reports."})
    assert (data["kind"], data["percent"], data["amount"], data["target"]) == (
        "percent",
        "2.50",
        None,
        {"participant": None, "work_package": None},
    )


def test_the_whole_procedure_over_http(api_client, demo, users):
    """Draft, changed, letter, observations, confirmed: each answer carries the new version; the
    confirmed reduction changes RP1's amount (WP1, EUR 520,000.00, less 10 %)."""
    rp1_ready(demo)
    officer = users["officer"]
    draft = create(api_client, demo, users)

    changed = ask(
        api_client,
        officer,
        "patch",
        url(demo, draft),
        {"participant": None, "percent": "10", "reason": "WP1's evaluation was not done."},
        HTTP_IF_MATCH='"1"',
    )
    assert changed.status_code == 200, changed.content
    assert changed["ETag"] == '"2"'
    assert {k: changed.json()[k] for k in ("target", "kind", "percent", "amount", "version")} == {
        "target": {"participant": None, "work_package": 1},
        "kind": "percent",
        "percent": "10.00",
        "amount": None,
        "version": 2,
    }

    sent = ask(
        api_client,
        officer,
        "post",
        url(demo, draft, "letter"),
        {"sent_on": TODAY.isoformat()},
        HTTP_IF_MATCH='"2"',
    )
    assert sent.status_code == 200, sent.content
    assert {k: sent.json()[k] for k in ("status", "status_label", "letter_sent_on")} == {
        "status": "letter_sent",
        "status_label": "Pre-information letter sent",
        "letter_sent_on": "2026-11-27",
    }
    assert sent.json()["observations_due_on"] == "2026-12-27"

    later = TODAY + 12 * DAY
    received = ask(
        api_client,
        officer,
        "post",
        url(demo, draft, "observations"),
        {"received_on": (later - DAY).isoformat(), "observations": "It was postponed."},
        day=later,
    )
    assert received.status_code == 200, received.content
    assert (received.json()["status"], received.json()["observations"]) == (
        "observations_received",
        "It was postponed.",
    )

    schedule = f"/api/v1/projects/{demo.pk}/instalments/rp1"
    assert ask(api_client, officer, "get", schedule, day=later).json()["amount"] == "520000.00"
    confirmed = ask(
        api_client,
        officer,
        "post",
        url(demo, draft, "confirm"),
        {"decided_on": later.isoformat(), "note": "Postponed is not done."},
        day=later,
        HTTP_IF_MATCH='"4"',
    )
    assert confirmed.status_code == 200, confirmed.content
    assert {k: confirmed.json()[k] for k in ("status", "decided_on", "decision_note")} == {
        "status": "confirmed",
        "decided_on": "2026-12-09",
        "decision_note": "Postponed is not done.",
    }
    assert confirmed["ETag"] == '"5"'
    assert ask(api_client, officer, "get", schedule, day=later).json()["amount"] == "468000.00"
    verbs = list(
        Event.objects.filter(verb__startswith="reduction.").order_by("id").values_list("verb")
    )
    assert [verb for (verb,) in verbs] == [
        "reduction.created",
        "reduction.updated",
        "reduction.letter_sent",
        "reduction.observations_received",
        "reduction.confirmed",
    ]


def test_a_reduction_is_withdrawn(api_client, demo, users):
    draft = letter(api_client, demo, users, create(api_client, demo, users))
    response = ask(
        api_client,
        users["admin"],
        "post",
        url(demo, draft, "withdraw"),
        {"decided_on": TODAY.isoformat(), "note": "The workshops took place after all."},
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["status_label"]) == (
        "withdrawn",
        "Withdrawn",
    )


# -- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (
            {"percent": "abc", "reason": ""},
            {
                "percent": '"abc" is not a number; give it as e.g. "10.00".',
                "reason": "Give the reason for the reduction.",
            },
        ),
        (
            {"participant": "NOBODY", "work_package": 9, "percent": "5", "reason": "R"},
            {
                "participant": '"NOBODY" is not a participant of this project.',
                "work_package": "The project has no work package 9.",
            },
        ),
        (
            {"work_package": "two", "percent": "5", "reason": "R"},
            {"work_package": "A valid integer is required."},
        ),
        (
            {"kind": "share", "percent": "5", "reason": "R"},
            {"kind": '"share" is not allowed; use one of: percent, amount.'},
        ),
        (
            {"reason": "R"},
            {"percent": 'Give the reduction as a percentage, e.g. "10.00".'},
        ),
        (
            {**DRAFT, "amount": "16956.53"},
            {
                "amount": "The amount can be at most EUR 16956.52, the lump-sum shares of "
                "ZILEMED in WP1."
            },
        ),
    ],
    ids=["not a number, no reason", "unknown target", "work package", "kind", "no size", "shares"],
)
def test_a_bad_draft_is_400_naming_each_field(api_client, demo, users, body, errors):
    before = snapshot()
    response = ask(api_client, users["officer"], "post", url(demo), body)
    assert response.status_code == 400
    data = response.json()
    assert data["detail"] == "The reduction was not saved."
    assert {error["path"]: error["message"] for error in data["errors"]} == errors
    assert snapshot() == before


@pytest.mark.parametrize(
    ("suffix", "body", "errors", "detail"),
    [
        (
            "letter",
            {},
            {"sent_on": "Give the date the pre-information letter was sent (YYYY-MM-DD)."},
            "The pre-information letter was not recorded.",
        ),
        (
            "letter",
            {"sent_on": "2026-11-28"},
            {"sent_on": "The date cannot be in the future: today is 2026-11-27."},
            "The pre-information letter was not recorded.",
        ),
        (
            "withdraw",
            {"decided_on": "27.11.2026"},
            {
                "decided_on": '"27.11.2026" is not a date; give it as YYYY-MM-DD.',
                "note": "Give a note on the decision: why the reduction is confirmed or withdrawn.",
            },
            "The decision on the reduction was not recorded.",
        ),
    ],
    ids=["no date", "future", "bad date and no note"],
)
def test_a_bad_step_is_400_naming_each_field(api_client, demo, users, suffix, body, errors, detail):
    draft = create(api_client, demo, users)
    before = snapshot()
    response = ask(api_client, users["officer"], "post", url(demo, draft, suffix), body)
    assert response.status_code == 400
    assert response.json()["detail"] == detail
    assert {e["path"]: e["message"] for e in response.json()["errors"]} == errors
    assert snapshot() == before


def test_confirming_while_the_observations_are_due_is_409_naming_the_due_date(
    api_client, demo, users
):
    draft = letter(api_client, demo, users, create(api_client, demo, users))
    before = snapshot()
    # The state is told before the input is read: an empty body is not the problem.
    response = ask(api_client, users["officer"], "post", url(demo, draft, "confirm"), {})
    assert response.status_code == 409
    assert response.json() == {
        "detail": "The beneficiaries' observations are due by 2026-12-27: the reduction can be "
        "confirmed once they are received, or from 2026-12-28."
    }
    assert snapshot() == before

    after = TODAY + 31 * DAY
    response = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, draft, "confirm"),
        {"decided_on": after.isoformat(), "note": "No observations."},
        day=after,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"


@pytest.mark.parametrize(
    ("suffix", "method", "detail"),
    [
        (
            "",
            "patch",
            'Only a draft reduction can be changed; this one is "Pre-information letter sent".',
        ),
        (
            "letter",
            "post",
            "The pre-information letter of this reduction was already sent on 2026-11-27.",
        ),
    ],
    ids=["change", "second letter"],
)
def test_a_step_out_of_order_is_409(api_client, demo, users, suffix, method, detail):
    draft = letter(api_client, demo, users, create(api_client, demo, users))
    before = snapshot()
    response = ask(
        api_client, users["officer"], method, url(demo, draft, suffix), {"reason": "Other."}
    )
    assert response.status_code == 409
    assert response.json() == {"detail": detail}
    assert snapshot() == before


def test_a_stale_if_match_is_412_and_writes_nothing(api_client, demo, users):
    draft = create(api_client, demo, users)
    ask(api_client, users["officer"], "patch", url(demo, draft), {"reason": "First."})
    before = snapshot()
    response = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, draft, "letter"),
        {"sent_on": TODAY.isoformat()},
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    assert response.json()["current_version"] == 2
    assert response.json()["errors"][0]["path"] == "If-Match"
    assert snapshot() == before


def test_a_step_sent_twice_with_one_idempotency_key_is_taken_once(api_client, demo, users):
    draft = create(api_client, demo, users)
    body = {"sent_on": TODAY.isoformat()}
    first = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, draft, "letter"),
        body,
        HTTP_IDEMPOTENCY_KEY="letter-1",
    )
    second = ask(
        api_client,
        users["officer"],
        "post",
        url(demo, draft, "letter"),
        body,
        HTTP_IDEMPOTENCY_KEY="letter-1",
    )
    assert (first.status_code, second.status_code) == (200, 200)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Event.objects.filter(verb="reduction.letter_sent").count() == 1


# -- who reads and who writes ------------------------------------------------------------------

NOT_FOUND = {"detail": "Not found."}
REFUSED = {
    "detail": "Only the project's agency officers and administrators record grant reductions."
}


@pytest.mark.parametrize(
    ("role", "status", "body"),
    [
        ("officer", 201, None),
        ("admin", 201, None),
        ("manager", 403, REFUSED),
        ("partner_contact", 403, REFUSED),
        ("other_officer", 404, NOT_FOUND),
        ("stranger", 404, NOT_FOUND),
    ],
)
def test_who_drafts_a_reduction(api_client, demo, users, role, status, body):
    before = snapshot()
    response = ask(api_client, users[role], "post", url(demo), DRAFT)
    assert response.status_code == status
    if body is None:
        assert response.json()["recorded_by"] == users[role].username
        return
    assert response.json() == body
    assert snapshot() == before


def test_anonymous_is_asked_to_sign_in(api_client, demo, users):
    api_client.force_authenticate(None)
    response = api_client.get(url(demo))
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("role", "sees_draft"),
    [
        ("officer", True),
        ("admin", True),
        ("manager", False),
        ("partner_contact", False),
        ("other_partner", False),
    ],
)
def test_a_draft_is_the_agencys_until_the_letter(api_client, demo, users, role, sees_draft):
    draft = create(api_client, demo, users, {**DRAFT, "reason": "The draft's reason."})
    sent = letter(api_client, demo, users, create(api_client, demo, users))
    user = users[role]

    listed = ask(api_client, user, "get", url(demo))
    assert listed.status_code == 200
    ids = [item["id"] for item in listed.json()["results"]]
    assert ids == ([draft["id"], sent["id"]] if sees_draft else [sent["id"]])
    assert listed.json()["count"] == len(ids)
    assert ("The draft's reason." in listed.content.decode()) is sees_draft

    detail = ask(api_client, user, "get", url(demo, draft))
    if sees_draft:
        assert detail.status_code == 200
        assert detail.json()["reason"] == "The draft's reason."
        assert detail["ETag"] == '"1"'
    else:
        assert detail.status_code == 404
        assert detail.json() == NOT_FOUND
    assert ask(api_client, user, "get", url(demo, sent)).json()["status"] == "letter_sent"

    # The trail: the drafts' events for the agency alone; the letter, for everyone.
    activity = ask(api_client, user, "get", f"/api/v1/projects/{demo.pk}/activity/?verb=reduction.")
    verbs = sorted(item["verb"] for item in activity.json()["results"])
    if sees_draft:
        assert verbs == ["reduction.created", "reduction.created", "reduction.letter_sent"]
        assert activity.json()["count"] == 3
    else:
        assert verbs == ["reduction.letter_sent"]
        assert "The draft's reason." not in activity.content.decode()


@pytest.mark.parametrize("role", ["manager", "partner_contact"])
@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("patch", "", {"reason": "Other."}),
        ("post", "letter", {"sent_on": "2026-11-27"}),
        ("post", "observations", {"received_on": "2026-11-27", "observations": "No."}),
        ("post", "confirm", {"decided_on": "2026-11-27", "note": "Yes."}),
        ("post", "withdraw", {"decided_on": "2026-11-27", "note": "No."}),
    ],
    ids=["update", "letter", "observations", "confirm", "withdraw"],
)
def test_the_consortium_takes_no_step(api_client, demo, users, role, method, suffix, body):
    """A reduction they read (its letter sent) is 403 with the reason; a draft, 404."""
    draft = create(api_client, demo, users)
    sent = letter(api_client, demo, users, create(api_client, demo, users))
    before = snapshot()
    refused = ask(api_client, users[role], method, url(demo, sent, suffix), body)
    assert refused.status_code == 403
    assert refused.json() == REFUSED
    hidden = ask(api_client, users[role], method, url(demo, draft, suffix), body)
    assert hidden.status_code == 404
    assert hidden.json() == NOT_FOUND
    assert snapshot() == before


def test_another_projects_officer_sees_nothing(api_client, demo, users):
    sent = letter(api_client, demo, users, create(api_client, demo, users))
    for method, suffix in (("get", ""), ("post", "withdraw")):
        response = ask(api_client, users["other_officer"], method, url(demo, sent, suffix), {})
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_a_reduction_of_another_project_is_not_found_under_this_one(
    api_client, demo, other_project, users
):
    sent = letter(api_client, demo, users, create(api_client, demo, users))
    response = ask(api_client, users["admin"], "get", url(other_project, sent))
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_the_reductions_are_listed_in_a_fixed_number_of_queries(
    api_client, demo, users, django_assert_max_num_queries
):
    for number in range(3):
        create(
            api_client,
            demo,
            users,
            {"participant": "LVTDA", "percent": "1", "reason": f"R{number}"},
        )
    api_client.force_authenticate(users["officer"])
    with django_assert_max_num_queries(8) as one:
        assert api_client.get(url(demo) + "?page_size=1").status_code == 200
    with django_assert_max_num_queries(8) as three:
        response = api_client.get(url(demo) + "?page_size=3")
        assert response.status_code == 200
    assert len(response.json()["results"]) == 3
    assert len(one.captured_queries) == len(three.captured_queries)


def test_amounts_are_kept_to_the_cent(api_client, demo, users):
    data = create(api_client, demo, users, {**DRAFT, "amount": 1234.5})
    assert data["amount"] == "1234.50"
    assert Reduction.objects.get().amount_eur == Decimal("1234.50")
