"""Sign-in lockout (django-axes) on the sign-in page, the admin's and the token endpoint, and the
API's request rates: refused with 429, shown as a page or in the API's error shape, counted where
every web process sees it (the database, the shared cache)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import caches
from django.db import connection
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
TOKEN_URL = "/api/v1/auth/token"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", is_staff=True)


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _wrong_passwords(post, times: int) -> list[int]:
    return [post("not-the-password").status_code for _ in range(times)]


# -- the limits as configured ---------------------------------------------------------------------


def test_the_lockout_counts_in_the_database_per_name_and_address():
    """Five failures, fifteen minutes, the name and address together, in the database: the
    counts are shared by every web process and listed in the admin."""
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert django_settings.AXES_COOLOFF_TIME * 60 == 15
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert django_settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    assert django_settings.AUTHENTICATION_BACKENDS[0] == (
        "backend.accounts.backends.SigninLockoutBackend"
    )
    assert django_settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"


def test_the_cache_is_shared_by_processes():
    """Redis when the broker is Redis (CI), else files under var/cache: never a cache of one
    process's memory."""
    backend = django_settings.CACHES["default"]["BACKEND"]
    assert backend in (
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.filebased.FileBasedCache",
    )
    if django_settings.CELERY_BROKER_URL.startswith("redis://"):
        assert backend == "django.core.cache.backends.redis.RedisCache"


# -- the API token endpoint -----------------------------------------------------------------------


def test_the_token_endpoint_locks_out_after_five_failures(api_client, alice):
    def post(password):
        return api_client.post(
            TOKEN_URL, {"username": "alice", "password": password}, format="json"
        )

    assert _wrong_passwords(post, 4) == [400] * 4
    fifth = post("not-the-password")
    assert fifth.status_code == 429

    right = post(PASSWORD)
    assert right.status_code == 429
    body = right.json()
    assert body["errors"] == []
    assert "Too many failed sign-ins" in body["detail"]
    assert "15 more minutes" in body["detail"]
    assert "token" not in body
    assert 14 * 60 < int(right["Retry-After"]) <= 15 * 60
    attempt = AccessAttempt.objects.get(username="alice")
    assert (attempt.ip_address, attempt.failures_since_start) == ("127.0.0.1", 5)


def test_the_lockout_is_per_name_and_address(api_client, alice):
    """Another address may still sign in as alice; the locked address may sign in as bob."""
    UserFactory(username="bob")

    def post(username, password, address="127.0.0.1"):
        return api_client.post(
            TOKEN_URL,
            {"username": username, "password": password},
            format="json",
            REMOTE_ADDR=address,
        )

    assert [post("alice", "wrong").status_code for _ in range(5)] == [400] * 4 + [429]
    assert post("alice", PASSWORD).status_code == 429
    assert post("alice", PASSWORD, address="192.0.2.7").status_code == 200
    assert post("bob", PASSWORD).status_code == 200


def test_a_success_before_the_limit_forgets_the_failures(client, alice):
    def post(password):
        return client.post("/login/", {"username": "alice", "password": password})

    assert _wrong_passwords(post, 4) == [200] * 4
    assert post(PASSWORD).status_code == 302
    client.logout()
    assert _wrong_passwords(post, 4) == [200] * 4
    assert post(PASSWORD).status_code == 302


# -- the sign-in page and the admin's ---------------------------------------------------------


def test_the_sign_in_page_shows_a_locked_out_page(client, alice):
    def post(password):
        return client.post("/login/", {"username": "alice", "password": password})

    wrong = _wrong_passwords(post, 4)
    assert wrong == [200] * 4
    assert post("not-the-password").status_code == 429

    response = post(PASSWORD)
    assert response.status_code == 429
    assert "frontend/locked_out.html" in [template.name for template in response.templates]
    page = response.content.decode()
    assert 'name="password"' not in page
    assert "Sign-in locked" in page
    assert "Too many failed sign-ins" in page
    assert int(response["Retry-After"]) > 14 * 60
    assert not _signed_in(client)


def test_the_locked_out_page_is_translated(client, alice):
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    response = client.post(
        "/login/", {"username": "alice", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="lv"
    )
    assert response.status_code == 429
    assert '<html lang="lv">' in response.content.decode()


def test_the_admin_sign_in_locks_out_too(client, alice):
    def post(password):
        return client.post(
            "/admin/login/?next=/admin/", {"username": "alice", "password": password}
        )

    assert _wrong_passwords(post, 4) == [200] * 4
    assert post("not-the-password").status_code == 429
    response = post(PASSWORD)
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert not _signed_in(client)


def test_the_admin_lists_the_lockout_and_deleting_it_lets_the_user_in(alice):
    browser = Client()
    for _ in range(5):
        browser.post("/login/", {"username": "alice", "password": "wrong"})
    assert browser.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == (429)

    admin = Client()
    admin.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    listing = admin.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "alice" in page
    assert "127.0.0.1" in page

    attempt = AccessAttempt.objects.get(username="alice")
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()

    response = browser.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert _signed_in(browser)


def test_the_lockout_ends_after_the_cool_off(client, alice, time_machine):
    time_machine.move_to("2031-05-05 09:00 +00:00", tick=False)
    for _ in range(5):
        client.post("/login/", {"username": "alice", "password": "wrong"})
    time_machine.move_to("2031-05-05 09:14 +00:00", tick=False)
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 429
    time_machine.move_to("2031-05-05 09:15:01 +00:00", tick=False)
    assert client.post("/login/", {"username": "alice", "password": PASSWORD}).status_code == 302


# -- counted across processes ---------------------------------------------------------------------

_FAIL_FIVE_TIMES = """
import django
django.setup()
from django.test import Client
client = Client(HTTP_HOST="localhost")
codes = [
    client.post("/login/", {"username": "alice", "password": "wrong"}).status_code
    for _ in range(5)
]
print(codes)
"""


def _subprocess_env(**overrides) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(DJANGO_SETTINGS_MODULE="backend.config.settings", LOG_LEVEL="WARNING", **overrides)
    return env


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_failures_in_another_process_lock_out_this_one(client):
    """Another web process (a separate Python process on the same database) takes four failures
    and the fifth; this process then refuses the right password."""
    UserFactory(username="alice")
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    done = subprocess.run(
        [sys.executable, "-c", _FAIL_FIVE_TIMES],
        env=_subprocess_env(DATABASE_URL=url),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[200, 200, 200, 200, 429]"

    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 429
    assert not _signed_in(client)


_THROTTLE_THREE_TIMES = """
import django
django.setup()
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from backend.api.throttling import AnonRateThrottle
request = RequestFactory().get("/api/v1/projects/", REMOTE_ADDR="198.51.100.9")
request.user = AnonymousUser()
print([AnonRateThrottle().allow_request(request, None) for _ in range(3)])
"""


def test_the_api_rate_is_counted_across_processes(settings, rf):
    """Another process uses up the anonymous rate of an address through the shared cache; this
    process then refuses that address."""
    from backend.api.throttling import AnonRateThrottle

    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/hour", "user": "3/hour"},
    }
    done = subprocess.run(
        [sys.executable, "-c", _THROTTLE_THREE_TIMES],
        env=_subprocess_env(GRANTWATCH_API_ANON_RATE="3/hour"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[True, True, True]"

    request = rf.get("/api/v1/projects/", REMOTE_ADDR="198.51.100.9")
    request.user = AnonymousUser()
    assert AnonRateThrottle().allow_request(request, None) is False
    other = rf.get("/api/v1/projects/", REMOTE_ADDR="198.51.100.10")
    other.user = AnonymousUser()
    assert AnonRateThrottle().allow_request(other, None) is True


# -- the API's rates ------------------------------------------------------------------------------


@pytest.fixture
def low_rates(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute", "user": "3/minute"},
    }


def test_anonymous_requests_over_the_rate_get_429_with_retry_after(api_client, low_rates):
    codes = [api_client.post(TOKEN_URL, {}, format="json").status_code for _ in range(2)]
    assert codes == [400, 400]

    refused = api_client.post(TOKEN_URL, {}, format="json")
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["errors"] == []
    assert body["detail"].startswith("Too many requests: try again in ")
    assert body["detail"].endswith(f"{refused['Retry-After']} seconds.")

    # Another address has its own count.
    other = api_client.post(TOKEN_URL, {}, format="json", REMOTE_ADDR="192.0.2.44")
    assert other.status_code == 400


def test_signed_in_requests_are_counted_per_user(api_client, low_rates, grant_users):
    api_client.force_authenticate(grant_users["manager"])
    codes = [api_client.get("/api/v1/projects/").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    refused = api_client.get("/api/v1/projects/")
    assert refused.status_code == 429
    assert refused.json()["errors"] == []
    assert "results" not in refused.json()
    assert int(refused["Retry-After"]) >= 1

    api_client.force_authenticate(grant_users["officer"])
    assert api_client.get("/api/v1/projects/").status_code == 200


def test_the_rates_come_from_the_settings(api_client, settings):
    """With the default rates the same requests all pass: the rates are read when counting."""
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "60/minute",
        "user": "1200/minute",
    }
    codes = {api_client.post(TOKEN_URL, {}, format="json").status_code for _ in range(5)}
    assert codes == {400}


# -- the client's address -------------------------------------------------------------------------


def test_the_forwarded_header_is_ignored_without_a_trusted_proxy(api_client, low_rates):
    """A client cannot dodge the rate by naming another address in X-Forwarded-For."""
    for number in range(2):
        api_client.post(TOKEN_URL, {}, format="json", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    refused = api_client.post(TOKEN_URL, {}, format="json", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert refused.status_code == 429


def test_behind_a_trusted_proxy_the_address_comes_from_its_header(settings, rf):
    from backend.accounts.security import client_ip

    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.5")
    assert client_ip(request) == "10.0.0.2"
    settings.GRANTWATCH_TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.5"
    settings.GRANTWATCH_TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.GRANTWATCH_CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_REAL_IP="203.0.113.8")) == (
        "203.0.113.8"
    )
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def test_the_cache_is_emptied_before_each_test():
    """The suite's fixture: nothing is left by the test before."""
    cache = caches["default"]
    assert cache.get("throttle_anon_192.0.2.44") is None
    cache.set("throttle_anon_192.0.2.44", [1.0], 60)
    assert cache.get("throttle_anon_192.0.2.44") == [1.0]
