"""After a termination, the manager builds an Annex 2 reallocation of the leaver's unpaid shares
in the browser, sees what it does to each beneficiary as the shares are typed, and submits it;
the officer approves it on the request's page; the instalment split follows the new shares.

The demo's CARETECH: LINDENAU left in the second year, still holding shares of work packages
not yet paid (the flag of unallocated shares says so). Each of its shares goes to the lead of
the work package."""

from decimal import Decimal

from playwright.sync_api import expect

from backend.amendments.kinds.breakdown import paid_work_packages
from backend.amendments.models import AmendmentRequest, AmendmentStatus
from backend.grants.models import Project
from backend.payments.rules import split
from backend.workplan.models import WorkPackage, WorkPackageShare
from monitoring.models import Flag, FlagKind
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST


def _shares(project) -> dict[tuple[int, str], Decimal]:
    return {
        (number, key): amount
        for number, key, amount in WorkPackageShare.objects.filter(
            work_package__project=project
        ).values_list("work_package__number", "participation__short_name", "amount_eur")
    }


def _split(page, site, project, key: str) -> dict[str, str]:
    response = page.request.get(
        f"{site}/api/v1/projects/{project.pk}/instalments/{key}/beneficiaries"
    )
    assert response.ok, response.text()
    return {row["participant"]: row["amount"] for row in response.json()}


def test_a_manager_reallocates_a_leavers_shares_and_the_officer_approves(page, site):
    project = Project.objects.get(acronym="CARETECH")
    paid = paid_work_packages([project.pk])[project.pk]
    before = _shares(project)
    leads = dict(
        WorkPackage.objects.filter(project=project).values_list("number", "lead__short_name")
    )
    moves = {
        number: amount
        for (number, key), amount in before.items()
        if key == "LINDENAU" and amount > 0 and number not in paid
    }
    assert moves, "the demo's leaver holds shares of work packages not yet paid"
    assert Flag.objects.filter(
        project=project, kind=FlagKind.UNALLOCATED_SHARES, resolved_at__isnull=True
    ).exists()
    moved = sum(moves.values(), Decimal("0.00"))

    sign_in(page, site, "manager")
    page.goto(f"{site}/projects/{project.pk}/amendments/")
    page.get_by_role("link", name="New Annex 2 request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New Annex 2 request for CARETECH")
    page.evaluate("window.sameDocument = true")

    page.get_by_label("Justification").fill(
        "LINDENAU left; the work packages' leads take its part."
    )
    page.get_by_label("Takes effect on").fill(project.month_start(34).isoformat())
    for number, amount in moves.items():
        lead = leads[number]
        page.get_by_label(f"WP{number} share of LINDENAU", exact=True).fill("0.00")
        page.get_by_label(f"WP{number} share of {lead}", exact=True).fill(
            f"{before[(number, lead)] + amount:.2f}"
        )
    page.get_by_label("Takes effect on").press("Tab")

    # What it does to each beneficiary, without a reload.
    beneficiaries = page.locator("#annex2-what-if-result table.money-beneficiaries")
    leaver = beneficiaries.locator("tr", has=page.get_by_role("rowheader", name="LINDENAU"))
    expect(leaver).to_contain_text(f"{moved:.2f}")
    expect(leaver.locator("td").nth(1)).to_have_text("0.00")
    expect(leaver.locator("td").nth(2)).to_have_text(f"{-moved:.2f}")
    gains: dict[str, Decimal] = {}
    for number, amount in moves.items():
        gains[leads[number]] = gains.get(leads[number], Decimal("0.00")) + amount
    for lead, gain in gains.items():
        row = beneficiaries.locator("tr", has=page.get_by_role("rowheader", name=lead, exact=True))
        expect(row.locator("td").nth(2)).to_have_text(f"{gain:.2f}")
    expect(page.locator("#annex2-what-if-result")).to_contain_text("The maximum grant stays EUR")
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "manager-annex2-builder")

    page.get_by_role("button", name="Save as draft").click()
    amendment = AmendmentRequest.objects.get(
        project=project, changes__kind="change_lump_sum_breakdown"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Amendment request {amendment.pk} of CARETECH"
    )
    expect(page.get_by_role("table", name="The changes requested, in order")).to_contain_text(
        "LINDENAU EUR 0.00"
    )
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_text("The amendment request was submitted to the agency.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    prefinancing_before = _split_after_sign_in(page, site, project, "officer")
    assert Decimal(prefinancing_before["LINDENAU"]) > 0
    page.goto(f"{site}/projects/{project.pk}/amendments/{amendment.pk}/")
    money = page.locator("table.money-beneficiaries")
    expect(money.locator("tr", has=page.get_by_role("rowheader", name="LINDENAU"))).to_contain_text(
        f"{-moved:.2f}"
    )
    screenshot(page, "officer-annex2-request")
    page.get_by_role("button", name="Approve and apply the changes").click()
    expect(
        page.get_by_text("The amendment request was approved; its changes are in the grant record.")
    ).to_be_visible()

    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.APPROVED
    after = _shares(project)
    assert all(after.get((number, "LINDENAU"), Decimal("0.00")) == 0 for number in moves)
    for number, amount in moves.items():
        assert after[(number, leads[number])] == before[(number, leads[number])] + amount
    # The instalment split follows: the pre-financing divides by the new shares of the grant.
    prefinancing = _split(page, site, project, "prefinancing")
    totals: dict[str, Decimal] = {}
    for (_number, key), amount in after.items():
        totals[key] = totals.get(key, Decimal("0.00")) + amount
    amount = sum(map(Decimal, prefinancing.values()), Decimal("0.00"))
    assert amount == sum(map(Decimal, prefinancing_before.values()), Decimal("0.00"))
    assert prefinancing == {key: f"{value:.2f}" for key, value in split(amount, totals).items()}
    assert prefinancing.get("LINDENAU", "0.00") == "0.00"
    for lead in gains:
        assert Decimal(prefinancing[lead]) > Decimal(prefinancing_before[lead])


def _split_after_sign_in(page, site, project, username: str) -> dict[str, str]:
    sign_in(page, site, username)
    return _split(page, site, project, "prefinancing")
