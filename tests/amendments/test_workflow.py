"""The request workflow around the decision: the consortium withdraws a request, the agency asks
for information (the decision period stands still until the answer), the decision period comes
from the rule set, and every step is in the audit trail and the activity feed. Refusals: 403
with the reason, 404 out of sight, 409 out of order, 400 naming the field; none writes."""

import datetime

import pytest
import time_machine

from backend.amendments.models import AmendmentRequest, InformationRequest
from backend.amendments.selectors import amendments_past_decision_date
from backend.amendments.services import (
    amendment_approve,
    amendment_create,
    amendment_reject,
    amendment_submit,
    information_request_answer,
    information_request_create,
)
from backend.audit.models import Event
from monitoring.checks import amendment_findings
from tests.amendments.helpers import day, row_counts, terminate

pytestmark = pytest.mark.django_db

# Submitted on Monday 4 May 2026 at 11:00 in Brussels: with the default 45 days the decision is
# due by 18 June 2026.
SUBMITTED = datetime.datetime(2026, 5, 4, 9, 0, tzinfo=datetime.UTC)
DUE = day("2026-06-18")


def _at(text: str) -> datetime.datetime:
    """A moment, given in UTC as YYYY-MM-DDTHH:MM."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def _url(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/amendments/{suffix}"


def _draft(project, manager) -> AmendmentRequest:
    return amendment_create(
        project=project,
        user=manager,
        justification="ZSTW closes its training centre.",
        changes=[terminate("ZSTW", "2026-06-30")],
    )


def _submitted(project, manager) -> AmendmentRequest:
    draft = _draft(project, manager)
    with time_machine.travel(SUBMITTED, tick=False):
        return amendment_submit(request=draft, user=manager)


def _post(client, user, url, body=None, *, at: datetime.datetime = SUBMITTED):
    client.force_authenticate(user)
    with time_machine.travel(at, tick=False):
        return client.post(url, body or {}, format="json")


def _feed(client, user, project, verb: str) -> list[dict]:
    """The project's activity feed as ``user`` reads it, the events whose verb starts with
    ``verb``, newest first."""
    client.force_authenticate(user)
    response = client.get(f"/api/v1/projects/{project.pk}/activity/", {"verb": "amendment."})
    assert response.status_code == 200, response.content
    return [
        {key: event[key] for key in ("actor", "verb", "before", "after", "note")}
        for event in response.json()["results"]
        if event["verb"].startswith(verb)
    ]


# -- withdrawal ----------------------------------------------------------------------------------


def test_the_manager_withdraws_a_submitted_request_which_then_never_lapses(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])

    response = _post(
        api_client,
        users["manager"],
        _url(demo, f"{amendment.pk}/withdraw"),
        {"note": "The partner stays after all."},
        at=_at("2026-05-20T08:00"),
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["withdrawn_by"], body["withdrawn_at"]) == (
        "withdrawn",
        "pm",
        "2026-05-20T10:00:00+02:00",
    )
    assert (body["decided_by"], body["decided_at"], body["deemed_rejected"]) == (None, None, False)
    assert (body["decision_due_on"], body["what_if"]) == ("2026-06-18", None)
    # The agency sees the withdrawal of what it received, with the consortium's reason.
    assert _feed(api_client, users["officer"], demo, "amendment.withdrawn") == [
        {
            "actor": "pm",
            "verb": "amendment.withdrawn",
            "before": {"status": "submitted"},
            "after": {"status": "withdrawn"},
            "note": "The partner stays after all.",
        }
    ]
    # Past its decision date it does not count as rejected: nothing waits for a decision.
    amendment.refresh_from_db()
    assert not amendment.is_deemed_rejected(day("2026-07-01"))
    assert list(amendments_past_decision_date(today=day("2026-07-01"))) == []
    assert amendment_findings([demo.pk], day("2026-07-01")) == []


def test_a_withdrawn_draft_stays_out_of_the_agencys_sight(api_client, demo, users):
    with time_machine.travel(_at("2026-05-01T08:00"), tick=False):
        draft = _draft(demo, users["manager"])

    response = _post(api_client, users["manager"], _url(demo, f"{draft.pk}/withdraw"))

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["decision_due_on"]) == ("withdrawn", None)
    # Never submitted, it is read like a draft: by the managers, not by the agency or partners.
    for who in ("officer", "partner_contact"):
        api_client.force_authenticate(users[who])
        assert api_client.get(_url(demo)).json()["results"] == [], who
        assert api_client.get(_url(demo, f"{draft.pk}/")).status_code == 404, who
        assert _feed(api_client, users[who], demo, "amendment.") == [], who
    api_client.force_authenticate(users["manager"])
    assert [item["status"] for item in api_client.get(_url(demo)).json()["results"]] == [
        "withdrawn"
    ]
    assert [e["verb"] for e in _feed(api_client, users["manager"], demo, "amendment.")] == [
        "amendment.withdrawn",
        "amendment.created",
    ]


@pytest.mark.parametrize("decision", ["approved", "rejected", "withdrawn"])
def test_a_request_no_longer_open_cannot_be_withdrawn(api_client, demo, users, decision):
    amendment = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-05-10T08:00"), tick=False):
        if decision == "approved":
            amendment_approve(request=amendment, user=users["officer"])
        elif decision == "rejected":
            amendment_reject(request=amendment, user=users["officer"], note="Not justified.")
    if decision == "withdrawn":
        _post(api_client, users["manager"], _url(demo, f"{amendment.pk}/withdraw"))
    label = {"approved": "Approved", "rejected": "Rejected", "withdrawn": "Withdrawn"}[decision]
    before = row_counts()

    response = _post(api_client, users["manager"], _url(demo, f"{amendment.pk}/withdraw"))

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a draft or a submitted request can be withdrawn; this request is "
        f'"{label}".'
    }
    assert row_counts() == before


def test_a_withdrawn_request_is_neither_changed_submitted_nor_decided(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])
    _post(api_client, users["manager"], _url(demo, f"{amendment.pk}/withdraw"))
    before = row_counts()

    submit = _post(api_client, users["manager"], _url(demo, f"{amendment.pk}/submit"))
    update = api_client.put(_url(demo, f"{amendment.pk}/"), {"changes": []}, format="json")
    approve = _post(api_client, users["officer"], _url(demo, f"{amendment.pk}/approve"))
    reject = _post(
        api_client, users["officer"], _url(demo, f"{amendment.pk}/reject"), {"note": "No."}
    )

    assert [(r.status_code, r.json()["detail"]) for r in (submit, update, approve, reject)] == [
        (409, 'Only a draft can be submitted; this request is "Withdrawn".'),
        (409, 'Only a draft can be changed; this request is "Withdrawn".'),
        (409, 'Only a submitted request can be approved; this request is "Withdrawn".'),
        (409, 'Only a submitted request can be rejected; this request is "Withdrawn".'),
    ]
    assert row_counts() == before


@pytest.mark.parametrize(
    ("who", "status", "detail"),
    [
        (
            "officer",
            403,
            "Only the project's managers and administrators withdraw amendment requests.",
        ),
        (
            "partner_contact",
            403,
            "Only the project's managers and administrators withdraw amendment requests.",
        ),
        ("other_officer", 404, "Not found."),
        ("stranger", 404, "Not found."),
        ("admin", 200, None),
    ],
)
def test_who_may_withdraw_a_submitted_request(api_client, demo, users, who, status, detail):
    amendment = _submitted(demo, users["manager"])
    before = row_counts()

    response = _post(api_client, users[who], _url(demo, f"{amendment.pk}/withdraw"))

    assert response.status_code == status, response.content
    if detail is None:
        assert (response.json()["status"], response.json()["withdrawn_by"]) == (
            "withdrawn",
            "root",
        )
    else:
        assert response.json() == {"detail": detail}
        assert row_counts() == before


# -- requests for information ------------------------------------------------------------------


def test_a_question_stops_the_decision_period_until_its_answer(api_client, demo, users):
    """Asked on 10 June, answered on 25 June (after the first decision date, 18 June): the
    decision period stood still 15 days, so the decision is due by 3 July; meanwhile the
    request never counted as rejected nor was flagged."""
    amendment = _submitted(demo, users["manager"])

    asked = _post(
        api_client,
        users["officer"],
        _url(demo, f"{amendment.pk}/information-requests"),
        {"question": "Who takes over ZSTW's work in WP3?"},
        at=_at("2026-06-10T08:00"),
    )

    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert (body["status"], body["awaiting_information"], body["decision_due_on"]) == (
        "submitted",
        True,
        "2026-06-18",
    )
    [question] = body["information_requests"]
    assert question | {"id": None} == {
        "id": None,
        "question": "Who takes over ZSTW's work in WP3?",
        "asked_at": "2026-06-10T10:00:00+02:00",
        "asked_by": "po",
        "answer": "",
        "answered_at": None,
        "answered_by": None,
        "paused_days": None,
    }
    # While the question is open the request does not lapse, however long the wait.
    amendment.refresh_from_db()
    for today in ("2026-06-18", "2026-06-19", "2026-06-24"):
        assert not amendment.is_deemed_rejected(day(today)), today
        assert list(amendments_past_decision_date(today=day(today))) == [], today
        assert amendment_findings([demo.pk], day(today)) == [], today
    api_client.force_authenticate(users["officer"])
    with time_machine.travel(_at("2026-06-24T08:00"), tick=False):
        seen = api_client.get(_url(demo, f"{amendment.pk}/")).json()
    assert (seen["deemed_rejected"], seen["awaiting_information"]) == (False, True)

    answered = _post(
        api_client,
        users["manager"],
        _url(demo, f"{amendment.pk}/information-requests/{question['id']}/answer"),
        {"answer": "NEMPOLY takes over WP3 from July."},
        at=_at("2026-06-25T08:00"),
    )

    assert answered.status_code == 200, answered.content
    body = answered.json()
    assert (body["awaiting_information"], body["decision_due_on"], body["deemed_rejected"]) == (
        False,
        "2026-07-03",
        False,
    )
    assert body["information_requests"][0] | {"id": None} == {
        "id": None,
        "question": "Who takes over ZSTW's work in WP3?",
        "asked_at": "2026-06-10T10:00:00+02:00",
        "asked_by": "po",
        "answer": "NEMPOLY takes over WP3 from July.",
        "answered_at": "2026-06-25T10:00:00+02:00",
        "answered_by": "pm",
        "paused_days": 15,
    }
    # The period runs again, to its new last day.
    amendment.refresh_from_db()
    assert amendment.decision_due_on == day("2026-07-03")
    assert not amendment.is_deemed_rejected(day("2026-07-03"))
    assert amendment.is_deemed_rejected(day("2026-07-04"))
    assert list(amendments_past_decision_date(today=day("2026-07-03"))) == []
    assert list(amendments_past_decision_date(today=day("2026-07-04"))) == [amendment]
    [finding] = amendment_findings([demo.pk], day("2026-07-04"))
    assert finding.explanation["details"] == {"amendment_id": amendment.pk, "due_on": "2026-07-03"}


def test_the_days_stood_still_are_brussels_days(demo, users):
    """Asked at 00:30 on 10 June in Brussels (22:30 UTC the day before), answered at 23:59 on
    24 June in Brussels: 14 days."""
    amendment = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-06-09T22:30"), tick=False):
        question = information_request_create(
            request=amendment, user=users["officer"], question="The new work plan, please."
        )
    with time_machine.travel(_at("2026-06-24T21:59"), tick=False):
        answered = information_request_answer(
            information=question, user=users["manager"], answer="Attached to the portal."
        )

    assert answered.paused_days == 14
    amendment.refresh_from_db()
    assert amendment.decision_due_on == DUE + datetime.timedelta(days=14)


def test_a_question_answered_the_day_it_was_asked_stops_nothing(demo, users):
    amendment = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-05-05T07:00"), tick=False):
        question = information_request_create(
            request=amendment, user=users["officer"], question="Which date exactly?"
        )
    with time_machine.travel(_at("2026-05-05T15:00"), tick=False):
        answered = information_request_answer(
            information=question, user=users["manager"], answer="30 June."
        )

    amendment.refresh_from_db()
    assert (answered.paused_days, amendment.decision_due_on) == (0, DUE)


def test_one_question_at_a_time_and_each_pause_adds_up(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])
    url = _url(demo, f"{amendment.pk}/information-requests")
    first = _post(
        api_client, users["officer"], url, {"question": "One?"}, at=_at("2026-05-11T08:00")
    )
    first_id = first.json()["information_requests"][0]["id"]
    before = row_counts()

    second = _post(
        api_client, users["officer"], url, {"question": "Two?"}, at=_at("2026-05-12T08:00")
    )

    assert second.status_code == 409
    assert second.json() == {
        "detail": "The question asked on 2026-05-11 is not answered yet: ask one question at a "
        "time."
    }
    assert row_counts() == before

    _post(
        api_client,
        users["manager"],
        _url(demo, f"{amendment.pk}/information-requests/{first_id}/answer"),
        {"answer": "One."},
        at=_at("2026-05-16T08:00"),
    )  # 5 days
    again = _post(
        api_client, users["officer"], url, {"question": "Two?"}, at=_at("2026-05-20T08:00")
    )
    second_id = again.json()["information_requests"][1]["id"]
    done = _post(
        api_client,
        users["manager"],
        _url(demo, f"{amendment.pk}/information-requests/{second_id}/answer"),
        {"answer": "Two."},
        at=_at("2026-05-27T08:00"),
    )  # 7 days

    assert [q["paused_days"] for q in done.json()["information_requests"]] == [5, 7]
    assert done.json()["decision_due_on"] == "2026-06-30"  # 18 June + 12 days


def test_the_audit_trail_and_the_feed_show_each_step_of_the_exchange(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-06-10T08:00"), tick=False):
        question = information_request_create(
            request=amendment, user=users["officer"], question="Who takes over WP3?"
        )
    with time_machine.travel(_at("2026-06-13T08:00"), tick=False):
        information_request_answer(information=question, user=users["manager"], answer="NEMPOLY.")

    # The partners read the exchange too: it is about a request the agency received.
    for who in ("officer", "manager", "partner_contact"):
        assert _feed(api_client, users[who], demo, "amendment.information_") == [
            {
                "actor": "pm",
                "verb": "amendment.information_answered",
                "before": {"awaiting_information": True, "decision_due_on": "2026-06-18"},
                "after": {
                    "awaiting_information": False,
                    "information_request": question.pk,
                    "paused_days": 3,
                    "decision_due_on": "2026-06-21",
                },
                "note": "NEMPOLY.",
            },
            {
                "actor": "po",
                "verb": "amendment.information_requested",
                "before": {"awaiting_information": False, "decision_due_on": "2026-06-18"},
                "after": {
                    "awaiting_information": True,
                    "information_request": question.pk,
                    "decision_due_on": "2026-06-18",
                },
                "note": "Who takes over WP3?",
            },
        ], who
    event = Event.objects.get(verb="amendment.information_requested")
    assert (event.object_type, event.object_id) == ("amendmentrequest", str(amendment.pk))


def test_a_request_past_its_decision_date_cannot_be_asked_about(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])
    before = row_counts()

    response = _post(
        api_client,
        users["officer"],
        _url(demo, f"{amendment.pk}/information-requests"),
        {"question": "Still there?"},
        at=_at("2026-06-19T08:00"),  # day 46
    )

    assert response.status_code == 409
    assert response.json() == {
        "detail": "No decision was taken by 2026-06-18, the end of the decision period: the "
        "request counts as rejected and has to be launched again."
    }
    assert row_counts() == before


def test_only_a_submitted_request_is_asked_about_or_answered_on(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-05-10T08:00"), tick=False):
        question = information_request_create(
            request=amendment, user=users["officer"], question="Why?"
        )
    _post(api_client, users["manager"], _url(demo, f"{amendment.pk}/withdraw"))
    before = row_counts()

    ask = _post(
        api_client,
        users["officer"],
        _url(demo, f"{amendment.pk}/information-requests"),
        {"question": "And now?"},
    )
    answer = _post(
        api_client,
        users["manager"],
        _url(demo, f"{amendment.pk}/information-requests/{question.pk}/answer"),
        {"answer": "Because."},
    )

    assert (ask.status_code, ask.json()) == (
        409,
        {
            "detail": "Information can be asked for only on a submitted request; this request "
            'is "Withdrawn".'
        },
    )
    assert (answer.status_code, answer.json()) == (
        409,
        {
            "detail": "A question can be answered only while its request is submitted; this "
            'request is "Withdrawn".'
        },
    )
    assert row_counts() == before


def test_a_question_is_answered_once(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-05-10T08:00"), tick=False):
        question = information_request_create(
            request=amendment, user=users["officer"], question="Why?"
        )
    with time_machine.travel(_at("2026-05-12T08:00"), tick=False):
        information_request_answer(information=question, user=users["manager"], answer="Because.")
    before = row_counts()

    again = _post(
        api_client,
        users["manager"],
        _url(demo, f"{amendment.pk}/information-requests/{question.pk}/answer"),
        {"answer": "Because, again."},
        at=_at("2026-05-14T08:00"),
    )

    assert (again.status_code, again.json()) == (
        409,
        {"detail": "This question was answered on 2026-05-12."},
    )
    assert row_counts() == before


def test_an_empty_question_or_answer_is_refused_at_its_field(api_client, demo, users):
    amendment = _submitted(demo, users["manager"])
    before = row_counts()

    ask = _post(
        api_client,
        users["officer"],
        _url(demo, f"{amendment.pk}/information-requests"),
        {"question": "   "},
    )

    assert ask.status_code == 400
    assert ask.json() == {
        "detail": "The question was not sent.",
        "errors": [{"path": "question", "message": "Say what information is needed."}],
    }
    assert row_counts() == before

    question = _post(
        api_client,
        users["officer"],
        _url(demo, f"{amendment.pk}/information-requests"),
        {"question": "Why?"},
    ).json()["information_requests"][0]
    before = row_counts()

    answer = _post(
        api_client,
        users["manager"],
        _url(demo, f"{amendment.pk}/information-requests/{question['id']}/answer"),
        {},
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "detail": "The answer was not saved.",
        "errors": [{"path": "answer", "message": "Give the information asked for."}],
    }
    assert row_counts() == before
    assert InformationRequest.objects.get().answered_at is None


@pytest.mark.parametrize(
    ("who", "status", "detail"),
    [
        (
            "manager",
            403,
            "Only the project's agency officers and administrators ask for information on "
            "amendment requests.",
        ),
        (
            "partner_contact",
            403,
            "Only the project's agency officers and administrators ask for information on "
            "amendment requests.",
        ),
        ("other_officer", 404, "Not found."),
        ("stranger", 404, "Not found."),
        ("admin", 201, None),
    ],
)
def test_who_may_ask_for_information(api_client, demo, users, who, status, detail):
    amendment = _submitted(demo, users["manager"])
    before = row_counts()

    response = _post(
        api_client,
        users[who],
        _url(demo, f"{amendment.pk}/information-requests"),
        {"question": "Why?"},
    )

    assert response.status_code == status, response.content
    if detail is None:
        assert [q["asked_by"] for q in response.json()["information_requests"]] == ["root"]
    else:
        assert response.json() == {"detail": detail}
        assert row_counts() == before


@pytest.mark.parametrize(
    ("who", "status", "detail"),
    [
        (
            "officer",
            403,
            "Only the project's managers and administrators answer the agency's questions on "
            "amendment requests.",
        ),
        (
            "partner_contact",
            403,
            "Only the project's managers and administrators answer the agency's questions on "
            "amendment requests.",
        ),
        ("other_officer", 404, "Not found."),
        ("stranger", 404, "Not found."),
        ("admin", 200, None),
    ],
)
def test_who_may_answer_the_agencys_question(api_client, demo, users, who, status, detail):
    amendment = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-05-10T08:00"), tick=False):
        question = information_request_create(
            request=amendment, user=users["officer"], question="Why?"
        )
    before = row_counts()

    response = _post(
        api_client,
        users[who],
        _url(demo, f"{amendment.pk}/information-requests/{question.pk}/answer"),
        {"answer": "Because."},
        at=_at("2026-05-12T08:00"),
    )

    assert response.status_code == status, response.content
    if detail is None:
        assert [q["answered_by"] for q in response.json()["information_requests"]] == ["root"]
    else:
        assert response.json() == {"detail": detail}
        assert row_counts() == before


def test_a_question_of_another_request_is_not_found(api_client, demo, users):
    asked = _submitted(demo, users["manager"])
    other = _submitted(demo, users["manager"])
    with time_machine.travel(_at("2026-05-10T08:00"), tick=False):
        question = information_request_create(request=asked, user=users["officer"], question="Why?")

    response = _post(
        api_client,
        users["manager"],
        _url(demo, f"{other.pk}/information-requests/{question.pk}/answer"),
        {"answer": "Because."},
    )

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


# -- the decision period is the rule set's -----------------------------------------------------


def test_the_decision_period_comes_from_the_rule_set(api_client, demo, users):
    ruleset = demo.call.ruleset
    ruleset.decision_days = 30
    ruleset.save(update_fields=["decision_days"])
    draft = _draft(demo, users["manager"])

    response = _post(api_client, users["manager"], _url(demo, f"{draft.pk}/submit"))

    assert response.status_code == 200, response.content
    assert (response.json()["decision_due_on"], response.json()["deemed_rejected"]) == (
        "2026-06-03",  # 4 May + 30 days
        False,
    )
    amendment = AmendmentRequest.objects.get(pk=draft.pk)
    assert not amendment.is_deemed_rejected(day("2026-06-03"))
    assert amendment.is_deemed_rejected(day("2026-06-04"))
    assert list(amendments_past_decision_date(today=day("2026-06-04"))) == [amendment]
    assert _feed(api_client, users["officer"], demo, "amendment.submitted")[0]["after"] == {
        "status": "submitted",
        "changes": 1,
        "decision_due_on": "2026-06-03",
    }
    approve = _post(
        api_client, users["officer"], _url(demo, f"{draft.pk}/approve"), at=_at("2026-06-04T08:00")
    )
    assert (approve.status_code, approve.json()) == (
        409,
        {
            "detail": "No decision was taken by 2026-06-03, the end of the decision period: the "
            "request counts as rejected and has to be launched again."
        },
    )


def test_the_schema_describes_the_workflow_endpoints(client):
    paths = client.get("/api/schema/?format=json").json()["paths"]

    assert {
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/withdraw",
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/information-requests",
        "/api/v1/projects/{project_id}/amendments/{amendment_id}/information-requests/"
        "{information_id}/answer",
    } <= set(paths)
    asked = paths["/api/v1/projects/{project_id}/amendments/{amendment_id}/information-requests"]
    assert {"201", "400", "403", "404", "409"} <= set(asked["post"]["responses"])
    assert "200" not in asked["post"]["responses"]
