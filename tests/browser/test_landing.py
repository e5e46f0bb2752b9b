"""Each demo login lands on the home page of its own work."""

import re

import pytest

from tests.browser.helpers import BROWSER_TEST, sign_in

pytestmark = BROWSER_TEST


@pytest.mark.parametrize(
    ("username", "home"),
    [
        ("officer", r"/portfolio/$"),
        ("manager", r"/projects/\d+/$"),
        ("partner1", r"/tasks/$"),
    ],
)
def test_each_demo_login_lands_on_its_own_home(page, site, username, home):
    sign_in(page, site, username)

    assert re.search(home, page.url), page.url
    assert page.get_by_text("Signed in as").is_visible()
