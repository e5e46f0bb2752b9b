"""A sweep batch keeps its projects, when it was last sent and how many times, so that a batch
that did not finish (its worker died, its task failed) can be sent again; and the schedule that
does it (``monitoring.sweep_resend``, every five minutes), installed once like the daily sweep."""

from django.db import migrations, models
from django.utils import timezone

RESEND_NAME = "Resend unfinished sweep batches"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=RESEND_NAME).exists():
        return
    schedule, _created = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.create(
        name=RESEND_NAME,
        task="monitoring.sweep_resend",
        interval=schedule,
        description="Sends again the sweep batches that did not finish in time.",
    )
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=RESEND_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0006_sweep_runs_and_task_failures"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="sweepbatch",
            name="project_ids",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="sweepbatch",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="sweepbatch",
            name="sends",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.RunPython(install, uninstall),
    ]
