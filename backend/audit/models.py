"""The audit trail: one event per state change of the record, never edited or deleted.

Services write events through ``backend.audit.services.event_record`` inside their own
transaction, so an event exists exactly when its change does. The application offers no way to
change or remove an event: the model refuses updates and deletes, the admin shows events read
only, and on PostgreSQL a trigger refuses UPDATE and DELETE statements as well.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EventIsImmutable(Exception):
    """Raised on any attempt to change or delete an audit event."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise EventIsImmutable("audit events cannot be changed")

    def delete(self):
        raise EventIsImmutable("audit events cannot be deleted")


class Audience(models.TextChoices):
    """Who may read an event. The service that records an event about a draft narrows it to
    the draft's readers; ``backend.audit.selectors.events_visible`` applies it."""

    # Whoever sees the project: its managers, partner contacts, agency officers, admins.
    PROJECT = "project", _("everyone on the project")
    # The consortium (managers and partner contacts) and admins, not the agency's officers:
    # a draft deliverable's files.
    CONSORTIUM = "consortium", _("the consortium")
    # The project's managers and admins: a draft amendment request.
    MANAGERS = "managers", _("the project's managers")
    # One participation's partner contacts, the managers and admins: a draft contribution.
    PARTICIPATION = "participation", _("one organisation and the managers")
    # The project's officers and admins, not the consortium: a grant reduction before its
    # pre-information letter.
    AGENCY = "agency", _("the agency")


class Event(models.Model):
    """Who did what to which object, when, with the object's state before and after."""

    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    # Neither foreign key is enforced or followed on delete: removing a user or a project must
    # not touch the trail (actor_name keeps who it was).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_constraint=False,
    )
    # The actor's user name when the event was recorded: it stays readable if the account goes.
    # Empty for the system (a watcher, an import from the command line).
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    project = models.ForeignKey(
        "grants.Project",
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("project"),
        db_constraint=False,
    )
    verb = models.CharField(
        _("verb"), max_length=60, help_text=_("What happened, e.g. deliverable.submitted.")
    )
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.CharField(_("object id"), max_length=40, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    audience = models.CharField(
        _("audience"), max_length=16, choices=Audience, default=Audience.PROJECT
    )
    # With the PARTICIPATION audience: the participation (a ``grants.Participation`` id) whose
    # partner contacts may read the event.
    audience_participation_id = models.BigIntegerField(
        _("audience participation"), null=True, blank=True
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [models.Index(fields=["project", "-at", "-id"], name="event_project_at")]
        constraints = [
            # A participation's audience names the participation; no other audience does.
            models.CheckConstraint(
                condition=(
                    models.Q(audience="participation", audience_participation_id__isnull=False)
                    | (
                        ~models.Q(audience="participation")
                        & models.Q(audience_participation_id__isnull=True)
                    )
                ),
                name="event_audience_participation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '-'} {self.verb} {self.object_repr}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise EventIsImmutable("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise EventIsImmutable("audit events cannot be deleted")
