"""Signing in through the organisation's OpenID Connect provider, in Chromium, against a real
provider (django-oauth-toolkit, tests/oidc_provider/) running in a second process on the
loopback: the whole redirect-and-callback journey, and its refusals."""

import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from backend.accounts.models import ProjectRole, User
from backend.audit.models import Event
from tests.browser.conftest import browser, page, page_problems, site  # noqa: F401
from tests.browser.helpers import BROWSER_TEST, screenshot
from tests.factories import UserFactory
from tests.oidc_provider.fixtures import (  # noqa: F401  (fixtures)
    NAME,
    oidc_provider,
    oidc_turn_on,
    wrong_issuer_provider,
)
from tests.oidc_provider.seed import PASSWORD

pytestmark = BROWSER_TEST


def _rights(user: User) -> tuple:
    user.refresh_from_db()
    roles = sorted(ProjectRole.objects.filter(user=user).values_list("project_id", "role"))
    return (
        user.is_active,
        user.is_staff,
        user.is_superuser,
        user.is_agency_officer,
        user.organisation_id,
        user.email,
        user.password,
        roles,
    )


def _click_sign_in_with_provider(tab, base: str, path: str = "/login/") -> None:
    tab.goto(base + path)
    tab.get_by_role("link", name=f"Sign in with {NAME}").click()
    tab.get_by_label("Provider user name").wait_for()


def _sign_in_at_provider(tab, username: str) -> None:
    tab.get_by_label("Provider user name").fill(username)
    tab.get_by_label("Provider password").fill(PASSWORD)
    tab.get_by_role("button", name="Continue").click()
    tab.wait_for_load_state("networkidle")


def _nobody_signed_in(tab, base: str) -> None:
    assert tab.get_by_text("Signed in as").count() == 0
    tab.goto(base + "/projects/")
    assert re.search(r"/login/\?next=", tab.url), tab.url


def _refusal_on_sign_in_page(tab, base: str, message: str) -> None:
    assert tab.url.startswith(base + "/login/"), tab.url
    assert tab.get_by_text(message).is_visible()


def _refusal_recorded(reason: str) -> Event:
    event = Event.objects.filter(verb="signin.failed").order_by("-pk").first()
    assert event is not None
    assert event.after["method"] == "oidc"
    assert event.after["reason"] == reason
    return event


def test_an_existing_user_signs_in_through_the_provider(page, site, oidc_provider, settings):  # noqa: F811
    oidc_turn_on(settings, oidc_provider)
    manager = User.objects.get(username="manager")
    before = _rights(manager)
    users_before = User.objects.count()
    project_id = ProjectRole.objects.filter(user=manager).values_list("project_id", flat=True)[0]

    _click_sign_in_with_provider(page, site)
    assert page.url.startswith(oidc_provider.url + "/accounts/login/")
    # The provider's address for the manager is Manager@Example.ORG: matched case aside.
    _sign_in_at_provider(page, "jozols")

    assert page.url.startswith(site + "/projects/"), page.url
    assert page.get_by_text("Signed in as").is_visible()
    assert page.get_by_text("Jānis Ozols").first.is_visible()
    screenshot(page, "oidc-signed-in-manager")
    # The manager's projects are there, their project's home opens.
    page.goto(site + "/projects/")
    assert page.get_by_text("No project is assigned to you yet.").count() == 0
    assert page.goto(f"{site}/projects/{project_id}/").status == 200
    assert _rights(manager) == before
    assert User.objects.count() == users_before
    signed_in = Event.objects.filter(verb="signin.succeeded", object_id=str(manager.pk))
    assert [event.after["path"] for event in signed_in] == ["/oidc/callback/"]


def test_a_new_address_gets_a_plain_account(page, site, oidc_provider, settings):  # noqa: F811
    oidc_turn_on(settings, oidc_provider)
    users_before = User.objects.count()

    _click_sign_in_with_provider(page, site, "/login/?next=/projects/")
    _sign_in_at_provider(page, "newcomer")

    assert page.url == f"{site}/projects/", page.url
    assert page.get_by_text("No project is assigned to you yet.").is_visible()
    assert page.get_by_text("Signed in as").is_visible()
    assert User.objects.count() == users_before + 1
    newcomer = User.objects.get(email="newcomer@example.net")
    assert (newcomer.is_staff, newcomer.is_superuser, newcomer.is_agency_officer) == (
        False,
        False,
        False,
    )
    assert newcomer.organisation_id is None
    assert not ProjectRole.objects.filter(user=newcomer).exists()
    assert not newcomer.has_usable_password()
    assert newcomer.groups.count() == 0
    assert newcomer.user_permissions.count() == 0
    assert Event.objects.filter(verb="signin.account_created", object_id=str(newcomer.pk))
    # Officer pages stay closed to it.
    response = page.goto(site + "/portfolio/")
    assert response.status in (403, 404)


def test_an_unverified_address_is_refused(page, site, oidc_provider, settings):  # noqa: F811
    oidc_turn_on(settings, oidc_provider)
    users_before = User.objects.count()

    _click_sign_in_with_provider(page, site)
    # The provider gives the demo officer's address, unverified.
    _sign_in_at_provider(page, "unverified")

    _refusal_on_sign_in_page(page, site, "it has not verified your e-mail address")
    screenshot(page, "oidc-refused-unverified")
    _refusal_recorded("unverified")
    assert User.objects.count() == users_before
    _nobody_signed_in(page, site)


def test_an_address_of_two_accounts_is_refused(page, site, oidc_provider, settings):  # noqa: F811
    oidc_turn_on(settings, oidc_provider)
    UserFactory(username="twin-one", email="twins@example.org")
    UserFactory(username="twin-two", email="TWINS@example.org")

    _click_sign_in_with_provider(page, site)
    _sign_in_at_provider(page, "twin")

    _refusal_on_sign_in_page(page, site, "more than one Grantwatch account has your e-mail")
    assert _refusal_recorded("ambiguous").after["username"] == "twins@example.org"
    _nobody_signed_in(page, site)


def test_a_deactivated_account_stays_out(page, site, oidc_provider, settings):  # noqa: F811
    oidc_turn_on(settings, oidc_provider)
    UserFactory(username="former", email="former@example.org", is_active=False)
    users_before = User.objects.count()

    _click_sign_in_with_provider(page, site)
    _sign_in_at_provider(page, "former")

    _refusal_on_sign_in_page(page, site, "your Grantwatch account is deactivated")
    _refusal_recorded("inactive")
    assert User.objects.count() == users_before
    _nobody_signed_in(page, site)


def test_tokens_of_another_issuer_are_refused(page, site, wrong_issuer_provider, settings):  # noqa: F811
    # Grantwatch is given the provider's own address; its tokens name another issuer.
    oidc_turn_on(settings, wrong_issuer_provider, issuer=wrong_issuer_provider.discovery_issuer)
    manager = User.objects.get(username="manager")

    _click_sign_in_with_provider(page, site)
    _sign_in_at_provider(page, "jozols")

    screenshot(page, "oidc-refused-issuer")
    _refusal_on_sign_in_page(page, site, "the answer did not come from the identity provider")
    screenshot(page, "oidc-refused-issuer")
    _refusal_recorded("issuer")
    assert not Event.objects.filter(verb="signin.succeeded", object_id=str(manager.pk))
    _nobody_signed_in(page, site)


def test_a_callback_with_another_state_is_refused(page, site, oidc_provider, settings):  # noqa: F811
    oidc_turn_on(settings, oidc_provider)
    _click_sign_in_with_provider(page, site)
    # The provider's sign-in page carries Grantwatch's authorization request (its state) in
    # ``next``: the provider sends the browser back with whatever state that request names.
    login_url = page.url
    state = re.search(r"state%3D([A-Za-z0-9]+)", login_url)
    assert state, login_url
    page.goto(login_url.replace(state.group(0), "state%3Dnot-the-session-state"))
    _sign_in_at_provider(page, "jozols")

    _refusal_on_sign_in_page(page, site, "it was not started from this browser")
    _refusal_recorded("state")
    assert page.get_by_text("Signed in as").count() == 0

    # The session's own state still signs in: the state was all that was wrong.
    authorize = unquote(parse_qs(urlsplit(login_url).query)["next"][0])
    page.goto(oidc_provider.url + authorize)
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Signed in as").is_visible()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x"])
def test_next_goes_only_to_a_local_address(page, site, oidc_provider, settings, next_url):  # noqa: F811
    oidc_turn_on(settings, oidc_provider)
    page.goto(f"{site}/oidc/authenticate/?next={next_url}")
    _sign_in_at_provider(page, "newcomer")
    assert page.url.startswith(site + "/"), page.url
    assert page.get_by_text("Signed in as").is_visible()
