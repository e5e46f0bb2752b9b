"""Who may do what with deliverables and milestones. Each check returns (allowed, reason).

The consortium works on a deliverable's file through the project's managers and the contacts of
the deliverable's lead partner; only the managers submit it (in the portal only the Primary
Coordinator Contact can: IT How To "Completing the deliverables"). The agency's officers accept
it, ask for a revision and revise its due date. Administrators may do everything. Seeing the
project at all is the selectors' business (a project out of sight is a 404).
"""

from django.utils.translation import gettext as _

from backend.accounts.permissions import Access, project_access

from .models import Deliverable, EvidenceFile, Milestone
from .rules import SENT


def can_manage_evidence(user, deliverable: Deliverable) -> tuple[bool, str]:
    """Upload, replace or delete the deliverable's file."""
    access = project_access(user, deliverable.project_id)
    if not access.authenticated:
        return False, _("Sign in to work on a deliverable's file.")
    if access.admin or access.manager or access.acts_for(deliverable.lead_id):
        return True, ""
    return False, _(
        "Only the project's managers, the contacts of the deliverable's lead partner and "
        "administrators upload, replace or delete its file."
    )


def can_submit(user, deliverable: Deliverable) -> tuple[bool, str]:
    access = project_access(user, deliverable.project_id)
    if not access.authenticated:
        return False, _("Sign in to submit a deliverable.")
    if access.admin or access.manager:
        return True, ""
    return False, _("Only the project's managers and administrators submit deliverables.")


def _officer(user, project_id: int, refused: str) -> tuple[bool, str]:
    access = project_access(user, project_id)
    if not access.authenticated:
        return False, _("Sign in first.")
    if access.admin or access.officer:
        return True, ""
    return False, refused


def can_accept(user, deliverable: Deliverable) -> tuple[bool, str]:
    return _officer(
        user,
        deliverable.project_id,
        _("Only the project's agency officers and administrators accept deliverables."),
    )


def can_request_revision(user, deliverable: Deliverable) -> tuple[bool, str]:
    return _officer(
        user,
        deliverable.project_id,
        _(
            "Only the project's agency officers and administrators ask for a deliverable's "
            "revision."
        ),
    )


def can_revise_due_date(user, deliverable: Deliverable) -> tuple[bool, str]:
    return _officer(
        user,
        deliverable.project_id,
        _("Only the project's agency officers and administrators revise a deliverable's due date."),
    )


def can_download_evidence(user, evidence: EvidenceFile) -> tuple[bool, str]:
    """Read a deliverable's file (see ``evidence_readable``)."""
    return evidence_readable(project_access(user, evidence.deliverable.project_id), evidence)


def evidence_readable(access: Access, evidence: EvidenceFile) -> tuple[bool, str]:
    """The consortium (managers, partner contacts) reads its files in any state; the agency's
    officers read what was sent to them: the current file once the deliverable is submitted or
    accepted, and older files (each was submitted once and sent back for revision)."""
    if not access.authenticated:
        return False, _("Sign in to download a deliverable's file.")
    if access.admin or access.member:
        return True, ""
    if access.officer and (not evidence.current or evidence.deliverable.status in SENT):
        return True, ""
    if access.officer:
        return False, _(
            "A draft's file is the consortium's own: the agency's officers can download it once "
            "the deliverable is submitted."
        )
    return False, _("You may not download this deliverable's files.")


def can_record_achievement(user, milestone: Milestone) -> tuple[bool, str]:
    """Record a milestone as achieved."""
    access = project_access(user, milestone.project_id)
    if not access.authenticated:
        return False, _("Sign in to record a milestone as achieved.")
    if access.admin or access.manager:
        return True, ""
    return False, _(
        "Only the project's managers and administrators record a milestone as achieved."
    )
