"""Scenarios through the API for issue 15's points on the review (what went wrong before):

- 4. "The officer cannot reject one work package": the officer now accepts or rejects each work
  package declared completed; the rejected one is declared again in a later report, and the
  whole report can still be sent back.
- 8. "Unaccepted deliverables forbid declaring a work package completed": by default a warning
  the officer sees (the report's ``warnings``); a refusal only where the rule set requires
  every deliverable accepted (RuleSet.completion_needs_accepted_deliverables), with the
  officer's waiver as before."""

import pytest

from backend.grants.models import RuleSet
from backend.reporting.models import WorkPackageDeclaration
from tests.helpers import row_counts
from tests.reporting.helpers import accept, ready_to_submit, travel, url

pytestmark = pytest.mark.django_db


def _as(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def _declare(api_client, project, rp: int, number: int, body: dict):
    return api_client.put(url(project, f"{rp}/work-packages/{number}"), body, format="json")


def test_point_4_the_officer_rejects_one_work_package_and_the_consortium_declares_it_again(
    api_client, grant, grant_users
):
    manager, officer = grant_users["manager"], grant_users["officer"]
    with travel():
        ready_to_submit(grant, grant_users)
        for number in (2, 3):
            declared = _declare(
                _as(api_client, manager),
                grant,
                1,
                number,
                {"completed": True, "completed_on": "2025-08-20"},
            )
            assert declared.status_code == 200, declared.content
        assert api_client.post(url(grant, "1/submit")).status_code == 200
        # The whole report can still be sent back, and comes back.
        sent_back = _as(api_client, officer).post(
            url(grant, "1/request-changes"), {"comments": "Attach WP3's report."}, format="json"
        )
        assert sent_back.json()["status"] == "changes_requested"
        assert _as(api_client, manager).post(url(grant, "1/submit")).status_code == 200

        approved = _as(api_client, officer).post(
            url(grant, "1/approve"),
            {
                "comments": "WP2 accepted.",
                "decisions": {
                    "2": {"decision": "accepted"},
                    "3": {"decision": "rejected", "reason": "The pilot did not run."},
                },
            },
            format="json",
        )
        rp2 = _as(api_client, manager).get(url(grant, "2")).json()
        again = _declare(api_client, grant, 2, 3, {"completed": True, "completed_on": "2026-02-01"})

    assert approved.status_code == 200, approved.content
    decided = {
        wp["number"]: (wp["declaration"]["decision"], wp["declaration"]["decision_reason"])
        for wp in approved.json()["work_packages"]
        if wp["declaration"]["completed"]
    }
    assert decided == {2: ("accepted", ""), 3: ("rejected", "The pilot did not run.")}
    versions = _as(api_client, officer).get(url(grant, "1/versions/2")).json()
    assert {d["work_package"]: d["decision"] for d in versions["content"]["declarations"]}[3] == (
        "rejected"
    )
    assert [wp["number"] for wp in rp2["work_packages"]] == [1, 3, 4, 5, 6, 7, 8]
    assert again.status_code == 200, again.content
    assert (
        WorkPackageDeclaration.objects.filter(work_package__number=3, completed=True).count() == 2
    )


def test_point_8_unaccepted_deliverables_are_a_warning_unless_the_rule_set_requires_them(
    api_client, grant, grant_users
):
    manager, officer = grant_users["manager"], grant_users["officer"]
    accept(grant, "D6.1", "D6.2")
    body = {"completed": True, "completed_on": "2025-08-01"}

    # The default rule set: declared, and the officer is warned.
    declared = _declare(_as(api_client, manager), grant, 1, 6, body)
    warned = _as(api_client, officer).get(url(grant, "1")).json()["warnings"]

    # A rule set that requires every deliverable accepted: refused, nothing written.
    RuleSet.objects.filter(calls__projects=grant).update(
        completion_needs_accepted_deliverables=True
    )
    WorkPackageDeclaration.objects.all().delete()
    before = row_counts()
    refused = _declare(_as(api_client, manager), grant, 1, 6, body)
    after_refusal = row_counts()
    # ... unless an officer waives it: then no warning either.
    waived = _as(api_client, officer).post(
        f"/api/v1/projects/{grant.pk}/work-packages/6/waiver",
        {"reason": "D6.3 to D6.5 were merged into D6.2."},
        format="json",
    )
    after_waiver = _declare(_as(api_client, manager), grant, 1, 6, body)
    warnings_after_waiver = api_client.get(url(grant, "1")).json()["warnings"]

    assert declared.status_code == 200, declared.content
    assert warned == [
        {
            "work_package": 6,
            "deliverables": ["D6.3", "D6.4", "D6.5"],
            "message": "WP6 is declared completed while D6.3, D6.4 and D6.5 are not accepted.",
        }
    ]
    assert (refused.status_code, refused.json()) == (
        409,
        {
            "detail": "WP6 cannot be declared completed: not every deliverable is accepted "
            "(D6.3, D6.4, D6.5), and no officer has waived that."
        },
    )
    assert after_refusal == before
    assert waived.status_code == 201, waived.content
    assert after_waiver.status_code == 200, after_waiver.content
    assert warnings_after_waiver == []


def test_one_deliverable_not_accepted_is_named_alone(api_client, grant, grant_users):
    accept(grant, "D6.1", "D6.2", "D6.3", "D6.4")
    _declare(
        _as(api_client, grant_users["manager"]),
        grant,
        1,
        6,
        {"completed": True, "completed_on": "2025-08-01"},
    )

    warnings = _as(api_client, grant_users["partner_contact"]).get(url(grant, "1")).json()

    assert [w["message"] for w in warnings["warnings"]] == [
        "WP6 is declared completed while D6.5 is not accepted."
    ]
