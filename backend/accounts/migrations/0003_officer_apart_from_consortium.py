"""The database itself keeps a project's agency officers apart from its consortium: an officer
role goes only to agency staff who neither hold a consortium role on the project nor work for one
of its participants, and a consortium role never goes to the project's officer. ``ProjectRole``'s
``clean`` and the services say why in words; this refuses any row that slipped past them."""

from django.db import migrations

OTHER_ROLE = (
    "SELECT 1 FROM accounts_projectrole AS other WHERE other.user_id = NEW.user_id"
    " AND other.project_id = NEW.project_id AND other.id {distinct} NEW.id"
    " AND (other.role = 'officer') <> (NEW.role = 'officer')"
)
NOT_AGENCY_STAFF = (
    "SELECT 1 FROM accounts_user AS staff WHERE staff.id = NEW.user_id"
    " AND NOT staff.is_agency_officer"
)
PARTICIPANT = (
    "SELECT 1 FROM accounts_user AS member JOIN grants_participation AS p"
    " ON p.organisation_id = member.organisation_id"
    " WHERE member.id = NEW.user_id AND p.project_id = NEW.project_id"
)

POSTGRESQL = f"""
CREATE OR REPLACE FUNCTION accounts_officer_apart_from_consortium() RETURNS trigger AS $$
BEGIN
    -- One role of a user at a time: the rows read below cannot change meanwhile.
    PERFORM 1 FROM accounts_user WHERE id = NEW.user_id FOR NO KEY UPDATE;
    IF EXISTS ({OTHER_ROLE.format(distinct="IS DISTINCT FROM")})
        OR (NEW.role = 'officer' AND (EXISTS ({NOT_AGENCY_STAFF}) OR EXISTS ({PARTICIPANT})))
    THEN
        RAISE EXCEPTION USING
            MESSAGE = 'user ' || NEW.user_id || ' cannot be both agency officer and consortium '
                || 'member of project ' || NEW.project_id,
            ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER accounts_officer_apart_from_consortium
    BEFORE INSERT OR UPDATE ON accounts_projectrole
    FOR EACH ROW EXECUTE FUNCTION accounts_officer_apart_from_consortium();
"""

POSTGRESQL_DROP = """
DROP TRIGGER IF EXISTS accounts_officer_apart_from_consortium ON accounts_projectrole;
DROP FUNCTION IF EXISTS accounts_officer_apart_from_consortium();
"""

SQLITE = [
    f"""
CREATE TRIGGER accounts_officer_apart_from_consortium_{event.lower()}
BEFORE {event} ON accounts_projectrole
BEGIN
    SELECT RAISE(ABORT, 'an agency officer of a project cannot be a member of its consortium')
    WHERE EXISTS ({OTHER_ROLE.format(distinct="IS NOT")})
        OR (NEW.role = 'officer' AND (EXISTS ({NOT_AGENCY_STAFF}) OR EXISTS ({PARTICIPANT})));
END;
"""
    for event in ("INSERT", "UPDATE")
]

SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS accounts_officer_apart_from_consortium_insert;",
    "DROP TRIGGER IF EXISTS accounts_officer_apart_from_consortium_update;",
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
    dependencies = [
        ("accounts", "0002_organisation_language_reminders"),
        ("grants", "0004_call_payment_options"),
    ]

    operations = [migrations.RunPython(create, drop)]
