"""Browser tests: Playwright's Python package drives Debian's Chromium against a live server
holding the demo.

Screenshots go to the test run's artefacts folder: ``test-artifacts/screenshots/`` at the
repository root, or ``$GRANTWATCH_ARTEFACTS_DIR/screenshots/``.
"""

import os
import shutil
from contextlib import contextmanager

import pytest

from backend.demo.loading import demo_load

# Playwright's synchronous API runs an event loop in the test's thread; the test's own
# database calls (setting up the demo, checking what a journey wrote) are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# How the page fixture marks a securitypolicyviolation event on the console.
CSP_VIOLATION = "Content-Security-Policy violation:"


@pytest.fixture
def site(live_server, transactional_db):
    """The live server's address, with the demo loaded (its flags raised by the checks that
    loading it triggers)."""
    demo_load(allow_production=True)
    return live_server.url


@contextmanager
def launched_chromium():
    """Debian's Chromium through Playwright, closed on leaving."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=CHROMIUM_FLAGS,
            headless=True,
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser(site):
    """Chromium, started for each test after the database is set up and stopped before it is
    emptied. Playwright's synchronous API keeps an event loop in the test's thread while it
    runs; Django keeps database connections per event loop there, so the test database's
    setup and teardown (which restore the reference data) must not happen while it runs."""
    with launched_chromium() as chromium:
        yield chromium


@pytest.fixture
def page_problems():
    """What went wrong in the page while the test ran: each Content-Security-Policy violation
    and each uncaught script error. A test that provokes one on purpose checks it and empties
    the list; anything left fails the test at teardown."""
    return []


@pytest.fixture
def page(browser, page_problems):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="en-GB")
    context.set_default_timeout(15_000)
    # Chromium reports a refused inline script or style, or a source the policy does not
    # allow, on the console ("Refused to ..."); the page hears it as a
    # securitypolicyviolation event, passed on to the console with a mark of its own.
    context.add_init_script(
        "document.addEventListener('securitypolicyviolation', function (event) {"
        f"  console.error('{CSP_VIOLATION} ' + event.effectiveDirective + ' blocked '"
        "    + (event.blockedURI || 'inline') + ' at ' + event.documentURI"
        "    + ' (' + event.sourceFile + ':' + event.lineNumber + ') ' + event.sample);"
        "});"
    )
    page = context.new_page()
    page.on("console", lambda message: _note_console(page_problems, message.text))
    page.on("pageerror", lambda error: page_problems.append(f"script error: {error}"))
    yield page
    context.close()
    if page_problems:
        pytest.fail("the page reported:\n" + "\n".join(page_problems), pytrace=False)


def _note_console(problems: list[str], text: str) -> None:
    if text.startswith((CSP_VIOLATION, "Refused to ")) or "Content Security Policy" in text:
        problems.append(text)
