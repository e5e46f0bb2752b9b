"""Sign-ins, failed sign-ins, lockouts and password changes are audit events, each with the
user (or the name tried), the client's IP address and user agent, and no project."""

import pytest
from django.test import Client

from backend.accounts.security import client_ip, security_event
from backend.audit.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", is_staff=True)


@pytest.fixture
def browser():
    return Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.20")


def _events(verb: str) -> list[Event]:
    return list(Event.objects.filter(verb=verb).order_by("id"))


def test_a_sign_in_is_recorded_with_the_user_and_address(browser, alice):
    response = browser.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302

    [event] = _events("signin.succeeded")
    assert (event.actor_id, event.actor_name, event.project_id) == (alice.pk, "alice", None)
    assert (event.object_type, event.object_id, event.object_repr) == (
        "user",
        str(alice.pk),
        "alice",
    )
    assert event.after == {
        "ip": "203.0.113.20",
        "user_agent": BROWSER,
        "username": "alice",
        "path": "/login/",
    }


def test_a_failed_sign_in_names_the_user_tried_but_no_actor(browser, alice):
    browser.post("/login/", {"username": "alice", "password": "wrong"})
    browser.post("/login/", {"username": "nobody-here", "password": "wrong"})

    known, unknown = _events("signin.failed")
    assert (known.actor_id, known.actor_name) == (None, "")
    assert (known.object_id, known.object_repr) == (str(alice.pk), "alice")
    assert known.after == {
        "ip": "203.0.113.20",
        "user_agent": BROWSER,
        "username": "alice",
        "path": "/login/",
        "locked_out": False,
    }
    assert (unknown.object_id, unknown.object_repr) == ("", "nobody-here")
    assert unknown.after["username"] == "nobody-here"
    assert "password" not in str(known.after) + str(unknown.after)
    assert not _events("signin.succeeded")


def test_a_lockout_is_recorded_once_and_refused_attempts_after_it_as_failures(browser, alice):
    for _ in range(5):
        browser.post("/login/", {"username": "alice", "password": "wrong"})
    assert browser.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 429

    [locked] = _events("signin.locked_out")
    assert (locked.actor_id, locked.object_id) == (None, str(alice.pk))
    assert locked.after == {
        "ip": "203.0.113.20",
        "user_agent": BROWSER,
        "username": "alice",
        "path": "/login/",
        "failures": 5,
    }
    failed = _events("signin.failed")
    assert [event.after["locked_out"] for event in failed] == [False] * 5 + [True]
    assert not _events("signin.succeeded")


def test_a_lockout_through_the_token_endpoint_is_recorded_with_its_path(api_client, alice):
    for _ in range(5):
        api_client.post(
            "/api/v1/auth/token",
            {"username": "alice", "password": "wrong"},
            format="json",
            REMOTE_ADDR="198.51.100.3",
        )
    [locked] = _events("signin.locked_out")
    assert locked.after["ip"] == "198.51.100.3"
    assert locked.after["path"] == "/api/v1/auth/token"
    assert len(_events("signin.failed")) == 5


def test_a_password_set_in_the_admin_is_recorded_with_the_administrator(alice):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    admin = Client(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR="203.0.113.30")
    admin.force_login(root)
    response = admin.post(
        f"/admin/accounts/user/{alice.pk}/password/",
        {"password1": "a-new-pass-word-456", "password2": "a-new-pass-word-456"},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password("a-new-pass-word-456")

    [event] = _events("password.changed")
    assert (event.actor_id, event.actor_name) == (root.pk, "root")
    assert (event.object_type, event.object_id, event.object_repr) == (
        "user",
        str(alice.pk),
        "alice",
    )
    assert event.after == {"ip": "203.0.113.30", "user_agent": BROWSER, "username": "alice"}
    assert "a-new-pass-word-456" not in str(event.after)


def test_a_password_changed_outside_a_request_is_recorded_without_an_address(alice):
    alice.set_password("another-pass-word-789")
    alice.save()
    [event] = _events("password.changed")
    assert (event.actor_id, event.object_id) == (alice.pk, str(alice.pk))
    assert event.after == {"ip": "", "user_agent": "", "username": "alice"}


def test_other_saves_of_a_user_are_not_password_changes(alice):
    UserFactory(username="bob")  # a new user's first password
    alice.first_name = "Alice"
    alice.save()
    alice.set_password("yet-another-pass-word")
    alice.save(update_fields=["first_name"])
    alice.check_password("yet-another-pass-word")  # may rehash; not a change
    assert not _events("password.changed")


def test_security_event_for_other_verbs(rf, alice):
    """The token endpoints record token.created and token.revoked with this."""
    request = rf.post("/api/v1/auth/token", REMOTE_ADDR="192.0.2.5", HTTP_USER_AGENT="curl/8")
    event = security_event(
        request=request, user=alice, verb="token.created", extra={"token": "ab12cd34"}
    )
    assert (event.verb, event.actor_id, event.object_id) == (
        "token.created",
        alice.pk,
        str(alice.pk),
    )
    assert event.after == {
        "ip": "192.0.2.5",
        "user_agent": "curl/8",
        "username": "alice",
        "token": "ab12cd34",
    }
    assert client_ip(None) == ""


def test_a_sign_in_over_no_request_is_not_recorded(client, alice):
    """The test client's force_login signs in without an HTTP request: no client, no event."""
    client.force_login(alice)
    assert client.get("/").status_code == 302  # home sends a signed-in user to the projects
    assert "_auth_user_id" in client.session
    assert not _events("signin.succeeded")
