"""The database refuses to empty the audit trail, and SQLite refuses to change it too.

PostgreSQL: 0002's row triggers refuse UPDATE and DELETE, but TRUNCATE fires no row trigger, so
a statement trigger refuses TRUNCATE. Django's test framework empties the test database with
TRUNCATE between transactional tests; the trigger lets that through only in a test database
(named ``test_...``) whose session has set ``grantwatch.allow_truncate`` to ``on`` (the test
settings do, in tests/conftest.py). A production database is never named so, and the
application never sets the variable.

SQLite (the embedded default): row triggers refuse UPDATE and DELETE with the same message.
Django's test framework empties an SQLite test database with DELETE; the DELETE trigger lets
that through only on a connection that has the SQL function ``grantwatch_allow_truncate``
registered, which only the test settings do (the application never registers it).

A later migration that must rewrite events (as 0003 does on PostgreSQL) turns the triggers off
for its length: ``ALTER TABLE ... DISABLE TRIGGER USER`` on PostgreSQL; on SQLite, drop the
triggers and create them again from this module.
"""

from django.db import migrations

MESSAGE = "audit events cannot be changed or deleted"

POSTGRESQL_CREATE = f"""
CREATE OR REPLACE FUNCTION audit_event_refuse_truncate() RETURNS trigger AS $$
BEGIN
    IF left(current_database(), 5) = 'test_' AND
            coalesce(current_setting('grantwatch.allow_truncate', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '{MESSAGE} (TRUNCATE is refused)';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_refuse_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_refuse_truncate();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS audit_event_refuse_truncate ON audit_event;
DROP FUNCTION IF EXISTS audit_event_refuse_truncate();
"""

# SQLite has no TRUNCATE: DELETE without WHERE runs the DELETE trigger like any other.
SQLITE_CREATE = [
    f"""
    CREATE TRIGGER audit_event_refuse_update BEFORE UPDATE ON audit_event
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
    f"""
    CREATE TRIGGER audit_event_refuse_delete BEFORE DELETE ON audit_event
    WHEN NOT EXISTS (
        SELECT 1 FROM pragma_function_list WHERE name = 'grantwatch_allow_truncate'
    )
    BEGIN
        SELECT RAISE(ABORT, '{MESSAGE}');
    END
    """,
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS audit_event_refuse_update",
    "DROP TRIGGER IF EXISTS audit_event_refuse_delete",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_CREATE)
    elif vendor == "sqlite":
        for statement in SQLITE_CREATE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_event_audience")]

    operations = [migrations.RunPython(create, drop)]
