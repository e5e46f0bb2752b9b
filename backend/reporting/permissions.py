"""Who may do what with periodic reports. Each check returns (allowed, reason).

Each partner contact writes its own organisation's contribution and locks it for review; the
project's managers (the coordinator's contacts) write the coordinator's own contribution, unlock
a locked contribution so that its partner can correct it, compose the report (technical part,
status of work packages, late justifications) and submit it; the project's agency officers
review it and may waive the condition that a completed work package has all its deliverables
accepted. Administrators may do everything. Seeing the project at all is the selectors' business
(a project out of sight is a 404).

This follows the Funding & Tenders Portal, where each participant writes its part of the
technical report and locks it for review, and the coordinator composes and submits the report
(IT How To "Periodic reporting for lump sums").
"""

from django.utils.translation import gettext as _

from backend.accounts.permissions import Access, project_access
from backend.grants.models import Participation, ParticipationRole, Project


def writes_for(access: Access, participation: Participation) -> bool:
    """Acts for this participation: its own partner contact, or a manager for the
    coordinator."""
    if access.acts_for(participation.pk):
        return True
    return access.manager and participation.role == ParticipationRole.COORDINATOR


def access_sees_draft(access: Access, participation: Participation) -> bool:
    """Draft contributions are seen by their own organisation, the managers and admins."""
    return access.admin or access.manager or access.acts_for(participation.pk)


def can_write_contribution(user, participation: Participation) -> tuple[bool, str]:
    """Save and lock a contribution."""
    if not user.is_authenticated:
        return False, _("Sign in to write a contribution.")
    access = project_access(user, participation.project_id)
    if access.admin or writes_for(access, participation):
        return True, ""
    return False, _(
        "Only %(participant)s's partner contacts (and, for the coordinator, the project's "
        "managers) write and lock its contribution."
    ) % {"participant": participation.short_name}


def can_unlock_contribution(user, participation: Participation) -> tuple[bool, str]:
    if not user.is_authenticated:
        return False, _("Sign in to unlock a contribution.")
    access = project_access(user, participation.project_id)
    if access.admin or access.manager:
        return True, ""
    return False, _("Only the project's managers and administrators unlock a contribution.")


def can_compose_report(user, project: Project) -> tuple[bool, str]:
    """Write the technical part, declare the status of work packages, justify late
    deliverables and submit the report."""
    if not user.is_authenticated:
        return False, _("Sign in to compose a report.")
    access = project_access(user, project.pk)
    if access.admin or access.manager:
        return True, ""
    return False, _(
        "Only the project's managers and administrators compose and submit its periodic reports."
    )


def can_review_report(user, project: Project) -> tuple[bool, str]:
    """Approve a submitted report or request changes."""
    if not user.is_authenticated:
        return False, _("Sign in to review a report.")
    access = project_access(user, project.pk)
    if access.admin or access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's agency officers and administrators approve periodic reports or "
        "request changes."
    )


def can_waive_completion(user, project: Project) -> tuple[bool, str]:
    """Let a work package be declared completed although not all its deliverables are
    accepted."""
    if not user.is_authenticated:
        return False, _("Sign in to waive a condition.")
    access = project_access(user, project.pk)
    if access.admin or access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's agency officers and administrators waive the accepted-deliverables "
        "condition of a work package."
    )


def can_request_information(user, project: Project) -> tuple[bool, str]:
    """Ask the consortium for information on a submitted report (the payment deadline is
    suspended until the answer)."""
    if not user.is_authenticated:
        return False, _("Sign in to ask for information.")
    access = project_access(user, project.pk)
    if access.admin or access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's agency officers and administrators ask for information on a "
        "periodic report."
    )


def can_answer_information(user, project: Project) -> tuple[bool, str]:
    """Answer the officer's request for information on a submitted report."""
    if not user.is_authenticated:
        return False, _("Sign in to answer a request for information.")
    access = project_access(user, project.pk)
    if access.admin or access.manager:
        return True, ""
    return False, _(
        "Only the project's managers and administrators answer the officer's requests for "
        "information on a periodic report."
    )
