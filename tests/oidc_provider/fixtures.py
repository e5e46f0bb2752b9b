"""pytest fixtures for the sign-in tests: the test provider running beside the live server
(once per test session) and Grantwatch's settings pointing at it for one test."""

import pytest

from backend.accounts.oidc import discovery_forget
from tests.oidc_provider.process import Provider, running_provider

CALLBACK = "/oidc/callback/"
NAME = "Test IdP"
# The path of the issuer the wrong-issuer provider's ID tokens carry instead of its own (<url>/o).
OTHER_ISSUER_PATH = "/other-tenant"


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    with running_provider(
        tmp_path_factory.mktemp("oidc-provider"), live_server.url + CALLBACK
    ) as provider:
        yield provider


@pytest.fixture(scope="session")
def wrong_issuer_provider(live_server, tmp_path_factory):
    """A provider whose ID tokens name another issuer than the one Grantwatch is given."""
    with running_provider(
        tmp_path_factory.mktemp("oidc-wrong-issuer"),
        live_server.url + CALLBACK,
        issuer_path=OTHER_ISSUER_PATH,
    ) as provider:
        yield provider


def oidc_turn_on(settings, provider: Provider, *, issuer: str | None = None) -> None:
    """Grantwatch signs in through ``provider`` (its discovery document at
    ``issuer``, by default the provider's issuer) for the test using ``settings``."""
    discovery_forget()
    settings.GRANTWATCH_OIDC_ISSUER = issuer or provider.issuer
    settings.GRANTWATCH_OIDC_CLIENT_ID = provider.client_id
    settings.GRANTWATCH_OIDC_CLIENT_SECRET = provider.client_secret
    settings.GRANTWATCH_OIDC_NAME = NAME


@pytest.fixture(autouse=False)
def forget_discovery():
    discovery_forget()
    yield
    discovery_forget()
