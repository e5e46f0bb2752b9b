"""API tokens are django-rest-knox's now, kept only as a hash. The tokens of DRF's authtoken app,
which are no longer read, were stored in clear: the table goes, with the app's content type and
permissions."""

from django.db import migrations

OLD_APP = "authtoken"
OLD_TABLE = "authtoken_token"


def drop_cleartext_tokens(apps, schema_editor):
    if OLD_TABLE in schema_editor.connection.introspection.table_names():
        schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(OLD_TABLE)}")
    content_type = apps.get_model("contenttypes", "ContentType")
    # Their permissions go with them (cascade).
    content_type.objects.using(schema_editor.connection.alias).filter(app_label=OLD_APP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_officer_apart_from_consortium"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(drop_cleartext_tokens, migrations.RunPython.noop)]
