"""Settings of the test provider. Everything that differs between runs comes from the
environment the fixture (tests/oidc_provider/process.py) sets: the database file, the RSA key
that signs the ID tokens and the issuer the tokens carry."""

import os
import time
from pathlib import Path

import time_machine

# The test process's clock, when it runs as if today were another day (process.py passes its
# offset from the real clock).
if os.environ.get("OIDC_PROVIDER_CLOCK_OFFSET"):
    time_machine.travel(
        time.time() + float(os.environ["OIDC_PROVIDER_CLOCK_OFFSET"]), tick=True
    ).start()

HERE = Path(__file__).resolve().parent

SECRET_KEY = "test-provider-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "tests.oidc_provider.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("OIDC_PROVIDER_DB", ":memory:"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
LOGIN_URL = "/accounts/login/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {"version": 1, "disable_existing_loggers": False}

OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ.get("OIDC_PROVIDER_RSA_KEY", ""),
    # The issuer the ID tokens and the discovery document name (the wrong-issuer provider sets
    # another than its address).
    "OIDC_ISS_ENDPOINT": os.environ.get("OIDC_PROVIDER_ISSUER", ""),
    "OAUTH2_VALIDATOR_CLASS": "tests.oidc_provider.validators.EmailClaimsValidator",
    "SCOPES": {"openid": "OpenID Connect", "email": "Your e-mail address"},
    "PKCE_REQUIRED": True,
}
