"""A change of the duration and of the reporting periods (``change_duration``) through the API:
its what-if (the instalments' dates before and after, nothing written), its approval (applied
at once, in the audit trail, the deadlines, reminders and instalments following: edge case 26)
and its refusals (nothing written, the field named).

The demo (CARETECH) starts 2024-03-01 for 48 months: RP1 M1-18, RP2 M19-36, RP3 M37-48
(balance); the call's maximum is 48 months. The requests are made on 2026-05-04 (M27)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from backend.audit.models import Event
from backend.grants.models import Project
from backend.grants.selectors import consortia
from backend.reporting.models import PeriodicReport, ReportStatus
from backend.workplan.models import ReportingPeriod
from monitoring.deadlines import reports_not_received
from monitoring.reminders import reminders_send
from tests.amendments.helpers import row_counts

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime.datetime(2026, 5, 4, 10, 0, tzinfo=BRUSSELS)


def _url(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/amendments/{suffix}"


def period(number, start, end, payment="interim") -> dict:
    return {"number": number, "start_month": start, "end_month": end, "payment": payment}


def duration(months, periods=None, effective_on="2026-05-04") -> dict:
    details = {"duration_months": months}
    if periods is not None:
        details["reporting_periods"] = periods
    return {"kind": "change_duration", "effective_on": effective_on, "details": details}


FOUR_PERIODS = [
    period(1, 1, 18),
    period(2, 19, 30),
    period(3, 31, 42),
    period(4, 43, 48, "balance"),
]


def approved(api_client, project, users, changes) -> dict:
    """Drafted and submitted by the manager, approved by the officer, on NOW."""
    with time_machine.travel(NOW, tick=False):
        api_client.force_authenticate(users["manager"])
        created = api_client.post(
            _url(project),
            {"justification": "The pilots start later.", "changes": changes},
            format="json",
        )
        assert created.status_code == 201, created.content
        amendment = created.json()["id"]
        submitted = api_client.post(_url(project, f"{amendment}/submit"))
        assert submitted.status_code == 200, submitted.content
        api_client.force_authenticate(users["officer"])
        response = api_client.post(
            _url(project, f"{amendment}/approve"), {"note": "Agreed."}, format="json"
        )
    assert response.status_code == 200, response.content
    return response.json()


def reminded(moment: datetime.datetime, mailoutbox) -> list[str]:
    """The lines of the e-mails the reminders send at ``moment`` to the manager."""
    mailoutbox.clear()
    with time_machine.travel(moment, tick=False):
        reminders_send()
    return [
        line
        for message in mailoutbox
        if "pm@example.org" in message.to
        for line in message.body.splitlines()
        if line.startswith("- ")
    ]


# -- the what-if ---------------------------------------------------------------------------------


def test_the_what_if_of_an_extension_moves_the_last_instalment_and_writes_nothing(
    api_client, demo, users
):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo, "what-if"), {"changes": [duration(54)]}, format="json"
        )

    assert response.status_code == 200, response.content
    assert row_counts() == before
    body = response.json()
    assert body["effective_on"] == "2026-05-04"
    assert body["verdict"]["compliant"] is True
    assert body["breach_dates"] == []
    # RP3 stretches to M54 (2028-08-31): its report, and so its balance, is due 60 days later.
    assert [item for item in body["money"]["instalments"] if item["changed"]] == [
        {
            "key": "rp3",
            "kind": "balance",
            "period": 3,
            "due_on_before": "2028-04-29",
            "due_on_after": "2028-10-30",
            "projected_before": "-1599500.00",
            "projected_after": "-1599500.00",
            "changed": True,
        }
    ]
    assert body["money"]["max_grant_before"] == body["money"]["max_grant_after"] == "3998750.00"
    # The eligibility runs to the new last day, and the officer is told the duration passes
    # the call's maximum.
    assert (body["end_date_before"], body["end_date_after"]) == ("2028-02-29", "2028-08-31")
    assert body["notes"] == [
        "The duration of 54 months goes above the call's maximum of 48 months: only an "
        "approved amendment allows that."
    ]


def test_the_what_if_of_moved_periods_shows_each_instalments_new_date(api_client, demo, users):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo, "what-if"), {"changes": [duration(48, FOUR_PERIODS)]}, format="json"
        )

    assert response.status_code == 200, response.content
    assert row_counts() == before
    assert [
        (item["key"], item["kind"], item["due_on_before"], item["due_on_after"])
        for item in response.json()["money"]["instalments"]
        if item["changed"]
    ] == [
        ("rp2", "interim", "2027-04-29", "2026-10-30"),
        ("rp3", "interim", "2028-04-29", "2027-10-30"),
        ("rp4", "balance", None, "2028-04-29"),
    ]


def test_a_draft_above_the_calls_maximum_says_so_in_its_details(api_client, demo, users):
    api_client.force_authenticate(users["manager"])

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo),
            {"justification": "Six more months.", "changes": [duration(54)]},
            format="json",
        )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["changes"][0]["details"] == {
        "duration_months": 54,
        "reporting_periods": [
            period(1, 1, 18),
            period(2, 19, 36),
            period(3, 37, 54, "balance"),
        ],
        "above_call_maximum": True,
    }
    assert body["what_if"]["money"]["instalments"][3]["due_on_after"] == "2028-10-30"
    # A draft changes nothing in the record.
    demo.refresh_from_db()
    assert (demo.duration_months, demo.signed_duration_months) == (48, None)


# -- approval: edge case 26 ----------------------------------------------------------------------


def test_an_approved_extension_is_compliant_and_regenerates_the_deadlines(
    api_client, demo, users, mailoutbox
):
    """Edge case 26: a duration extension approved leaves the consortium COMPLIANT, and every
    period-based deadline is computed again: the report, its reminders and the balance."""
    body = approved(api_client, demo, users, [duration(54)])

    assert body["status"] == "approved"
    demo.refresh_from_db()
    assert (demo.duration_months, demo.signed_duration_months) == (54, 48)
    assert demo.end_date == datetime.date(2028, 8, 31)
    assert list(
        ReportingPeriod.objects.filter(project=demo).values_list(
            "number", "start_month", "end_month", "payment"
        )
    ) == [(1, 1, 18, "interim"), (2, 19, 36, "interim"), (3, 37, 54, "balance")]
    event = Event.objects.get(verb="project.duration_changed")
    assert (event.project_id, event.actor.username) == (demo.pk, "po")
    assert event.before == {
        "duration_months": 48,
        "reporting_periods": [
            period(1, 1, 18),
            period(2, 19, 36),
            period(3, 37, 48, "balance"),
        ],
    }
    assert event.after == {
        "duration_months": 54,
        "signed_duration_months": 48,
        "reporting_periods": [
            period(1, 1, 18),
            period(2, 19, 36),
            period(3, 37, 54, "balance"),
        ],
        "above_call_maximum": True,
    }
    assert Event.objects.get(verb="amendment.approved").after["status"] == "approved"

    # The verdict: compliant, now and in the months the extension adds.
    api_client.force_authenticate(users["officer"])
    with time_machine.travel(NOW, tick=False):
        verdict = api_client.get(f"/api/v1/projects/{demo.pk}/eligibility?as_of=2028-06-30")
        schedule = api_client.get(f"/api/v1/projects/{demo.pk}/instalments/")
    assert verdict.status_code == 200, verdict.content
    assert (verdict.json()["as_of"], verdict.json()["compliant"]) == ("2028-06-30", True)
    consortium, _rules = consortia([demo.pk])[demo.pk]
    assert consortium.end_date == datetime.date(2028, 8, 31)
    # The deadlines, computed again from the record.
    rp3 = next(r for r in reports_not_received([demo.pk]) if r.number == 3)
    assert (rp3.period_end, rp3.due_on) == (datetime.date(2028, 8, 31), datetime.date(2028, 10, 30))
    instalments = {item["key"]: item for item in _items(schedule.json())}
    assert instalments["rp3"]["due_on"] == "2028-10-30"
    # The reminders: 14 days before the new date, none before the old one.
    assert "- Periodic report RP3 (M37-M54): due in 14 days, 2028-10-30" in reminded(
        datetime.datetime(2028, 10, 16, 7, 0, tzinfo=BRUSSELS), mailoutbox
    )
    assert not any(
        "RP3" in line
        for line in reminded(datetime.datetime(2028, 4, 15, 7, 0, tzinfo=BRUSSELS), mailoutbox)
    )


def test_approved_periods_move_the_report_deadlines_reminders_and_instalments(
    api_client, demo, users, mailoutbox
):
    approved(api_client, demo, users, [duration(48, FOUR_PERIODS)])

    demo.refresh_from_db()
    assert (demo.duration_months, demo.signed_duration_months) == (48, 48)
    assert list(
        ReportingPeriod.objects.filter(project=demo).values_list(
            "number", "start_month", "end_month", "payment"
        )
    ) == [
        (1, 1, 18, "interim"),
        (2, 19, 30, "interim"),
        (3, 31, 42, "interim"),
        (4, 43, 48, "balance"),
    ]
    assert [(r.number, r.due_on) for r in reports_not_received([demo.pk])] == [
        (1, datetime.date(2025, 10, 30)),
        (2, datetime.date(2026, 10, 30)),
        (3, datetime.date(2027, 10, 30)),
        (4, datetime.date(2028, 4, 29)),
    ]
    api_client.force_authenticate(users["officer"])
    with time_machine.travel(NOW, tick=False):
        schedule = api_client.get(f"/api/v1/projects/{demo.pk}/instalments/")
    assert [(item["key"], item["kind"], item["due_on"]) for item in _items(schedule.json())] == [
        ("prefinancing", "prefinancing", "2024-03-15"),
        ("rp1", "interim", "2025-10-30"),
        ("rp2", "interim", "2026-10-30"),
        ("rp3", "interim", "2027-10-30"),
        ("rp4", "balance", "2028-04-29"),
    ]
    assert "- Periodic report RP2 (M19-M30): due in 14 days, 2026-10-30" in reminded(
        datetime.datetime(2026, 10, 16, 7, 0, tzinfo=BRUSSELS), mailoutbox
    )


def _items(body) -> list[dict]:
    return body["instalments"]


# -- refusals ------------------------------------------------------------------------------------


def _submitted_report(project, number: int) -> None:
    period = ReportingPeriod.objects.get(project=project, number=number)
    PeriodicReport.objects.create(
        project=project,
        reporting_period=period,
        status=ReportStatus.SUBMITTED,
        submitted_at=datetime.datetime(2025, 10, 1, 10, 0, tzinfo=BRUSSELS),
        first_submitted_at=datetime.datetime(2025, 10, 1, 10, 0, tzinfo=BRUSSELS),
    )


@pytest.mark.parametrize(
    ("_case", "change", "path", "message"),
    [
        (
            "a gap between periods",
            duration(48, [period(1, 1, 18), period(2, 20, 48, "balance")]),
            "changes[0].details.reporting_periods[1].start_month",
            "Months 19..19 belong to no reporting period.",
        ),
        (
            "the last period not the balance",
            duration(48, [period(1, 1, 18), period(2, 19, 48)]),
            "changes[0].details.reporting_periods[1].payment",
            "The last reporting period is always paid as the balance.",
        ),
        (
            "periods not covering the duration",
            duration(54, [period(1, 1, 18), period(2, 19, 48, "balance")]),
            "changes[0].details.reporting_periods",
            "Months 49..54 belong to no reporting period.",
        ),
        (
            "a month outside the duration",
            duration(48, [period(1, 1, 18), period(2, 19, 50, "balance")]),
            "changes[0].details.reporting_periods[1].end_month",
            "Month 50 is outside the project's months 1..48.",
        ),
        (
            "a duration that is not a number",
            duration("54"),
            "changes[0].details.duration_months",
            "Expected a whole number.",
        ),
        (
            "an end that has passed",
            duration(20, [period(1, 1, 18), period(2, 19, 20, "balance")]),
            "changes[0].details.duration_months",
            "With 20 months the project would end on 2025-10-31, which has passed; the "
            "duration cannot end before today.",
        ),
        (
            "an end before the change takes effect",
            duration(30, [period(1, 1, 18), period(2, 19, 30, "balance")], "2026-12-01"),
            "changes[0].details.duration_months",
            "With 30 months the project would end on 2026-08-31, before the change takes "
            "effect on 2026-12-01.",
        ),
        (
            "nothing changes",
            duration(48),
            "changes[0].details",
            "The duration and the reporting periods are already as recorded.",
        ),
    ],
)
def test_a_refused_change_writes_nothing_and_names_the_field(
    api_client, demo, users, _case, change, path, message
):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo), {"justification": "Later.", "changes": [change]}, format="json"
        )

    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "The amendment request was not saved.",
        "errors": [{"path": path, "message": message}],
    }
    assert row_counts() == before


def test_a_shorter_duration_is_refused_while_the_work_plan_goes_beyond_it(api_client, demo, users):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo, "what-if"), {"changes": [duration(45)]}, format="json"
        )

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "path": "changes[0].details.duration_months",
            "message": "The work plan has items after month 45: D1.6, D5.6, D7.5, D7.6, D8.5, "
            "MS12, WP1, WP5, WP7, WP8. Move them with a change of the work plan earlier in the "
            "same request, or keep a longer duration.",
        }
    ]
    assert row_counts() == before


def test_a_period_whose_report_was_submitted_keeps_its_months(api_client, demo, users):
    _submitted_report(demo, 1)
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    with time_machine.travel(NOW, tick=False):
        response = api_client.post(
            _url(demo, "what-if"),
            {
                "changes": [
                    duration(
                        48, [period(1, 1, 12), period(2, 13, 36), period(3, 37, 48, "balance")]
                    )
                ]
            },
            format="json",
        )

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "path": "changes[0].details.reporting_periods[0]",
            "message": "The report of RP1 was submitted: the period (M1-M18) keeps its months "
            "and payment.",
        }
    ]
    assert row_counts() == before


def test_approval_checks_the_change_again_and_writes_nothing_when_it_no_longer_fits(
    api_client, demo, users
):
    """Drafted while RP1 could still move; its report submitted since: the approval is
    refused at the field, and neither the project nor its periods change."""
    with time_machine.travel(NOW, tick=False):
        api_client.force_authenticate(users["manager"])
        created = api_client.post(
            _url(demo),
            {
                "justification": "Shorter first period.",
                "changes": [
                    duration(
                        48, [period(1, 1, 12), period(2, 13, 36), period(3, 37, 48, "balance")]
                    )
                ],
            },
            format="json",
        )
        amendment = created.json()["id"]
        api_client.post(_url(demo, f"{amendment}/submit"))
        _submitted_report(demo, 1)
        before = row_counts()
        api_client.force_authenticate(users["officer"])
        response = api_client.post(_url(demo, f"{amendment}/approve"), {}, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "path": "changes[0].details.reporting_periods[0]",
            "message": "The report of RP1 was submitted: the period (M1-M18) keeps its months "
            "and payment.",
        }
    ]
    assert row_counts() == before
    assert Project.objects.get(pk=demo.pk).duration_months == 48
