"""Users and their roles on projects."""

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# Reminders go out this many days before a due date (0 = on the day) unless the user says
# otherwise.
DEFAULT_REMINDER_DAYS = (14, 0)
MAX_REMINDER_DAYS = 90


def default_reminder_days() -> list[int]:
    return list(DEFAULT_REMINDER_DAYS)


def validate_reminder_days(value) -> None:
    if not isinstance(value, list) or len(value) > 5:
        raise ValidationError(_("Give a list of at most 5 numbers of days."))
    for days in value:
        if (
            isinstance(days, bool)
            or not isinstance(days, int)
            or not 0 <= days <= MAX_REMINDER_DAYS
        ):
            raise ValidationError(
                _("Each number of days must be a whole number from 0 to %(max)s.")
                % {"max": MAX_REMINDER_DAYS}
            )
    if len(set(value)) != len(value):
        raise ValidationError(_("Give each number of days once."))


class User(AbstractUser):
    """A person who signs in. Agency officers work for the granting authority; everyone
    else works for an organisation taking part in projects. Superusers are administrators."""

    is_agency_officer = models.BooleanField(
        _("agency officer"),
        default=False,
        help_text=_("Works for the granting authority and may import grants."),
    )
    organisation = models.ForeignKey(
        "grants.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
        verbose_name=_("organisation"),
        help_text=_("The organisation the user works for (none for agency staff)."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
        help_text=_("The language of the e-mails the user receives."),
    )
    reminder_days = models.JSONField(
        _("reminder days"),
        default=default_reminder_days,
        validators=[validate_reminder_days],
        help_text=_("How many days before a due date reminders are e-mailed; 0 means on the day."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def clean(self) -> None:
        """An officer of a project stays agency staff, and does not come to work for an
        organisation taking part in it, while the role is held."""
        super().clean()
        if self.pk is None:
            return
        officer_of = ProjectRole.objects.filter(user_id=self.pk, role=ProjectRoleKind.OFFICER)
        if not self.is_agency_officer and officer_of.exists():
            raise ValidationError(
                {
                    "is_agency_officer": _(
                        "The user is an agency officer of a project; take that role away first."
                    )
                }
            )
        if self.organisation_id is not None and participations_of(
            self.organisation_id, officer_of.values("project_id")
        ):
            raise ValidationError(
                {
                    "organisation": _(
                        "The organisation takes part in a project the user is the agency "
                        "officer of."
                    )
                }
            )


class ProjectRoleKind(models.TextChoices):
    OFFICER = "officer", _("Agency officer")
    MANAGER = "manager", _("Project manager")
    PARTNER_CONTACT = "partner_contact", _("Partner contact")


def participations_of(organisation_id: int, project_ids) -> bool:
    """Does the organisation take part (or did it) in any of the projects?"""
    participation = apps.get_model("grants", "Participation")
    return participation.objects.filter(
        organisation_id=organisation_id, project_id__in=project_ids
    ).exists()


def role_refusal(user, project_id: int, role: str, *, role_pk: int | None = None) -> str:
    """Why ``user`` cannot hold ``role`` on the project ("" if they can), separating the
    agency's duties from the consortium's: an officer is agency staff, neither a manager nor a
    partner contact of the project nor working for one of its participants; a consortium role
    is never given to the project's officer. ``role_pk`` is the role's own row, if saved."""
    others = ProjectRole.objects.filter(user_id=user.pk, project_id=project_id).exclude(pk=role_pk)
    if role != ProjectRoleKind.OFFICER:
        if others.filter(role=ProjectRoleKind.OFFICER).exists():
            return _(
                "%(user)s is an agency officer of this project and cannot also work on it for "
                "the consortium."
            ) % {"user": user}
        return ""
    if not user.is_agency_officer:
        return _(
            "%(user)s is not agency staff: only users flagged as agency officers can be a "
            "project's officer."
        ) % {"user": user}
    if others.exclude(role=ProjectRoleKind.OFFICER).exists():
        return _(
            "%(user)s works on this project for the consortium (as its manager or a partner "
            "contact) and cannot be its agency officer."
        ) % {"user": user}
    if user.organisation_id is not None and participations_of(user.organisation_id, [project_id]):
        return _(
            "%(user)s works for an organisation taking part in this project and cannot be its "
            "agency officer."
        ) % {"user": user}
    return ""


class ProjectRole(models.Model):
    """What a user is on one project. Officers hold the projects of their portfolio; managers
    and partner contacts act for one participating organisation."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="project_roles", verbose_name=_("user")
    )
    project = models.ForeignKey(
        "grants.Project", on_delete=models.CASCADE, related_name="roles", verbose_name=_("project")
    )
    role = models.CharField(_("role"), max_length=20, choices=ProjectRoleKind)
    participation = models.ForeignKey(
        "grants.Participation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("acting for"),
    )
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["project", "role", "user"]
        verbose_name = _("project role")
        verbose_name_plural = _("project roles")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project", "role"], name="project_role_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(role="manager", is_primary=True),
                name="project_role_one_primary_manager",
            ),
            models.CheckConstraint(
                condition=(Q(role="officer") & Q(participation__isnull=True))
                | (~Q(role="officer") & Q(participation__isnull=False)),
                name="project_role_participation_unless_officer",
            ),
            models.CheckConstraint(
                condition=Q(role__in=ProjectRoleKind.values), name="project_role_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} {self.project}"

    def clean(self) -> None:
        """A role acts for a participation of its own project; a manager acts for the
        coordinator; a user who belongs to an organisation acts for that organisation. The
        agency's duties stay apart from the consortium's (``role_refusal``)."""
        if self.user_id is not None and self.project_id is not None and self.role:
            refusal = role_refusal(self.user, self.project_id, self.role, role_pk=self.pk)
            if refusal:
                raise ValidationError({"role": refusal})
        if self.participation_id is None:
            return
        participation = self.participation
        if participation.project_id != self.project_id:
            raise ValidationError(
                {"participation": _("The participation belongs to another project.")}
            )
        if self.role == ProjectRoleKind.MANAGER and participation.role != "coordinator":
            raise ValidationError(
                {"participation": _("A project manager acts for the coordinator.")}
            )
        organisation_id = self.user.organisation_id if self.user_id else None
        if organisation_id is not None and participation.organisation_id != organisation_id:
            raise ValidationError({"participation": _("The user works for another organisation.")})


# The calendar feed's secret lives beside the features that use it.
from backend.accounts.calendar_models import CalendarFeed  # noqa: E402, F401
