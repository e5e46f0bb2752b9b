"""Install the daily sweep in the database schedule (django-celery-beat), once: from then on
administrators change its time, or switch it off, in the admin."""

from django.db import migrations
from django.utils import timezone

SWEEP_NAME = "Daily compliance sweep"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=SWEEP_NAME).exists():
        return
    # 03:15 every day, Brussels time: https://crontab.guru/#15_3_*_*_*
    schedule, _created = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="3",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Brussels",
    )
    PeriodicTask.objects.create(
        name=SWEEP_NAME,
        task="monitoring.sweep",
        crontab=schedule,
        description="Checks every active project and brings its flags in line.",
    )
    # Tell a running beat that the schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=SWEEP_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
