"""Who may do what with amendment requests. Each check returns (allowed, reason).

The consortium launches a request through its project managers (in the Funding & Tenders Portal
only a Coordinator Contact launches or cancels one: IT How To "How to launch an amendment",
https://webgate.ec.europa.eu/funding-tenders-opportunities/display/IT/How+to+launch+an+amendment);
the agency's officer in charge of the project decides. Administrators may do both. Seeing the
project at all is the selectors' business (a project out of sight is a 404).
"""

from django.utils.translation import gettext as _

from backend.accounts.models import ProjectRoleKind
from backend.accounts.permissions import project_access
from backend.accounts.selectors import roles_on_project
from backend.grants.models import Project


def _is_manager(user, project: Project) -> bool:
    return user.is_superuser or ProjectRoleKind.MANAGER in roles_on_project(user, project.pk)


def can_see_drafts(user, project: Project) -> tuple[bool, str]:
    if _is_manager(user, project):
        return True, ""
    return False, _("Drafts are seen by the project's managers and administrators only.")


def can_propose(user, project: Project) -> tuple[bool, str]:
    """Draft, change and submit a request."""
    if not user.is_authenticated:
        return False, _("Sign in to request an amendment.")
    if _is_manager(user, project):
        return True, ""
    return False, _(
        "Only the project's managers and administrators draft and submit amendment requests."
    )


def can_try_changes(user, project: Project) -> tuple[bool, str]:
    """Ask what changes would do (nothing is saved)."""
    if not user.is_authenticated:
        return False, _("Sign in to try changes out.")
    if user.is_superuser:
        return True, ""
    access = project_access(user, project.pk)
    if access.manager or access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's managers, its agency officers and administrators try changes out."
    )


def can_decide(user, project: Project) -> tuple[bool, str]:
    """Approve or reject a submitted request."""
    if not user.is_authenticated:
        return False, _("Sign in to decide on an amendment request.")
    if user.is_superuser:
        return True, ""
    access = project_access(user, project.pk)
    if access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's agency officers and administrators approve or reject amendment "
        "requests."
    )


def can_withdraw(user, project: Project) -> tuple[bool, str]:
    """Withdraw a draft or a submitted request: whoever drafts them (in the portal the
    Coordinator Contact cancels a request)."""
    if not user.is_authenticated:
        return False, _("Sign in to withdraw an amendment request.")
    if _is_manager(user, project):
        return True, ""
    return False, _("Only the project's managers and administrators withdraw amendment requests.")


def can_request_information(user, project: Project) -> tuple[bool, str]:
    """Ask the consortium for information on a submitted request: whoever decides on it."""
    if not user.is_authenticated:
        return False, _("Sign in to ask for information on an amendment request.")
    if user.is_superuser:
        return True, ""
    access = project_access(user, project.pk)
    if access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's agency officers and administrators ask for information on "
        "amendment requests."
    )


def can_answer_information(user, project: Project) -> tuple[bool, str]:
    """Answer the agency's question on a submitted request: the consortium's managers, who
    submitted it."""
    if not user.is_authenticated:
        return False, _("Sign in to answer the agency's question.")
    if _is_manager(user, project):
        return True, ""
    return False, _(
        "Only the project's managers and administrators answer the agency's questions on "
        "amendment requests."
    )


def can_record_accession(user, project: Project) -> tuple[bool, str]:
    """Record that a new beneficiary acceded to the grant agreement, or that it did not. The
    agency's: a newcomer accedes by signing the accession form once its organisation and its
    signatories are validated, which the agency sees and the consortium only reports; and from
    the accession date on it counts toward the composition that payments depend on, a fact the
    consortium does not certify for itself."""
    if not user.is_authenticated:
        return False, _("Sign in to record an accession.")
    if user.is_superuser:
        return True, ""
    access = project_access(user, project.pk)
    if access.officer:
        return True, ""
    return False, access.officer_void or _(
        "Only the project's agency officers and administrators record a new beneficiary's "
        "accession or non-accession."
    )
