"""Who may do what with flags. Each check returns (allowed, reason)."""

from django.utils.translation import gettext as _

from backend.accounts.permissions import project_access
from backend.grants.selectors import project_get


def can_view_flag(user, flag) -> tuple[bool, str]:
    """Whoever can see the project can see its flags."""
    if project_get(user=user, project_id=flag.project_id) is not None:
        return True, ""
    return False, _("This flag belongs to a project you cannot see.")


def can_triage_flag(user, flag) -> tuple[bool, str]:
    """Acknowledging and resolving is for the agency officers in charge of the project and
    for administrators; managers and partner contacts may look but not triage."""
    if not user.is_authenticated:
        return False, _("Sign in to acknowledge or resolve a flag.")
    if user.is_superuser:
        return True, ""
    access = project_access(user, flag.project_id)
    if access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's agency officers and administrators acknowledge or resolve its flags."
    )
