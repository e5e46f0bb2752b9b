"""Reads of users' roles."""

from django.db.models import Prefetch, QuerySet

from backend.accounts.models import ProjectRole, User


def roles_on_project(user, project_id: int) -> frozenset[str]:
    """The kinds of role the user holds on the project (officer, manager, partner_contact)."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(
        ProjectRole.objects.filter(user_id=user.pk, project_id=project_id).values_list(
            "role", flat=True
        )
    )


def role_pairs(user) -> list[tuple[str, int]]:
    """(role, project id) for each of the user's project roles, in one query (none for an
    anonymous user)."""
    if not user.is_authenticated:
        return []
    return list(
        ProjectRole.objects.filter(user_id=user.pk)
        .order_by("project__acronym", "project_id")
        .values_list("role", "project_id")
    )


def user_with_roles(user) -> User:
    """The user with their organisation and project roles, in two queries."""
    roles = ProjectRole.objects.select_related("project", "participation").order_by(
        "project__acronym", "project_id", "role"
    )
    return (
        User.objects.select_related("organisation")
        .prefetch_related(Prefetch("project_roles", queryset=roles))
        .get(pk=user.pk)
    )


def project_contacts(project) -> QuerySet[ProjectRole]:
    """The people with a role on the project (a project the user can see), by role then name."""
    return (
        ProjectRole.objects.filter(project=project)
        .select_related("user", "participation")
        .order_by("role", "-is_primary", "user__last_name", "user__first_name", "user__username")
    )
