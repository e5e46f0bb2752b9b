"""The officer's review on the report page: a decision on each work package declared completed
(accept, or reject with a reason), the warning of work packages declared completed with
deliverables not accepted, the request for information and the managers' answer, and the
suspensions of the payment deadline. Each step answers as the API does; a refusal writes
nothing."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from backend.grants.models import Call
from backend.reporting import services
from backend.reporting.models import (
    DeadlineSuspension,
    PeriodicReport,
    ReportVersion,
    WorkPackageDeclaration,
)
from backend.reporting.selectors import period_state, report_content
from tests.reporting.helpers import (
    AFTER_RP1,
    period,
    ready_to_submit,
    row_counts,
    travel,
    work_package,
)

pytestmark = pytest.mark.django_db


def _url(project, suffix: str = "") -> str:
    return f"/projects/{project.pk}/reports/{suffix}"


def _page(response) -> str:
    return response.content.decode()


def _submitted_with_wp2_completed(project, users) -> None:
    with travel(AFTER_RP1):
        ready_to_submit(project, users)
        services.declaration_save(
            period=period(project),
            work_package=work_package(project, 2),
            user=users["manager"],
            completed=True,
            completed_on=datetime.date(2025, 8, 1),
        )
        services.report_submit(period=period(project), user=users["manager"])


def _warning(project) -> str:
    state = period_state(period=period(project), report=PeriodicReport.objects.get())
    [warning] = state.warnings
    return warning.message


def test_the_officer_sees_a_decision_for_each_work_package_declared_completed(client, demo, users):
    _submitted_with_wp2_completed(demo, users)

    with travel(AFTER_RP1):
        client.force_login(users["officer"])
        page = _page(client.get(_url(demo, "1/")))

    assert 'id="decision-wp-2"' in page
    assert 'name="wp2_decision"' in page
    assert 'name="wp2_reason"' in page
    # Not the final period: no accepted percentage; WP1 is not declared completed.
    assert 'name="wp2_accepted_percent"' not in page
    assert 'id="decision-wp-1"' not in page
    assert 'id="request-information"' in page
    assert _warning(demo) in page.replace("&#x27;", "'")


def test_the_officer_rejects_one_work_package_and_approves_the_report(client, demo, users):
    _submitted_with_wp2_completed(demo, users)

    with travel(AFTER_RP1):
        client.force_login(users["officer"])
        response = client.post(
            _url(demo, "1/approve/"),
            {"comments": "", "wp2_decision": "rejected", "wp2_reason": "No final report of WP2."},
        )
        followed = _page(client.get(_url(demo, "1/")))

    assert response.status_code == 303
    declaration = WorkPackageDeclaration.objects.get(work_package__number=2)
    assert (declaration.decision, declaration.decision_reason) == (
        "rejected",
        "No final report of WP2.",
    )
    assert PeriodicReport.objects.get().status == "approved"
    assert "Rejected by the officer" in followed
    assert "No final report of WP2." in followed


def test_a_rejection_without_a_reason_is_refused_at_its_field(client, demo, users):
    _submitted_with_wp2_completed(demo, users)
    before = row_counts()

    with travel(AFTER_RP1):
        client.force_login(users["officer"])
        response = client.post(_url(demo, "1/approve/"), {"wp2_decision": "rejected"})

    assert response.status_code == 400
    page = _page(response)
    assert (
        '<ul class="errorlist" id="id_wp2_reason_error"><li>Give the reason for rejecting the '
        "work package.</li></ul>" in page
    )
    assert row_counts() == before
    assert PeriodicReport.objects.get().status == "submitted"


def test_the_officer_asks_for_information_and_the_manager_answers_on_the_page(client, demo, users):
    _submitted_with_wp2_completed(demo, users)

    with travel(AFTER_RP1 + datetime.timedelta(days=2)):
        client.force_login(users["officer"])
        asked = client.post(
            _url(demo, "1/request-information/"), {"message": "Send the pilot's minutes."}
        )
        officer_page = _page(client.get(_url(demo, "1/")))
    with travel(AFTER_RP1 + datetime.timedelta(days=5)):
        client.force_login(users["manager"])
        manager_page = _page(client.get(_url(demo, "1/")))
        answered = client.post(_url(demo, "1/answer-information/"), {"answer": "Attached to D2.1."})
        after = _page(client.get(_url(demo, "1/")))

    assert asked.status_code == 303
    assert asked["Location"] == f"/projects/{demo.pk}/reports/1/#suspensions"
    assert 'id="request-information"' not in officer_page  # one request at a time
    assert "Send the pilot&#x27;s minutes." in officer_page
    assert 'id="information-request"' in manager_page
    assert 'id="answer-information"' in manager_page
    assert answered.status_code == 303
    suspension = DeadlineSuspension.objects.get()
    assert (suspension.started_on, suspension.ended_on, suspension.answer) == (
        datetime.date(2025, 9, 17),
        datetime.date(2025, 9, 20),
        "Attached to D2.1.",
    )
    assert 'id="answer-information"' not in after
    assert "Attached to D2.1." in after


def test_an_empty_information_request_is_refused_at_its_field(client, demo, users):
    _submitted_with_wp2_completed(demo, users)
    before = row_counts()

    with travel(AFTER_RP1):
        client.force_login(users["officer"])
        response = client.post(_url(demo, "1/request-information/"), {"message": "  "})

    assert response.status_code == 400
    assert (
        '<ul class="errorlist" id="id_message_error"><li>Say what information is needed.</li>'
        "</ul>" in _page(response)
    )
    assert row_counts() == before


def test_partners_see_the_suspensions_but_neither_ask_nor_answer(client, demo, users):
    _submitted_with_wp2_completed(demo, users)
    with travel(AFTER_RP1):
        services.report_request_information(
            period=period(demo), user=users["officer"], message="Send the minutes."
        )
        client.force_login(users["partner_contact"])
        page = _page(client.get(_url(demo, "1/")))
        refused = client.post(_url(demo, "1/answer-information/"), {"answer": "Here."})

    assert "Send the minutes." in page
    assert 'id="answer-information"' not in page
    assert 'id="request-information"' not in page
    assert refused.status_code == 403
    assert (
        "Only the project&#x27;s managers and administrators answer the officer&#x27;s requests "
        "for information on a periodic report." in _page(refused)
    )


def test_in_the_final_period_the_officer_sets_the_accepted_percentage_on_the_page(
    client, demo, users
):
    """RP3 of a call that pays partial completion: WP2 declared done to 60 %."""
    Call.objects.filter(pk=demo.call_id).update(pays_partial_completion=True)
    rp3 = period(demo, 3)
    now = timezone.now()
    report = PeriodicReport.objects.create(
        project=demo,
        reporting_period=rp3,
        status="submitted",
        technical_part="The last period.",
        submitted_at=now,
        first_submitted_at=now,
    )
    WorkPackageDeclaration.objects.create(
        work_package=work_package(demo, 2),
        reporting_period=rp3,
        completed=False,
        completion_percent=Decimal("60.00"),
        declared_at=now,
        declared_by=users["manager"],
    )
    ReportVersion.objects.create(
        report=report,
        number=1,
        content=report_content(period=rp3, report=report),
        submitted_at=now,
    )

    client.force_login(users["officer"])
    page = _page(client.get(_url(demo, "3/")))
    refused = client.post(_url(demo, "3/approve/"), {"wp2_accepted_percent": "120"})
    approved = client.post(
        _url(demo, "3/approve/"), {"wp2_decision": "accepted", "wp2_accepted_percent": "55.5"}
    )

    assert 'name="wp2_accepted_percent"' in page
    assert refused.status_code == 400
    assert (
        '<ul class="errorlist" id="id_wp2_accepted_percent_error"><li>Give an accepted '
        "percentage from 0 to 100.</li></ul>" in _page(refused)
    )
    assert approved.status_code == 303
    declaration = WorkPackageDeclaration.objects.get(reporting_period=rp3)
    assert (declaration.decision, declaration.accepted_percent) == ("accepted", Decimal("55.50"))
