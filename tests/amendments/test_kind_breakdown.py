"""Annex 2, the lump-sum breakdown, through the API: the what-if of a reallocation per
beneficiary with nothing written, its approval applied at once with its audit event, the checks
naming the field with nothing written, and edge case 27 (the maximum grant above the call's).

The demo grant: LINDENAU left on 2025-06-30 holding EUR 5,652.17 of WP1, 19,200.00 of WP4 and
12,400.00 of WP5; the lump sums add up to the maximum grant of EUR 3,998,750.00; no work
package is paid."""

import datetime
from decimal import Decimal

import pytest

from backend.amendments.models import AmendmentRequest, AmendmentStatus
from backend.audit.models import Event
from backend.payments.models import Instalment
from backend.workplan.models import WorkPackage, WorkPackageShare
from tests.amendments.helpers import row_counts

pytestmark = pytest.mark.django_db

EFFECTIVE = "2026-07-01"
# LINDENAU's shares to the work packages' leads.
REALLOCATION = {
    "work_packages": {
        "1": {"LINDENAU": "0.00", "GAUJA": "231739.13"},
        "4": {"LINDENAU": "0.00", "UKELB": "185600.00"},
        "5": {"LINDENAU": "0.00", "PUAS": "136400.00"},
    }
}


def _change(details, effective_on=EFFECTIVE) -> dict:
    return {"kind": "change_lump_sum_breakdown", "effective_on": effective_on, "details": details}


def _url(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/amendments/{suffix}"


def _paths(response) -> dict[str, str]:
    return {error["path"]: error["message"] for error in response.json()["errors"]}


def _shares(project, number: int) -> dict[str, Decimal]:
    return dict(
        WorkPackageShare.objects.filter(
            work_package__project=project, work_package__number=number
        ).values_list("participation__short_name", "amount_eur")
    )


def test_the_what_if_shows_each_beneficiarys_shares_before_and_after_and_writes_nothing(
    api_client, demo, users
):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    response = api_client.post(
        _url(demo, "what-if"), {"changes": [_change(REALLOCATION)]}, format="json"
    )

    assert response.status_code == 200, response.content
    assert row_counts() == before
    money = response.json()["money"]
    assert (money["max_grant_before"], money["max_grant_after"]) == ("3998750.00", "3998750.00")
    assert money["review"] == []
    by_name = {row["participant"]: row for row in money["beneficiaries"]}
    assert by_name["LINDENAU"] == {
        "participant": "LINDENAU",
        "before": "37252.17",
        "after": "0.00",
        "difference": "-37252.17",
    }
    assert [by_name[key]["difference"] for key in ("GAUJA", "UKELB", "PUAS")] == [
        "5652.17",
        "19200.00",
        "12400.00",
    ]
    assert (
        by_name["GAUJA"]["after"] == f"{Decimal(by_name['GAUJA']['before']) + Decimal('5652.17')}"
    )
    unchanged = [row for row in money["beneficiaries"] if row["difference"] == "0.00"]
    assert len(unchanged) == len(money["beneficiaries"]) - 4
    # The reallocation keeps the totals: no instalment's projected amount moves.
    assert money["instalments"]
    assert not any(row["changed"] for row in money["instalments"])
    # The consortium's verdict is not the change's business.
    assert response.json()["effective_on"] == EFFECTIVE


def test_approval_writes_the_new_shares_at_once_with_its_audit_event(api_client, demo, users):
    api_client.force_authenticate(users["manager"])
    created = api_client.post(
        _url(demo),
        {"justification": "LINDENAU's part goes to the leads.", "changes": [_change(REALLOCATION)]},
        format="json",
    )
    assert created.status_code == 201, created.content
    amendment_id = created.json()["id"]
    assert created.json()["what_if"]["money"]["beneficiaries"]
    assert _shares(demo, 1)["LINDENAU"] == Decimal("5652.17")  # a draft changes nothing
    submitted = api_client.post(_url(demo, f"{amendment_id}/submit"), {}, format="json")
    assert submitted.status_code == 200, submitted.content

    api_client.force_authenticate(users["officer"])
    approved = api_client.post(
        _url(demo, f"{amendment_id}/approve"), {"note": "Agreed."}, format="json"
    )

    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert AmendmentRequest.objects.get(pk=amendment_id).status == AmendmentStatus.APPROVED
    wp1, wp4, wp5 = _shares(demo, 1), _shares(demo, 4), _shares(demo, 5)
    assert all("LINDENAU" not in shares for shares in (wp1, wp4, wp5))
    assert (wp1["GAUJA"], wp4["UKELB"], wp5["PUAS"]) == (
        Decimal("231739.13"),
        Decimal("185600.00"),
        Decimal("136400.00"),
    )
    for number in (1, 4, 5):
        package = WorkPackage.objects.get(project=demo, number=number)
        assert sum(_shares(demo, number).values()) == package.lump_sum_eur
    demo.refresh_from_db()
    assert demo.max_grant_eur == Decimal("3998750.00")
    event = Event.objects.get(verb="amendment.approved", project=demo)
    assert event.after["changes"] == 1
    # The pre-financing now splits without LINDENAU.
    split = api_client.get(f"/api/v1/projects/{demo.pk}/instalments/prefinancing/beneficiaries")
    assert split.status_code == 200, split.content
    assert "LINDENAU" not in {row["participant"] for row in split.json() if row["amount"] != "0.00"}


def test_a_failing_approval_writes_no_share(api_client, demo, users, monkeypatch):
    """The shares are written in the approval's transaction: a failure later in it leaves the
    record as it was."""
    from backend.amendments import services

    api_client.force_authenticate(users["manager"])
    created = api_client.post(
        _url(demo),
        {"justification": "Reallocation.", "changes": [_change(REALLOCATION)]},
        format="json",
    )
    amendment_id = created.json()["id"]
    api_client.post(_url(demo, f"{amendment_id}/submit"), {}, format="json")
    before = row_counts("workplan", "grants")
    shares = _shares(demo, 1)

    def broken(*args, **kwargs):
        raise RuntimeError("the decision could not be recorded")

    monkeypatch.setattr(services, "_decide", broken)
    api_client.force_authenticate(users["officer"])
    with pytest.raises(RuntimeError):
        api_client.post(_url(demo, f"{amendment_id}/approve"), {}, format="json")

    assert row_counts("workplan", "grants") == before
    assert _shares(demo, 1) == shares


@pytest.mark.parametrize(
    ("details", "path", "words"),
    [
        (
            {"work_packages": {"1": {"LINDENAU": "0.00", "GAUJA": "231739.12"}}},
            "changes[0].details.work_packages.1",
            "would add up to EUR 519,999.99; its lump sum is EUR 520,000.00",
        ),
        (
            {"work_packages": {"1": {"GAUJA": "226086.9"}}},
            "changes[0].details.work_packages.1.GAUJA",
            "two decimals",
        ),
        (
            {"work_packages": {"1": {"GAUJA": "-1.00"}}},
            "changes[0].details.work_packages.1.GAUJA",
            "not negative",
        ),
        (
            {"work_packages": {"1": {"GAUJMALA": "10.00", "GAUJA": "226076.96"}}},
            "changes[0].details.work_packages.1.GAUJMALA",
            "associated partner receives no share",
        ),
        (
            {"work_packages": {"1": {"LINDENAU": "5653.17", "GAUJA": "226085.96"}}},
            "changes[0].details.work_packages.1.LINDENAU",
            "left the project on 2025-06-30",
        ),
        (
            {"work_packages": {"9": {"GAUJA": "1.00"}}},
            "changes[0].details.work_packages.9",
            "no work package 9",
        ),
        (
            {"work_packages": {"1": {"NOBODY": "1.00"}}},
            "changes[0].details.work_packages.1.NOBODY",
            'short name "NOBODY"',
        ),
        (
            {"work_packages": {"1": {"GAUJA": "226087.96"}}, "max_grant_eur": "3998750.00"},
            "changes[0].details.max_grant_eur",
            "would add up to EUR 3,998,751.00; they must add up to the maximum grant",
        ),
        ({"work_packages": {}}, "changes[0].details.work_packages", "Give the new shares"),
        ({"shares": {}}, "changes[0].details.shares", "does not use"),
    ],
)
def test_a_refused_change_names_the_field_and_writes_nothing(
    api_client, demo, users, details, path, words
):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    response = api_client.post(
        _url(demo), {"justification": "Shares.", "changes": [_change(details)]}, format="json"
    )

    assert response.status_code == 400, response.content
    errors = _paths(response)
    assert path in errors, errors
    assert words in errors[path]
    assert row_counts() == before


def test_a_paid_work_package_keeps_its_shares(api_client, demo, users):
    Instalment.objects.create(
        project=demo,
        key="rp1",
        kind="interim",
        reporting_period=demo.reporting_periods.get(number=1),
        amount_eur=Decimal("100.00"),
        work_packages=[4],
        approved_at=datetime.datetime(2025, 11, 3, 9, 0, tzinfo=datetime.UTC),
        approved_by=users["officer"],
    )
    api_client.force_authenticate(users["manager"])

    response = api_client.post(
        _url(demo, "what-if"), {"changes": [_change(REALLOCATION)]}, format="json"
    )

    assert response.status_code == 400, response.content
    errors = _paths(response)
    assert list(errors) == ["changes[0].details.work_packages.4"]
    assert (
        "WP4 is already paid; its shares cannot change."
        in errors["changes[0].details.work_packages.4"]
    )


# -- edge case 27: the maximum grant ------------------------------------------------------------


def test_edge_case_27_a_maximum_grant_above_the_calls_is_refused(api_client, demo, users):
    api_client.force_authenticate(users["manager"])
    before = row_counts()

    response = api_client.post(
        _url(demo, "what-if"),
        {
            "changes": [
                _change(
                    {
                        "work_packages": {"8": {"EMAJOE": "92200.01"}},
                        "max_grant_eur": "4000000.01",
                    }
                )
            ]
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert _paths(response) == {
        "changes[0].details.max_grant_eur": "EUR 4,000,000.01 is above the call's maximum grant "
        "of EUR 4,000,000.00; no amendment can raise the grant beyond it."
    }
    assert row_counts() == before


def test_edge_case_27_an_increase_within_the_cap_shows_for_review(api_client, demo, users):
    """Up to the call's maximum the increase is allowed; the what-if shows the maximum grant
    before and after, for the officer to review."""
    api_client.force_authenticate(users["manager"])

    response = api_client.post(
        _url(demo, "what-if"),
        {
            "changes": [
                _change(
                    {"work_packages": {"8": {"EMAJOE": "92450.00"}}, "max_grant_eur": "3999999.99"}
                )
            ]
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    # 1,250.00 more for WP8 makes 4,000,000.00, not 3,999,999.99: the totals stay exact.
    assert list(_paths(response)) == ["changes[0].details.max_grant_eur"]

    response = api_client.post(
        _url(demo, "what-if"),
        {
            "changes": [
                _change(
                    {"work_packages": {"8": {"EMAJOE": "92450.00"}}, "max_grant_eur": "4000000.00"}
                )
            ]
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    money = response.json()["money"]
    assert (money["max_grant_before"], money["max_grant_after"]) == ("3998750.00", "4000000.00")
    assert money["review"] == ["max_grant_increase"]
    emajoe = next(row for row in money["beneficiaries"] if row["participant"] == "EMAJOE")
    assert emajoe["difference"] == "1250.00"
    prefinancing = next(row for row in money["instalments"] if row["key"] == "prefinancing")
    # 40 % of the maximum grant, before and after.
    assert (prefinancing["projected_before"], prefinancing["projected_after"]) == (
        "1599500.00",
        "1600000.00",
    )
    assert prefinancing["changed"] is True
