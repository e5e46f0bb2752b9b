"""Sign-in through the organisation's identity provider, without a browser: off by default,
the password sign-in beside it, a provider that cannot be reached, a callback that no sign-in
started, and the backend's matching against the database. The journey itself, against a live
provider, is in test_oidc_browser.py."""

import socket

import pytest
from django.contrib.auth import SESSION_KEY, authenticate

from backend.accounts import oidc
from backend.accounts.models import User
from backend.audit.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


@pytest.fixture(autouse=True)
def _forget_discovery():
    oidc.discovery_forget()
    yield
    oidc.discovery_forget()


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def provider_down(settings):
    settings.GRANTWATCH_OIDC_ISSUER = f"http://127.0.0.1:{_closed_port()}/o"
    settings.GRANTWATCH_OIDC_CLIENT_ID = "grantwatch"
    settings.GRANTWATCH_OIDC_CLIENT_SECRET = "secret"
    settings.GRANTWATCH_OIDC_NAME = "Staff ID"
    settings.GRANTWATCH_OIDC_TIMEOUT = 2
    return settings


def test_it_is_off_by_default(client, settings):
    assert settings.GRANTWATCH_OIDC_ISSUER == ""
    page = client.get("/login/")
    assert page.status_code == 200
    assert b"Sign in with" not in page.content
    assert b"/oidc/" not in page.content
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "c", "state": "s"}).status_code == 404


def test_password_sign_in_works_while_it_is_off(client):
    user = UserFactory(username="ann")
    response = client.post("/login/", {"username": "ann", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_password_sign_in_works_while_it_is_on(client, provider_down):
    user = UserFactory(username="ann")
    page = client.get("/login/")
    assert b"Sign in with Staff ID" in page.content
    assert b'href="/oidc/authenticate/"' in page.content
    response = client.post("/login/", {"username": "ann", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)
    # A wrong password is still refused (and nothing was asked of the provider).
    client.logout()
    refused = client.post("/login/", {"username": "ann", "password": "wrong"})
    assert refused.status_code == 200
    assert SESSION_KEY not in client.session


def test_the_backend_answers_nothing_to_a_password_sign_in(rf, provider_down):
    UserFactory(username="ann")
    request = rf.post("/login/")
    backend = oidc.OrganisationSigninBackend()
    assert backend.authenticate(request, username="ann", password=PASSWORD) is None
    assert authenticate(request, username="ann", password="wrong") is None


def test_the_link_keeps_a_local_next(client, provider_down):
    page = client.get("/login/", {"next": "/projects/"})
    assert b'href="/oidc/authenticate/?next=/projects/"' in page.content


def test_a_provider_that_cannot_be_reached_is_said_so_on_the_sign_in_page(client, provider_down):
    response = client.get("/oidc/authenticate/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [("/login/", 302)]
    assert "Staff ID cannot be reached just now." in response.content.decode()
    assert SESSION_KEY not in client.session
    event = Event.objects.get(verb="signin.failed")
    assert (event.after["method"], event.after["reason"]) == ("oidc", "provider")


def test_a_discovery_document_without_endpoints_is_said_so(client, provider_down, monkeypatch):
    monkeypatch.setattr(oidc, "_fetch_document", lambda issuer: {"issuer": issuer})
    response = client.get("/oidc/authenticate/", follow=True)
    assert "cannot be reached just now" in response.content.decode()


def test_the_discovery_document_is_kept(provider_down, monkeypatch):
    fetched = []
    document = {
        "authorization_endpoint": "https://id.example.org/auth",
        "token_endpoint": "https://id.example.org/token",
        "userinfo_endpoint": "https://id.example.org/me",
        "jwks_uri": "https://id.example.org/jwks",
    }
    monkeypatch.setattr(oidc, "_fetch_document", lambda issuer: fetched.append(issuer) or document)
    assert oidc.provider_endpoints().authorization == "https://id.example.org/auth"
    assert oidc.provider_endpoints().jwks == "https://id.example.org/jwks"
    assert fetched == [provider_down.GRANTWATCH_OIDC_ISSUER]


@pytest.mark.parametrize(
    "query",
    [{"code": "c", "state": "forged"}, {"code": "c"}, {"state": "started"}, {}],
)
def test_a_callback_no_sign_in_started_is_refused(client, provider_down, query):
    session = client.session
    session["oidc_states"] = {"started": {"nonce": "n", "code_verifier": "v", "added_on": 0}}
    session.save()
    response = client.get("/oidc/callback/", query, follow=True)
    assert response.redirect_chain == [("/login/", 302)]
    assert "it was not started from this browser" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert Event.objects.get(verb="signin.failed").after["reason"] == "state"


def test_an_error_from_the_provider_is_refused_and_spends_the_state(client, provider_down):
    session = client.session
    session["oidc_states"] = {"started": {"nonce": "n", "code_verifier": "v", "added_on": 0}}
    session.save()
    response = client.get(
        "/oidc/callback/", {"error": "access_denied", "state": "started"}, follow=True
    )
    assert "Staff ID did not sign you in." in response.content.decode()
    assert client.session["oidc_states"] == {}


# -- matching an account (the database side of the rules) -----------------------------------


def test_an_address_matches_an_active_account_case_aside(rf, settings):
    settings.GRANTWATCH_OIDC_CREATE_USERS = True
    ann = UserFactory(username="ann", email="Ann@Example.org")
    officer = UserFactory(username="officer", email="ann@example.org", is_active=False)
    assert oidc.account_for_email(rf.get("/"), "ANN@example.ORG") == ann
    assert officer.pk != ann.pk
    assert User.objects.count() == 2


def test_a_new_address_gets_a_plain_account(rf, settings):
    settings.GRANTWATCH_OIDC_CREATE_USERS = True
    UserFactory(username="new@example.net", email="someone@example.org")
    user = oidc.account_for_email(rf.get("/"), "New@Example.net")
    assert user.email == "New@example.net"  # the domain lower-cased, as Django does
    # The address is taken as a user name: another name is made.
    assert user.username != "new@example.net"
    assert not user.is_staff
    assert not user.is_superuser
    assert not user.is_agency_officer
    assert user.organisation_id is None
    assert not user.has_usable_password()
    assert Event.objects.get(verb="signin.account_created").object_id == str(user.pk)


def test_no_account_is_made_when_that_is_turned_off(rf, settings):
    settings.GRANTWATCH_OIDC_CREATE_USERS = False
    with pytest.raises(oidc.OidcRefused) as refused:
        oidc.account_for_email(rf.get("/"), "new@example.net")
    assert refused.value.reason == "unknown"
    assert not User.objects.exists()
