"""The officer's dashboard on the demo: one project in each state the portfolio can be in, each
visible in its row, and a screenshot of the whole page with its charts."""

import re

from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST

RESULTS = "#portfolio-results"

# acronym: (status, verdict, what the row says of its next instalment or overdue items)
STATES = {
    # just signed: the pre-financing is the next instalment, not paid yet
    "HYDROSKILLS": ("Green", "Warning", r"Pre-financing"),
    # a partner left and the consortium breaks the rules
    "BLUEPORT": ("Red", "Breach", r"RP1 · Interim payment"),
    # a departure recorded for the coming weeks: red while the consortium still passes today
    "AGRIVET": ("Red", "Pass", r"RP1 · Interim payment"),
    # an amendment awaiting the officer's decision, to bring the consortium back in line
    "TEXCIRCLE": ("Amber", "Review", r"RP1 · Interim payment"),
    # the RP1 report is late (three overdue items)
    "HOMECARE": ("Red", "Pass", r"RP1 · Interim payment\s+Blocked"),
    # an interim payment ready for approval
    "SOLARISE": ("Green", "Pass", r"RP1 · Interim payment\s+Ready for approval"),
    # approved long ago, not paid: the agency's payment is late
    "RAILSKILLS": ("Red", "Pass", r"RP1 · Interim payment\s+Approved"),
    # ended, the balance to pay
    "TIMBERVET": ("Green", "Pass", r"Payment of the balance\s+Ready for approval"),
    # finished and closed
    "FOODSAFE": ("Green", "Pass", r"Every instalment is paid\."),
    # extended by an approved amendment, its next report still to come
    "AQUAVET": ("Green", "Pass", r"RP1 · Interim payment\s+Scheduled"),
    # a beneficiary left: its termination reports are due and its unpaid shares unallocated
    "STONECRAFT": ("Red", "Pass", r"RP1 · Interim payment\s+Scheduled"),
    # ended with less accepted than paid: a recovery
    "EMOVET": (
        "Green",
        "Pass",
        r"Payment of the balance\s+Ready for approval\s+Recovery of EUR [\d,]+\.\d\d",
    ),
}


def test_the_officers_dashboard_shows_every_state_of_the_demo_portfolio(page, site):
    sign_in(page, site, "officer")
    assert re.search(r"/portfolio/$", page.url), page.url
    page.wait_for_selector("#chart-open-flags[data-drawn='true']")
    page.wait_for_selector("#chart-deliverables[data-drawn='true']")
    page.wait_for_selector("#chart-payments[data-drawn='true']")
    screenshot(page, "officer-portfolio-states")

    shown = {}
    for row in page.locator(f"{RESULTS} tbody tr").all():
        cells = row.locator("th, td").all_inner_texts()
        shown[cells[0].split()[0]] = cells
    assert set(STATES) | {"CARETECH"} == set(shown)
    for acronym, (status, verdict, instalment) in STATES.items():
        cells = shown[acronym]
        assert cells[1] == status, (acronym, cells)
        assert cells[7] == verdict, (acronym, cells)
        assert re.search(instalment, cells[8]), (acronym, cells[8])
    assert int(shown["HOMECARE"][9]) == 3
    # every status and every verdict of the dashboard shows at least once
    assert {cells[1] for cells in shown.values()} == {"Red", "Amber", "Green"}
    assert {cells[7] for cells in shown.values()} >= {"Pass", "Warning", "Review", "Breach"}
