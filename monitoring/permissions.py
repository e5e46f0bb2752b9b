"""Who may do what with flags. Each check returns (allowed, reason)."""

from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.grants.selectors import projects_visible_to


def can_view_flag(user, flag) -> tuple[bool, str]:
    """Whoever can see the project can see its flags."""
    if projects_visible_to(user).filter(pk=flag.project_id).exists():
        return True, ""
    return False, _("This flag belongs to a project you cannot see.")


def can_triage_flag(user, flag) -> tuple[bool, str]:
    """Acknowledging and resolving is for the agency officers in charge of the project and
    for administrators; managers and partner contacts may look but not triage."""
    if not user.is_authenticated:
        return False, _("Sign in to acknowledge or resolve a flag.")
    if user.is_superuser:
        return True, ""
    if (
        user.is_agency_officer
        and ProjectRole.objects.filter(
            user_id=user.pk, project_id=flag.project_id, role=ProjectRoleKind.OFFICER
        ).exists()
    ):
        return True, ""
    return False, _(
        "Only the project's agency officers and administrators acknowledge or resolve its flags."
    )
