"""The agency officer's journey in a real browser: the portfolio with its charts, a filter,
the project's compliance page, triage inline without reloading the page, and the CSV export."""

import csv
import io
import re

from backend.accounts.models import User
from monitoring.models import Flag
from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST

RESULTS = "#portfolio-results"


def _row(page, acronym: str):
    return page.locator(f"{RESULTS} tbody tr", has=page.get_by_role("link", name=acronym))


def test_an_officer_triages_the_demo_projects_flags_from_the_portfolio(page, site):
    sign_in(page, site, "officer")

    # the portfolio, with the demo project and its status, and the charts drawn
    assert re.search(r"/portfolio/$", page.url), page.url
    caretech = _row(page, "CARETECH")
    status = caretech.locator("td .badge").first.inner_text()
    assert status in ("Red", "Amber", "Green")
    page.wait_for_selector("#chart-open-flags[data-drawn='true']")
    page.wait_for_selector("#chart-deliverables[data-drawn='true']")
    page.wait_for_selector("#chart-payments[data-drawn='true']")
    page.wait_for_selector("#chart-instalments[data-drawn='true']")
    screenshot(page, "officer-portfolio")

    # filtering swaps the table and puts the filter in the address
    page.evaluate("window.stillTheSamePage = true")
    other = next(s for s in ("red", "amber", "green") if s.capitalize() != status)
    page.get_by_label("Status", exact=True).select_option(other)
    page.wait_for_url(re.compile(rf"status={other}"))
    _row(page, "CARETECH").wait_for(state="detached")
    badges = page.locator(f"{RESULTS} tbody tr td:nth-child(2) .badge").all_inner_texts()
    assert badges, "the demo portfolio has projects of every status"
    assert set(badges) == {other.capitalize()}
    page.get_by_label("Status", exact=True).select_option(status.lower())
    page.wait_for_url(re.compile(rf"status={status.lower()}"))
    _row(page, "CARETECH").wait_for()
    assert page.evaluate("window.stillTheSamePage") is True

    # the export keeps the filter
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    content = download.value.path().read_bytes().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][0] == "Acronym"
    assert "CARETECH" in [row[0] for row in rows[1:]]
    assert {row[3] for row in rows[1:]} == {status}

    # the project's compliance page
    _row(page, "CARETECH").get_by_role("link", name="CARETECH").click()
    page.wait_for_url(re.compile(r"/projects/\d+/compliance/$"))
    page.get_by_role("heading", name="CARETECH: compliance").wait_for()
    # the payment section: every instalment with its status badge, the ledger, the reductions
    schedule = page.locator("#payment-schedule tbody tr")
    assert schedule.count() >= 4
    assert all(
        badge
        in (
            "Scheduled",
            "Nothing due",
            "Blocked",
            "Decision needed",
            "Suspended",
            "Ready for approval",
            "Approved",
            "Paid",
        )
        for badge in page.locator("#payment-schedule tbody tr td .badge").all_inner_texts()
    )
    page.get_by_role("heading", name="The project's money").wait_for()
    assert page.locator("#ledger-outstanding").inner_text().startswith("EUR ")
    page.get_by_role("heading", name="Reductions").wait_for()
    screenshot(page, "officer-project")
    page.evaluate("window.stillTheSamePage = true")

    first, second = Flag.objects.filter(
        project__acronym="CARETECH", resolved_at__isnull=True
    ).order_by("id")[:2]
    officer = User.objects.get(username="officer")

    # acknowledge one flag with a note
    row = page.locator(f"#flag-{first.pk}")
    row.get_by_label("Note (optional)").fill("Asked the coordinator for a date.")
    row.get_by_role("button", name="Acknowledge").click()
    page.locator(f"#flag-{first.pk} .badge", has_text="Acknowledged").wait_for()
    assert "Asked the coordinator for a date." in page.locator(f"#flag-{first.pk}").inner_text()

    # resolving another without a note is refused in place; with a note it is resolved
    row = page.locator(f"#flag-{second.pk}")
    row.get_by_role("button", name="Resolve").click()
    page.locator(f"#flag-{second.pk} .errorlist").get_by_text(
        "Say why the flag is resolved."
    ).wait_for()
    row = page.locator(f"#flag-{second.pk}")
    assert row.get_by_label("Why it is resolved (required)").get_attribute("aria-invalid") == (
        "true"
    )
    row.get_by_label("Why it is resolved (required)").fill("Handled at the monitoring visit.")
    row.get_by_role("button", name="Resolve").click()
    page.locator(f"#flag-{second.pk} .badge", has_text="Resolved").wait_for()
    assert page.evaluate("window.stillTheSamePage") is True

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.acknowledged_by == officer
    assert first.acknowledgement_note == "Asked the coordinator for a date."
    assert first.resolved_at is None
    assert (second.resolution, second.resolved_by) == ("manual", officer)
    assert second.resolution_note == "Handled at the monitoring visit."
