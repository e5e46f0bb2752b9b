"""Each demo login lands on the home page of its own work."""

import re

import pytest

from tests.browser.helpers import BROWSER_TEST, screenshot, sign_in

pytestmark = BROWSER_TEST


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("officer", r"/portfolio/$"),
        ("manager", r"/projects/$"),  # manages two projects: the list of them
        ("partner1", r"/tasks/$"),
    ],
)
def test_each_demo_login_lands_on_its_own_home(page, site, username, home):
    sign_in(page, site, username)

    assert re.search(home, page.url), page.url
    assert page.get_by_text("Signed in as").is_visible()


def test_the_language_switcher_turns_the_page_into_latvian(page, site):
    sign_in(page, site, "officer")

    # choosing a language submits the switcher's form: wait for the page it leads back to
    with page.expect_navigation():
        page.get_by_label("Language").select_option("lv")
    page.wait_for_load_state("networkidle")

    assert page.locator("html").get_attribute("lang") == "lv"
    assert page.get_by_role("heading", level=1).inner_text() == "Portfeļa atbilstība prasībām"
    assert page.get_by_text("Lietotājs: Sophie Lambert").is_visible()
    screenshot(page, "officer-portfolio-lv")

    # on the project's compliance page, amounts carry the Latvian separators and the currency
    # after them; dates stay "M14 · 2025-04-30"
    with page.expect_navigation():
        page.get_by_role("link", name="CARETECH").first.click()
    page.wait_for_load_state("networkidle")
    text = page.locator("main").inner_text()
    assert re.search(r"1\s599\s500,00\sEUR", text), text[:2000]
    assert re.search(r"M\d+ · \d{4}-\d{2}-\d{2}", text)
    screenshot(page, "officer-project-lv")
