"""The accessibility check's browser: Debian's Chromium through Playwright (as the browser
journeys), with axe-core added to every document it opens."""

import shutil

import pytest

from tests.browser.conftest import (  # noqa: F401  (the live server with the demo; its Chromium)
    CHROMIUM_FLAGS,
    browser,
    site,
)


@pytest.fixture
def chromium(live_server, transactional_db):
    """Chromium, started after the test database is set up and stopped before it is emptied
    (see ``tests/browser/conftest.py``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=CHROMIUM_FLAGS,
            headless=True,
        )
        yield browser
        browser.close()
