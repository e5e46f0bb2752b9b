"""Users and their roles on projects."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.grants.models import Participation, Project


class User(AbstractUser):
    """A person who signs in. Agency officers work for the granting authority; everyone
    else works for an organisation taking part in projects. Superusers are administrators."""

    is_agency_officer = models.BooleanField(
        _("agency officer"),
        default=False,
        help_text=_("Works for the granting authority and may import grants."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")


class ProjectRoleKind(models.TextChoices):
    OFFICER = "officer", _("Agency officer")
    MANAGER = "manager", _("Project manager")
    PARTNER_CONTACT = "partner_contact", _("Partner contact")


class ProjectRole(models.Model):
    """What a user is on one project. Officers hold the projects of their portfolio; managers
    and partner contacts act for one participating organisation."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="project_roles", verbose_name=_("user")
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="roles", verbose_name=_("project")
    )
    role = models.CharField(_("role"), max_length=20, choices=ProjectRoleKind)
    participation = models.ForeignKey(
        Participation,
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
