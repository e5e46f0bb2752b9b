"""Submitting a report (every blocker at once), the officer's review, the frozen versions, and
the full cycle from contributions to approval."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.audit.models import Event
from backend.reporting import services
from backend.reporting.models import (
    LateJustification,
    PeriodicReport,
    ReportVersion,
    WorkPackageDeclaration,
)
from tests.helpers import row_counts
from tests.reporting.helpers import (
    AFTER_RP1,
    BRUSSELS,
    DURING_RP1,
    LATE_CODE,
    deliverable,
    entry,
    participation,
    period,
    ready_to_submit,
    submit_deliverables,
    travel,
    url,
    verbs,
    work_package,
)

pytestmark = pytest.mark.django_db

BLOCKER_MESSAGES = {
    "period_not_ended": "The reporting period ends on 2025-08-31; its report can be submitted "
    "from the day after.",
    "technical_part_missing": "The technical part is empty.",
    "contributions_in_draft": "These contributions are still drafts, not locked for review: "
    "ZILEMED.",
    "work_packages_not_declared": "The status of these work packages is not declared: WP3.",
    "late_deliverables_unjustified": "These deliverables were due in the period and are not "
    "submitted; justify the delay: D1.3.",
}


def _submit(api_client, project, user):
    api_client.force_authenticate(user)
    return api_client.post(url(project, "1/submit"))


def _refused_with(response, *codes):
    """The 409 answer lists exactly these blockers, and its detail names them all."""
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["blockers"] == [{"code": code, "message": BLOCKER_MESSAGES[code]} for code in codes]
    assert body["detail"] == "The report cannot be submitted: " + " ".join(
        BLOCKER_MESSAGES[code] for code in codes
    )


# -- submitting ------------------------------------------------------------------------------------


def test_a_complete_report_is_submitted_and_frozen_as_version_1(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        response = _submit(api_client, grant, grant_users["manager"])

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["submitted_by"], body["blockers"]) == ("submitted", "pm", [])
    assert body["submitted_at"] == body["first_submitted_at"] == "2025-09-15T10:00:00+02:00"
    assert body["versions"] == [
        {
            "number": 1,
            "submitted_at": "2025-09-15T10:00:00+02:00",
            "submitted_by": "pm",
            "decision": "pending",
            "decided_at": None,
            "decided_by": None,
            "comments": "",
        }
    ]
    content = ReportVersion.objects.get().content
    assert content["period"] == {
        "number": 1,
        "start_month": 1,
        "end_month": 18,
        "start_date": "2024-03-01",
        "end_date": "2025-08-31",
        "due_on": "2025-10-30",
    }
    assert content["technical_part"] == "What we did in RP1."
    assert [
        (c["participant"], c["entries"][0]["activities"]) for c in content["contributions"]
    ] == [
        ("GAUJA", "GAUJA work"),
        ("ZILEMED", "ZILEMED work"),
    ]
    assert [(d["work_package"], d["completed"]) for d in content["declarations"]] == [
        (number, False) for number in range(1, 9)
    ]
    assert content["justifications"] == [
        {
            "deliverable_id": deliverable(grant, LATE_CODE).pk,
            "code": LATE_CODE,
            "text": "The survey closed late.",
        }
    ]
    d13 = next(d for d in content["deliverables"] if d["code"] == LATE_CODE)
    assert (d13["status"], d13["due_on"], d13["delivered_on"]) == ("pending", "2025-08-31", None)
    assert len(content["deliverables"]) == 11  # every one due in RP1
    event = Event.objects.get(verb="report.submitted")
    assert (event.before["status"], event.after["status"], event.after["version"]) == (
        "draft",
        "submitted",
        1,
    )


def test_a_version_stays_as_submitted_when_the_record_changes_afterwards(
    api_client, grant, grant_users
):
    with travel():
        ready_to_submit(grant, grant_users)
        _submit(api_client, grant, grant_users["manager"])
    submitted = ReportVersion.objects.get().content
    submit_deliverables(grant, LATE_CODE, on="2025-09-20")
    api_client.force_authenticate(grant_users["officer"])

    version = api_client.get(url(grant, "1/versions/1")).json()
    detail = api_client.get(url(grant, "1")).json()

    d13 = next(d for d in version["content"]["deliverables"] if d["code"] == LATE_CODE)
    assert (d13["status"], d13["delivered_on"]) == ("pending", None)
    assert version["content"] == submitted
    assert detail["late_deliverables"] == []  # the live record has moved on


def test_every_blocker_is_listed_and_nothing_is_written(api_client, grant, grant_users):
    services.contribution_save(
        period=period(grant),
        participation=participation(grant, "ZILEMED"),
        user=grant_users["partner_contact"],
        entries=[entry(1)],
    )
    for number in (1, 2, 4, 5, 6, 7, 8):
        services.declaration_save(
            period=period(grant),
            work_package=work_package(grant, number),
            user=grant_users["manager"],
            completed=False,
        )
    for code in (  # every deliverable due in RP1 but D1.3
        "D1.1",
        "D1.2",
        "D2.1",
        "D3.1",
        "D4.1",
        "D5.1",
        "D6.1",
        "D6.2",
        "D7.1",
        "D8.1",
    ):
        services.justification_save(
            period=period(grant),
            deliverable=deliverable(grant, code),
            user=grant_users["manager"],
            text="Late.",
        )
    before = row_counts()

    with travel(DURING_RP1):
        response = _submit(api_client, grant, grant_users["manager"])

    _refused_with(
        response,
        "period_not_ended",
        "technical_part_missing",
        "contributions_in_draft",
        "work_packages_not_declared",
        "late_deliverables_unjustified",
    )
    assert row_counts() == before
    assert PeriodicReport.objects.get().status == "draft"


def test_a_report_nobody_wrote_is_refused_without_creating_it(api_client, grant, grant_users):
    before = row_counts()

    with travel():
        response = _submit(api_client, grant, grant_users["manager"])

    assert response.status_code == 409
    assert [b["code"] for b in response.json()["blockers"]] == [
        "technical_part_missing",
        "work_packages_not_declared",
        "late_deliverables_unjustified",
    ]
    assert row_counts() == before
    assert PeriodicReport.objects.count() == 0


def test_the_period_must_have_ended(api_client, grant, grant_users):
    with travel(DURING_RP1):
        ready_to_submit(grant, grant_users)
        before = row_counts()
        response = _submit(api_client, grant, grant_users["manager"])

    _refused_with(response, "period_not_ended")
    assert row_counts() == before


def test_the_technical_part_must_be_written(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users, technical_part="   ")
        before = row_counts()
        response = _submit(api_client, grant, grant_users["manager"])

    _refused_with(response, "technical_part_missing")
    assert row_counts() == before


def test_every_contribution_must_be_locked(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        services.contribution_unlock(
            period=period(grant),
            participation=participation(grant, "ZILEMED"),
            user=grant_users["manager"],
        )
        before = row_counts()
        response = _submit(api_client, grant, grant_users["manager"])

    _refused_with(response, "contributions_in_draft")
    assert row_counts() == before


def test_every_work_package_must_be_declared(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        WorkPackageDeclaration.objects.filter(work_package__number=3).delete()
        before = row_counts()
        response = _submit(api_client, grant, grant_users["manager"])

    _refused_with(response, "work_packages_not_declared")
    assert row_counts() == before


def test_every_late_deliverable_must_be_justified(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        LateJustification.objects.all().delete()
        before = row_counts()
        response = _submit(api_client, grant, grant_users["manager"])

    _refused_with(response, "late_deliverables_unjustified")
    assert row_counts() == before


def test_a_late_deliverable_submitted_before_the_report_needs_no_justification(
    api_client, grant, grant_users
):
    with travel():
        ready_to_submit(grant, grant_users)
        LateJustification.objects.all().delete()
        submit_deliverables(grant, LATE_CODE, on="2025-09-10")
        response = _submit(api_client, grant, grant_users["manager"])

    assert response.status_code == 200, response.content


@pytest.mark.parametrize("role", ["partner_contact", "officer"])
def test_only_managers_and_admins_submit(api_client, grant, grant_users, role):
    with travel():
        ready_to_submit(grant, grant_users)
        before = row_counts()
        response = _submit(api_client, grant, grant_users[role])

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the project's managers and administrators compose and submit its "
        "periodic reports."
    }
    assert row_counts() == before


def test_an_administrator_submits(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        response = _submit(api_client, grant, grant_users["admin"])

    assert (response.status_code, response.json()["submitted_by"]) == (200, "root")


@pytest.mark.parametrize("role", ["other_officer", "stranger"])
def test_submitting_a_report_out_of_sight_is_not_found(api_client, grant, grant_users, role):
    with travel():
        ready_to_submit(grant, grant_users)
        before = row_counts()
        response = _submit(api_client, grant, grant_users[role])

    assert response.status_code == 404
    assert row_counts() == before


def test_anonymous_steps_are_unauthorised(api_client, grant, grant_users):
    for step in ("submit", "approve", "request-changes"):
        assert api_client.post(url(grant, f"1/{step}")).status_code == 401


def test_a_submitted_report_cannot_be_submitted_again(api_client, grant, grant_users):
    with travel():
        ready_to_submit(grant, grant_users)
        _submit(api_client, grant, grant_users["manager"])
        before = row_counts()
        response = _submit(api_client, grant, grant_users["manager"])

    assert response.status_code == 409
    assert response.json() == {
        "detail": "Only a draft report, or one with changes requested, can be submitted; the "
        'report of RP1 is "Submitted".',
        "blockers": [],
    }
    assert row_counts() == before


# -- the review ------------------------------------------------------------------------------------


def _submitted(project, grant_users):
    with travel():
        ready_to_submit(project, grant_users)
        services.report_submit(period=period(project), user=grant_users["manager"])


def test_the_officer_approves_a_submitted_report(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["officer"])

    with travel(AFTER_RP1 + datetime.timedelta(days=10)):
        response = api_client.post(url(grant, "1/approve"), {"comments": "Fine."}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["approved_by"], body["review_comments"]) == (
        "approved",
        "po",
        "Fine.",
    )
    assert body["approved_at"] == "2025-09-25T10:00:00+02:00"
    assert [
        (v["number"], v["decision"], v["decided_by"], v["comments"]) for v in body["versions"]
    ] == [(1, "approved", "po", "Fine.")]
    event = Event.objects.get(verb="report.approved")
    assert (event.before["status"], event.after["status"]) == ("submitted", "approved")


def test_the_officer_requests_changes_with_comments(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["officer"])

    response = api_client.post(
        url(grant, "1/request-changes"), {"comments": "Explain WP3's delay."}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["review_comments"]) == (
        "changes_requested",
        "Explain WP3's delay.",
    )
    assert [(v["decision"], v["comments"]) for v in body["versions"]] == [
        ("changes_requested", "Explain WP3's delay.")
    ]
    assert verbs()[-1] == "report.changes_requested"


def test_changes_need_comments(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["officer"])
    before = row_counts()

    response = api_client.post(url(grant, "1/request-changes"), {"comments": " "}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": "comments", "message": "Say what has to change."}]
    assert row_counts() == before


@pytest.mark.parametrize("role", ["manager", "partner_contact"])
def test_only_the_projects_officers_and_admins_review(api_client, grant, grant_users, role):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users[role])
    before = row_counts()

    approved = api_client.post(url(grant, "1/approve"), {}, format="json")
    changes = api_client.post(url(grant, "1/request-changes"), {"comments": "x"}, format="json")

    message = {
        "detail": "Only the project's agency officers and administrators approve periodic "
        "reports or request changes."
    }
    assert (approved.status_code, approved.json()) == (403, message)
    assert (changes.status_code, changes.json()) == (403, message)
    assert row_counts() == before


def test_another_projects_officer_does_not_see_the_report(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["other_officer"])
    before = row_counts()

    assert api_client.post(url(grant, "1/approve"), {}, format="json").status_code == 404
    assert api_client.get(url(grant, "1/versions/1")).status_code == 404
    assert row_counts() == before


def test_an_administrator_reviews(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["admin"])

    response = api_client.post(url(grant, "1/approve"), {}, format="json")

    assert (response.status_code, response.json()["approved_by"]) == (200, "root")


def test_a_draft_cannot_be_reviewed(api_client, grant, grant_users):
    services.report_update(period=period(grant), user=grant_users["manager"], technical_part="x")
    api_client.force_authenticate(grant_users["officer"])
    before = row_counts()

    approved = api_client.post(url(grant, "1/approve"), {}, format="json")
    changes = api_client.post(url(grant, "1/request-changes"), {"comments": "x"}, format="json")
    not_started = api_client.post(url(grant, "2/approve"), {}, format="json")

    assert approved.status_code == 409
    assert approved.json() == {
        "detail": 'Only a submitted report can be approved; the report of RP1 is "Draft".'
    }
    assert changes.status_code == 409
    assert changes.json() == {
        "detail": "Changes can be requested only on a submitted report; the report of RP1 is "
        '"Draft".'
    }
    assert not_started.json() == {
        "detail": 'Only a submitted report can be approved; the report of RP2 is "Not started".'
    }
    assert row_counts() == before


def test_an_approved_report_cannot_change_any_more(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    services.report_approve(period=period(grant), user=grant_users["officer"], comments="Fine.")
    approved_content = ReportVersion.objects.get().content
    before = row_counts()
    message = {
        "detail": 'The report of RP1 is "Approved"; it can be changed only while it is a draft '
        "or changes are requested."
    }
    zilemed = participation(grant, "ZILEMED").pk
    api_client.force_authenticate(grant_users["manager"])

    answers = {
        "technical part": api_client.put(url(grant, "1"), {"technical_part": "x"}, format="json"),
        "declaration": api_client.put(
            url(grant, "1/work-packages/2"), {"completed": False}, format="json"
        ),
        "justification": api_client.put(
            url(grant, f"1/justifications/{deliverable(grant, LATE_CODE).pk}"),
            {"text": "x"},
            format="json",
        ),
        "unlock": api_client.post(url(grant, f"1/contributions/{zilemed}/unlock")),
    }
    api_client.force_authenticate(grant_users["partner_contact"])
    answers["contribution"] = api_client.put(
        url(grant, f"1/contributions/{zilemed}"), {"entries": [entry(2)]}, format="json"
    )
    answers["lock"] = api_client.post(url(grant, f"1/contributions/{zilemed}/lock"))

    refusals = {step: (r.status_code, r.json()) for step, r in answers.items()}
    assert refusals == dict.fromkeys(answers, (409, message))
    with travel():
        resubmitted = _submit(api_client, grant, grant_users["manager"])
    api_client.force_authenticate(grant_users["officer"])
    again = api_client.post(url(grant, "1/approve"), {}, format="json")
    changes = api_client.post(url(grant, "1/request-changes"), {"comments": "x"}, format="json")
    assert resubmitted.json() == {
        "detail": "Only a draft report, or one with changes requested, can be submitted; the "
        'report of RP1 is "Approved".',
        "blockers": [],
    }
    assert (again.status_code, changes.status_code) == (409, 409)
    assert row_counts() == before
    assert ReportVersion.objects.get().content == approved_content


# -- the whole cycle -------------------------------------------------------------------------------


def test_the_full_cycle_keeps_every_version_readable(api_client, grant, grant_users):
    manager, partner, officer = (
        grant_users["manager"],
        grant_users["partner_contact"],
        grant_users["officer"],
    )
    zilemed = participation(grant, "ZILEMED").pk
    with travel():
        ready_to_submit(grant, grant_users)
        assert _submit(api_client, grant, manager).status_code == 200
        api_client.force_authenticate(officer)
        changes = api_client.post(
            url(grant, "1/request-changes"),
            {"comments": "ZILEMED: say what the pilots gave."},
            format="json",
        )
        assert changes.json()["status"] == "changes_requested"
        # The manager unlocks ZILEMED's contribution; the partner corrects and locks it again.
        api_client.force_authenticate(manager)
        assert api_client.post(url(grant, f"1/contributions/{zilemed}/unlock")).status_code == 200
        blocked = api_client.post(url(grant, "1/submit"))
        assert [b["code"] for b in blocked.json()["blockers"]] == ["contributions_in_draft"]
        api_client.force_authenticate(partner)
        corrected = api_client.put(
            url(grant, f"1/contributions/{zilemed}"),
            {"entries": [entry(1, "Two pilots gave 40 trained technicians.")]},
            format="json",
        )
        assert corrected.status_code == 200
        assert api_client.post(url(grant, f"1/contributions/{zilemed}/lock")).status_code == 200
        api_client.force_authenticate(manager)
        edited = api_client.put(url(grant, "1"), {"technical_part": "RP1, revised."}, format="json")
        assert edited.status_code == 200
    with travel(AFTER_RP1 + datetime.timedelta(days=5)):
        resubmitted = _submit(api_client, grant, manager)
        api_client.force_authenticate(officer)
        approved = api_client.post(
            url(grant, "1/approve"), {"comments": "Thank you."}, format="json"
        )

    assert resubmitted.status_code == 200, resubmitted.content
    assert resubmitted.json()["first_submitted_at"] == "2025-09-15T10:00:00+02:00"
    assert resubmitted.json()["submitted_at"] == "2025-09-20T10:00:00+02:00"
    assert approved.status_code == 200, approved.content
    for role in ("partner_contact", "other_partner", "officer"):
        api_client.force_authenticate(grant_users[role])
        listed = api_client.get(url(grant, "1/versions/"))
        assert listed.status_code == 200
        assert [(v["number"], v["decision"], v["comments"]) for v in listed.json()["results"]] == [
            (1, "changes_requested", "ZILEMED: say what the pilots gave."),
            (2, "approved", "Thank you."),
        ]
    first = api_client.get(url(grant, "1/versions/1")).json()
    second = api_client.get(url(grant, "1/versions/2")).json()
    assert (first["decision"], first["content"]["technical_part"]) == (
        "changes_requested",
        "What we did in RP1.",
    )
    assert [c["entries"][0]["activities"] for c in first["content"]["contributions"]] == [
        "GAUJA work",
        "ZILEMED work",
    ]
    assert (second["decision"], second["content"]["technical_part"]) == (
        "approved",
        "RP1, revised.",
    )
    assert [c["entries"][0]["activities"] for c in second["content"]["contributions"]] == [
        "GAUJA work",
        "Two pilots gave 40 trained technicians.",
    ]
    assert api_client.get(url(grant, "1/versions/3")).status_code == 404
    report = PeriodicReport.objects.get()
    assert (report.status, report.review_comments) == ("approved", "Thank you.")
    # One event per step; the refused submission in between recorded none.
    assert verbs()[-8:] == [
        "report.submitted",
        "report.changes_requested",
        "contribution.unlocked",
        "contribution.saved",
        "contribution.locked",
        "report.updated",
        "report.submitted",
        "report.approved",
    ]


def test_versions_of_a_report_nobody_wrote_are_an_empty_list(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["partner_contact"])

    listed = api_client.get(url(grant, "2/versions/"))

    assert (listed.status_code, listed.json()["results"]) == (200, [])
    assert api_client.get(url(grant, "2/versions/1")).status_code == 404
    assert api_client.get(url(grant, "9/versions/")).status_code == 404


def test_the_version_list_takes_the_same_queries_whatever_the_page_size(
    api_client, grant, grant_users
):
    with travel():
        ready_to_submit(grant, grant_users)
        for _ in range(3):
            services.report_submit(period=period(grant), user=grant_users["manager"])
            services.report_request_changes(
                period=period(grant), user=grant_users["officer"], comments="More."
            )
    api_client.force_authenticate(grant_users["officer"])
    counts = []
    for size in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(url(grant, "1/versions/"), {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_period_end_is_the_first_day_a_report_can_go_in_brussels(
    api_client, grant, grant_users
):
    with travel(datetime.datetime(2025, 9, 1, 0, 0, tzinfo=BRUSSELS)):
        ready_to_submit(grant, grant_users)
        response = _submit(api_client, grant, grant_users["manager"])

    assert response.status_code == 200, response.content
