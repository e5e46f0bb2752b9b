"""What a user is on a project, read once, for the apps' permission checks.

The checks themselves live beside what they guard (``<app>/permissions.py``), each returning
(allowed, reason); they all start from an ``Access``. Seeing a project at all is the
selectors' business (a project out of sight is a 404, never a 403).
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRole, ProjectRoleKind, participations_of


@dataclass(frozen=True)
class Access:
    """A user's standing on one project."""

    authenticated: bool
    admin: bool
    officer: bool
    manager: bool
    # The participations the user is a partner contact for (their organisation's own).
    partner_for: frozenset[int]
    # Why an officer role the user holds on the project does not count ("" if none is held or
    # it counts): ``officer`` is then False.
    officer_void: str = ""

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


def officer_void(*, agency_staff: bool, member: bool, organisation_id, project_id: int) -> str:
    """Why an officer role on the project does not count ("" if it does): its holder is not
    agency staff, or works on the project for the consortium, or works for one of its
    participants. Asked at every decision, so that a role given before the rules (or left
    standing when the user changed) decides nothing."""
    if not agency_staff:
        return _(
            "Your officer role on this project does not count: only agency staff act as a "
            "project's officers."
        )
    if member:
        return _(
            "Your officer role on this project does not count: you also work on it for the "
            "consortium."
        )
    if organisation_id is not None and participations_of(organisation_id, [project_id]):
        return _(
            "Your officer role on this project does not count: your organisation takes part in it."
        )
    return ""


def project_access(user, project_id: int) -> Access:
    """The user's roles on the project, in one query (two for an officer who works for an
    organisation). The user's agency flag and organisation are read with the roles, as they
    stand now."""
    if user is None or not user.is_authenticated:
        return NOBODY
    officer_role = manager = False
    partner_for: set[int] = set()
    rows = list(
        ProjectRole.objects.filter(user_id=user.pk, project_id=project_id).values_list(
            "role", "participation_id", "user__is_agency_officer", "user__organisation_id"
        )
    )
    for role, participation_id, _staff, _organisation in rows:
        if role == ProjectRoleKind.OFFICER:
            officer_role = True
        elif role == ProjectRoleKind.MANAGER:
            manager = True
        elif role == ProjectRoleKind.PARTNER_CONTACT and participation_id is not None:
            partner_for.add(participation_id)
    void = ""
    if officer_role:
        # The user's agency flag and organisation, as they stand now (read with the roles).
        _role, _participation, staff, organisation_id = rows[0]
        void = officer_void(
            agency_staff=staff,
            member=manager or bool(partner_for),
            organisation_id=organisation_id,
            project_id=project_id,
        )
    return Access(
        authenticated=True,
        admin=bool(user.is_superuser),
        officer=officer_role and not void,
        manager=manager,
        partner_for=frozenset(partner_for),
        officer_void=void,
    )


def require(check, user, obj) -> None:
    """For services: raise PermissionDenied with the reason unless ``check(user, obj)``
    allows (the API answers 403 with it)."""

    allowed, reason = check(user, obj)
    if not allowed:
        raise PermissionDenied(reason)
