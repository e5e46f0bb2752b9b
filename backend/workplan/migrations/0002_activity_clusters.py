from django.db import migrations

CLUSTERS = [
    (1, "teaching_learning"),
    (2, "cooperation_partnership"),
    (3, "governance_funding"),
]


def load(apps, schema_editor):
    ActivityCluster = apps.get_model("workplan", "ActivityCluster")
    ActivityCluster.objects.bulk_create(
        ActivityCluster(number=number, code=code) for number, code in CLUSTERS
    )


def unload(apps, schema_editor):
    apps.get_model("workplan", "ActivityCluster").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("workplan", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
