"""Annex 1, the work plan, through the API: the what-if with nothing written, approval applying
every entry at once with its audit event (a moved deliverable keeps its history as a due-date
revision), and the checks naming the field with nothing written.

The demo grant: 48 months from 2024-03-01; D1.4 (WP1, GAUJA) is due in month 24; LINDENAU left
on 2025-06-30; GAUJMALA is an associated partner."""

import datetime
from decimal import Decimal

import pytest

from backend.amendments.models import AmendmentRequest, AmendmentStatus
from backend.audit.models import Event
from backend.workplan.models import Deliverable, DeliverableStatus, Milestone, WorkPackage
from tests.amendments.helpers import row_counts

pytestmark = pytest.mark.django_db

EFFECTIVE = "2026-07-01"
NEW_WP = {
    "number": 9,
    "title": "Regional skills observatory",
    "lead": "NEMPOLY",
    "clusters": ["cooperation_partnership"],
    "start_month": 30,
    "end_month": 48,
}
PLAN = {
    "work_packages": [NEW_WP, {"number": 2, "lead": "ZILEMED"}],
    "deliverables": [
        {"code": "D1.4", "due_month": 26, "title": "Mid-term evaluation report"},
        {
            "code": "D9.1",
            "title": "Observatory's first bulletin",
            "work_package": 9,
            "lead": "NEMPOLY",
            "due_month": 40,
            "type": "R",
            "dissemination": "PU",
        },
    ],
    "milestones": [
        {
            "code": "MS20",
            "title": "Observatory open",
            "work_packages": [9],
            "lead": "NEMPOLY",
            "due_month": 36,
            "verification": "The observatory's website",
        }
    ],
}


def _change(details) -> dict:
    return {"kind": "change_work_plan", "effective_on": EFFECTIVE, "details": details}


def _url(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/amendments/{suffix}"


def _paths(response) -> dict[str, str]:
    return {error["path"]: error["message"] for error in response.json()["errors"]}


def test_the_what_if_of_a_work_plan_change_writes_nothing(api_client, demo, users):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    response = api_client.post(_url(demo, "what-if"), {"changes": [_change(PLAN)]}, format="json")

    assert response.status_code == 200, response.content
    assert row_counts() == before
    body = response.json()
    assert body["effective_on"] == EFFECTIVE
    # A new work package joins with no lump sum: the schedule and the shares do not move.
    money = body["money"]
    assert not any(row["changed"] for row in money["instalments"])
    assert {row["difference"] for row in money["beneficiaries"]} == {"0.00"}
    assert body["verdict"]["status"] == body["verdict_before"]["status"]


def test_approval_applies_the_work_plan_at_once_and_keeps_a_moved_deliverables_history(
    api_client, demo, users
):
    api_client.force_authenticate(users["manager"])
    created = api_client.post(
        _url(demo),
        {"justification": "A sixth work stream.", "changes": [_change(PLAN)]},
        format="json",
    )
    assert created.status_code == 201, created.content
    amendment_id = created.json()["id"]
    assert (
        api_client.post(_url(demo, f"{amendment_id}/submit"), {}, format="json").status_code == 200
    )

    api_client.force_authenticate(users["officer"])
    approved = api_client.post(_url(demo, f"{amendment_id}/approve"), {}, format="json")

    assert approved.status_code == 200, approved.content
    assert AmendmentRequest.objects.get(pk=amendment_id).status == AmendmentStatus.APPROVED
    wp9 = WorkPackage.objects.get(project=demo, number=9)
    assert (wp9.title, wp9.lead.short_name, wp9.start_month, wp9.end_month, wp9.lump_sum_eur) == (
        "Regional skills observatory",
        "NEMPOLY",
        30,
        48,
        Decimal("0.00"),
    )
    assert [c.code for c in wp9.clusters.all()] == ["cooperation_partnership"]
    assert WorkPackage.objects.get(project=demo, number=2).lead.short_name == "ZILEMED"
    moved = Deliverable.objects.get(project=demo, code="D1.4")
    assert (moved.due_month, moved.due_on, moved.title) == (
        26,
        datetime.date(2026, 4, 30),
        "Mid-term evaluation report",
    )
    revision = moved.due_date_revisions.get()
    assert (revision.previous_on, revision.new_on) == (
        datetime.date(2026, 2, 28),
        datetime.date(2026, 4, 30),
    )
    assert revision.revised_by == users["officer"]
    assert f"amendment request {amendment_id}" in revision.reason
    added = Deliverable.objects.get(project=demo, code="D9.1")
    assert (added.work_package_id, added.due_on, added.status) == (
        wp9.pk,
        datetime.date(2027, 6, 30),
        DeliverableStatus.PENDING,
    )
    milestone = Milestone.objects.get(project=demo, code="MS20")
    assert [wp.number for wp in milestone.work_packages.all()] == [9]
    assert Event.objects.filter(verb="amendment.approved", project=demo).count() == 1


def _submitted(deliverable: Deliverable) -> None:
    deliverable.status = DeliverableStatus.SUBMITTED
    deliverable.delivered_on = datetime.date(2024, 5, 30)
    deliverable.save()


@pytest.mark.parametrize(
    ("details", "path", "words"),
    [
        (
            {"deliverables": [{"code": "D1.1", "remove": True}]},
            "changes[0].details.deliverables[0].remove",
            "D1.1 is already submitted; it keeps its history",
        ),
        (
            {"work_packages": [{"number": 3, "remove": True}]},
            "changes[0].details.work_packages[0].remove",
            "WP3 cannot be removed: it has deliverables",
        ),
        (
            {"deliverables": [{"code": "D1.4", "due_month": 49}]},
            "changes[0].details.deliverables[0].due_month",
            "from 1 to 48",
        ),
        (
            {"work_packages": [{"number": 2, "lead": "LINDENAU"}]},
            "changes[0].details.work_packages[0].lead",
            '"LINDENAU" is not',
        ),
        (
            {"work_packages": [{"number": 2, "lead": "GAUJMALA"}]},
            "changes[0].details.work_packages[0].lead",
            '"GAUJMALA" is not',
        ),
        (
            {"work_packages": [{"number": 2, "clusters": ["sports"]}]},
            "changes[0].details.work_packages[0].clusters",
            "teaching_learning",
        ),
        (
            {"work_packages": [{**NEW_WP, "start_month": 40, "end_month": 35}]},
            "changes[0].details.work_packages[0].end_month",
            "before the start month",
        ),
        (
            {"work_packages": [{"number": 10, "title": "Half a package"}]},
            "changes[0].details.work_packages[0].lead",
            "A new item needs this field",
        ),
        (
            {"deliverables": [{"code": "D1.4", "work_package": 12}]},
            "changes[0].details.deliverables[0].work_package",
            "no work package 12",
        ),
        (
            {"deliverables": [{"code": "D1.4", "type": "PDF"}]},
            "changes[0].details.deliverables[0].type",
            "Give one of R, DEM",
        ),
        ({"tasks": []}, "changes[0].details.tasks", "does not use"),
    ],
)
def test_a_refused_work_plan_change_names_the_field_and_writes_nothing(
    api_client, demo, users, details, path, words
):
    _submitted(Deliverable.objects.get(project=demo, code="D1.1"))
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    response = api_client.post(
        _url(demo), {"justification": "Plan.", "changes": [_change(details)]}, format="json"
    )

    assert response.status_code == 400, response.content
    errors = _paths(response)
    assert path in errors, errors
    assert words in errors[path]
    assert row_counts() == before


def test_an_annex_2_change_after_it_gives_a_new_work_package_its_shares(api_client, demo, users):
    """The new work package's lump sum comes from another's, the maximum grant unchanged."""
    api_client.force_authenticate(users["manager"])
    changes = [
        _change({"work_packages": [NEW_WP]}),
        {
            "kind": "change_lump_sum_breakdown",
            "effective_on": EFFECTIVE,
            "details": {
                "work_packages": {
                    "8": {"EMAJOE": "81200.00"},
                    "9": {"NEMPOLY": "10000.00"},
                },
                "max_grant_eur": "3998750.00",
            },
        },
    ]

    response = api_client.post(_url(demo, "what-if"), {"changes": changes}, format="json")

    assert response.status_code == 200, response.content
    money = response.json()["money"]
    nempoly = next(row for row in money["beneficiaries"] if row["participant"] == "NEMPOLY")
    emajoe = next(row for row in money["beneficiaries"] if row["participant"] == "EMAJOE")
    assert (nempoly["difference"], emajoe["difference"]) == ("10000.00", "-10000.00")
    assert money["max_grant_after"] == "3998750.00"


def _wp8_removal(demo) -> dict:
    """WP8 with its deliverables and its milestone MS11 taken out of the work plan."""
    codes = Deliverable.objects.filter(project=demo, work_package__number=8).values_list(
        "code", flat=True
    )
    return _change(
        {
            "work_packages": [{"number": 8, "remove": True}],
            "deliverables": [{"code": code, "remove": True} for code in codes],
            "milestones": [{"code": "MS11", "remove": True}],
        }
    )


def test_a_work_package_with_shares_is_removed_only_once_annex_2_empties_it(
    api_client, demo, users
):
    api_client.force_authenticate(users["manager"])
    refused = api_client.post(
        _url(demo, "what-if"), {"changes": [_wp8_removal(demo)]}, format="json"
    )
    assert refused.status_code == 400, refused.content
    assert _paths(refused) == {
        "changes[0].details.work_packages[0].remove": "WP8 cannot be removed: it has lump-sum "
        "shares (move them with an Annex 2 change first)."
    }

    # Each holder's share of WP8 goes to its share of WP1: WP1's lump sum takes WP8's.
    shares = {
        number: dict(
            WorkPackage.objects.get(project=demo, number=number).shares.values_list(
                "participation__short_name", "amount_eur"
            )
        )
        for number in (1, 8)
    }
    annex_2 = {
        "kind": "change_lump_sum_breakdown",
        "effective_on": EFFECTIVE,
        "details": {
            "work_packages": {
                "8": dict.fromkeys(shares[8], "0.00"),
                "1": {
                    key: f"{shares[1].get(key, Decimal('0.00')) + amount:.2f}"
                    for key, amount in shares[8].items()
                },
            },
            "max_grant_eur": "3998750.00",
        },
    }
    created = api_client.post(
        _url(demo),
        {"justification": "WP8 merges into WP1.", "changes": [annex_2, _wp8_removal(demo)]},
        format="json",
    )
    assert created.status_code == 201, created.content
    money = created.json()["what_if"]["money"]
    assert {row["difference"] for row in money["beneficiaries"]} == {"0.00"}
    amendment_id = created.json()["id"]
    api_client.post(_url(demo, f"{amendment_id}/submit"), {}, format="json")
    api_client.force_authenticate(users["officer"])
    approved = api_client.post(_url(demo, f"{amendment_id}/approve"), {}, format="json")

    assert approved.status_code == 200, approved.content
    assert list(
        WorkPackage.objects.filter(project=demo).order_by("number").values_list("number", flat=True)
    ) == [1, 2, 3, 4, 5, 6, 7]
    assert WorkPackage.objects.get(project=demo, number=1).lump_sum_eur == Decimal("900000.00")
    assert not Deliverable.objects.filter(project=demo, code__startswith="D8.").exists()
    assert not Milestone.objects.filter(project=demo, code="MS11").exists()
