"""API tokens: made with a username and password, kept only as a hash, ending at their expiry,
listed and revoked by their own user (through the API, the settings page and the admin), ended
by a password change or a deactivation, recorded in the audit trail, described in OpenAPI."""

import datetime
import importlib
import json

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse
from knox.crypto import hash_token

from backend.accounts.tokens import token_model
from backend.audit.models import Event
from backend.common.dates import BRUSSELS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

OBTAIN = "/api/v1/auth/token"
TOKENS = "/api/v1/auth/tokens"
ME = "/api/v1/me"
PASSWORD = "pass-word-123"
NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=BRUSSELS)
CLIENT_IP = "203.0.113.7"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob")


def _obtain(api_client, username: str, password: str = PASSWORD):
    api_client.credentials()
    return api_client.post(
        OBTAIN, {"username": username, "password": password}, REMOTE_ADDR=CLIENT_IP
    )


def _key(api_client, username: str) -> str:
    response = _obtain(api_client, username)
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _me(api_client, key: str):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api_client.get(ME)
    api_client.credentials()
    return response


def _token_id(key: str) -> str:
    return hash_token(key)[:16]


# -- making a token ------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_kept_only_as_a_hash(api_client, alice, settings):
    with time_machine.travel(NOON, tick=False):
        response = _obtain(api_client, "alice")

    assert response.status_code == 200
    body = response.json()
    key = body["token"]
    assert set(body) == {"token", "expiry"}
    ttl = datetime.timedelta(hours=settings.GRANTWATCH_TOKEN_TTL_HOURS)
    assert datetime.datetime.fromisoformat(body["expiry"]) == NOON + ttl
    # Nothing in the stored row gives the key back: its hash and the first characters only.
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM knox_authtoken")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert not any(key in str(value) for value in rows[0])
    assert token_model().objects.get().digest == hash_token(key)


def test_the_token_authenticates_with_the_token_header(api_client, alice):
    key = _key(api_client, "alice")

    response = _me(api_client, key)

    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_a_wrong_password_makes_no_token_and_says_so_in_the_errors_shape(api_client, alice):
    response = _obtain(api_client, "alice", "not-the-password")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "No token was made.",
        "errors": [{"path": "", "message": "The username or the password is not right."}],
    }
    assert not token_model().objects.exists()


def test_missing_credentials_name_each_field(api_client):
    response = api_client.post(OBTAIN, {}, format="json")

    assert response.status_code == 400
    assert sorted(error["path"] for error in response.json()["errors"]) == [
        "password",
        "username",
    ]
    assert not token_model().objects.exists()


def test_a_deactivated_user_gets_no_token(api_client, alice):
    alice.is_active = False
    alice.save()

    response = _obtain(api_client, "alice")

    assert response.status_code == 400
    assert not token_model().objects.exists()


def test_a_token_ends_at_its_expiry(api_client, alice, settings):
    ttl = datetime.timedelta(hours=settings.GRANTWATCH_TOKEN_TTL_HOURS)
    with time_machine.travel(NOON, tick=False):
        key = _key(api_client, "alice")
    with time_machine.travel(NOON + ttl - datetime.timedelta(minutes=1), tick=False):
        assert _me(api_client, key).status_code == 200
    with time_machine.travel(NOON + ttl + datetime.timedelta(minutes=1), tick=False):
        response = _me(api_client, key)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}
    assert response["WWW-Authenticate"] == "Token"


def test_the_time_a_token_lasts_is_a_setting(api_client, alice, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(hours=2)}
    with time_machine.travel(NOON, tick=False):
        body = _obtain(api_client, "alice").json()
    with time_machine.travel(NOON + datetime.timedelta(hours=2, minutes=1), tick=False):
        response = _me(api_client, body["token"])

    assert datetime.datetime.fromisoformat(body["expiry"]) == NOON + datetime.timedelta(hours=2)
    assert response.status_code == 401


# -- listing and revoking through the API -----------------------------------------------------


def test_a_user_lists_their_own_tokens_and_never_a_key(api_client, alice, bob):
    with time_machine.travel(NOON, tick=False):
        first = _key(api_client, "alice")
    with time_machine.travel(NOON + datetime.timedelta(minutes=5), tick=False):
        second = _key(api_client, "alice")
        bobs = _key(api_client, "bob")
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
        response = api_client.get(TOKENS)

    assert response.status_code == 200
    assert response.json() == [
        {
            "id": _token_id(second),
            "created": (NOON + datetime.timedelta(minutes=5)).isoformat(),
            "expiry": response.json()[0]["expiry"],
            "current": False,
        },
        {
            "id": _token_id(first),
            "created": NOON.isoformat(),
            "expiry": response.json()[1]["expiry"],
            "current": True,
        },
    ]
    text = response.content.decode()
    assert first not in text
    assert second not in text
    assert _token_id(bobs) not in text


def test_a_user_revokes_one_of_their_tokens(api_client, alice):
    kept, revoked = _key(api_client, "alice"), _key(api_client, "alice")
    api_client.force_authenticate(alice)

    response = api_client.delete(f"{TOKENS}/{_token_id(revoked)}", REMOTE_ADDR=CLIENT_IP)
    api_client.force_authenticate(None)

    assert response.status_code == 204
    assert _me(api_client, revoked).status_code == 401
    assert _me(api_client, kept).status_code == 200


def test_nobody_revokes_or_sees_another_users_token(api_client, alice, bob):
    bobs = _key(api_client, "bob")
    api_client.force_authenticate(alice)

    listed = api_client.get(TOKENS)
    response = api_client.delete(f"{TOKENS}/{_token_id(bobs)}")
    api_client.force_authenticate(None)

    assert listed.json() == []
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert _me(api_client, bobs).status_code == 200


def test_signing_out_revokes_only_the_token_used(api_client, alice):
    used, other = _key(api_client, "alice"), _key(api_client, "alice")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {used}")

    response = api_client.delete(OBTAIN)

    assert response.status_code == 204
    assert _me(api_client, used).status_code == 401
    assert _me(api_client, other).status_code == 200


def test_signing_out_without_a_token_says_there_is_none(api_client, alice):
    _key(api_client, "alice")
    api_client.force_authenticate(alice)

    response = api_client.delete(OBTAIN)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"path": "", "message": "This request was not made with an API token."}
    ]
    assert token_model().objects.filter(user=alice).count() == 1


def test_signing_out_everywhere_revokes_every_token_of_the_user_only(api_client, alice, bob):
    first, second, bobs = (
        _key(api_client, "alice"),
        _key(api_client, "alice"),
        _key(api_client, "bob"),
    )
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {first}")

    response = api_client.delete(TOKENS)

    assert response.status_code == 200
    assert response.json() == {"revoked": 2}
    assert [_me(api_client, key).status_code for key in (first, second, bobs)] == [401, 401, 200]


def test_the_token_endpoints_need_a_signed_in_user(api_client):
    assert api_client.get(TOKENS).status_code == 401
    assert api_client.delete(TOKENS).status_code == 401
    assert api_client.delete(OBTAIN).status_code == 401


# -- a password change or a deactivation ends every token -------------------------------------


def test_set_password_and_save_end_every_token(api_client, alice):
    keys = [_key(api_client, "alice"), _key(api_client, "alice")]

    alice.set_password("another-pass-word-456")
    alice.save()

    assert [_me(api_client, key).status_code for key in keys] == [401, 401]
    assert not token_model().objects.filter(user=alice).exists()


def test_the_password_change_form_ends_every_token(api_client, alice):
    key = _key(api_client, "alice")
    form = PasswordChangeForm(
        alice,
        {
            "old_password": PASSWORD,
            "new_password1": "another-pass-word-456",
            "new_password2": "another-pass-word-456",
        },
    )
    assert form.is_valid(), form.errors

    form.save()

    assert _me(api_client, key).status_code == 401


def test_a_password_set_in_the_admin_ends_every_token(api_client, client, alice, bob):
    alices, bobs = _key(api_client, "alice"), _key(api_client, "bob")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)

    response = client.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"password1": "another-pass-word-456", "password2": "another-pass-word-456"},
    )

    assert response.status_code == 302
    assert _me(api_client, alices).status_code == 401
    assert _me(api_client, bobs).status_code == 200
    (revoked,) = _events("token.revoked")
    assert (revoked.actor_id, revoked.object_id, revoked.after["reason"]) == (
        root.pk,
        str(alice.pk),
        "password_changed",
    )


def test_deactivation_ends_every_token(api_client, alice):
    key = _key(api_client, "alice")

    alice.is_active = False
    alice.save(update_fields=["is_active"])
    alice.is_active = True
    alice.save(update_fields=["is_active"])

    # Active again, the old token still does not open the API.
    assert _me(api_client, key).status_code == 401
    assert not token_model().objects.filter(user=alice).exists()


def test_other_saves_of_the_user_leave_the_tokens(api_client, alice):
    first = _key(api_client, "alice")
    _key(api_client, "alice")  # signing in again writes last_login

    alice.refresh_from_db()
    alice.first_name = "Alice"
    alice.save()

    assert _me(api_client, first).status_code == 200
    assert token_model().objects.filter(user=alice).count() == 2


# -- the audit trail ------------------------------------------------------------------------------


def _events(verb: str) -> list[Event]:
    return list(Event.objects.filter(verb=verb).order_by("id"))


def test_making_and_revoking_tokens_are_recorded_with_the_user_and_ip(api_client, alice):
    key = _key(api_client, "alice")
    api_client.force_authenticate(alice)
    api_client.delete(f"{TOKENS}/{_token_id(key)}", REMOTE_ADDR=CLIENT_IP)

    (created,) = _events("token.created")
    (revoked,) = _events("token.revoked")
    assert (created.actor_id, created.object_id, created.after["ip"]) == (
        alice.pk,
        str(alice.pk),
        CLIENT_IP,
    )
    assert created.after["token"] == _token_id(key)
    assert (revoked.actor_id, revoked.after["ip"], revoked.after["tokens"]) == (
        alice.pk,
        CLIENT_IP,
        [_token_id(key)],
    )
    assert revoked.after["reason"] == "revoked"


def test_tokens_ended_by_a_password_change_are_recorded_with_the_reason(api_client, alice):
    key = _key(api_client, "alice")

    alice.set_password("another-pass-word-456")
    alice.save()

    (revoked,) = _events("token.revoked")
    assert (revoked.actor_id, revoked.after["tokens"], revoked.after["reason"]) == (
        alice.pk,
        [_token_id(key)],
        "password_changed",
    )


# -- the settings page ------------------------------------------------------------------------


def test_every_page_links_to_the_settings_page(client, alice):
    client.force_login(alice)

    response = client.get(reverse("frontend:project_list"))

    assert f'href="{reverse("frontend:settings")}"' in response.content.decode()


def test_the_settings_page_lists_the_users_own_tokens(api_client, client, alice, bob):
    alices, bobs = _key(api_client, "alice"), _key(api_client, "bob")
    client.force_login(alice)

    response = client.get(reverse("frontend:settings"))

    assert response.status_code == 200
    text = response.content.decode()
    assert _token_id(alices) in text
    assert _token_id(bobs) not in text
    assert alices not in text


def test_a_token_is_revoked_from_the_settings_page(api_client, client, alice):
    key = _key(api_client, "alice")
    client.force_login(alice)

    response = client.post(
        reverse("frontend:settings_token_revoke"), {"token": _token_id(key)}, follow=True
    )

    assert response.redirect_chain == [(reverse("frontend:settings"), 303)]
    assert "The token was revoked" in response.content.decode()
    assert _token_id(key) not in response.content.decode()
    assert _me(api_client, key).status_code == 401


def test_the_settings_page_does_not_revoke_another_users_token(api_client, client, alice, bob):
    bobs = _key(api_client, "bob")
    client.force_login(alice)

    response = client.post(reverse("frontend:settings_token_revoke"), {"token": _token_id(bobs)})

    assert response.status_code == 404
    assert _token_id(bobs) not in response.content.decode()
    assert _me(api_client, bobs).status_code == 200


def test_a_revocation_naming_no_token_shows_the_error(client, alice):
    client.force_login(alice)

    response = client.post(reverse("frontend:settings_token_revoke"), {})

    assert response.status_code == 400
    assert "Choose the token to revoke." in response.content.decode()


def test_all_tokens_are_revoked_from_the_settings_page(api_client, client, alice, bob):
    keys, bobs = [_key(api_client, "alice"), _key(api_client, "alice")], _key(api_client, "bob")
    client.force_login(alice)

    response = client.post(reverse("frontend:settings_tokens_revoke_all"))

    assert response.status_code == 303
    assert [_me(api_client, key).status_code for key in keys] == [401, 401]
    assert _me(api_client, bobs).status_code == 200


# -- the admin and the schema -----------------------------------------------------------------


def test_the_admin_lists_tokens_without_their_keys_and_makes_none(api_client, client, alice):
    key = _key(api_client, "alice")
    stored = token_model().objects.get()
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    listing = client.get(reverse("admin:knox_authtoken_changelist"))
    add = client.get(reverse("admin:knox_authtoken_add"))

    text = listing.content.decode()
    assert listing.status_code == 200
    assert _token_id(key) in text
    assert "alice" in text
    # neither the key nor its first characters (kept to look the token up)
    assert key[:8] not in text
    assert stored.token_key not in text
    assert add.status_code == 403


def test_an_administrator_revokes_a_token_in_the_admin(api_client, client, alice):
    key = _key(api_client, "alice")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)

    response = client.post(
        reverse("admin:knox_authtoken_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [token_model().objects.get().pk],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert _me(api_client, key).status_code == 401
    (revoked,) = _events("token.revoked")
    assert (revoked.actor_id, revoked.object_id) == (root.pk, str(alice.pk))


def test_the_openapi_schema_describes_the_token_endpoints(client, alice):
    client.force_login(alice)
    schema = json.loads(client.get("/api/schema/?format=json").content)
    paths = schema["paths"]

    assert set(paths["/api/v1/auth/token"]) >= {"post", "delete"}
    assert set(paths["/api/v1/auth/tokens"]) >= {"get", "delete"}
    assert "delete" in paths["/api/v1/auth/tokens/{token_id}"]
    components = schema["components"]["schemas"]
    obtain = paths["/api/v1/auth/token"]["post"]
    request = obtain["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    answer = obtain["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert set(components[request.rsplit("/", 1)[1]]["properties"]) == {"username", "password"}
    assert set(components[answer.rsplit("/", 1)[1]]["properties"]) == {"token", "expiry"}
    listed = paths["/api/v1/auth/tokens"]["get"]["responses"]["200"]["content"]
    item = listed["application/json"]["schema"]["items"]["$ref"].rsplit("/", 1)[1]
    assert set(components[item]["properties"]) == {"id", "created", "expiry", "current"}
    scheme = schema["components"]["securitySchemes"]["knoxApiToken"]
    assert (scheme["in"], scheme["name"]) == ("header", "Authorization")
    assert '"Token"' in scheme["description"]


# -- the tokens kept in clear before ------------------------------------------------------------


def test_the_migration_drops_the_tokens_kept_in_clear(alice):
    drop = importlib.import_module("backend.accounts.migrations.0004_drop_cleartext_api_tokens")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef', %s)", [alice.pk])
    old = ContentType.objects.create(app_label="authtoken", model="token")
    Permission.objects.create(content_type=old, codename="view_token", name="Can view token")

    with connection.schema_editor() as schema_editor:
        drop.drop_cleartext_tokens(apps, schema_editor)

    assert "authtoken_token" not in connection.introspection.table_names()
    assert not ContentType.objects.filter(app_label="authtoken").exists()
    assert not Permission.objects.filter(codename="view_token").exists()
