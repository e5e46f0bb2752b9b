"""What every page starts with: the same checks as the API.

A project the user may not see is a 404 (never told apart from one that does not exist); an
action the user may not take is a 403 with the permission's reason. Pages call the same
selectors and ``can_<verb>`` checks as the API views, so the two cannot disagree.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404

from backend.accounts.models import ProjectRole, ProjectRoleKind
from backend.grants.models import Project
from backend.grants.selectors import project_get


def page_project(request, project_id: int) -> Project:
    project = project_get(user=request.user, project_id=project_id)
    if project is None:
        raise Http404
    return project


def page_check(check, request, obj) -> None:
    """403 with the reason unless ``check(user, obj)`` allows."""
    allowed, reason = check(request.user, obj)
    if not allowed:
        raise PermissionDenied(reason)


def officer_only(user) -> bool:
    """The portfolio pages are for agency officers and administrators."""
    return bool(user.is_authenticated and (user.is_superuser or user.is_agency_officer))


def user_roles(user) -> list[tuple[str, int]]:
    """(role, project id) for each of the user's project roles, in one query."""
    if not user.is_authenticated:
        return []
    return list(
        ProjectRole.objects.filter(user_id=user.pk)
        .order_by("project__acronym", "project_id")
        .values_list("role", "project_id")
    )


def managed_project_ids(roles) -> list[int]:
    return list(dict.fromkeys(pid for role, pid in roles if role == ProjectRoleKind.MANAGER))


def is_partner_contact(roles) -> bool:
    return any(role == ProjectRoleKind.PARTNER_CONTACT for role, _ in roles)
