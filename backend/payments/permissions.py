"""Who may do what with a project's payments. Each check returns (allowed, reason).

Everyone who sees the project (its agency officers, managers and partner contacts, and
administrators) reads its payment schedule, each instalment's conditions and its split among the
beneficiaries. Only the project's agency officers (and administrators) approve an instalment,
record a payment or recovery, and record a reduction. Seeing the project at all is the
selectors' business (a project out of sight is a 404).
"""

from django.utils.translation import gettext as _

from backend.accounts.permissions import project_access
from backend.grants.models import Project


def can_view_payments(user, project: Project) -> tuple[bool, str]:
    """Read the schedule, the conditions, the payments and the split."""
    if not user.is_authenticated:
        return False, _("Sign in to see the payment schedule.")
    if project_access(user, project.pk).sees_project:
        return True, ""
    return False, _("Only the project's people and administrators see its payment schedule.")


def _officer_only(user, project: Project, *, anonymous: str, refused: str) -> tuple[bool, str]:
    if not user.is_authenticated:
        return False, anonymous
    access = project_access(user, project.pk)
    if access.admin or access.officer:
        return True, ""
    return False, refused


def can_approve_instalment(user, project: Project) -> tuple[bool, str]:
    return _officer_only(
        user,
        project,
        anonymous=_("Sign in to approve an instalment."),
        refused=_("Only the project's agency officers and administrators approve instalments."),
    )


def can_record_payment(user, project: Project) -> tuple[bool, str]:
    return _officer_only(
        user,
        project,
        anonymous=_("Sign in to record a payment."),
        refused=_(
            "Only the project's agency officers and administrators record payments and recoveries."
        ),
    )


def can_record_reduction(user, project: Project) -> tuple[bool, str]:
    return _officer_only(
        user,
        project,
        anonymous=_("Sign in to record a reduction."),
        refused=_("Only the project's agency officers and administrators record grant reductions."),
    )
