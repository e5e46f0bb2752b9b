"""The accessibility check's browser: Debian's Chromium through Playwright (as the browser
journeys), with axe-core added to every document it opens."""

import pytest

from tests.browser.conftest import (  # noqa: F401  (the live server with the demo; its Chromium)
    browser,
    launched_chromium,
    site,
)


@pytest.fixture
def chromium(live_server, transactional_db):
    """Chromium, started after the test database is set up and stopped before it is emptied
    (see ``tests/browser/conftest.py``)."""
    with launched_chromium() as started:
        yield started
