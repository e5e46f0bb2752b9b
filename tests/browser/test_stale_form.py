"""Two tabs on one contribution: both type, both save. The first save is kept; the second is
refused as stale, and its tab shows the "changed by someone else" message with its own text
still in the field and a link to the current version."""

from backend.grants.models import Participation
from backend.reporting.models import Contribution
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST

FIRST = "Module handbook, as the first tab has it."
SECOND = "Trainers' guide, as the second tab has it."


def test_the_second_of_two_tabs_to_save_sees_the_message_and_keeps_its_text(page, site):
    # partner1 acts for NEMPOLY, whose draft for CARETECH's RP2 report the demo holds
    nempoly = Participation.objects.get(project__acronym="CARETECH", short_name="NEMPOLY")
    url = f"{site}/projects/{nempoly.project_id}/reports/2/contributions/{nempoly.pk}/"
    sign_in(page, site, "partner1")
    other = page.context.new_page()
    for tab in (page, other):
        tab.goto(url)
        tab.wait_for_load_state("networkidle")

    page.locator("#id_wp3_outputs").fill(FIRST)
    other.locator("#id_wp3_outputs").fill(SECOND)
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Your draft was saved.").is_visible()

    other.get_by_role("button", name="Save draft").click()
    other.wait_for_load_state("networkidle")

    alert = other.get_by_role("alert")
    assert "Someone else changed this document since you opened it" in alert.inner_text()
    assert other.locator("#id_wp3_outputs").input_value() == SECOND
    link = alert.get_by_role("link", name="See the current version (opens in a new tab)")
    assert link.get_attribute("href") == url.removeprefix(site)
    screenshot(other, "stale-contribution")
    contribution = Contribution.objects.get(
        report__reporting_period__number=2, participation=nempoly
    )
    assert contribution.entries.get(work_package__number=3).outputs == FIRST

    # Saving again, having been told, replaces the current version with what the tab holds.
    other.get_by_role("button", name="Save draft").click()
    other.wait_for_load_state("networkidle")
    assert other.get_by_text("Your draft was saved.").is_visible()
    assert contribution.entries.get(work_package__number=3).outputs == SECOND
