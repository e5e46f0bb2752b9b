"""The database itself keeps the audit trail whole: PostgreSQL refuses TRUNCATE as well as
UPDATE and DELETE, and an SQLite database migrated from scratch refuses UPDATE and DELETE. Only
a test connection may empty the trail, as Django does between transactional tests."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from backend.audit.models import Event
from backend.audit.services import event_record

ROOT = Path(__file__).resolve().parents[2]
GRANTWATCH = str(Path(sys.executable).with_name("grantwatch"))
REFUSED = "audit events cannot be changed or deleted"


@pytest.fixture
def event(db):
    return event_record(
        actor=None,
        verb="grant.imported",
        object_type="project",
        object_id=7,
        object_repr="CARETECH",
        after={"acronym": "CARETECH"},
        note="The first note.",
    )


def _events_left(event) -> list[str]:
    return list(Event.objects.filter(pk=event.pk).values_list("note", flat=True))


@pytest.mark.postgres
def test_postgresql_refuses_truncate_once_the_test_setting_is_off(event):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SHOW grantwatch.allow_truncate")
        assert cursor.fetchone() == ("on",)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL grantwatch.allow_truncate = 'off'")
        with (
            pytest.raises(DatabaseError, match=f"{REFUSED} \\(TRUNCATE is refused\\)"),
            transaction.atomic(),
        ):
            cursor.execute("TRUNCATE audit_event CASCADE")

    assert _events_left(event) == ["The first note."]


@pytest.mark.postgres
def test_postgresql_lets_a_test_connection_empty_the_trail(event):
    """What Django's flush between transactional tests relies on (rolled back here)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE audit_event CASCADE")
        assert _events_left(event) == []
        transaction.set_rollback(True)

    assert _events_left(event) == ["The first note."]


@pytest.mark.postgres
@pytest.mark.django_db
def test_postgresql_refuses_truncate_on_a_connection_without_the_setting():
    params = {
        key: value
        for key, value in connection.get_connection_params().items()
        if key not in ("options", "cursor_factory", "context", "prepare_threshold")
    }
    assert params["dbname"].startswith("test_")
    with psycopg.connect(**params, options="-c lock_timeout=5000") as other:
        setting = "SELECT current_setting('grantwatch.allow_truncate', true)"
        assert other.execute(setting).fetchone() == (None,)
        with pytest.raises(psycopg.errors.RaiseException, match="TRUNCATE is refused"):
            other.execute("TRUNCATE audit_event")
        other.rollback()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET note = 'Rewritten.' WHERE id = %s",
        "DELETE FROM audit_event WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_postgresql_refuses_update_and_delete_on_a_test_connection_too(event, statement):
    with (
        pytest.raises(DatabaseError, match=REFUSED),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])

    assert _events_left(event) == ["The first note."]


# -- SQLite, migrated from scratch -------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_file(tmp_path_factory) -> Path:
    """A new SQLite database migrated by ``grantwatch migrate``, as the embedded default is,
    with one audit event written straight into it."""
    folder = tmp_path_factory.mktemp("sqlite")
    path = folder / "grantwatch.sqlite3"
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "GRANTWATCH_", "DJANGO_"))
    }
    environment |= {"DATABASE_URL": f"sqlite:///{path}", "GRANTWATCH_VAR_DIR": str(folder)}
    migrated = subprocess.run(
        [GRANTWATCH, "migrate", "--no-input"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrated.returncode == 0, migrated.stderr
    with sqlite3.connect(path) as database:
        _insert_event(database)
    return path


def _insert_event(database: sqlite3.Connection) -> None:
    """One row with a value in every column that needs one (whatever columns the model has)."""
    columns = database.execute("PRAGMA table_info(audit_event)").fetchall()
    values = {"note": "The first note."}
    for _cid, name, kind, not_null, default, primary_key in columns:
        if primary_key or name in values or not not_null or default is not None:
            continue
        kind = kind.lower()
        if "int" in kind or "bool" in kind:
            values[name] = 1
        elif "datetime" in kind:
            values[name] = "2025-01-01 09:00:00"
        elif "json" in kind:
            values[name] = "{}"
        else:
            values[name] = "grant.imported"
    names = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    database.execute(f"INSERT INTO audit_event ({names}) VALUES ({marks})", list(values.values()))


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_event SET note = 'Rewritten.'", "DELETE FROM audit_event"],
    ids=["update", "delete"],
)
def test_sqlite_migrated_from_scratch_refuses_update_and_delete(sqlite_file, statement):
    database = sqlite3.connect(sqlite_file)
    try:
        with pytest.raises(sqlite3.DatabaseError, match=REFUSED):
            database.execute(statement)
        database.rollback()
        assert database.execute("SELECT note FROM audit_event").fetchall() == [("The first note.",)]
    finally:
        database.close()


def test_sqlite_lets_only_a_test_connection_delete_and_never_update(sqlite_file):
    """A connection with grantwatch_allow_truncate() registered (as the test settings do) may
    delete, as Django's flush does; it still may not change an event."""
    database = sqlite3.connect(sqlite_file)
    try:
        database.create_function("grantwatch_allow_truncate", 0, lambda: 1)
        with pytest.raises(sqlite3.DatabaseError, match=REFUSED):
            database.execute("UPDATE audit_event SET note = 'Rewritten.'")
        database.execute("DELETE FROM audit_event")
        assert database.execute("SELECT count(*) FROM audit_event").fetchone() == (0,)
        database.rollback()
        assert database.execute("SELECT count(*) FROM audit_event").fetchone() == (1,)
    finally:
        database.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_transactional_test_that_writes_events_is_emptied_after_it():
    """Django flushes the database after this test (TRUNCATE on PostgreSQL, DELETE on SQLite):
    the flush must get through the triggers, or the test errors at its teardown."""
    event_record(actor=None, verb="grant.imported", object_type="project", object_id=7)

    assert Event.objects.count() == 1
