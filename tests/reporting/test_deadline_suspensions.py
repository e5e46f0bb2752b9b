"""The suspensions of the agency's payment deadline that the review records: a request for
changes suspends it until the report is submitted again; a request for information (the
report stays submitted) until the project's managers answer, or the officer decides. Each is
visible in the report to everyone on the project, and audited."""

import datetime

import pytest

from backend.audit.models import Event
from backend.reporting import services
from backend.reporting.models import DeadlineSuspension, PeriodicReport, ReportStatus
from tests.helpers import row_counts
from tests.reporting.helpers import AFTER_RP1, period, ready_to_submit, travel, url, verbs

pytestmark = pytest.mark.django_db

SUBMITTED_ON = AFTER_RP1.date()  # 2025-09-15


def _day(days: int) -> datetime.datetime:
    return AFTER_RP1 + datetime.timedelta(days=days)


def _submitted(project, users) -> None:
    with travel():
        ready_to_submit(project, users)
        services.report_submit(period=period(project), user=users["manager"])


def _post(api_client, project, user, step: str, body: dict, *, days: int):
    api_client.force_authenticate(user)
    with travel(_day(days)):
        return api_client.post(url(project, f"1/{step}"), body, format="json")


def _suspensions(body) -> list[tuple]:
    return [
        (s["reason"], s["message"], s["started_on"], s["ended_on"], s["answer"])
        for s in body["deadline_suspensions"]
    ]


def test_a_request_for_changes_suspends_the_deadline_until_the_resubmission(
    api_client, grant, grant_users
):
    _submitted(grant, grant_users)

    sent_back = _post(
        api_client,
        grant,
        grant_users["officer"],
        "request-changes",
        {"comments": "Explain WP3's delay."},
        days=5,
    )
    resubmitted = _post(api_client, grant, grant_users["manager"], "submit", {}, days=12)

    assert sent_back.status_code == 200, sent_back.content
    assert _suspensions(sent_back.json()) == [
        ("changes_requested", "Explain WP3's delay.", "2025-09-20", None, "")
    ]
    assert resubmitted.status_code == 200, resubmitted.content
    assert _suspensions(resubmitted.json()) == [
        ("changes_requested", "Explain WP3's delay.", "2025-09-20", "2025-09-27", "")
    ]
    suspension = DeadlineSuspension.objects.get()
    assert (suspension.started_by, suspension.ended_by) == (
        grant_users["officer"],
        grant_users["manager"],
    )
    changes = Event.objects.get(verb="report.changes_requested")
    assert changes.after["suspension"]["started_on"] == "2025-09-20"
    submitted = Event.objects.filter(verb="report.submitted").latest("id")
    assert submitted.after["suspension_ended"]["ended_on"] == "2025-09-27"


def test_the_officer_asks_for_information_and_the_manager_answers(api_client, grant, grant_users):
    _submitted(grant, grant_users)

    asked = _post(
        api_client,
        grant,
        grant_users["officer"],
        "request-information",
        {"message": "Which schools took part in the pilot?"},
        days=3,
    )
    answered = _post(
        api_client,
        grant,
        grant_users["manager"],
        "answer-information",
        {"answer": "Riga VET 1 and Cesis VET."},
        days=8,
    )

    assert asked.status_code == 200, asked.content
    assert asked.json()["status"] == "submitted"
    assert _suspensions(asked.json()) == [
        ("information_requested", "Which schools took part in the pilot?", "2025-09-18", None, "")
    ]
    assert answered.status_code == 200, answered.content
    assert answered.json()["status"] == "submitted"
    assert _suspensions(answered.json()) == [
        (
            "information_requested",
            "Which schools took part in the pilot?",
            "2025-09-18",
            "2025-09-23",
            "Riga VET 1 and Cesis VET.",
        )
    ]
    assert verbs()[-2:] == ["report.information_requested", "report.information_answered"]
    answer = Event.objects.get(verb="report.information_answered")
    assert (answer.before["ended_on"], answer.after["ended_on"]) == (None, "2025-09-23")
    assert answer.project_id == grant.pk


def test_everyone_on_the_project_sees_the_suspensions(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    with travel(_day(2)):
        services.report_request_information(
            period=period(grant), user=grant_users["officer"], message="Send the minutes."
        )

    seen = {}
    for role in ("partner_contact", "manager", "officer"):
        api_client.force_authenticate(grant_users[role])
        seen[role] = _suspensions(api_client.get(url(grant, "1")).json())

    expected = [("information_requested", "Send the minutes.", "2025-09-17", None, "")]
    assert seen == dict.fromkeys(seen, expected)


def test_approving_ends_an_open_information_request(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    with travel(_day(2)):
        services.report_request_information(
            period=period(grant), user=grant_users["officer"], message="Send the minutes."
        )

    approved = _post(api_client, grant, grant_users["officer"], "approve", {}, days=6)

    assert approved.status_code == 200, approved.content
    assert _suspensions(approved.json()) == [
        ("information_requested", "Send the minutes.", "2025-09-17", "2025-09-21", "")
    ]
    event = Event.objects.get(verb="report.approved")
    assert event.after["suspension_ended"]["ended_on"] == "2025-09-21"


def test_a_request_for_changes_ends_an_open_information_request_and_starts_its_own(
    api_client, grant, grant_users
):
    _submitted(grant, grant_users)
    with travel(_day(2)):
        services.report_request_information(
            period=period(grant), user=grant_users["officer"], message="Send the minutes."
        )

    sent_back = _post(
        api_client, grant, grant_users["officer"], "request-changes", {"comments": "Redo."}, days=4
    )

    assert _suspensions(sent_back.json()) == [
        ("information_requested", "Send the minutes.", "2025-09-17", "2025-09-19", ""),
        ("changes_requested", "Redo.", "2025-09-19", None, ""),
    ]


def test_a_second_information_request_waits_for_the_first_answer(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    with travel(_day(2)):
        services.report_request_information(
            period=period(grant), user=grant_users["officer"], message="Send the minutes."
        )
    before = row_counts()

    again = _post(
        api_client,
        grant,
        grant_users["officer"],
        "request-information",
        {"message": "And?"},
        days=3,
    )

    assert (again.status_code, again.json()) == (
        409,
        {
            "detail": "Information on the report of RP1 was already requested on 2025-09-17 and "
            "is not answered yet."
        },
    )
    assert row_counts() == before


def test_there_is_nothing_to_answer_without_an_open_request(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    before = row_counts()

    answer = _post(
        api_client, grant, grant_users["manager"], "answer-information", {"answer": "x"}, days=1
    )

    assert (answer.status_code, answer.json()) == (
        409,
        {"detail": "No information request of the report of RP1 is waiting for an answer."},
    )
    assert row_counts() == before


def test_information_is_asked_only_on_a_submitted_report(api_client, grant, grant_users):
    services.report_update(period=period(grant), user=grant_users["manager"], technical_part="x")
    before = row_counts()

    asked = _post(
        api_client, grant, grant_users["officer"], "request-information", {"message": "?"}, days=1
    )
    answered = _post(
        api_client, grant, grant_users["manager"], "answer-information", {"answer": "!"}, days=1
    )

    assert (asked.status_code, asked.json()) == (
        409,
        {
            "detail": "Information can be requested only on a submitted report; the report of "
            'RP1 is "Draft".'
        },
    )
    assert (answered.status_code, answered.json()) == (
        409,
        {
            "detail": 'The report of RP1 is "Draft"; no information request of it is waiting '
            "for an answer."
        },
    )
    assert row_counts() == before


@pytest.mark.parametrize(
    ("step", "body", "path", "message"),
    [
        ("request-information", {"message": "  "}, "message", "Say what information is needed."),
        ("request-information", {}, "message", "Say what information is needed."),
        ("request-information", {"message": 3}, "message", "Not a valid string."),
        (
            "request-information",
            {"message": "x" * 20001},
            "message",
            "Write at most 20000 characters.",
        ),
        (
            "answer-information",
            {"answer": ""},
            "answer",
            "Write the answer to the officer's request.",
        ),
        ("answer-information", {"answer": ["a"]}, "answer", "Not a valid string."),
    ],
)
def test_a_request_or_an_answer_without_text_is_refused_at_the_field(
    api_client, grant, grant_users, step, body, path, message
):
    _submitted(grant, grant_users)
    if step == "answer-information":
        with travel(_day(1)):
            services.report_request_information(
                period=period(grant), user=grant_users["officer"], message="Send the minutes."
            )
    user = grant_users["officer" if step == "request-information" else "manager"]
    before = row_counts()

    response = _post(api_client, grant, user, step, body, days=2)

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [{"path": path, "message": message}]
    assert row_counts() == before
    assert PeriodicReport.objects.get().status == ReportStatus.SUBMITTED


def test_only_officers_ask_and_only_managers_answer(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    before = row_counts()

    asked = {
        role: _post(
            api_client, grant, grant_users[role], "request-information", {"message": "?"}, days=1
        )
        for role in ("manager", "partner_contact")
    }
    with travel(_day(1)):
        services.report_request_information(
            period=period(grant), user=grant_users["officer"], message="Send the minutes."
        )
    during = row_counts()
    answered = {
        role: _post(
            api_client, grant, grant_users[role], "answer-information", {"answer": "!"}, days=2
        )
        for role in ("officer", "partner_contact")
    }
    stranger = _post(
        api_client,
        grant,
        grant_users["other_officer"],
        "request-information",
        {"message": "?"},
        days=2,
    )

    for response in asked.values():
        assert (response.status_code, response.json()) == (
            403,
            {
                "detail": "Only the project's agency officers and administrators ask for "
                "information on a periodic report."
            },
        )
    for response in answered.values():
        assert (response.status_code, response.json()) == (
            403,
            {
                "detail": "Only the project's managers and administrators answer the officer's "
                "requests for information on a periodic report."
            },
        )
    assert stranger.status_code == 404
    assert before != during
    assert row_counts() == during
    assert DeadlineSuspension.objects.get().ended_on is None
