"""What every page starts with: the same checks as the API.

A project the user may not see is a 404 (never told apart from one that does not exist); an
action the user may not take is a 403 with the permission's reason. Pages call the same
selectors and ``can_<verb>`` checks as the API views, so the two cannot disagree.
"""

from django.core.exceptions import PermissionDenied

from backend.accounts.models import ProjectRoleKind
from backend.grants.selectors import project_get_or_404


def page_project(request, project_id: int):
    """The project, or 404 when it does not exist or the user may not see it: the API's own
    lookup."""
    return project_get_or_404(user=request.user, project_id=project_id)


def page_check(check, request, obj) -> None:
    """403 with the reason unless ``check(user, obj)`` allows."""
    allowed, reason = check(request.user, obj)
    if not allowed:
        raise PermissionDenied(reason)


def officer_only(user) -> bool:
    """The portfolio pages are for agency officers and administrators."""
    return bool(user.is_authenticated and (user.is_superuser or user.is_agency_officer))


def managed_project_ids(roles) -> list[int]:
    return list(dict.fromkeys(pid for role, pid in roles if role == ProjectRoleKind.MANAGER))


def is_partner_contact(roles) -> bool:
    return any(role == ProjectRoleKind.PARTNER_CONTACT for role, _ in roles)
