"""Grantwatch settings.

Everything is read from the environment (and an optional ``.env`` file in the working
directory). With no environment at all the system runs embedded: SQLite, Celery over kombu's
filesystem transport and files, all under ``var/``. ``DATABASE_URL`` and ``CELERY_BROKER_URL``
switch to PostgreSQL and Redis in production.

Reading the settings writes nothing: the embedded setup's folders and files under ``var/``
are made where they are first needed (backend/config/embedded.py).

Every variable read here goes through ``env(...)``; tests check that docker-compose.yml sets
no variable outside that list.
"""

import datetime
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django_guid.integrations import CeleryIntegration
from kombu import Exchange, Queue

from backend.config.embedded import SQLiteConnection, development_secret_key
from backend.config.logging import json_formatter_config

# GENERAL
# ------------------------------------------------------------------------------
PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the ``backend`` package

env = environ.Env()
_dotenv = Path.cwd() / ".env"
if _dotenv.is_file():
    # Variables already set in the environment win over the file.
    env.read_env(str(_dotenv))

# Runtime state of the embedded setup (database, broker folders, files, the development
# secret key). Defaults to ``var/`` in the working directory, the repository root under make.
# Nothing is made here: each part is made when first needed (backend/config/embedded.py).
VAR_DIR = Path(env("GRANTWATCH_VAR_DIR", default=str(Path.cwd() / "var"))).resolve()

# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
# Development is the default so that a fresh clone runs with no configuration; production
# sets DEBUG=false, which makes SECRET_KEY and ALLOWED_HOSTS mandatory.
DEBUG = env.bool("DEBUG", default=True)


SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is false.")
    # Development: a key generated once per var folder and kept there (var/secret_key), so
    # that sessions survive restarts. Lazy: it is read, or generated, when first used.
    SECRET_KEY = lazy(development_secret_key, str)(VAR_DIR)

ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is false.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# SECURITY
# ------------------------------------------------------------------------------
# Production runs behind a TLS-terminating reverse proxy. SECURE_SSL (on by default when DEBUG
# is false) turns on everything below that assumes HTTPS; each part has its own variable to
# tune it or turn it off. `grantwatch check --deploy` passes with the defaults.
SECURE_SSL = env.bool("SECURE_SSL", default=not DEBUG)
# The header the proxy sets to "https" on requests that came over HTTPS. The proxy must
# overwrite it, never pass on a client's: Django trusts it. Empty: no header is trusted.
_proxy_ssl_header = env(
    "SECURE_PROXY_SSL_HEADER", default="X-Forwarded-Proto" if SECURE_SSL else ""
)
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (f"HTTP_{_proxy_ssl_header.upper().replace('-', '_')}", "https")
# Plain HTTP is redirected to HTTPS, except the probes that reach the web container directly
# inside the stack: its health check (/healthz, /readyz) and Prometheus (/metrics).
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE_SSL)
SECURE_REDIRECT_EXEMPT = [r"^(healthz|readyz|metrics)$"]
# HSTS: browsers use only HTTPS for this many seconds (a year by default; 0 sends no header).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if SECURE_SSL else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is a decision for the domain's owner (anyone can submit a domain whose header
# allows it, and leaving the list takes months), so it is off unless asked for; off, the
# deploy check's reminder about it is silenced.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Cookies: over HTTPS only; neither is readable by scripts (the pages send the CSRF token
# from the template, hx-headers on <body>, not from the cookie).
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=SECURE_SSL)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=SECURE_SSL)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# How long a sign-in lasts, in hours, from signing in (12 by default).
SESSION_COOKIE_AGE = round(env.float("GRANTWATCH_SESSION_AGE_HOURS", default=12) * 3600)
if SESSION_COOKIE_AGE <= 0:
    raise ImproperlyConfigured("GRANTWATCH_SESSION_AGE_HOURS must be more than 0.")
# The API's schema (/api/schema/) and its Swagger UI (/api/docs/) without signing in: on in
# development, off in production (there they need a signed-in user or an API token).
GRANTWATCH_PUBLIC_API_DOCS = env.bool("GRANTWATCH_PUBLIC_API_DOCS", default=DEBUG)

# CONTENT SECURITY POLICY (django-csp)
# ------------------------------------------------------------------------------
# Scripts and styles come only from the site's own static files: no inline script, no
# inline style (the pages set computed layout through the CSSOM, frontend/static/frontend/
# site.js). The Swagger UI page relaxes style-src for its own inline <style> (urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# INTERNATIONALISATION
# ------------------------------------------------------------------------------
# Deadlines are Brussels deadlines: EU calls and grant agreements state them in Brussels time.
TIME_ZONE = "Europe/Brussels"
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("lv", _("Latvian"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]

# DATABASES
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'grantwatch.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and beat share one file: WAL lets readers and a writer work at once,
    # IMMEDIATE transactions take the write lock up front, and the timeout makes a
    # writer wait for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        # Makes the database file's folder (var/) when the first connection opens.
        "factory": SQLiteConnection,
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # Sign-in lockout (AXES_* below).
    "axes",
    "backend.accounts",
    "backend.grants",
    "backend.workplan",
    "backend.amendments",
    "backend.reporting",
    "backend.payments",
    "backend.audit",
    "backend.grantfile",
    "backend.demo",
    # The API's own table: the idempotency keys of create requests.
    "backend.api",
    "django_htmx",
    "django_guid",
    "csp",
    "monitoring",
    "frontend",
]

# Prometheus's two middlewares wrap everything (request counts and latency, see
# monitoring/metrics.py); the request log line comes next, then django-guid's request id.
MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "backend.config.logging.RequestLogMiddleware",
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    # whitenoise's, making var/static first.
    "backend.config.static.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A request too large is refused before anything (the CSRF check) reads its body.
    "backend.config.request_limits.RequestSizeLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The Content-Security-Policy header (CONTENT_SECURITY_POLICY).
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
    # The request being served, for the audit events of password changes.
    "backend.accounts.security.CurrentRequestMiddleware",
    # Last: answers a locked-out sign-in (AXES_* below).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "backend.config.urls"
WSGI_APPLICATION = "backend.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context.navigation",
            ],
        },
    },
]

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "frontend:login"
LOGIN_REDIRECT_URL = "frontend:home"
LOGOUT_REDIRECT_URL = "frontend:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# SIGN-IN LOCKOUT (django-axes)
# ------------------------------------------------------------------------------
# Failed sign-ins (the sign-in page, the admin's, POST /api/v1/auth/token) are counted in the
# database for one user name from one IP address; after GRANTWATCH_SIGNIN_FAILURE_LIMIT of them
# that name is refused from that address for GRANTWATCH_SIGNIN_COOLOFF_MINUTES, even with the
# right password (429: a page, or the API's error shape). Counting the pair keeps a stranger from
# locking a colleague out; the API's anonymous throttle bounds the names one address can try.
# The admin lists lockouts (Axes: access attempts) and deleting one lets the user in again.
AUTHENTICATION_BACKENDS = [
    "backend.accounts.backends.SigninLockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("GRANTWATCH_SIGNIN_FAILURE_LIMIT", default=5)
if AXES_FAILURE_LIMIT < 1:
    raise ImproperlyConfigured("GRANTWATCH_SIGNIN_FAILURE_LIMIT must be at least 1.")
_signin_cooloff_minutes = env.float("GRANTWATCH_SIGNIN_COOLOFF_MINUTES", default=15)
if _signin_cooloff_minutes <= 0:
    raise ImproperlyConfigured("GRANTWATCH_SIGNIN_COOLOFF_MINUTES must be more than 0.")
# In hours, as a float (django-axes reads an int as whole hours).
AXES_COOLOFF_TIME = _signin_cooloff_minutes / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The cool-off runs from the failure that caused the lockout: attempts during it are refused
# without being counted, so it ends when it says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A sign-in forgets the failures before it.
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "backend.accounts.security.client_ip"
AXES_LOCKOUT_CALLABLE = "frontend.signin.lockout_response"
# The client's address: the connection's own, unless GRANTWATCH_TRUSTED_PROXY_COUNT reverse
# proxies stand in front (then the address they add to GRANTWATCH_CLIENT_IP_HEADER, counted from
# its right end). Set it only when every request comes through those proxies: a client could
# otherwise name any address in the header itself. Sign-in lockouts, the API's throttles and
# the audit events all use it (backend/accounts/security.py).
GRANTWATCH_TRUSTED_PROXY_COUNT = env.int("GRANTWATCH_TRUSTED_PROXY_COUNT", default=0)
GRANTWATCH_CLIENT_IP_HEADER = env("GRANTWATCH_CLIENT_IP_HEADER", default="X-Forwarded-For")

# SIGN-IN WITH THE ORGANISATION'S IDENTITY PROVIDER (OpenID Connect, mozilla-django-oidc)
# ------------------------------------------------------------------------------
# Off while GRANTWATCH_OIDC_ISSUER is empty. The endpoints come from the issuer's discovery
# document, fetched when first needed (backend/accounts/oidc.py), never here. The provider's
# redirect URI to register is <site>/oidc/callback/.
GRANTWATCH_OIDC_ISSUER = env("GRANTWATCH_OIDC_ISSUER", default="")
GRANTWATCH_OIDC_CLIENT_ID = env("GRANTWATCH_OIDC_CLIENT_ID", default="")
GRANTWATCH_OIDC_CLIENT_SECRET = env("GRANTWATCH_OIDC_CLIENT_SECRET", default="")
# The provider's name on the sign-in button; empty: "your organisation" (translated).
GRANTWATCH_OIDC_NAME = env("GRANTWATCH_OIDC_NAME", default="")
GRANTWATCH_OIDC_SCOPES = env("GRANTWATCH_OIDC_SCOPES", default="openid email")
# A verified e-mail address no account has gets a plain account (no rights, no roles).
GRANTWATCH_OIDC_CREATE_USERS = env.bool("GRANTWATCH_OIDC_CREATE_USERS", default=True)
GRANTWATCH_OIDC_TIMEOUT = env.float("GRANTWATCH_OIDC_TIMEOUT", default=5.0)
GRANTWATCH_OIDC_DISCOVERY_SECONDS = env.int("GRANTWATCH_OIDC_DISCOVERY_SECONDS", default=3600)
if GRANTWATCH_OIDC_ISSUER and not (GRANTWATCH_OIDC_CLIENT_ID and GRANTWATCH_OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured(
        "GRANTWATCH_OIDC_ISSUER needs GRANTWATCH_OIDC_CLIENT_ID and GRANTWATCH_OIDC_CLIENT_SECRET."
    )
if "openid" not in GRANTWATCH_OIDC_SCOPES.split() or "email" not in GRANTWATCH_OIDC_SCOPES.split():
    raise ImproperlyConfigured("GRANTWATCH_OIDC_SCOPES must include openid and email.")
# Its sessions are loaded by it; it answers None to every password sign-in.
AUTHENTICATION_BACKENDS.append("backend.accounts.oidc.OrganisationSigninBackend")
# What mozilla-django-oidc reads itself.
OIDC_RP_SCOPES = GRANTWATCH_OIDC_SCOPES
OIDC_RP_SIGN_ALGO = "RS256"
OIDC_USE_PKCE = True
OIDC_USE_NONCE = True
OIDC_VERIFY_SSL = True
OIDC_TIMEOUT = GRANTWATCH_OIDC_TIMEOUT
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc:callback"

# FILES
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
# The front-end packages (frontend/package.json), installed by make with npm ci, are served
# from their own dist folders; the frontend app's check warns when they are missing.
FRONTEND_PACKAGES_DIR = Path(
    env(
        "GRANTWATCH_FRONTEND_PACKAGES",
        default=str(PACKAGE_DIR.parent / "frontend" / "node_modules"),
    )
)
STATICFILES_DIRS = [
    ("vendor/htmx", FRONTEND_PACKAGES_DIR / "htmx.org" / "dist"),
    ("vendor/chart.js", FRONTEND_PACKAGES_DIR / "chart.js" / "dist"),
]
STATICFILES_DIRS = [(prefix, folder) for prefix, folder in STATICFILES_DIRS if folder.is_dir()]
# Inside var/, the middleware that serves it makes it as it starts (backend/config/static.py).
STATIC_ROOT = Path(env("STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# A request body that is not a file (a JSON body, a form's fields) may be at most this big:
# the API answers a larger one with a 400 naming the limit (backend/api/parsers.py). A grant
# file is small too; anything bigger than this is not a grant file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# A deliverable's evidence file may be at most this big (bytes; 50 MB by default). Uploaded
# files are never served from MEDIA_URL: they are downloaded through a view that checks access.
GRANTWATCH_EVIDENCE_MAX_BYTES = env.int("GRANTWATCH_EVIDENCE_MAX_BYTES", default=50 * 1024 * 1024)
# The largest request the site reads: an evidence file and its form (64 KB for the rest). A
# request that states a larger length is answered 413 before its body is read
# (backend/config/request_limits.py); the proxy in front must cap bodies at this size too
# (nginx: client_max_body_size).
GRANTWATCH_MAX_REQUEST_BYTES = GRANTWATCH_EVIDENCE_MAX_BYTES + 64 * 1024

# E-MAIL
# ------------------------------------------------------------------------------
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Grantwatch <grantwatch@localhost>")

# CELERY
# ------------------------------------------------------------------------------
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # The Celery app makes these folders when it is configured (backend/config/celery.py).
    _celery_dir = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_celery_dir / "queue"),
        "data_folder_out": str(_celery_dir / "queue"),
        "processed_folder": str(_celery_dir / "processed"),
        "control_folder": str(_celery_dir / "control"),
        "store_processed": False,
        # How long a worker with nothing to take waits before it looks at the folder again
        # (kombu's default is a second).
        "polling_interval": 0.1,
    }
    # The worker's loop gets the hand back at every poll, to acknowledge what its processes
    # finished and take the next task (backend/config/celery.py).
    CELERY_BROKER_TRANSPORT = "backend.config.celery:EmbeddedTransport"
    _default_result_backend = f"file://{_celery_dir / 'results'}"
else:
    _default_result_backend = CELERY_BROKER_URL
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=_default_result_backend)
CELERY_RESULT_EXPIRES = 24 * 3600
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic tasks live in the database (django-celery-beat): a data migration installs the
# defaults (the daily sweep) and administrators change them in the admin.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Two queues. The checks a change asks for (monitoring/outbox.py) go to the checks queue; the
# sweep, its batches and every other task to the default queue. A worker serves both, the checks
# first (backend/config/celery.py), so a change's flag does not wait behind a sweep. Both names
# derive from GRANTWATCH_TASK_QUEUE (a queue of its own isolates a test or benchmark worker).
CELERY_TASK_DEFAULT_QUEUE = env("GRANTWATCH_TASK_QUEUE", default="celery")
GRANTWATCH_CHECKS_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.checks"
# A worker started without --queues consumes these, in this order.
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in (GRANTWATCH_CHECKS_QUEUE, CELERY_TASK_DEFAULT_QUEUE)
)
# Beat's relay of the checks the attempt after a commit could not send: a check too.
CELERY_TASK_ROUTES = {"monitoring.relay_outbox": {"queue": GRANTWATCH_CHECKS_QUEUE}}
# How many projects one check task of the sweep takes.
GRANTWATCH_SWEEP_BATCH_SIZE = env.int("GRANTWATCH_SWEEP_BATCH_SIZE", default=250)
# How many allocations a worker process (Celery's and gunicorn's) makes between two
# collections of its youngest objects (backend/config/celery.py and gunicorn.py; Python's
# default is 700).
GRANTWATCH_WORKER_GC_THRESHOLD = env.int("GRANTWATCH_WORKER_GC_THRESHOLD", default=50_000)
if GRANTWATCH_WORKER_GC_THRESHOLD < 1:
    raise ImproperlyConfigured("GRANTWATCH_WORKER_GC_THRESHOLD must be at least 1.")
# Each task's time limits in seconds, (soft, hard): at the soft limit the task is told
# (SoftTimeLimitExceeded), at the hard limit its worker process is killed and replaced. The
# tasks read these when they are defined (monitoring/tasks.py).
GRANTWATCH_TASK_TIME_LIMITS = {
    "monitoring.ping": (10, 20),
    "monitoring.check_projects": (240, 300),
    "monitoring.sweep": (60, 120),
    "monitoring.sweep_resend": (60, 120),
    "monitoring.fill_summaries": (240, 300),
    "monitoring.send_reminders": (540, 600),
    "monitoring.send_digests": (540, 600),
}
# A Redis broker hands a task whose worker died (taken, never acknowledged) to another worker
# after this many seconds: a little above the longest hard limit, so that a task still running
# is never handed out twice. The filesystem transport keeps its own options above.
GRANTWATCH_VISIBILITY_TIMEOUT = env.int(
    "GRANTWATCH_VISIBILITY_TIMEOUT",
    default=max(hard for _soft, hard in GRANTWATCH_TASK_TIME_LIMITS.values()) + 60,
)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": GRANTWATCH_VISIBILITY_TIMEOUT,
        # How often a worker looks for such tasks (at most the visibility timeout): at every
        # interval (kombu's default throttle looks only at every tenth, some 100 s apart).
        "unacked_restore_interval": min(10, GRANTWATCH_VISIBILITY_TIMEOUT),
        "unacked_restore_throttle": 1,
        # A worker asks for the queues in the order it consumes them, the checks queue first
        # (kombu's default, round robin, would give a waiting check and a sweep batch turns).
        "queue_order_strategy": "priority",
    }
# A sweep batch not finished this long after it was sent is sent again (monitoring.sweep_resend,
# every few minutes), at most this many times in all.
GRANTWATCH_SWEEP_BATCH_MAX_SENDS = env.int("GRANTWATCH_SWEEP_BATCH_MAX_SENDS", default=3)
# Sleep this long at the start of every check (tests only: makes a check slow on purpose, so
# that a test can kill the worker while it runs).
GRANTWATCH_CHECK_DELAY_SECONDS = env.float("GRANTWATCH_CHECK_DELAY_SECONDS", default=0.0)

# CACHE
# ------------------------------------------------------------------------------
# Shared by every web process (the API's throttle counts live here): Redis at CACHE_URL, else
# the broker's Redis when the broker is Redis, else files under var/cache (made when first
# written). Keys carry the "grantwatch" prefix, so the cache may share the broker's database.
CACHE_URL = env("CACHE_URL", default="")
if not CACHE_URL and CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    CACHE_URL = CELERY_BROKER_URL
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "grantwatch",
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": "grantwatch",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# PAYMENTS
# ------------------------------------------------------------------------------
# Four eyes on money: whoever approved an instalment does not record its payment.
GRANTWATCH_FOUR_EYES_PAYMENTS = env.bool("GRANTWATCH_FOUR_EYES_PAYMENTS", default=True)

# API
# ------------------------------------------------------------------------------
# A create request sent with an Idempotency-Key header is answered again, unchanged, when the
# same user retries it with the same key within this many hours (backend/api/idempotency.py).
GRANTWATCH_IDEMPOTENCY_KEY_HOURS = env.float("GRANTWATCH_IDEMPOTENCY_KEY_HOURS", default=24)
if GRANTWATCH_IDEMPOTENCY_KEY_HOURS <= 0:
    raise ImproperlyConfigured("GRANTWATCH_IDEMPOTENCY_KEY_HOURS must be more than 0.")
REST_FRAMEWORK = {
    # Token first, so that an unauthenticated request gets 401 with a WWW-Authenticate header.
    # The tokens are django-rest-knox's (API TOKENS below).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "backend.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "EXCEPTION_HANDLER": "backend.api.errors.exception_handler",
    # Requests per client: by IP address when anonymous, by user when signed in. Over the rate
    # the API answers 429 with Retry-After (backend/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "backend.api.throttling.AnonRateThrottle",
        "backend.api.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("GRANTWATCH_API_ANON_RATE", default="60/minute"),
        "user": env("GRANTWATCH_API_USER_RATE", default="1200/minute"),
    },
    # DRF's parsers with limits: a body over DATA_UPLOAD_MAX_MEMORY_SIZE, or JSON nested more
    # than 32 levels, is a 400 naming the limit (backend/api/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "backend.api.parsers.JSONParser",
        "backend.api.parsers.FormParser",
        "backend.api.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grantwatch API",
    "DESCRIPTION": "Post-award monitoring of EU lump-sum grants.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several components have a "status"; each set of values gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "VerdictStatusEnum": ["pass", "warning", "review", "breach"],
        "FlagStatusEnum": ["open", "resolved"],
        "ReductionKindEnum": "backend.payments.models.ReductionKind",
        "VersionDecisionEnum": "backend.reporting.models.VersionDecision",
    },
    # Every 4xx with the body the API's exception handler gives it, and on every operation the
    # 4xx any request may meet (backend/api/errors.py); the first is drf-spectacular's default.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "backend.api.errors.declare_error_responses",
    ],
}

# API TOKENS (django-rest-knox)
# ------------------------------------------------------------------------------
# POST /api/v1/auth/token gives a token for "Authorization: Token <key>". Only a SHA-512 digest
# of the key is stored; a token ends this many hours after it was made (10 by default), when its
# user revokes it, changes password or is deactivated (backend/accounts/tokens.py).
GRANTWATCH_TOKEN_TTL_HOURS = env.float("GRANTWATCH_TOKEN_TTL_HOURS", default=10)
if GRANTWATCH_TOKEN_TTL_HOURS <= 0:
    raise ImproperlyConfigured("GRANTWATCH_TOKEN_TTL_HOURS must be more than 0.")
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(hours=GRANTWATCH_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    # A token lasts its TTL from when it was made: using it does not push its end back.
    "AUTO_REFRESH": False,
}

# LOGGING
# ------------------------------------------------------------------------------
# One JSON object per line on the console (LOG_FORMAT=text for plain lines in development),
# each with request_id, user_id and task_id (backend/config/logging.py). The Celery worker and
# beat use this configuration too (backend/config/celery.py), and so does gunicorn's own log
# (backend/config/gunicorn.py).
LOG_FORMAT = env("LOG_FORMAT", default="json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "backend.config.logging.ContextFilter"}},
    "formatters": {
        "json": json_formatter_config(),
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[request=%(request_id)s user=%(user_id)s task=%(task_id)s] %(message)s"
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django-guid tells at INFO about every request without the header.
        "django_guid": {"level": "WARNING"},
        # django-axes tells at INFO about every sign-in; the audit trail records them, and its
        # lockout warnings still show.
        "axes": {"level": "WARNING"},
        # WeasyPrint tells at INFO about each step of every compliance report it renders.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# REQUEST IDS (django-guid)
# ------------------------------------------------------------------------------
# A request's X-Request-ID (a UUID from the proxy) is kept, else one is made; the response
# returns it, and the tasks the request queues carry it on (Celery integration).
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
    # The worker and beat take LOGGING through backend/config/celery.py, not through this.
    "INTEGRATIONS": [CeleryIntegration(use_django_logging=False, log_parent=True)],
}

# METRICS AND HEALTH
# ------------------------------------------------------------------------------
# /metrics answers only "Authorization: Bearer <token>"; without a token it does not exist.
GRANTWATCH_METRICS_TOKEN = env("GRANTWATCH_METRICS_TOKEN", default="")
# Set for gunicorn with several worker processes: where prometheus_client keeps each process's
# request and database metrics (prometheus_client reads the variable itself; see
# backend/config/gunicorn.py). Empty: one process, metrics in memory.
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="")
# Seconds /readyz and the metrics wait for the broker before calling it unreachable.
GRANTWATCH_HEALTH_TIMEOUT = env.float("GRANTWATCH_HEALTH_TIMEOUT", default=2.0)
