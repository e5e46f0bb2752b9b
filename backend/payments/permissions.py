"""Who may do what with a project's payments. Each check returns (allowed, reason).

Everyone who sees the project (its agency officers, managers and partner contacts, and
administrators) reads its payment schedule, each instalment's conditions and its split among the
beneficiaries. Only the project's agency officers (and administrators) approve an instalment,
record a payment or recovery, and record a reduction and the steps of its procedure; an officer
role counts only for agency staff outside the project's consortium. A reduction whose
pre-information letter was not sent yet is read by the officers and administrators only. Four
eyes see every payment: whoever approved an instalment does not record its payment
(``GRANTWATCH_FOUR_EYES_PAYMENTS``, on by default).
Seeing the project at all is the selectors' business (a project out of sight is a 404).
"""

from django.conf import settings
from django.utils.translation import gettext as _

from backend.accounts.permissions import project_access
from backend.grants.models import Project

from .rules import PREFINANCING


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
    return False, access.officer_void or refused


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


def can_see_reduction_drafts(user, project: Project) -> tuple[bool, str]:
    """Besides ``can_view_payments``: read a reduction whose pre-information letter was not
    sent yet (a draft, or one withdrawn before the letter). It is the agency's business until
    the letter tells the beneficiaries: the project's agency officers and administrators."""
    return _officer_only(
        user,
        project,
        anonymous=_("Sign in to see the reductions."),
        refused=_(
            "Only the project's agency officers and administrators see a reduction before its "
            "pre-information letter is sent."
        ),
    )


def four_eyes(user, instalment) -> tuple[bool, str]:
    """Besides ``can_record_payment``: the payment of an approved instalment is not recorded
    by the person who approved it."""
    if settings.GRANTWATCH_FOUR_EYES_PAYMENTS and instalment.approved_by_id == user.pk:
        label = _("Pre-financing") if instalment.key == PREFINANCING else instalment.key.upper()
        return False, _(
            "You approved %(instalment)s, so another of the project's agency officers records "
            "its payment: two people see every payment."
        ) % {"instalment": label}
    return True, ""
