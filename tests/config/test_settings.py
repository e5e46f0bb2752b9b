"""Configuration from the environment, checked in fresh processes (settings are read once)."""

import os
import stat
import subprocess
import sys

import pytest

PRINT_SETTINGS = (
    "from django.conf import settings; from django.db import connection; "
    "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); "
    "print(settings.SECRET_KEY); print(cursor.fetchone()[0]); "
    "print(settings.DATABASES['default']['NAME']); print(settings.CELERY_BROKER_URL); "
    "print(settings.EMAIL_BACKEND); print(settings.TIME_ZONE)"
)


def _environment(tmp_path, **environment) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SECRET_KEY")
    }
    env.update(
        {"DJANGO_SETTINGS_MODULE": "backend.config.settings", "GRANTWATCH_VAR_DIR": str(tmp_path)}
    )
    env.update(environment)
    return env


def _run(code: str, tmp_path, **environment) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=_environment(tmp_path, **environment),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )


def test_with_no_environment_it_runs_embedded(tmp_path):
    result = _run(PRINT_SETTINGS, tmp_path)

    assert result.returncode == 0, result.stderr
    key, journal, database, broker, email, zone = result.stdout.split()
    assert journal == "wal"  # web, worker and beat share the SQLite file
    assert database == str(tmp_path / "grantwatch.sqlite3")
    assert broker == "filesystem://"
    assert email == "django.core.mail.backends.console.EmailBackend"
    assert zone == "Europe/Brussels"
    # the development secret key is generated once, kept private, and reused
    key_file = tmp_path / "secret_key"
    assert key_file.read_text() == key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _run(PRINT_SETTINGS, tmp_path).stdout.split()[0] == key


def test_production_requires_a_secret_key(tmp_path):
    result = _run("print('started')", tmp_path, DEBUG="false", ALLOWED_HOSTS="grants.example.org")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is false." in result.stderr
    assert not (tmp_path / "secret_key").exists()


def test_production_requires_allowed_hosts(tmp_path):
    result = _run("print('started')", tmp_path, DEBUG="false", SECRET_KEY="x" * 50)

    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set when DEBUG is false." in result.stderr


def test_the_environment_and_a_dotenv_file_configure_it(tmp_path):
    (tmp_path / ".env").write_text(
        "SECRET_KEY=from-the-file\nEMAIL_URL=smtp://mail.example.org:25\nDEBUG=false\n"
        "ALLOWED_HOSTS=grants.example.org\n"
    )

    result = _run(
        "from django.conf import settings; print(settings.SECRET_KEY, settings.EMAIL_HOST, "
        "settings.DEBUG, settings.ALLOWED_HOSTS, settings.CELERY_BROKER_URL, "
        "settings.CELERY_RESULT_BACKEND, settings.DATABASES['default']['ENGINE'])",
        tmp_path,
        SECRET_KEY="from-the-environment",
        CELERY_BROKER_URL="redis://cache.example.org:6379/0",
        DATABASE_URL="postgres://grantwatch:pw@db.example.org:5432/grantwatch",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "from-the-environment",  # the environment wins over the file
        "mail.example.org",
        "False",
        "['grants.example.org']",
        "redis://cache.example.org:6379/0",
        "redis://cache.example.org:6379/0",  # results go where the broker is, by default
        "django.db.backends.postgresql",
    ]


def _files(folder) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize("var", ["var", "missing"])
def test_reading_the_settings_creates_nothing(tmp_path, var):
    """Importing the settings, setting Django up and reading the settings write nothing, in the
    var folder (empty, or not there at all) or in the working directory: the embedded setup's
    folders and files are made where they are first needed. (The development secret key is
    read, or generated, when it is first used, not before.)"""
    if var == "var":
        (tmp_path / var).mkdir()
    before = _files(tmp_path)

    result = _run(
        "import backend.config.settings as module; from django.conf import settings; "
        "names = [name for name in dir(module) if name.isupper() and name != 'SECRET_KEY']; "
        "print(len([getattr(settings, name) for name in names]))",
        tmp_path,
        GRANTWATCH_VAR_DIR=str(tmp_path / var),
    )

    assert result.returncode == 0, result.stderr
    assert _files(tmp_path) == before


def test_the_embedded_setup_makes_its_folders_when_first_needed(tmp_path):
    var = tmp_path / "var"  # not there yet
    code = (
        "from backend.config import celery_app; from django.db import connection; "
        "connection.ensure_connection(); print(celery_app.conf.broker_url)"
    )

    result = _run(code, tmp_path, GRANTWATCH_VAR_DIR=str(var))

    assert result.returncode == 0, result.stderr
    # the database's file on the first connection, the broker's and the result backend's
    # folders once the Celery app is configured; no secret key until one is used
    assert (var / "grantwatch.sqlite3").is_file()
    for folder in ("queue", "processed", "control", "results"):
        assert (var / "celery" / folder).is_dir(), folder
    assert not (var / "secret_key").exists()


def test_the_web_application_makes_its_folders_in_var(tmp_path):
    var = tmp_path / "var"

    # Outside debug mode whitenoise serves the collected files, and warns if there is no folder.
    result = _run(
        "import backend.config.wsgi",
        tmp_path,
        GRANTWATCH_VAR_DIR=str(var),
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="grants.example.org",
    )

    assert result.returncode == 0, result.stderr
    assert (var / "static").is_dir()
    assert "No directory at" not in result.stderr
    assert (var / "celery" / "queue").is_dir()  # where it queues tasks, which /readyz reads


def test_processes_starting_together_agree_on_the_development_key(tmp_path):
    """Each process generates a key on first use; the first one in place wins."""
    code = "from django.conf import settings; print(str(settings.SECRET_KEY))"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            env=_environment(tmp_path, GRANTWATCH_VAR_DIR=str(tmp_path / "var")),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}

    assert keys == {(tmp_path / "var" / "secret_key").read_text()}
    assert _files(tmp_path / "var") == ["secret_key"]


@pytest.mark.parametrize("language", ["en", "lv"])
def test_both_languages_are_configured(settings, language):
    assert language in dict(settings.LANGUAGES)


def test_a_worker_process_leaves_its_start_to_the_collector_and_collects_less_often(tmp_path):
    # In a fresh process, as Celery starts each worker process: the hook runs on its signal.
    code = (
        "import gc; from celery.signals import worker_process_init; "
        "import backend.config.celery; "
        "before = gc.get_threshold(); assert gc.get_freeze_count() == 0; "
        "worker_process_init.send(sender=None); "
        "print(before[0], *gc.get_threshold(), gc.get_freeze_count() > 0)"
    )
    result = _run(code, tmp_path, GRANTWATCH_WORKER_GC_THRESHOLD="12345")

    assert result.returncode == 0, result.stderr
    default, threshold, gen1, gen2, frozen = result.stdout.split()
    assert default == "700"
    assert (threshold, frozen) == ("12345", "True")
    assert (gen1, gen2) == ("10", "10")  # the older generations keep Python's pace


def test_a_web_worker_loads_what_requests_would_and_leaves_it_to_the_collector(tmp_path):
    # As gunicorn calls the hook in each worker, once the application is loaded. Then what a
    # first request loads (a URL, a template, the Latvian catalogue) is there already: frozen,
    # and so no full collection walks it.
    code = (
        "import gc; from backend.config.wsgi import application; "
        "import backend.config.gunicorn as config; "
        "assert gc.get_freeze_count() == 0; "
        "config.post_worker_init(None); "
        "from django.urls import reverse; from django.template.loader import get_template; "
        "from django.utils import translation; "
        "reverse('healthz'); get_template('frontend/portfolio/portfolio.html'); "
        "translation.activate('lv'); translation.gettext('Portfolio'); "
        "gc.collect(); "
        "print(gc.get_freeze_count(), len(gc.get_objects()), *gc.get_threshold())"
    )
    result = _run(code, tmp_path, GRANTWATCH_WORKER_GC_THRESHOLD="23456")

    assert result.returncode == 0, result.stderr
    frozen, tracked, threshold, gen1, gen2 = map(int, result.stdout.split())
    # The application with its URL patterns, catalogues and templates: some 200,000 objects,
    # all frozen. Left to the first requests, these few would add some 90,000 objects that the
    # collector walks (about 86,000 frozen, the application alone).
    assert frozen > 150_000
    assert tracked < 1_000
    assert (threshold, gen1, gen2) == (23456, 10, 10)


def test_a_worker_collector_threshold_below_one_is_refused(tmp_path):
    result = _run("", tmp_path, GRANTWATCH_WORKER_GC_THRESHOLD="0")

    assert result.returncode != 0
    assert "GRANTWATCH_WORKER_GC_THRESHOLD must be at least 1." in result.stderr
