"""What a user is on a project, read once, for the apps' permission checks.

The checks themselves live beside what they guard (``<app>/permissions.py``), each returning
(allowed, reason); they all start from an ``Access``. Seeing a project at all is the
selectors' business (a project out of sight is a 404, never a 403).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from backend.accounts.models import ProjectRole, ProjectRoleKind


@dataclass(frozen=True)
class Access:
    """A user's standing on one project."""

    authenticated: bool
    admin: bool
    officer: bool
    manager: bool
    # The participations the user is a partner contact for (their organisation's own).
    partner_for: frozenset[int]

    @property
    def member(self) -> bool:
        """Works on the project for the consortium (a manager or a partner contact)."""
        return self.manager or bool(self.partner_for)

    @property
    def sees_project(self) -> bool:
        return self.admin or self.officer or self.member

    def acts_for(self, participation_id: int | None) -> bool:
        """Is a partner contact for this participation."""
        return participation_id is not None and participation_id in self.partner_for


NOBODY = Access(
    authenticated=False, admin=False, officer=False, manager=False, partner_for=frozenset()
)


def project_access(user, project_id: int) -> Access:
    """The user's roles on the project, in one query."""
    if user is None or not user.is_authenticated:
        return NOBODY
    officer = manager = False
    partner_for: set[int] = set()
    for role, participation_id in ProjectRole.objects.filter(
        user_id=user.pk, project_id=project_id
    ).values_list("role", "participation_id"):
        if role == ProjectRoleKind.OFFICER:
            officer = True
        elif role == ProjectRoleKind.MANAGER:
            manager = True
        elif role == ProjectRoleKind.PARTNER_CONTACT and participation_id is not None:
            partner_for.add(participation_id)
    return Access(
        authenticated=True,
        admin=bool(user.is_superuser),
        officer=officer,
        manager=manager,
        partner_for=frozenset(partner_for),
    )


def require(check, user, obj) -> None:
    """For services: raise PermissionDenied with the reason unless ``check(user, obj)``
    allows (the API answers 403 with it)."""

    allowed, reason = check(user, obj)
    if not allowed:
        raise PermissionDenied(reason)
