"""Who may read an event: its audience. Events recorded before about drafts are narrowed to the
draft's readers, by verb: a contribution's saved text to its organisation (and the managers), an
amendment request's draft to the managers, a draft deliverable's files to the consortium."""

from django.db import migrations, models

# The trigger of 0002 refuses every UPDATE; the backfill below is the one change the trail gets,
# with the trigger off for its length, inside the migration's transaction.
TRIGGERS_OFF = "ALTER TABLE audit_event DISABLE TRIGGER USER"
TRIGGERS_ON = "ALTER TABLE audit_event ENABLE TRIGGER USER"

MANAGERS_VERBS = ("amendment.created", "amendment.updated")
CONSORTIUM_VERBS = ("deliverable.evidence_uploaded", "deliverable.evidence_deleted")


def _events(apps):
    """The events' plain manager (the model's own refuses every update)."""
    return apps.get_model("audit", "Event")._base_manager


def _contribution_events(apps):
    """The contribution.saved events with their contribution's participation (None if the
    contribution is gone)."""
    events = _events(apps)
    Contribution = apps.get_model("reporting", "Contribution")
    events = list(events.filter(verb="contribution.saved").values_list("pk", "object_id"))
    ids = {int(object_id) for _pk, object_id in events if object_id.isdigit()}
    participation_of = dict(
        Contribution.objects.filter(pk__in=ids).values_list("pk", "participation_id")
    )
    return [
        (pk, participation_of.get(int(object_id)) if object_id.isdigit() else None)
        for pk, object_id in events
    ]


def backfill(apps, schema_editor):
    events = _events(apps)
    postgresql = schema_editor.connection.vendor == "postgresql"
    if postgresql:
        schema_editor.execute(TRIGGERS_OFF)
    events.filter(verb__in=MANAGERS_VERBS).update(audience="managers")
    events.filter(verb__in=CONSORTIUM_VERBS).update(audience="consortium")
    for pk, participation_id in _contribution_events(apps):
        if participation_id is None:
            # Whose draft it was is lost: only the managers keep reading it.
            events.filter(pk=pk).update(audience="managers")
        else:
            events.filter(pk=pk).update(
                audience="participation", audience_participation_id=participation_id
            )
    if postgresql:
        schema_editor.execute(TRIGGERS_ON)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_refuse_changes"),
        # The backfill reads which participation a saved contribution belongs to.
        ("reporting", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="event",
            name="audience",
            field=models.CharField(
                choices=[
                    ("project", "everyone on the project"),
                    ("consortium", "the consortium"),
                    ("managers", "the project's managers"),
                    ("participation", "one organisation and the managers"),
                ],
                default="project",
                max_length=16,
                verbose_name="audience",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="audience_participation_id",
            field=models.BigIntegerField(
                blank=True, null=True, verbose_name="audience participation"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("audience", "participation"), ("audience_participation_id__isnull", False)
                )
                | models.Q(
                    models.Q(("audience", "participation"), _negated=True),
                    ("audience_participation_id__isnull", True),
                ),
                name="event_audience_participation",
            ),
        ),
    ]
