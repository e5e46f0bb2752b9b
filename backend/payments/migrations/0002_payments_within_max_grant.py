"""The database itself refuses payments (less recoveries) above a project's maximum grant."""

from django.db import migrations

NET = (
    "SELECT COALESCE(SUM(CASE WHEN direction = 'payment' THEN amount_eur ELSE -amount_eur END), 0)"
    " FROM payments_payment WHERE project_id = NEW.project_id"
)

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION payments_within_max_grant() RETURNS trigger AS $$
DECLARE
    ceiling numeric;
    net numeric;
BEGIN
    -- Lock the project: two payments of one project are checked one after the other.
    SELECT max_grant_eur INTO ceiling FROM grants_project WHERE id = NEW.project_id FOR UPDATE;
    SELECT net_sum INTO net FROM ({NET}) AS totals(net_sum);
    IF net > ceiling THEN
        RAISE EXCEPTION USING
            MESSAGE = 'payments of project ' || NEW.project_id || ' would exceed its maximum grant',
            ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER payments_within_max_grant
    AFTER INSERT OR UPDATE ON payments_payment
    FOR EACH ROW EXECUTE FUNCTION payments_within_max_grant();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS payments_within_max_grant ON payments_payment;
DROP FUNCTION IF EXISTS payments_within_max_grant();
"""

SQLITE = [
    f"""
CREATE TRIGGER payments_within_max_grant_{event.lower()}
AFTER {event} ON payments_payment
BEGIN
    SELECT RAISE(ABORT, 'payments would exceed the maximum grant')
    WHERE ({NET}) > (SELECT max_grant_eur FROM grants_project WHERE id = NEW.project_id);
END;
"""
    for event in ("INSERT", "UPDATE")
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS payments_within_max_grant_insert;",
    "DROP TRIGGER IF EXISTS payments_within_max_grant_update;",
]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_DROP)
    elif vendor == "sqlite":
        for statement in SQLITE_DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
