"""Production's security defaults (HTTPS, HSTS, cookies, sessions), the Content-Security-Policy
and who may read the API's schema and docs.

What the settings are when DEBUG is false is checked in fresh processes (settings are read
once); what the middleware does with them, in this process with the settings changed."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import UserFactory

GRANTWATCH = Path(sys.executable).with_name("grantwatch")
TEMPLATES = Path(__file__).resolve().parents[2] / "frontend" / "templates"
# All a production process takes from the test's own environment (which may hold DEBUG, a
# database, or DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests): the rest is set here.
INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")


def production(tmp_path, **variables) -> dict[str, str]:
    """An environment for a production process: DEBUG=false, a real secret key, a host."""
    env = {key: value for key, value in os.environ.items() if key in INHERITED}
    env.update(
        DJANGO_SETTINGS_MODULE="backend.config.settings",
        GRANTWATCH_VAR_DIR=str(tmp_path),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="example.org",
    )
    env.update(variables)
    return env


def check_deploy(tmp_path, **variables) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(GRANTWATCH), "check", "--deploy", "--fail-level", "WARNING"],
        env=production(tmp_path, **variables),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )


def settings_in(tmp_path, names: str, **variables) -> subprocess.CompletedProcess:
    code = (
        "import django; django.setup(); from django.conf import settings; "
        f"print(*[repr(getattr(settings, name)) for name in {names.split()!r}], sep='\\n')"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env=production(tmp_path, **variables),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )


# Production defaults
# ------------------------------------------------------------------------------------------


def test_the_deploy_check_passes_with_the_production_defaults(tmp_path):
    result = check_deploy(tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value", "warning"),
    [
        ("SECURE_HSTS_SECONDS", "0", "security.W004"),
        ("SECURE_SSL_REDIRECT", "false", "security.W008"),
        ("SESSION_COOKIE_SECURE", "false", "security.W012"),
        ("CSRF_COOKIE_SECURE", "false", "security.W016"),
        ("SECURE_SSL", "false", "security.W004"),
    ],
)
def test_the_deploy_check_fails_when_a_protection_is_turned_off(tmp_path, variable, value, warning):
    result = check_deploy(tmp_path, **{variable: value})

    assert result.returncode != 0
    assert warning in result.stderr, result.stderr


def test_production_settings_trust_the_proxy_header_and_keep_cookies_from_scripts(tmp_path):
    names = (
        "SECURE_PROXY_SSL_HEADER SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS "
        "SECURE_HSTS_INCLUDE_SUBDOMAINS SECURE_HSTS_PRELOAD SESSION_COOKIE_SECURE "
        "SESSION_COOKIE_HTTPONLY CSRF_COOKIE_SECURE CSRF_COOKIE_HTTPONLY SESSION_COOKIE_AGE "
        "GRANTWATCH_PUBLIC_API_DOCS"
    )
    result = settings_in(tmp_path, names)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == [
        "('HTTP_X_FORWARDED_PROTO', 'https')",
        "True",
        str(365 * 24 * 3600),
        "True",
        "False",
        "True",
        "True",
        "True",
        "True",
        str(12 * 3600),
        "False",
    ]


def test_each_default_has_a_variable(tmp_path):
    names = (
        "SECURE_PROXY_SSL_HEADER SECURE_HSTS_SECONDS SECURE_HSTS_INCLUDE_SUBDOMAINS "
        "SECURE_HSTS_PRELOAD SESSION_COOKIE_AGE GRANTWATCH_PUBLIC_API_DOCS SILENCED_SYSTEM_CHECKS"
    )
    result = settings_in(
        tmp_path,
        names,
        SECURE_PROXY_SSL_HEADER="X-Scheme",
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        SECURE_HSTS_PRELOAD="true",
        GRANTWATCH_SESSION_AGE_HOURS="1.5",
        GRANTWATCH_PUBLIC_API_DOCS="true",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == [
        "('HTTP_X_SCHEME', 'https')",
        "3600",
        "False",
        "True",
        "5400",
        "True",
        "[]",  # preloading asked for: the deploy check's reminder is no longer silenced
    ]


def test_development_sends_no_https_only_settings(tmp_path):
    names = (
        "SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS SESSION_COOKIE_SECURE GRANTWATCH_PUBLIC_API_DOCS"
    )
    result = settings_in(tmp_path, names, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == ["False", "0", "False", "True"]


@pytest.mark.parametrize("hours", ["0", "-2"])
def test_a_session_length_of_nothing_is_refused(tmp_path, hours):
    result = settings_in(tmp_path, "SESSION_COOKIE_AGE", GRANTWATCH_SESSION_AGE_HOURS=hours)

    assert result.returncode != 0
    assert "GRANTWATCH_SESSION_AGE_HOURS must be more than 0." in result.stderr


# HTTPS behind the proxy
# ------------------------------------------------------------------------------------------


@pytest.fixture
def behind_tls(settings):
    """The production HTTPS settings in this process."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 3600
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    return settings


@pytest.mark.django_db
def test_plain_http_is_sent_to_https(client, behind_tls):
    response = client.get("/login/?next=/projects/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/?next=/projects/"


@pytest.mark.django_db
def test_https_from_the_proxy_is_served_with_hsts(client, behind_tls):
    response = client.get("/login/", headers={"X-Forwarded-Proto": "https"})

    assert response.status_code == 200
    assert 'name="password"' in response.content.decode()
    assert response["Strict-Transport-Security"] == "max-age=3600; includeSubDomains"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_the_probes_inside_the_stack_are_not_redirected(client, behind_tls, path):
    response = client.get(path)

    assert response.status_code != 301
    assert "Location" not in response
    assert "https://" not in response.content.decode()


@pytest.mark.django_db
def test_signing_in_over_https_sets_cookies_only_for_https_and_not_for_scripts(client, behind_tls):
    behind_tls.SESSION_COOKIE_AGE = 2 * 3600
    UserFactory(username="cookie")
    https = {"X-Forwarded-Proto": "https"}

    client.get("/login/", headers=https)
    response = client.post(
        "/login/", {"username": "cookie", "password": "pass-word-123"}, headers=https
    )

    assert response.status_code == 302
    session, csrf = response.cookies["sessionid"], response.cookies["csrftoken"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["max-age"] == 2 * 3600
    assert csrf["secure"] is True
    assert csrf["httponly"] is True


# Content-Security-Policy
# ------------------------------------------------------------------------------------------


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


@pytest.mark.django_db
def test_the_sign_in_page_allows_no_inline_script_or_style(client):
    response = client.get("/login/")

    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
    assert "'unsafe-inline'" not in policy["script-src"]


def test_the_pages_hold_no_inline_style():
    """style-src 'self' refuses style="" attributes and <style> elements: the pages put
    computed layout in data attributes, which site.js applies through the CSSOM."""
    found = [
        f"{template.relative_to(TEMPLATES)}: {match.group(0).strip()}"
        for template in sorted(TEMPLATES.rglob("*.html"))
        for match in re.finditer(r"\sstyle=|<style[\s>]", template.read_text())
    ]
    assert found == []


@pytest.mark.django_db
def test_the_api_docs_relax_only_style_for_swagger_uis_inline_style(client):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 200
    assert "<script>" not in page.content.decode()  # its script is a file of its own
    assert '<script src="/api/docs/?script="></script>' in page.content.decode()
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle(" in script.content.decode()
    policy = directives(page["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"]


# The API's schema and docs
# ------------------------------------------------------------------------------------------


@pytest.fixture
def private_docs(settings):
    settings.GRANTWATCH_PUBLIC_API_DOCS = False
    return settings


@pytest.mark.django_db
def test_private_schema_asks_an_anonymous_caller_to_authenticate(client, private_docs):
    response = client.get("/api/schema/?format=json")

    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided."}
    assert "openapi" not in response.content.decode()


@pytest.mark.django_db
def test_private_docs_send_an_anonymous_browser_to_sign_in(client, private_docs):
    page = client.get("/api/docs/")
    script = client.get("/api/docs/?script=")

    assert page.status_code == 302
    assert page["Location"] == "/login/?next=/api/docs/"
    assert b"swagger-ui" not in page.content
    assert script.status_code == 302
    assert b"SwaggerUIBundle" not in script.content


@pytest.mark.django_db
def test_private_schema_and_docs_are_served_to_a_signed_in_user(client, private_docs):
    client.force_login(UserFactory())

    schema = client.get("/api/schema/?format=json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert "/api/v1/projects/" in schema.json()["paths"]
    assert docs.status_code == 200
    assert b'<div id="swagger-ui"></div>' in docs.content


@pytest.mark.django_db
def test_public_schema_and_docs_are_served_to_anyone(client, settings):
    settings.GRANTWATCH_PUBLIC_API_DOCS = True

    schema = client.get("/api/schema/?format=json")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert "/api/v1/projects/" in schema.json()["paths"]
    assert docs.status_code == 200
    assert b'<div id="swagger-ui"></div>' in docs.content
