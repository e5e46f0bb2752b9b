"""What browser journeys share: signing in, screenshots, the marks every browser test carries."""

import os
from pathlib import Path

import pytest

from backend.demo.loading import DEFAULT_DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("GRANTWATCH_ARTEFACTS_DIR", ROOT / "test-artifacts"))
SCREENSHOTS = ARTEFACTS / "screenshots"

# A live server in another thread sees only committed data; the reference data (calls,
# countries) the migrations load is restored after each test.
BROWSER_TEST = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sign_in(page, site: str, username: str, password: str = DEFAULT_DEMO_PASSWORD) -> None:
    page.goto(f"{site}/login/")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot of what the browser shows as ``<name>.png``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
