"""The outbox of checks (``PendingCheck``) and the schedule of its relay
(``monitoring.relay_outbox``, every five seconds), installed once like the daily sweep: from then
on administrators change its interval in the admin."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

RELAY_NAME = "Relay the outbox of checks"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=RELAY_NAME).exists():
        return
    schedule, _created = IntervalSchedule.objects.get_or_create(every=5, period="seconds")
    PeriodicTask.objects.create(
        name=RELAY_NAME,
        task="monitoring.relay_outbox",
        interval=schedule,
        # A relay not taken within a minute is dropped: the next one sends the same rows.
        expire_seconds=60,
        description="Hands the checks the record asked for to the workers once the broker "
        "takes them (those the immediate attempt after the change could not send).",
    )
    # Tell a running beat that the schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=RELAY_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("grants", "0004_call_payment_options"),
        ("monitoring", "0007_sweep_batch_resend"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="PendingCheck",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=40, unique=True)),
                (
                    "reason",
                    models.CharField(blank=True, help_text="The latest reason.", max_length=200),
                ),
                ("requests", models.PositiveIntegerField(default=1)),
                (
                    "requested_at",
                    models.DateTimeField(help_text="The first request since the last relay."),
                ),
                ("last_requested_at", models.DateTimeField()),
                ("attempts", models.PositiveIntegerField(default=0)),
                ("last_attempt_at", models.DateTimeField(blank=True, null=True)),
                ("last_error", models.TextField(blank=True)),
                (
                    "project",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="grants.project",
                    ),
                ),
            ],
            options={
                "ordering": ["requested_at", "id"],
                "indexes": [
                    models.Index(fields=["requested_at"], name="pendingcheck_requested_idx")
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("key", "all"), ("project__isnull", True)),
                            models.Q(("key__startswith", "project:"), ("project__isnull", False)),
                            _connector="OR",
                        ),
                        name="pendingcheck_key_matches_project",
                    )
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
