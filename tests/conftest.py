"""Shared fixtures and the rules for tests that need a real service.

Tests marked ``postgres``, ``redis``, ``worker`` or ``browser`` need something outside Python.
On a bare machine they are skipped with the reason; with CI=true a missing service fails them.

GRANTWATCH_TEST_TODAY=YYYY-MM-DD runs the whole suite (and the Celery workers tests start) as if
today were that day, at 10:00 in Brussels with the clock ticking. Tests that travel in time
themselves still do (time_machine nests); every other test must hold on any day.
"""

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db.backends.signals import connection_created
from django.utils import translation
from rest_framework.test import APIClient

from backend.accounts.models import ProjectRole
from backend.config.celery import app as celery_app
from backend.grantfile.services import grant_file_import
from backend.grants.models import Participation, Project
from tests import factories
from tests.factories import UserFactory
from tests.workers import TODAY_VARIABLE, fixed_today, travel_to_day

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
DATA_DIR = Path(__file__).parent / "grants" / "data"
DEMO = Path(__file__).resolve().parents[1] / "backend" / "demo" / "data" / "cove-demo.yaml"


_FIXED_TODAY = pytest.StashKey[tuple]()


def pytest_configure(config):
    """With GRANTWATCH_TEST_TODAY set, travel to that day before any test runs."""
    try:
        day = fixed_today()
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    if day is not None:
        travel = travel_to_day(day)
        travel.start()
        config.stash[_FIXED_TODAY] = (day, travel)


def pytest_unconfigure(config):
    fixed = config.stash.get(_FIXED_TODAY, None)
    if fixed is not None:
        del config.stash[_FIXED_TODAY]
        fixed[1].stop()


def _fixed_today_line(config) -> str:
    day, _ = config.stash[_FIXED_TODAY]
    return (
        f"{TODAY_VARIABLE}={day.isoformat()}: tests run as if today were {day:%A %d %B %Y} "
        "(from 10:00 Europe/Brussels, the clock ticking)"
    )


def pytest_report_header(config):
    if _FIXED_TODAY in config.stash:
        return _fixed_today_line(config)
    return f"{TODAY_VARIABLE} not set: tests run on the real date"


def pytest_terminal_summary(terminalreporter, config):
    # -q leaves the header out; say the day at the end too.
    if _FIXED_TODAY in config.stash and config.get_verbosity() < 0:
        terminalreporter.write_line(_fixed_today_line(config))


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def redis_url() -> str | None:
    """The Redis the suite may use: the broker when it is Redis, else a local default."""
    broker = os.environ.get("CELERY_BROKER_URL", "")
    url = (
        broker
        if broker.startswith("redis://")
        else os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    parsed = urlparse(url)
    return url if _reachable(parsed.hostname or "127.0.0.1", parsed.port or 6379) else None


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and settings.DATABASES["default"]["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        return "needs PostgreSQL: set DATABASE_URL to a PostgreSQL database"
    if item.get_closest_marker("redis") and redis_url() is None:
        return "needs Redis on 127.0.0.1:6379 (or TEST_REDIS_URL)"
    if item.get_closest_marker("browser") and not shutil.which("chromium"):
        return "needs Debian's chromium (apt-get install chromium)"
    if item.get_closest_marker("promtool") and not shutil.which("promtool"):
        return "needs promtool (apt-get install --no-install-recommends prometheus)"
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true and a service is missing: {reason}", pytrace=False)
        pytest.skip(reason)


def _allow_truncate() -> None:
    """Django empties the test database between transactional tests (TRUNCATE on PostgreSQL,
    DELETE on SQLite), which the audit trail's triggers refuse everywhere else
    (backend/audit/migrations/0004_refuse_truncate.py): a PostgreSQL test connection sets
    grantwatch.allow_truncate, an SQLite one registers grantwatch_allow_truncate()."""
    for database in settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.postgresql":
            options = database.setdefault("OPTIONS", {})
            given = options.get("options", "")
            options["options"] = f"{given} -c grantwatch.allow_truncate=on".strip()
    connection_created.connect(
        _register_allow_truncate, weak=False, dispatch_uid="grantwatch_allow_truncate"
    )


def _register_allow_truncate(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("grantwatch_allow_truncate", 0, lambda: 1)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """GRANTWATCH_TEST_DB_SUFFIX=name gives a run a test database of its own (e.g. the demo's
    life, run beside the suite by ``make test``). An in-memory SQLite database is per process
    anyway. The test connections may empty the audit trail, as Django does between
    transactional tests (see ``_allow_truncate``)."""
    _allow_truncate()
    suffix = os.environ.get("GRANTWATCH_TEST_DB_SUFFIX", "")
    if not suffix:
        return
    for database in settings.DATABASES.values():
        if database["ENGINE"] == "django.db.backends.sqlite3":
            continue
        test = database.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + database['NAME']}_{suffix}"


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _tasks_run_in_the_test():
    """Tasks queued by the code under test run at once, in the test's process and database.
    Tests that need a real worker start one (tests/workers.py) and switch this off."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture(autouse=True)
def _english_by_default():
    """A request in Latvian leaves Latvian active in the thread; every test starts in English."""
    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _clear_own_keys(self) -> None:
    """``RedisCache.clear`` in the tests: only the cache's own keys (its KEY_PREFIX) go. The
    cache shares its Redis database with the Celery broker (settings.py, CACHE), and Django's
    own clear (FLUSHDB) would also wipe the queues and bindings of the workers that tests
    running beside (the other lane of ``make test``) are using: their tasks would be lost."""
    client = self._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True, scope="session")
def _redis_cache_clears_its_own_keys():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(RedisCache, "clear", _clear_own_keys)
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Every test starts with an empty cache, so that the API's throttle counts of one test do not
    refuse the requests of the next (on Redis, the cache's own keys only)."""
    caches["default"].clear()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def officer(db):
    return UserFactory(username="officer", is_agency_officer=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def beneficiary_user(db):
    return UserFactory(username="someone")


@pytest.fixture
def spec_example_bytes() -> bytes:
    return (DATA_DIR / "spec-example.yaml").read_bytes()


# -- the demo grant and one user per kind of role on it ----------------------------------------


@pytest.fixture
def demo(db) -> Project:
    """CARETECH: starts 2024-03-01, ends 2028-02-29; coordinator GAUJA (LV). RP1 M1-18 ends
    2025-08-31, RP2 M19-36 ends 2027-02-28, RP3 M37-48 (balance)."""
    return grant_file_import(content=DEMO.read_bytes())


@pytest.fixture
def other_project(db, spec_example_bytes) -> Project:
    """SECOVE, another project (its organisations are not the demo's)."""
    return grant_file_import(content=spec_example_bytes)


# Who the API tells apart: (username, on the first or the other project, role, acting for,
# flags).
_ROLES = {
    "admin": ("root", None, None, None, {"is_superuser": True, "is_staff": True}),
    "officer": ("po", "project", "officer", None, {"is_agency_officer": True}),
    "other_officer": ("po-other", "other", "officer", None, {"is_agency_officer": True}),
    "manager": ("pm", "project", "manager", "GAUJA", {}),
    "partner_contact": ("pc", "project", "partner_contact", "ZILEMED", {}),
    "other_partner": ("pc-other", "project", "partner_contact", "LVTDA", {}),
    "other_manager": ("pm-other", "other", "manager", "UNIWA", {}),
    "stranger": ("nobody", None, None, None, {}),
}


def _one_user_per_role(project, other) -> dict:
    """The kinds of user of _ROLES on ``project`` (coordinated by GAUJA, with ZILEMED and
    LVTDA) and ``other`` (coordinated by UNIWA); a manager or partner contact works for the
    organisation it acts for. Written in a few queries."""
    projects = {"project": project, "other": other}
    acting = {
        (participation.project_id, participation.short_name): participation
        for participation in Participation.objects.filter(project__in=[project, other])
    }
    rows, roles = [], {}
    for kind, (username, which, role, short_name, flags) in _ROLES.items():
        where = projects.get(which)
        participation = acting.get((where.pk, short_name)) if where and short_name else None
        organisation_id = participation.organisation_id if participation else None
        rows.append({"username": username, "organisation_id": organisation_id, **flags})
        if where is not None:
            roles[kind] = (where, role, participation)
    users = dict(zip(_ROLES, factories.bulk(UserFactory, rows), strict=True))
    ProjectRole.objects.bulk_create(
        ProjectRole(user=users[kind], project=where, role=role, participation=participation)
        for kind, (where, role, participation) in roles.items()
    )
    return users


@pytest.fixture
def users(demo, other_project) -> dict:
    """One user per kind of role: the demo's manager (for the coordinator GAUJA), a partner
    contact for ZILEMED and another for LVTDA, the demo's officer, an officer and a manager of
    another project, an administrator, and a stranger with no role."""
    return _one_user_per_role(demo, other_project)


# -- a small grant built with factories, and the same users on it -----------------------------


@pytest.fixture
def grant(db) -> Project:
    """MINICOVE, a small grant built by tests/factories.py (``consortium()``): coordinator GAUJA,
    beneficiaries ZILEMED and LVTDA, associated partner GAUJMALA; WP1 and WP2 over its 24
    months, each with a deliverable due in month 3 (D1.1, D2.1); MS1; RP1 M1-12 and RP2
    M13-24. It started six months before the day the test runs."""
    return factories.consortium(acronym="MINICOVE")


@pytest.fixture
def other_grant(db) -> Project:
    """OTHERCOVE, another small grant (coordinator UNIWA, beneficiary ACME), for the people of
    ``grant`` to be kept out of."""
    return factories.consortium(
        acronym="OTHERCOVE",
        coordinator="UNIWA",
        beneficiaries=("ACME",),
        associated_partners=(),
        work_packages=1,
    )


@pytest.fixture
def grant_users(grant, other_grant) -> dict:
    """The ``users`` of the demo, on ``grant`` and ``other_grant``: the manager for GAUJA,
    partner contacts for ZILEMED and LVTDA, the officer; an officer and a manager (for UNIWA) of
    the other grant; an administrator and a stranger."""
    return _one_user_per_role(grant, other_grant)
