"""A project manager looks at the consortium, builds an amendment request that would break
eligibility, watches the what-if say so as the fields are chosen (no page reload), and saves it
as a draft."""

from playwright.sync_api import expect

from backend.amendments.models import AmendmentRequest, AmendmentStatus
from backend.grants.models import Project
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST


def test_a_manager_sees_the_breach_of_an_amendment_as_it_is_built_and_saves_it(page, site):
    project = Project.objects.get(acronym="CARETECH")
    sign_in(page, site, "manager")

    page.goto(f"{site}/projects/{project.pk}/consortium/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consortium of CARETECH")
    expect(page.get_by_text("The coordinator GAUJA is established in LV")).to_be_visible()
    screenshot(page, "manager-consortium")

    page.get_by_role("link", name="Amendment requests").click()
    page.get_by_role("link", name="New amendment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New amendment request for CARETECH")
    # A mark that survives as long as the page is not reloaded.
    page.evaluate("window.sameDocument = true")

    # Choosing the kind re-draws the row with the fields that kind uses.
    page.get_by_label("Kind of change").select_option("change_coordinator")
    page.get_by_label("New coordinator").select_option("ZORIANE")
    # the first day of month 35, two months ahead (the demo is in month 33)
    effective = project.month_start(35).isoformat()
    page.get_by_label("Takes effect on").fill(effective)

    what_if = page.locator("#what-if-result")
    expect(what_if).to_contain_text("With these changes the consortium would breach")
    expect(what_if).to_contain_text(
        f"from M35 · {effective}: a coordinator from an eligible country"
    )
    expect(what_if.locator("tr.turns-breach")).to_contain_text("Would become a breach")
    expect(what_if).to_contain_text(
        "The coordinator ZORIANE is established in UA, which is neither an EU Member State nor "
        "a third country associated to the programme."
    )
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "manager-amendment-builder")

    page.get_by_label("Justification").fill("ZORIANE takes over the coordination.")
    page.get_by_role("button", name="Save as draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Amendment request {AmendmentRequest.objects.get(project=project).pk} of CARETECH"
    )
    expect(page.get_by_text("The amendment request was saved as a draft.")).to_be_visible()
    expect(page.get_by_role("table", name="The changes requested, in order")).to_contain_text(
        "Change of coordinator"
    )
    saved = AmendmentRequest.objects.get(project=project)
    assert saved.status == AmendmentStatus.DRAFT
    assert saved.justification == "ZORIANE takes over the coordination."
    assert [(c.kind, c.participation.short_name) for c in saved.changes.all()] == [
        ("change_coordinator", "ZORIANE")
    ]
