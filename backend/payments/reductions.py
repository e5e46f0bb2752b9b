"""Writes of grant reductions: an officer records a reduction of the grant for a breach of
obligations.

Each service checks permission first (PermissionDenied with the reason), then locks the project
row, validates the input (InvalidInput naming each field, 400), then writes and records exactly
one audit event and tells the watchers. A refusal writes nothing.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.permissions import require
from backend.audit.services import event_record
from backend.common.errors import InvalidInput
from backend.common.seam import projects_changed
from backend.grants.models import Project

from .models import Reduction
from .permissions import can_record_reduction
from .services import (
    CENT,
    HUNDRED,
    REASON_MAX_LENGTH,
    _bounded,
    _collect,
    _lock,
    _text,
    _to_the_cent,
)


def check_percent(percent: Decimal, recorded: Decimal) -> Decimal:
    """A reduction: above 0, at most 100, to 2 decimals, and with the reductions ``recorded``
    already at most 100 in all."""
    path = "percent"
    _bounded(percent, path)
    if percent <= 0:
        raise InvalidInput.at(path, _("The percentage must be above zero."))
    if percent > HUNDRED:
        raise InvalidInput.at(path, _("The percentage cannot exceed 100."))
    value = _to_the_cent(
        percent,
        path,
        _('Give the percentage to 2 decimal places at most: "%(value)s" has more.'),
    )
    if recorded + value > HUNDRED:
        raise InvalidInput.at(
            path,
            _(
                "Reductions would total %(total)s %%; they cannot exceed 100 %% "
                "(%(recorded)s %% is recorded already)."
            )
            % {"total": recorded + value, "recorded": recorded},
        )
    return value


def check_reason(reason: str) -> str:
    return _text(
        reason,
        "reason",
        max_length=REASON_MAX_LENGTH,
        missing=_("Give the reason for the reduction."),
    )


# -- reductions --------------------------------------------------------------------------------


def reductions_recorded(project_id: int) -> Decimal:
    """The project's reductions so far, in percent."""
    total = Reduction.objects.filter(project_id=project_id).aggregate(total=Sum("percent"))
    return (total["total"] or Decimal(0)).quantize(CENT)


def reduction_record(*, project: Project, user, percent: Decimal, reason: str) -> Reduction:
    """Record a grant reduction the officer decided: a percentage, with the reason. The
    reductions of a project add up to 100 % at most."""
    require(can_record_reduction, user, project)
    with transaction.atomic():
        locked = _lock(project)
        recorded = reductions_recorded(locked.pk)
        (value, text), errors = _collect(
            lambda: check_percent(percent, recorded), lambda: check_reason(reason)
        )
        if errors:
            raise InvalidInput(errors, _("The reduction was not recorded."))
        reduction = Reduction.objects.create(
            project=locked,
            percent=value,
            reason=text,
            recorded_at=timezone.now(),
            recorded_by=user,
        )
        event_record(
            actor=user,
            verb="reduction.recorded",
            obj=reduction,
            before={"reduction_percent": recorded},
            after={"percent": value, "reduction_percent": recorded + value},
            note=text,
        )
        projects_changed([locked.pk], reason="reduction recorded")
    return reduction
