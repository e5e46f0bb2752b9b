"""Install the reminder and digest tasks in the database schedule (django-celery-beat), once:
from then on administrators change their times, or switch them off, in the admin."""

from django.db import migrations
from django.utils import timezone

REMINDERS_NAME = "Daily deadline reminders"
DIGEST_NAME = "Weekly flag digest for officers"

TASKS = [
    # 07:00 every day, Brussels time: https://crontab.guru/#0_7_*_*_*
    {
        "name": REMINDERS_NAME,
        "task": "monitoring.send_reminders",
        "crontab": {"minute": "0", "hour": "7", "day_of_week": "*"},
        "description": "E-mails the reminders of the deadlines due in the users' reminder days.",
    },
    # 07:30 on Mondays, Brussels time: https://crontab.guru/#30_7_*_*_1
    {
        "name": DIGEST_NAME,
        "task": "monitoring.send_digests",
        "crontab": {"minute": "30", "hour": "7", "day_of_week": "1"},
        "description": "E-mails each officer the open flags of their portfolio, once a week.",
    },
]


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for entry in TASKS:
        if PeriodicTask.objects.filter(name=entry["name"]).exists():
            continue
        schedule, _created = CrontabSchedule.objects.get_or_create(
            day_of_month="*",
            month_of_year="*",
            timezone="Europe/Brussels",
            **entry["crontab"],
        )
        PeriodicTask.objects.create(
            name=entry["name"],
            task=entry["task"],
            crontab=schedule,
            description=entry["description"],
        )
    # Tell a running beat that the schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=[entry["name"] for entry in TASKS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_work_record_watchers"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
