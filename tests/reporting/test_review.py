"""The officer's review of a submitted report: a decision per work package declared completed
(accepted or rejected with a reason; in the final period, where the call pays partial
completion, the accepted percentage), frozen into the version and audited; a rejected work
package is declared again in a later report. Each refusal names its field and writes
nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.audit.models import Event
from backend.grants.models import Call
from backend.reporting import services
from backend.reporting.models import (
    PeriodicReport,
    ReportStatus,
    ReportVersion,
    WorkPackageDeclaration,
)
from backend.reporting.selectors import period_state, report_content
from tests.helpers import row_counts
from tests.reporting.helpers import (
    AFTER_RP1,
    period,
    ready_to_submit,
    travel,
    url,
    work_package,
)

pytestmark = pytest.mark.django_db

COMPLETED_ON = datetime.date(2025, 8, 1)


def submitted_with_completed(project, users, *numbers: int) -> None:
    """RP1 submitted, the work packages ``numbers`` declared completed (their deliverables due
    in RP1 are accepted), the others not completed."""
    with travel():
        ready_to_submit(project, users)
        for number in numbers:
            services.declaration_save(
                period=period(project),
                work_package=work_package(project, number),
                user=users["manager"],
                completed=True,
                completed_on=COMPLETED_ON,
            )
        services.report_submit(period=period(project), user=users["manager"])


def _approve(api_client, project, user, body, rp: int = 1):
    api_client.force_authenticate(user)
    with travel(AFTER_RP1 + datetime.timedelta(days=10)):
        return api_client.post(url(project, f"{rp}/approve"), body, format="json")


def _decisions(body) -> dict[int, tuple]:
    return {
        wp["number"]: (
            wp["declaration"]["decision"],
            wp["declaration"]["decision_reason"],
            wp["declaration"]["accepted_percent"],
            wp["declaration"]["decided_by"],
        )
        for wp in body["work_packages"]
    }


# -- decisions -------------------------------------------------------------------------------------


def test_approving_without_decisions_accepts_every_work_package_declared_completed(
    api_client, grant, grant_users
):
    submitted_with_completed(grant, grant_users, 2, 3)

    response = _approve(api_client, grant, grant_users["officer"], {"comments": "Fine."})

    assert response.status_code == 200, response.content
    decisions = _decisions(response.json())
    assert decisions[2] == decisions[3] == ("accepted", "", None, "po")
    # A work package declared not completed has nothing to decide.
    assert decisions[1] == ("", "", None, None)
    assert Event.objects.get(verb="report.approved").after["decisions"] == {
        "2": {"decision": "accepted", "decision_reason": "", "accepted_percent": None},
        "3": {"decision": "accepted", "decision_reason": "", "accepted_percent": None},
    }


def test_the_officer_rejects_one_work_package_with_a_reason(api_client, grant, grant_users):
    submitted_with_completed(grant, grant_users, 2, 3)

    response = _approve(
        api_client,
        grant,
        grant_users["officer"],
        {"decisions": {"3": {"decision": "rejected", "reason": "No evidence of the pilot."}}},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "approved"
    decisions = _decisions(body)
    assert decisions[2] == ("accepted", "", None, "po")
    assert decisions[3] == ("rejected", "No evidence of the pilot.", None, "po")
    wp3 = WorkPackageDeclaration.objects.get(work_package__number=3)
    assert wp3.decided_at == PeriodicReport.objects.get().approved_at
    event = Event.objects.get(verb="report.approved")
    assert event.after["decisions"]["3"] == {
        "decision": "rejected",
        "decision_reason": "No evidence of the pilot.",
        "accepted_percent": None,
    }
    # Frozen into the version the officer decided on.
    frozen = {d["work_package"]: d for d in ReportVersion.objects.get().content["declarations"]}
    assert (frozen[3]["decision"], frozen[3]["decision_reason"]) == (
        "rejected",
        "No evidence of the pilot.",
    )
    assert (frozen[2]["decision"], frozen[1]["decision"]) == ("accepted", "")


def test_a_rejected_work_package_is_declared_again_in_a_later_period(
    api_client, grant, grant_users
):
    submitted_with_completed(grant, grant_users, 2, 3)
    _approve(
        api_client,
        grant,
        grant_users["officer"],
        {"decisions": {"3": {"decision": "rejected", "reason": "Not done."}}},
    )
    api_client.force_authenticate(grant_users["manager"])

    rp2 = api_client.get(url(grant, "2")).json()
    declared = api_client.put(
        url(grant, "2/work-packages/3"),
        {"completed": True, "completed_on": "2026-01-15"},
        format="json",
    )
    accepted_again = api_client.put(
        url(grant, "2/work-packages/2"), {"completed": False}, format="json"
    )

    numbers = [wp["number"] for wp in rp2["work_packages"]]
    assert 3 in numbers
    assert 2 not in numbers
    assert declared.status_code == 200, declared.content
    assert declared.json()["decision"] == ""
    assert accepted_again.status_code == 400
    assert accepted_again.json()["errors"] == [
        {
            "path": "work_package",
            "message": "WP2 was declared completed in an earlier period's report.",
        }
    ]


def test_the_whole_report_can_still_be_sent_back(api_client, grant, grant_users):
    submitted_with_completed(grant, grant_users, 3)
    api_client.force_authenticate(grant_users["officer"])

    response = api_client.post(
        url(grant, "1/request-changes"), {"comments": "Redo WP3."}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "changes_requested"
    assert _decisions(response.json())[3][0] == ""


REJECTION_REASON = "Give the reason for rejecting the work package."
NO_PARTIAL = (
    "The call of this project does not pay partial completion: a work package is accepted or "
    "rejected, with no percentage."
)


@pytest.mark.parametrize(
    ("decisions", "path", "message"),
    [
        ({"3": {"decision": "rejected"}}, "decisions.3.reason", REJECTION_REASON),
        ({"3": {"decision": "rejected", "reason": "  "}}, "decisions.3.reason", REJECTION_REASON),
        ({"3": {"decision": "rejected", "reason": 7}}, "decisions.3.reason", "Not a valid string."),
        ({"9": {"decision": "accepted"}}, "decisions.9", "This report does not declare WP9."),
        (
            {"1": {"decision": "rejected", "reason": "x"}},
            "decisions.1",
            "This report does not declare WP1 completed; there is nothing to decide.",
        ),
        ({"3": {"decision": "maybe"}}, "decisions.3.decision", 'Give "accepted" or "rejected".'),
        ({"3": {}}, "decisions.3.decision", 'Give "accepted" or "rejected".'),
        ({"3": "rejected"}, "decisions.3", "Give an object with a decision."),
        ({"WP3": {"decision": "accepted"}}, "decisions.WP3", "Give a work package's number."),
        (
            {"3": {"decision": "accepted", "note": "x"}},
            "decisions.3.note",
            "Unknown field.",
        ),
        (
            {"3": {"decision": "accepted", "accepted_percent": "80"}},
            "decisions.3.accepted_percent",
            NO_PARTIAL,
        ),
        ([{"decision": "accepted"}], "decisions", "Give the decisions by work package number."),
    ],
)
def test_a_bad_decision_is_refused_naming_it_and_nothing_is_written(
    api_client, grant, grant_users, decisions, path, message
):
    submitted_with_completed(grant, grant_users, 2, 3)
    before = row_counts()

    response = _approve(api_client, grant, grant_users["officer"], {"decisions": decisions})

    assert response.status_code == 400, response.content
    assert response.json() == {
        "detail": "The report was not approved.",
        "errors": [{"path": path, "message": message}],
    }
    assert row_counts() == before
    assert PeriodicReport.objects.get().status == ReportStatus.SUBMITTED
    assert set(WorkPackageDeclaration.objects.values_list("decision", flat=True)) == {""}


def test_only_the_projects_officers_and_admins_decide(api_client, grant, grant_users):
    submitted_with_completed(grant, grant_users, 3)
    before = row_counts()
    body = {"decisions": {"3": {"decision": "rejected", "reason": "x"}}}

    answers = {
        role: _approve(api_client, grant, grant_users[role], body)
        for role in ("manager", "partner_contact")
    }

    for answer in answers.values():
        assert (answer.status_code, answer.json()) == (
            403,
            {
                "detail": "Only the project's agency officers and administrators approve "
                "periodic reports or request changes."
            },
        )
    assert row_counts() == before
    assert _approve(api_client, grant, grant_users["other_officer"], body).status_code == 404


# -- the accepted percentage (final period, where the call pays partial completion) -----------


def _final_report_submitted(project, users, *, pays_partial: bool = True) -> None:
    """RP3's report as the agency received it: WP4 declared done to 62.50 %, WP5 completed, the
    others not completed."""
    Call.objects.filter(pk=project.call_id).update(pays_partial_completion=pays_partial)
    rp3 = period(project, 3)
    now = timezone.now()
    report = PeriodicReport.objects.create(
        project=project,
        reporting_period=rp3,
        status=ReportStatus.SUBMITTED,
        technical_part="The last period.",
        submitted_at=now,
        first_submitted_at=now,
        submitted_by=users["manager"],
    )
    for wp in project.work_packages.all():
        WorkPackageDeclaration.objects.create(
            work_package=wp,
            reporting_period=rp3,
            completed=wp.number == 5,
            completed_on=rp3.end_date if wp.number == 5 else None,
            completion_percent=Decimal("62.50") if wp.number == 4 else None,
            declared_at=now,
            declared_by=users["manager"],
        )
    ReportVersion.objects.create(
        report=report,
        number=1,
        content=report_content(period=rp3, report=report),
        submitted_at=now,
        submitted_by=users["manager"],
    )


def test_in_the_final_period_the_officer_sets_the_accepted_percentage(
    api_client, grant, grant_users
):
    _final_report_submitted(grant, grant_users)

    response = _approve(
        api_client,
        grant,
        grant_users["officer"],
        {
            "decisions": {
                "4": {"decision": "accepted", "accepted_percent": "50"},
                "5": {"decision": "accepted", "accepted_percent": 90.5},
            }
        },
        rp=3,
    )

    assert response.status_code == 200, response.content
    decisions = _decisions(response.json())
    assert decisions[4] == ("accepted", "", "50.00", "po")
    assert decisions[5] == ("accepted", "", "90.50", "po")
    assert decisions[6] == ("", "", None, None)
    stored = dict(
        WorkPackageDeclaration.objects.filter(accepted_percent__isnull=False).values_list(
            "work_package__number", "accepted_percent"
        )
    )
    assert stored == {4: Decimal("50.00"), 5: Decimal("90.50")}
    frozen = {d["work_package"]: d for d in ReportVersion.objects.get().content["declarations"]}
    assert (frozen[4]["accepted_percent"], frozen[4]["completion_percent"]) == ("50.00", "62.50")


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (
            {"decision": "accepted", "accepted_percent": "100.5"},
            "Give an accepted percentage from 0 to 100.",
        ),
        (
            {"decision": "accepted", "accepted_percent": -1},
            "Give an accepted percentage from 0 to 100.",
        ),
        (
            {"decision": "accepted", "accepted_percent": "33.333"},
            "Give the accepted percentage with at most 2 decimals.",
        ),
        (
            {"decision": "accepted", "accepted_percent": "most"},
            "Give the accepted percentage as a number.",
        ),
        (
            {"decision": "accepted", "accepted_percent": True},
            "Give the accepted percentage as a number.",
        ),
        (
            {"decision": "accepted", "accepted_percent": "NaN"},
            "Give the accepted percentage as a number.",
        ),
        (
            {"decision": "rejected", "reason": "Not done.", "accepted_percent": "10"},
            "A rejected work package has no accepted percentage.",
        ),
    ],
)
def test_a_bad_accepted_percentage_is_refused_at_the_field(
    api_client, grant, grant_users, decision, message
):
    _final_report_submitted(grant, grant_users)
    before = row_counts()

    response = _approve(
        api_client, grant, grant_users["officer"], {"decisions": {"4": decision}}, rp=3
    )

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {"path": "decisions.4.accepted_percent", "message": message}
    ]
    assert row_counts() == before


def test_an_accepted_percentage_is_refused_before_the_final_period(api_client, grant, grant_users):
    Call.objects.filter(pk=grant.call_id).update(pays_partial_completion=True)
    submitted_with_completed(grant, grant_users, 3)
    before = row_counts()

    response = _approve(
        api_client,
        grant,
        grant_users["officer"],
        {"decisions": {"3": {"decision": "accepted", "accepted_percent": "80"}}},
    )

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "path": "decisions.3.accepted_percent",
            "message": "An accepted percentage is set only in the final reporting period (RP3), "
            "not in RP1.",
        }
    ]
    assert row_counts() == before


def test_the_service_takes_decisions_keyed_by_number(grant, grant_users):
    submitted_with_completed(grant, grant_users, 2, 3)

    with travel():
        services.report_approve(
            period=period(grant),
            user=grant_users["admin"],
            decisions={2: {"decision": "rejected", "reason": "Duplicate of WP3."}},
        )

    state = period_state(period=period(grant), report=PeriodicReport.objects.get())
    assert {n: d.decision for n, d in state.declarations.items() if d.decision} == {
        2: "rejected",
        3: "accepted",
    }
    assert state.declarations[2].decided_by == grant_users["admin"]
