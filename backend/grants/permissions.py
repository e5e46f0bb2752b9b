"""Who may do what with grants. Each check returns (allowed, reason)."""

from django.utils.translation import gettext as _


def can_import_grant(user) -> tuple[bool, str]:
    if not user.is_authenticated:
        return False, _("Sign in to import a grant.")
    if user.is_superuser or user.is_agency_officer:
        return True, ""
    return False, _("Only agency officers and administrators import grants.")
