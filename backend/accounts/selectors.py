"""Reads of users' roles."""

from backend.accounts.models import ProjectRole


def roles_on_project(user, project_id: int) -> frozenset[str]:
    """The kinds of role the user holds on the project (officer, manager, partner_contact)."""
    if not user.is_authenticated:
        return frozenset()
    return frozenset(
        ProjectRole.objects.filter(user_id=user.pk, project_id=project_id).values_list(
            "role", flat=True
        )
    )
