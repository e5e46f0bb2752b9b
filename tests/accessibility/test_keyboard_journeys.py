"""Keyboard journeys in a real browser, with no mouse: the officer triages two flags from the
portfolio, the manager uploads and submits a deliverable from the project home. Only keys are
pressed (Tab, Enter, Space, arrows, typed text); at each step the focused element must be on
screen with a visible focus indicator, focus must move forward in the page's reading order,
each htmx swap must be said in the page's live region, and the keyboard must not be lost to the
page's body after a swap."""

import re

from backend.accounts.models import User
from backend.common.dates import brussels_today
from backend.grants.models import Project
from backend.workplan.models import DeliverableStatus, EvidenceFile
from monitoring.models import Flag
from tests.browser.conftest import browser, page, page_problems, site  # noqa: F401
from tests.browser.helpers import BROWSER_TEST, screenshot
from tests.browser.keyboard import (
    ANNOUNCER,
    announced,
    focused_element,
    header_then_main,
    new_page,
    sign_in_by_keyboard,
    tab,
    tab_to,
)
from tests.browser.test_manager_journey import _pending_of_the_current_period
from tests.workplan.files import PDF

pytestmark = BROWSER_TEST


def _open_rows_in_page_order(
    page,  # noqa: F811
    project: Project,
) -> list[Flag]:
    ids = page.locator("tr.officer-flag:not(.is-resolved)").evaluate_all(
        "rows => rows.map(row => Number(row.id.replace('flag-', '')))"
    )
    flags = Flag.objects.in_bulk(ids)
    return [flags[pk] for pk in ids if flags[pk].project_id == project.pk]


def test_an_officer_triages_two_flags_from_the_portfolio_by_keyboard(page, site):  # noqa: F811
    project = Project.objects.get(acronym="CARETECH")
    officer = User.objects.get(username="officer")
    sign_in_by_keyboard(page, site, "officer")
    assert re.search(r"/portfolio/$", page.url), page.url

    # the skip link, the header in reading order, then the main content
    at = header_then_main(
        page, ["Grantwatch", "Portfolio", "Projects", "Settings", "Sign out", "Language"]
    )

    # down the portfolio to the project's link, then into its compliance page
    focused, passed = tab_to(page, lambda f: f["tag"] == "a" and f["name"] == "CARETECH", at=at)
    assert focused["inMain"]
    assert focused["href"].endswith(f"/projects/{project.pk}/compliance/")
    assert "Download as CSV" in passed  # the export comes before the table
    with page.expect_navigation():
        page.keyboard.press("Enter")
    new_page(page)
    assert page.get_by_role("heading", name="CARETECH: compliance").is_visible()
    page.evaluate("window.stillTheSamePage = true")

    first, second = _open_rows_in_page_order(page, project)[:2]
    assert page.locator(ANNOUNCER).inner_text() == ""

    # acknowledge the first with a note: typed in its field, the button pressed with Enter
    focused, _ = tab_to(page, lambda f: f["id"] == f"flag-{first.pk}-ack-note")
    assert focused["name"] == "Note (optional)"
    page.keyboard.type("Asked the coordinator for a date.")
    focused = tab(page)
    assert (focused["id"], focused["name"]) == (f"flag-{first.pk}-ack-button", "Acknowledge")
    page.keyboard.press("Enter")
    page.locator(f"#flag-{first.pk} .badge", has_text="Acknowledged").wait_for()
    announced(page, "The flag is acknowledged.")
    # the keyboard stays on the button pressed, as it came back
    focused = focused_element(page)
    assert (focused["id"], focused["name"]) == (
        f"flag-{first.pk}-ack-button",
        "Acknowledge again",
    )
    screenshot(page, "keyboard-officer-acknowledged")

    # resolve the second: without a note it is refused, the keyboard goes to the field
    page.evaluate("window.__keyboardLast = document.activeElement")
    focused, _ = tab_to(page, lambda f: f["id"] == f"flag-{second.pk}-resolve-button")
    assert focused["name"] == "Resolve"
    page.keyboard.press("Enter")
    page.locator(f"#flag-{second.pk} .errorlist").get_by_text(
        "Say why the flag is resolved."
    ).wait_for()
    announced(page, "Say why the flag is resolved.")
    focused = focused_element(page)
    assert (focused["id"], focused["name"]) == (
        f"flag-{second.pk}-resolve-note",
        "Why it is resolved (required)",
    )
    assert page.locator(f"#flag-{second.pk}-resolve-note").get_attribute("aria-invalid") == "true"
    page.keyboard.type("Handled at the monitoring visit.")
    page.evaluate("window.__keyboardLast = document.activeElement")
    focused = tab(page)
    assert (focused["id"], focused["name"]) == (f"flag-{second.pk}-resolve-button", "Resolve")
    page.keyboard.press("Enter")
    page.locator(f"#flag-{second.pk} .badge", has_text="Resolved").wait_for()
    announced(page, "The flag is resolved.")
    # its buttons went away: the keyboard is on the row's new state, not lost
    focused = focused_element(page)
    assert focused["tag"] == "td", focused
    assert focused["name"].startswith("Resolved"), focused
    assert page.evaluate("document.activeElement.closest('tr').id") == f"flag-{second.pk}"
    screenshot(page, "keyboard-officer-resolved")
    assert page.evaluate("window.stillTheSamePage") is True

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.acknowledged_by == officer
    assert first.acknowledgement_note == "Asked the coordinator for a date."
    assert first.resolved_at is None
    assert (second.resolution, second.resolved_by) == ("manual", officer)
    assert second.resolution_note == "Handled at the monitoring visit."


def _choose_by_arrows(
    page,  # noqa: F811
    value: str,
) -> None:
    """On the focused select, the option ``value`` chosen with the arrow keys; each step is a
    change the board's filter sends, waited for before the next."""
    options = page.evaluate(
        "() => Array.from(document.activeElement.options).map(option => option.value)"
    )
    current = page.evaluate("document.activeElement.selectedIndex")
    wanted = options.index(value)
    key = "ArrowDown" if wanted > current else "ArrowUp"
    for index in range(current, wanted, 1 if wanted > current else -1):
        step = options[index + (1 if wanted > current else -1)]
        with page.expect_response(lambda response: "/deliverables/" in response.url):
            page.keyboard.press(key)
        page.wait_for_url(re.compile(rf"work_package={step}(&|$)"))
    page.wait_for_load_state("networkidle")


def test_a_manager_submits_a_deliverable_by_keyboard(page, site):  # noqa: F811
    project = Project.objects.get(acronym="CARETECH")
    deliverable = _pending_of_the_current_period(project)
    assert deliverable is not None
    sign_in_by_keyboard(page, site, "manager")
    assert re.search(r"/projects/$", page.url), page.url
    at = header_then_main(page, ["Grantwatch", "Projects", "Settings", "Sign out", "Language"])

    # the project home, then its deliverables board
    tab_to(page, lambda f: f["tag"] == "a" and f["name"].startswith("CARETECH"), at=at)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    new_page(page)
    assert re.search(rf"/projects/{project.pk}/$", page.url), page.url
    focused, _ = tab_to(page, lambda f: f["tag"] == "a" and f["name"] == "Deliverables")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    new_page(page)
    assert page.get_by_role("heading", name="Deliverables of CARETECH").is_visible()

    # the board filtered by the deliverable's work package, choosing with the arrow keys:
    # each swap is said, and the keyboard stays on the filter
    focused, _ = tab_to(page, lambda f: f["tag"] == "select" and f["name"] == "Work package")
    assert page.locator(ANNOUNCER).inner_text() == ""
    number = deliverable.work_package.number
    _choose_by_arrows(page, str(number))
    codes = page.locator(".dcard").evaluate_all("cards => cards.map(c => c.dataset.code)")
    assert deliverable.code in codes
    assert all(code.startswith(f"D{number}.") for code in codes), codes
    count = len(codes)
    shown = f"{count} deliverable shown." if count == 1 else f"{count} deliverables shown."
    announced(page, shown)
    focused = focused_element(page)
    assert (focused["tag"], focused["name"]) == ("select", "Work package")
    screenshot(page, "keyboard-manager-board")

    # on to the deliverable's card, and into its page
    page.evaluate("window.__keyboardLast = document.activeElement")
    url = f"/projects/{project.pk}/deliverables/{deliverable.pk}/"
    focused, _ = tab_to(page, lambda f: f["href"].endswith(url))
    assert focused["name"].startswith(deliverable.code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    new_page(page)
    assert page.locator("#deliverable-status").inner_text() == "Pending"

    # the evidence: the file chooser opened with Space on the file field, then Upload
    focused, _ = tab_to(page, lambda f: f["type"] == "file")
    assert focused["name"] == "File"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files({"name": "report.pdf", "mimeType": "application/pdf", "buffer": PDF})
    focused = tab(page)
    assert (focused["tag"], focused["name"]) == ("button", "Upload")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    new_page(page)
    assert page.locator("#deliverable-status").inner_text() == "Draft"

    # submitted with the keyboard; the page says so in its status message
    focused, _ = tab_to(page, lambda f: f["tag"] == "button" and f["name"] == "Submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    new_page(page)
    assert page.locator("#deliverable-status").inner_text() == "Submitted"
    assert (
        f"{deliverable.code} was submitted to the agency."
        in page.get_by_role("status").filter(has_text="submitted").inner_text()
    )
    screenshot(page, "keyboard-manager-submitted")

    deliverable.refresh_from_db()
    assert deliverable.status == DeliverableStatus.SUBMITTED
    assert deliverable.delivered_on == brussels_today()
    assert EvidenceFile.objects.get(deliverable=deliverable, current=True).name == "report.pdf"
