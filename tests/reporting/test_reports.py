"""The report of a period: the list and detail, the technical part, the status of work
packages and its waiver, late justifications."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.audit.models import Event
from backend.grants.models import RuleSet
from backend.reporting import services
from backend.reporting.models import (
    CompletionWaiver,
    LateJustification,
    PeriodicReport,
    WorkPackageDeclaration,
)
from backend.workplan.models import WorkPackage
from tests import factories
from tests.helpers import row_counts
from tests.reporting.helpers import (
    BRUSSELS,
    LATE_CODE,
    accept,
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

NOT_EDITABLE = {
    "detail": 'The report of RP1 is "Submitted"; it can be changed only while it is a draft or '
    "changes are requested."
}


def _submitted(project, grant_users):
    with travel():
        ready_to_submit(project, grant_users)
        services.report_submit(period=period(project), user=grant_users["manager"])


# -- the list --------------------------------------------------------------------------------------


def test_the_list_shows_every_period_not_started_until_written(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["partner_contact"])

    with travel():
        response = api_client.get(url(grant))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert body["results"][0] == {
        "number": 1,
        "start_month": 1,
        "end_month": 18,
        "start_date": "2024-03-01",
        "end_date": "2025-08-31",
        "due_on": "2025-10-30",
        "status": "not_started",
        "overdue": False,
        "submitted_at": None,
        "first_submitted_at": None,
        "approved_at": None,
    }
    assert [(r["number"], r["due_on"], r["status"]) for r in body["results"][1:]] == [
        (2, "2027-04-29", "not_started"),
        (3, "2028-04-29", "not_started"),
    ]


def test_a_report_is_overdue_the_day_after_its_due_date_until_submitted(
    api_client, grant, grant_users
):
    api_client.force_authenticate(grant_users["officer"])

    with travel(datetime.datetime(2025, 10, 30, 23, 59, tzinfo=BRUSSELS)):
        on_due_day = api_client.get(url(grant)).json()["results"][0]["overdue"]
    with travel(datetime.datetime(2025, 10, 31, 0, 0, tzinfo=BRUSSELS)):
        day_after = api_client.get(url(grant)).json()["results"][0]
    _submitted(grant, grant_users)
    with travel(datetime.datetime(2025, 11, 5, tzinfo=BRUSSELS)):
        submitted = api_client.get(url(grant)).json()["results"][0]

    assert on_due_day is False
    assert (day_after["overdue"], day_after["status"]) == (True, "not_started")
    assert (submitted["overdue"], submitted["status"]) == (False, "submitted")


def test_the_list_filters_by_status(api_client, grant, grant_users):
    services.report_update(period=period(grant, 2), user=grant_users["manager"], technical_part="x")
    api_client.force_authenticate(grant_users["manager"])

    drafts = api_client.get(url(grant), {"status": "draft"}).json()["results"]
    not_started = api_client.get(url(grant), {"status": "not_started"}).json()["results"]
    approved = api_client.get(url(grant), {"status": "approved"}).json()["results"]

    assert [r["number"] for r in drafts] == [2]
    assert [r["number"] for r in not_started] == [1, 3]
    assert approved == []


def test_a_bad_status_filter_is_refused_naming_it(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])

    response = api_client.get(url(grant), {"status": "late"})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "status",
            "message": '"late" is not allowed; use one of: not_started, draft, submitted, '
            "changes_requested, approved.",
        }
    ]


def test_the_list_takes_the_same_queries_whatever_the_page_size(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    services.report_update(period=period(grant, 2), user=grant_users["manager"], technical_part="x")
    api_client.force_authenticate(grant_users["officer"])
    counts = []
    for size in (1, 3):
        with CaptureQueriesContext(connection) as queries:
            response = api_client.get(url(grant), {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))

    assert counts[0] == counts[1]
    assert counts[0] <= 6


def test_the_list_is_hidden_from_strangers_and_other_officers(api_client, grant, grant_users):
    seen = {}
    for role in ("admin", "officer", "manager", "partner_contact", "other_officer", "stranger"):
        api_client.force_authenticate(grant_users[role])
        seen[role] = api_client.get(url(grant)).status_code
    api_client.force_authenticate(None)
    seen["anonymous"] = api_client.get(url(grant)).status_code

    assert seen == {
        "admin": 200,
        "officer": 200,
        "manager": 200,
        "partner_contact": 200,
        "other_officer": 404,
        "stranger": 404,
        "anonymous": 401,
    }


# -- the detail ------------------------------------------------------------------------------------


def test_a_period_nobody_wrote_to_shows_what_it_will_need(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["officer"])

    with travel():
        response = api_client.get(url(grant, "1"))

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["technical_part"], body["contributions"], body["versions"]) == (
        "not_started",
        "",
        [],
        [],
    )
    assert [wp["number"] for wp in body["work_packages"]] == [1, 2, 3, 4, 5, 6, 7, 8]
    assert body["work_packages"][0]["declaration"] is None
    assert [d["code"] for d in body["late_deliverables"]][:3] == ["D1.1", "D1.2", "D1.3"]
    assert len(body["late_deliverables"]) == 11  # every one due in RP1
    assert [b["code"] for b in body["blockers"]] == [
        "technical_part_missing",
        "work_packages_not_declared",
        "late_deliverables_unjustified",
    ]
    assert PeriodicReport.objects.count() == 0


def test_the_detail_is_seen_by_every_role_on_the_project_only(api_client, grant, grant_users):
    seen = {}
    for role in (
        "admin",
        "officer",
        "manager",
        "partner_contact",
        "other_partner",
        "other_officer",
        "stranger",
    ):
        api_client.force_authenticate(grant_users[role])
        seen[role] = api_client.get(url(grant, "1")).status_code
    api_client.force_authenticate(grant_users["admin"])
    seen["unknown period"] = api_client.get(url(grant, "4")).status_code
    api_client.force_authenticate(None)
    seen["anonymous"] = api_client.get(url(grant, "1")).status_code

    assert seen == {
        "admin": 200,
        "officer": 200,
        "manager": 200,
        "partner_contact": 200,
        "other_partner": 200,
        "other_officer": 404,
        "stranger": 404,
        "unknown period": 404,
        "anonymous": 401,
    }


def _detail_queries(api_client, project, user) -> int:
    api_client.force_authenticate(user)
    with CaptureQueriesContext(connection) as queries:
        response = api_client.get(url(project, "1"))
    assert response.status_code == 200
    return len(queries)


def test_the_detail_takes_the_same_queries_whatever_the_reports_size(
    api_client, grant, grant_users
):
    for short_name in ("NEMPOLY", "SESUPE"):
        factories.BeneficiaryFactory(project=grant, short_name=short_name)
    rp1 = period(grant)
    manager = grant_users["manager"]
    services.contribution_save(
        period=rp1, participation=participation(grant, "GAUJA"), user=manager, entries=[entry(1)]
    )
    services.justification_save(
        period=rp1, deliverable=deliverable(grant, "D1.1"), user=manager, text="Late."
    )
    small = _detail_queries(api_client, grant, manager)
    with travel():
        ready_to_submit(grant, grant_users)
        for short_name in ("LVTDA", "NEMPOLY", "SESUPE"):
            who = participation(grant, short_name)
            services.contribution_save(
                period=rp1,
                participation=who,
                user=grant_users["admin"],
                entries=[entry(1), entry(2)],
            )
            services.contribution_lock(period=rp1, participation=who, user=grant_users["admin"])
        for _ in range(2):  # two versions, each sent back
            services.report_submit(period=rp1, user=manager)
            services.report_request_changes(
                period=rp1, user=grant_users["officer"], comments="More."
            )
    large = _detail_queries(api_client, grant, manager)

    assert len(api_client.get(url(grant, "1")).json()["versions"]) == 2
    assert small == large


def test_the_detail_of_a_partner_takes_the_same_queries_too(api_client, grant, grant_users):
    factories.BeneficiaryFactory(project=grant, short_name="NEMPOLY")
    services.contribution_save(
        period=period(grant),
        participation=participation(grant, "ZILEMED"),
        user=grant_users["partner_contact"],
        entries=[entry(1)],
    )
    small = _detail_queries(api_client, grant, grant_users["partner_contact"])
    for short_name in ("LVTDA", "NEMPOLY"):
        services.contribution_save(
            period=period(grant),
            participation=participation(grant, short_name),
            user=grant_users["admin"],
            entries=[entry(1), entry(2)],
        )
        services.contribution_lock(
            period=period(grant),
            participation=participation(grant, short_name),
            user=grant_users["admin"],
        )

    assert _detail_queries(api_client, grant, grant_users["partner_contact"]) == small


# -- the technical part ----------------------------------------------------------------------------


def test_a_manager_writes_the_technical_part(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])

    response = api_client.put(
        url(grant, "1"), {"technical_part": " The period's work. "}, format="json"
    )

    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["technical_part"]) == (
        "draft",
        "The period's work.",
    )
    event = Event.objects.get(verb="report.updated")
    assert (event.actor, event.before, event.after) == (
        grant_users["manager"],
        {"technical_part": ""},
        {"technical_part": "The period's work."},
    )


@pytest.mark.parametrize("role", ["partner_contact", "officer"])
def test_only_managers_and_admins_write_the_technical_part(api_client, grant, grant_users, role):
    api_client.force_authenticate(grant_users[role])
    before = row_counts()

    response = api_client.put(url(grant, "1"), {"technical_part": "Ours."}, format="json")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Only the project's managers and administrators compose and submit its "
        "periodic reports."
    }
    assert row_counts() == before


def test_a_technical_part_that_is_not_text_is_refused(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["admin"])
    before = row_counts()

    response = api_client.put(url(grant, "1"), {"technical_part": ["a"]}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "technical_part", "message": "Not a valid string."}
    ]
    assert row_counts() == before


def test_a_missing_technical_part_is_refused_rather_than_blanked(api_client, grant, grant_users):
    services.report_update(
        period=period(grant), user=grant_users["manager"], technical_part="Ours."
    )
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = api_client.put(url(grant, "1"), {"technical": "x"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "technical_part", "message": "This field is required."}
    ]
    assert row_counts() == before
    assert PeriodicReport.objects.get().technical_part == "Ours."


def test_the_technical_part_of_a_submitted_report_cannot_change(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = api_client.put(url(grant, "1"), {"technical_part": "Other."}, format="json")

    assert (response.status_code, response.json()) == (409, NOT_EDITABLE)
    assert row_counts() == before


# -- status of work packages -----------------------------------------------------------------------


def _declare(api_client, project, number, body, rp=1):
    return api_client.put(url(project, f"{rp}/work-packages/{number}"), body, format="json")


def test_a_manager_declares_a_work_package_not_completed(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])

    response = _declare(api_client, grant, 2, {"completed": False, "comment": "Surveys go on."})

    assert response.status_code == 200, response.content
    assert response.json() == {
        "work_package": 2,
        "completed": False,
        "completed_on": None,
        "completion_percent": None,
        "comment": "Surveys go on.",
        "declared_at": response.json()["declared_at"],
        "declared_by": "pm",
        # The officer decides when approving the report.
        "decision": "",
        "decision_reason": "",
        "accepted_percent": None,
        "decided_at": None,
        "decided_by": None,
        "version": 1,
    }
    event = Event.objects.get(verb="work_package.declared")
    assert (event.before, event.after["completed"]) == (None, False)


def test_a_work_package_with_every_deliverable_accepted_is_declared_completed(
    api_client, grant, grant_users
):
    accept(
        grant,
        *WorkPackage.objects.get(project=grant, number=6).deliverables.values_list(
            "code", flat=True
        ),
    )
    api_client.force_authenticate(grant_users["manager"])

    response = _declare(api_client, grant, 6, {"completed": True, "completed_on": "2025-08-31"})

    assert response.status_code == 200, response.content
    declaration = WorkPackageDeclaration.objects.get()
    assert (declaration.completed, declaration.completed_on) == (True, datetime.date(2025, 8, 31))


def _needs_accepted_deliverables(project, on: bool = True) -> None:
    """The rule-set option: a work package is declared completed only with every deliverable
    accepted (or an officer's waiver)."""
    RuleSet.objects.filter(calls__projects=project).update(
        completion_needs_accepted_deliverables=on
    )


def test_with_the_option_on_unaccepted_deliverables_forbid_declaring_completed(
    api_client, grant, grant_users
):
    _needs_accepted_deliverables(grant)
    accept(grant, "D6.1")
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(api_client, grant, 6, {"completed": True, "completed_on": "2025-08-01"})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "WP6 cannot be declared completed: not every deliverable is accepted (D6.2, "
        "D6.3, D6.4, D6.5), and no officer has waived that."
    }
    assert row_counts() == before


def test_an_officers_waiver_lets_it_be_declared_completed(api_client, grant, grant_users):
    _needs_accepted_deliverables(grant)
    api_client.force_authenticate(grant_users["officer"])
    waived = api_client.post(
        f"/api/v1/projects/{grant.pk}/work-packages/6/waiver",
        {"reason": "D6.5 was merged into D6.4 by agreement."},
        format="json",
    )
    api_client.force_authenticate(grant_users["manager"])

    response = _declare(api_client, grant, 6, {"completed": True, "completed_on": "2025-08-01"})
    detail = api_client.get(url(grant, "1")).json()

    assert waived.status_code == 201, waived.content
    assert (waived.json()["work_package"], waived.json()["waived_by"]) == (6, "po")
    assert response.status_code == 200, response.content
    wp6 = next(wp for wp in detail["work_packages"] if wp["number"] == 6)
    assert (wp6["completion_waived"], wp6["waiver_reason"], wp6["declaration"]["completed"]) == (
        True,
        "D6.5 was merged into D6.4 by agreement.",
        True,
    )
    assert verbs()[-2:] == ["work_package.completion_waived", "work_package.declared"]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"completed": True}, "completed_on", "Give the date the work package was completed."),
        (
            {"completed": True, "completed_on": "2025-09-01"},
            "completed_on",
            "The reporting period ends on 2025-08-31; a work package declared in it cannot be "
            "completed later.",
        ),
        (
            {"completed": True, "completed_on": "2024-02-28"},
            "completed_on",
            "The project starts on 2024-03-01; a work package cannot be completed before.",
        ),
        (
            {"completed": True, "completed_on": "2025-02-30"},
            "completed_on",
            "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
        ),
        (
            {"completed": False, "completed_on": "2025-08-01"},
            "completed_on",
            "A work package that is not completed has no completion date.",
        ),
        ({"completed_on": "2025-08-01"}, "completed", "This field is required."),
        ({"completed": "maybe"}, "completed", "Must be a valid boolean."),
    ],
)
def test_a_bad_declaration_is_refused_naming_the_field(
    api_client, grant, grant_users, body, path, message
):
    CompletionWaiver.objects.create(
        work_package=work_package(grant, 6),
        reason="Agreed.",
        waived_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC),
    )
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(api_client, grant, 6, body)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": path, "message": message}]
    assert row_counts() == before


def test_a_work_package_completed_in_an_earlier_submitted_report_is_not_declared_again(
    api_client, grant, grant_users
):
    CompletionWaiver.objects.create(
        work_package=work_package(grant, 7),
        reason="Agreed.",
        waived_at=datetime.datetime(2025, 8, 1, tzinfo=datetime.UTC),
    )
    with travel():
        ready_to_submit(grant, grant_users)
        services.declaration_save(
            period=period(grant),
            work_package=work_package(grant, 7),
            user=grant_users["manager"],
            completed=True,
            completed_on=datetime.date(2025, 8, 1),
        )
        api_client.force_authenticate(grant_users["manager"])
        before_submission = [
            wp["number"] for wp in api_client.get(url(grant, "2")).json()["work_packages"]
        ]
        services.report_submit(period=period(grant), user=grant_users["manager"])
    before = row_counts()

    response = _declare(api_client, grant, 7, {"completed": False}, rp=2)
    rp2 = api_client.get(url(grant, "2")).json()

    assert 7 in before_submission  # while RP1 is a draft its declaration does not count yet
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "work_package",
            "message": "WP7 was declared completed in an earlier period's report.",
        }
    ]
    assert row_counts() == before
    assert [wp["number"] for wp in rp2["work_packages"]] == [1, 2, 3, 4, 5, 6, 8]


def test_a_work_package_starting_after_the_period_is_not_declared_in_it(
    api_client, grant, grant_users
):
    WorkPackage.objects.filter(project=grant, number=7).update(start_month=20)
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(api_client, grant, 7, {"completed": False})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "work_package", "message": "WP7 starts in M20, after this period ends."}
    ]
    assert row_counts() == before


def test_declarations_are_refused_to_partners_and_for_unknown_work_packages(
    api_client, grant, grant_users
):
    api_client.force_authenticate(grant_users["partner_contact"])
    before = row_counts()

    refused = _declare(api_client, grant, 2, {"completed": False})
    api_client.force_authenticate(grant_users["manager"])
    unknown = _declare(api_client, grant, 9, {"completed": False})

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "Only the project's managers and administrators compose and submit its "
        "periodic reports."
    }
    assert unknown.status_code == 404
    assert row_counts() == before


def test_declaring_in_a_submitted_report_is_refused(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _declare(api_client, grant, 2, {"completed": False})

    assert (response.status_code, response.json()) == (409, NOT_EDITABLE)
    assert row_counts() == before


# -- the waiver ------------------------------------------------------------------------------------


def _waive(api_client, project, number, body):
    return api_client.post(
        f"/api/v1/projects/{project.pk}/work-packages/{number}/waiver", body, format="json"
    )


def test_a_waiver_is_recorded_once(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["admin"])
    first = _waive(api_client, grant, 3, {"reason": "Agreed at the review meeting."})
    before = row_counts()

    with travel():
        second = _waive(api_client, grant, 3, {"reason": "Again."})

    assert first.status_code == 201
    event = Event.objects.get(verb="work_package.completion_waived")
    assert event.after["reason"] == "Agreed at the review meeting."
    assert second.status_code == 409
    assert second.json() == {
        "detail": "WP3's completion condition was already waived on "
        f"{CompletionWaiver.objects.get().waived_at.astimezone(BRUSSELS).date().isoformat()}."
    }
    assert row_counts() == before


def test_a_waiver_needs_a_reason(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["officer"])
    before = row_counts()

    response = _waive(api_client, grant, 3, {"reason": "   "})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "reason", "message": "Give the reason for the waiver."}
    ]
    assert row_counts() == before


def test_only_the_projects_officers_and_admins_waive(api_client, grant, grant_users):
    results = {}
    for role in ("manager", "partner_contact", "other_officer", "stranger"):
        api_client.force_authenticate(grant_users[role])
        response = _waive(api_client, grant, 3, {"reason": "Please."})
        results[role] = response.status_code
    api_client.force_authenticate(grant_users["officer"])
    results["unknown work package"] = _waive(api_client, grant, 9, {"reason": "x"}).status_code
    api_client.force_authenticate(grant_users["manager"])

    assert _waive(api_client, grant, 3, {"reason": "Please."}).json() == {
        "detail": "Only the project's agency officers and administrators waive the "
        "accepted-deliverables condition of a work package."
    }
    assert results == {
        "manager": 403,
        "partner_contact": 403,
        "other_officer": 404,
        "stranger": 404,
        "unknown work package": 404,
    }
    assert CompletionWaiver.objects.count() == 0


# -- late justifications ---------------------------------------------------------------------------


def _justify(api_client, project, deliverable_id, body):
    return api_client.put(url(project, f"1/justifications/{deliverable_id}"), body, format="json")


def test_a_manager_justifies_a_late_deliverable(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])
    late = deliverable(grant, LATE_CODE)

    first = _justify(api_client, grant, late.pk, {"text": "The survey closed late."})
    second = _justify(api_client, grant, late.pk, {"text": "The survey closed in September."})
    detail = api_client.get(url(grant, "1")).json()

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["text"] == "The survey closed in September."
    assert LateJustification.objects.get().text == "The survey closed in September."
    row = next(d for d in detail["late_deliverables"] if d["code"] == LATE_CODE)
    assert row["justification"] == "The survey closed in September."
    events = Event.objects.filter(verb="report.justification_saved").order_by("id")
    assert [(e.before, e.after["text"]) for e in events] == [
        (None, "The survey closed late."),
        ({"text": "The survey closed late."}, "The survey closed in September."),
    ]


def test_a_deliverable_due_after_the_period_needs_no_justification(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _justify(api_client, grant, deliverable(grant, "D1.4").pk, {"text": "Later."})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "path": "deliverable",
            "message": "D1.4 is due on 2026-02-28, outside RP1 (2024-03-01 to 2025-08-31); it "
            "needs no justification in this report.",
        }
    ]
    assert row_counts() == before


def test_a_submitted_deliverable_needs_no_justification(api_client, grant, grant_users):
    submit_deliverables(grant, "D1.2")
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _justify(api_client, grant, deliverable(grant, "D1.2").pk, {"text": "Late."})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "deliverable", "message": 'D1.2 is "Submitted"; it needs no justification.'}
    ]
    assert row_counts() == before


def test_an_empty_justification_is_refused(api_client, grant, grant_users):
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _justify(api_client, grant, deliverable(grant, "D1.2").pk, {"text": " "})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "text", "message": "Say why the deliverable is late."}
    ]
    assert row_counts() == before


def test_justifications_are_refused_to_partners_and_for_other_projects_deliverables(
    api_client, grant, other_grant, grant_users
):
    api_client.force_authenticate(grant_users["partner_contact"])
    before = row_counts()

    refused = _justify(api_client, grant, deliverable(grant, "D1.2").pk, {"text": "Late."})
    api_client.force_authenticate(grant_users["admin"])
    foreign = _justify(api_client, grant, other_grant.deliverables.first().pk, {"text": "x"})
    unknown = _justify(api_client, grant, 999999, {"text": "x"})

    assert refused.status_code == 403
    assert (foreign.status_code, unknown.status_code) == (404, 404)
    assert row_counts() == before


def test_justifying_in_a_submitted_report_is_refused(api_client, grant, grant_users):
    _submitted(grant, grant_users)
    api_client.force_authenticate(grant_users["manager"])
    before = row_counts()

    response = _justify(api_client, grant, deliverable(grant, LATE_CODE).pk, {"text": "Other."})

    assert (response.status_code, response.json()) == (409, NOT_EDITABLE)
    assert row_counts() == before
