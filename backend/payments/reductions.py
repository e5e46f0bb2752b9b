"""Grant reductions and their procedure: an officer drafts a reduction for a breach of
obligations (a percentage or an amount of what is accepted for one beneficiary, one work
package, one beneficiary's share of one work package, or the whole grant), sends the
beneficiaries a pre-information letter, records their observations (due within the rule set's
``observation_days`` of the letter), then confirms or withdraws it. Only a confirmed reduction
changes amounts (``backend.payments.rules`` reads the confirmed rows).

Each service checks permission first (PermissionDenied with the reason), then locks the project
row and the reduction, checks the row version the writer read (StaleVersion, 412) and the
reduction's status (Conflict, 409, saying why), then validates the input (InvalidInput naming
each field, 400), then writes and records exactly one audit event (``reduction.created``,
``reduction.updated``, ``reduction.letter_sent``, ``reduction.observations_received``,
``reduction.confirmed``, ``reduction.withdrawn``). A confirmation or a withdrawal tells the
watchers. A refusal writes nothing.

A reduction whose pre-information letter was never sent is the agency's business only: the
project's officers (and administrators) read it, its managers and partner contacts do not, and
the events about it are kept out of the project's trail (which every reader of the project
reads; the audit has no audience of the agency's officers alone), so that nothing of it reaches
the consortium before the letter does.
"""

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.permissions import require
from backend.audit.models import Audience
from backend.audit.services import event_record
from backend.common.concurrency import check_version
from backend.common.dates import brussels_today
from backend.common.errors import Conflict, InvalidInput
from backend.common.seam import projects_changed
from backend.grants.models import Participation, Project
from backend.workplan.models import WorkPackage, WorkPackageShare

from .models import Reduction, ReductionKind, ReductionStatus
from .permissions import can_record_reduction, can_see_reduction_drafts
from .services import (
    CENT,
    HUNDRED,
    REASON_MAX_LENGTH,
    WHOLE_DIGITS,
    _bounded,
    _collect,
    _lock,
    _text,
    _to_the_cent,
    check_day,
)

ZERO = Decimal(0)
TEXT_MAX_LENGTH = 5000
OPEN = (ReductionStatus.DRAFT, ReductionStatus.LETTER_SENT, ReductionStatus.OBSERVATIONS_RECEIVED)
# The fields of a draft that an update may change.
DRAFT_FIELDS = ("participant", "work_package", "kind", "percent", "amount", "reason")

# The steps of the procedure, as the API names them.
UPDATE, LETTER, OBSERVATIONS, CONFIRM, WITHDRAW = (
    "update",
    "letter",
    "observations",
    "confirm",
    "withdraw",
)


def status_label(status: str) -> str:
    return str(ReductionStatus(status).label)


# -- reads -------------------------------------------------------------------------------------


def reductions_visible(*, user, project: Project) -> QuerySet[Reduction]:
    """The project's reductions the user may read, in the order they were recorded: every one
    for its officers and administrators; for its managers and partner contacts, those whose
    pre-information letter was sent. The caller has checked that the user sees the project."""
    rows = Reduction.objects.filter(project_id=project.pk)
    if not can_see_reduction_drafts(user, project)[0]:
        rows = rows.filter(letter_sent_on__isnull=False)
    return rows.select_related("participation", "work_package", "recorded_by").order_by(
        "recorded_at", "id"
    )


def reduction_get(*, user, project: Project, reduction_id: int) -> Reduction | None:
    """The reduction, if it is the project's and the user may read it; else None."""
    return reductions_visible(user=user, project=project).filter(pk=reduction_id).first()


# -- input checks ------------------------------------------------------------------------------


def check_percent(percent: Decimal, recorded: Decimal) -> Decimal:
    """A reduction: above 0, at most 100, to 2 decimals, and with the reductions ``recorded``
    already (of the same target) at most 100 in all."""
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


def check_amount(amount: Decimal, shares: Decimal | None, reduced: Decimal, target: str) -> Decimal:
    """A reduction by an amount: above 0, to the cent, at most the target's lump-sum
    ``shares`` (None: not known, the target being wrong) less the amounts ``reduced`` already
    (on the same target)."""
    path = "amount"
    _bounded(amount, path, whole_digits=WHOLE_DIGITS)
    if amount <= 0:
        raise InvalidInput.at(path, _("The amount must be above zero."))
    value = _to_the_cent(
        amount,
        path,
        _('Give the amount to the cent: "%(value)s" has more than 2 decimal places.'),
    )
    if shares is not None and value + reduced > shares:
        values = {"target": target, "shares": shares, "reduced": reduced, "max": shares - reduced}
        if reduced:
            message = _(
                "The amount can be at most EUR %(max)s: the lump-sum shares of %(target)s are "
                "EUR %(shares)s, and EUR %(reduced)s of them is reduced already."
            )
        else:
            message = _("The amount can be at most EUR %(max)s, the lump-sum shares of %(target)s.")
        raise InvalidInput.at(path, message % values)
    return value


def check_reason(reason: str) -> str:
    return _text(
        reason,
        "reason",
        max_length=REASON_MAX_LENGTH,
        missing=_("Give the reason for the reduction."),
    )


def check_observations(text: str) -> str:
    return _text(
        text,
        "observations",
        max_length=TEXT_MAX_LENGTH,
        missing=_("Give the beneficiaries' observations, or a summary of them."),
    )


def check_note(note: str) -> str:
    return _text(
        note,
        "note",
        max_length=TEXT_MAX_LENGTH,
        missing=_("Give a note on the decision: why the reduction is confirmed or withdrawn."),
    )


def check_step_day(
    day: datetime.date,
    path: str,
    today: datetime.date,
    earliest: datetime.date,
    after: str,
) -> datetime.date:
    """A step's date: not in the future, not before ``earliest`` (the previous step's date,
    which ``after`` names)."""
    check_day(day, path, today)
    if day < earliest:
        raise InvalidInput.at(
            path,
            _("The date cannot be before %(step)s, on %(date)s.")
            % {"step": after, "date": earliest.isoformat()},
        )
    return day


# -- the target and the size -------------------------------------------------------------------


def target_label(participant: str | None, work_package: int | None) -> str:
    """How messages name what a reduction reduces."""
    if participant and work_package:
        return _("%(participant)s in WP%(number)s") % {
            "participant": participant,
            "number": work_package,
        }
    if participant:
        return participant
    if work_package:
        return _("WP%(number)s") % {"number": work_package}
    return _("the whole grant")


def _find_target(project_id: int, participant: str | None, work_package: int | None):
    """The participation and the work package named (None: every one), or InvalidInput naming
    each that the project does not have, or that holds no lump-sum share."""
    participation = package = None
    errors = []
    if participant:
        participation = Participation.objects.filter(
            project_id=project_id, short_name=participant
        ).first()
        if participation is None:
            errors += InvalidInput.at(
                "participant",
                _('"%(participant)s" is not a participant of this project.')
                % {"participant": participant},
            ).errors
        elif not _shares(participation.pk, None).exists():
            errors += InvalidInput.at(
                "participant",
                _(
                    "%(participant)s holds no lump-sum share of this grant: only a beneficiary's "
                    "lump sums can be reduced."
                )
                % {"participant": participant},
            ).errors
    if work_package is not None:
        package = WorkPackage.objects.filter(project_id=project_id, number=work_package).first()
        if package is None:
            errors += InvalidInput.at(
                "work_package",
                _("The project has no work package %(number)s.") % {"number": work_package},
            ).errors
    if errors:
        raise InvalidInput(errors)
    return participation, package


def _shares(participation_id: int | None, package_id: int | None, project_id: int | None = None):
    rows = WorkPackageShare.objects.all()
    if project_id is not None:
        rows = rows.filter(work_package__project_id=project_id)
    if participation_id is not None:
        rows = rows.filter(participation_id=participation_id)
    if package_id is not None:
        rows = rows.filter(work_package_id=package_id)
    return rows


def _same_target(reduction_project_id: int, participation, package, exclude: int | None):
    """The project's other reductions, not withdrawn, of exactly this target."""
    rows = Reduction.objects.filter(
        project_id=reduction_project_id,
        participation=participation,
        work_package=package,
    ).exclude(status=ReductionStatus.WITHDRAWN)
    return rows if exclude is None else rows.exclude(pk=exclude)


def _kind(kind: str | None, percent, amount) -> str:
    """The kind of reduction: given, or told by which of a percentage and an amount is."""
    if kind is not None:
        return kind
    if amount is not None and percent is None:
        return ReductionKind.AMOUNT
    return ReductionKind.PERCENT


def _percent_of(values: Mapping, others) -> Decimal | None:
    """The percentage of a reduction by a percentage (``others``: the reductions of its target,
    None while the target is wrong); a reduction by an amount has none."""
    if values["kind"] != ReductionKind.PERCENT:
        if values["percent"] is not None:
            raise InvalidInput.at("percent", _("A reduction by an amount has no percentage."))
        return None
    if values["percent"] is None:
        raise InvalidInput.at("percent", _('Give the reduction as a percentage, e.g. "10.00".'))
    recorded = ZERO
    if others is not None:
        total = others.filter(kind=ReductionKind.PERCENT).aggregate(total=Sum("percent"))
        recorded = (total["total"] or ZERO).quantize(CENT)
    return check_percent(values["percent"], recorded)


def _amount_of(values: Mapping, project_id: int, found, others) -> Decimal | None:
    """The amount of a reduction by an amount, within its target's shares (``found``: the
    participation and the work package, None while the target is wrong); a reduction by a
    percentage has none."""
    if values["kind"] != ReductionKind.AMOUNT:
        if values["amount"] is not None:
            raise InvalidInput.at("amount", _("A reduction by a percentage has no amount."))
        return None
    if values["amount"] is None:
        raise InvalidInput.at("amount", _('Give the reduction as an amount, e.g. "5000.00".'))
    if found is None:
        return check_amount(values["amount"], None, ZERO, "")
    participation, package = found
    shares = (
        _shares(
            None if participation is None else participation.pk,
            None if package is None else package.pk,
            project_id,
        ).aggregate(total=Sum("amount_eur"))["total"]
        or ZERO
    )
    reduced = others.filter(kind=ReductionKind.AMOUNT).aggregate(total=Sum("amount_eur"))
    target = target_label(
        None if participation is None else participation.short_name,
        None if package is None else package.number,
    )
    return check_amount(values["amount"], shares, reduced["total"] or ZERO, target)


def _draft_values(project: Project, values: Mapping, exclude: int | None = None) -> dict:
    """A draft's target, kind, size and reason, held to the rules: the model's fields, or
    InvalidInput naming every wrong one."""

    def target():
        found = _find_target(project.pk, values["participant"], values["work_package"])
        if all(found) and not _shares(found[0].pk, found[1].pk).exists():
            raise InvalidInput.at(
                "work_package",
                _("%(participant)s holds no lump-sum share of WP%(number)s.")
                % {"participant": found[0].short_name, "number": found[1].number},
            )
        return found

    (found, reason), errors = _collect(target, lambda: check_reason(values["reason"]))
    others = None if found is None else _same_target(project.pk, *found, exclude)
    (percent, amount), size_errors = _collect(
        lambda: _percent_of(values, others),
        lambda: _amount_of(values, project.pk, found, others),
    )
    errors += size_errors
    if errors:
        raise InvalidInput(errors, _("The reduction was not saved."))
    return {
        "participation": found[0],
        "work_package": found[1],
        "kind": values["kind"],
        "percent": percent,
        "amount_eur": amount,
        "reason": reason,
    }


# -- the state of the procedure ----------------------------------------------------------------


def _already_decided(reduction: Reduction) -> str:
    return _('This reduction is already "%(status)s" since %(date)s.') % {
        "status": status_label(reduction.status),
        "date": reduction.decided_on.isoformat(),
    }


def _no_letter() -> str:
    return _(
        "The pre-information letter has not been sent yet: the beneficiaries are told of a "
        "reduction, and may make observations, before it is decided."
    )


def _letter_refusal(reduction: Reduction) -> str | None:
    if reduction.status in (ReductionStatus.CONFIRMED, ReductionStatus.WITHDRAWN):
        return _already_decided(reduction)
    if reduction.letter_sent_on is not None:
        return _("The pre-information letter of this reduction was already sent on %(date)s.") % {
            "date": reduction.letter_sent_on.isoformat()
        }
    return None


def _observations_refusal(reduction: Reduction) -> str | None:
    if reduction.status in (ReductionStatus.CONFIRMED, ReductionStatus.WITHDRAWN):
        return _already_decided(reduction)
    if reduction.status == ReductionStatus.DRAFT:
        return _no_letter()
    if reduction.status == ReductionStatus.OBSERVATIONS_RECEIVED:
        return _("The observations on this reduction were already received on %(date)s.") % {
            "date": reduction.observations_received_on.isoformat()
        }
    return None


def _confirm_refusal(reduction: Reduction, today: datetime.date) -> str | None:
    if reduction.status in (ReductionStatus.CONFIRMED, ReductionStatus.WITHDRAWN):
        return _already_decided(reduction)
    if reduction.status == ReductionStatus.DRAFT:
        return _no_letter()
    due = reduction.observations_due_on
    if reduction.status == ReductionStatus.LETTER_SENT and today <= due:
        return _(
            "The beneficiaries' observations are due by %(date)s: the reduction can be "
            "confirmed once they are received, or from %(next)s."
        ) % {"date": due.isoformat(), "next": (due + datetime.timedelta(days=1)).isoformat()}
    return None


def step_refusal(reduction: Reduction, step: str, today: datetime.date) -> str | None:
    """Why the reduction's status does not allow ``step`` now (None: it does)."""
    if step == UPDATE:
        if reduction.status == ReductionStatus.DRAFT:
            return None
        return _('Only a draft reduction can be changed; this one is "%(status)s".') % {
            "status": status_label(reduction.status)
        }
    if step == LETTER:
        return _letter_refusal(reduction)
    if step == OBSERVATIONS:
        return _observations_refusal(reduction)
    if step == CONFIRM:
        return _confirm_refusal(reduction, today)
    if reduction.status in (ReductionStatus.CONFIRMED, ReductionStatus.WITHDRAWN):
        return _already_decided(reduction)
    return None


def step_check(reduction: Reduction, step: str, today: datetime.date | None = None) -> None:
    """Conflict (409) unless the reduction's status allows ``step`` today."""
    refusal = step_refusal(reduction, step, today or brussels_today())
    if refusal:
        raise Conflict(refusal)


def _last_step(reduction: Reduction) -> tuple[datetime.date, str]:
    """The date of the procedure's latest step, and its name in messages."""
    if reduction.observations_received_on is not None:
        return reduction.observations_received_on, _("the observations were received")
    if reduction.letter_sent_on is not None:
        return reduction.letter_sent_on, _("the pre-information letter was sent")
    return brussels_today(reduction.recorded_at), _("the reduction was recorded")


# -- writes ------------------------------------------------------------------------------------


def _locked(reduction: Reduction, step: str, today, expected_version) -> Reduction:
    """Inside the transaction: the project and the reduction locked, the version and the step
    checked."""
    _lock(reduction.project)
    locked = Reduction.objects.select_for_update().get(pk=reduction.pk)
    check_version(locked, expected_version)
    step_check(locked, step, today)
    return locked


def _state(reduction: Reduction) -> dict:
    """What an event records of the reduction."""
    return {
        "status": reduction.status,
        "participant": None
        if reduction.participation is None
        else str(reduction.participation.short_name),
        "work_package": None if reduction.work_package is None else reduction.work_package.number,
        "kind": reduction.kind,
        "percent": reduction.percent,
        "amount_eur": reduction.amount_eur,
    }


def _record(reduction: Reduction, user, verb: str, *, before, after, note: str = "") -> None:
    """The step's audit event: for everyone on the project once the letter is sent; before,
    for the agency alone (officers and admins), as the draft is the agency's business."""
    audience = Audience.PROJECT if reduction.letter_sent_on is not None else Audience.AGENCY
    event_record(
        actor=user,
        verb=verb,
        obj=reduction,
        before=before,
        after=after,
        note=note,
        audience=audience,
    )


def reduction_create(
    *,
    project: Project,
    user,
    reason: str,
    kind: str | None = None,
    percent: Decimal | None = None,
    amount: Decimal | None = None,
    participant: str | None = None,
    work_package: int | None = None,
) -> Reduction:
    """Draft a reduction: of one beneficiary (``participant``, a short name), one work package
    (its number), one beneficiary's share of one, or (neither) the whole grant; a percentage
    (the kind told by which is given, unless ``kind`` says) or an amount, with the reason. A
    draft changes no amount."""
    require(can_record_reduction, user, project)
    values = {
        "participant": participant or None,
        "work_package": work_package,
        "kind": _kind(kind, percent, amount),
        "percent": percent,
        "amount": amount,
        "reason": reason,
    }
    with transaction.atomic():
        locked = _lock(project)
        fields = _draft_values(locked, values)
        reduction = Reduction.objects.create(
            project=locked,
            status=ReductionStatus.DRAFT,
            recorded_at=timezone.now(),
            recorded_by=user,
            **fields,
        )
        _record(reduction, user, "reduction.created", before=None, after=_state(reduction))
    return reduction


def reduction_update(
    *,
    reduction: Reduction,
    user,
    changes: Mapping,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Reduction:
    """Change a draft: ``changes`` holds the fields given (of ``DRAFT_FIELDS``); the others
    stay. A percentage given alone makes it a reduction by a percentage, an amount alone by an
    amount."""
    require(can_record_reduction, user, reduction.project)
    with transaction.atomic():
        locked = _locked(reduction, UPDATE, today, expected_version)
        before = _state(locked)
        values = _merged(locked, changes)
        fields = _draft_values(locked.project, values, exclude=locked.pk)
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save()
        _record(locked, user, "reduction.updated", before=before, after=_state(locked))
    return locked


def _current(reduction: Reduction) -> dict:
    """The draft's values, as a create takes them."""
    participation, package = reduction.participation, reduction.work_package
    return {
        "participant": None if participation is None else participation.short_name,
        "work_package": None if package is None else package.number,
        "kind": reduction.kind,
        "percent": reduction.percent,
        "amount": reduction.amount_eur,
        "reason": reduction.reason,
    }


def _merged(reduction: Reduction, changes: Mapping) -> dict:
    """The draft's values with ``changes`` over them. A change of kind drops the size of the
    other kind."""
    values = {**_current(reduction), **changes}
    values["participant"] = values["participant"] or None
    if {"kind", "percent", "amount"} & set(changes):
        kind = _kind(changes.get("kind"), changes.get("percent"), changes.get("amount"))
        if "kind" not in changes and "percent" in changes and "amount" in changes:
            kind = reduction.kind
        if kind != reduction.kind:
            values["percent"] = changes.get("percent")
            values["amount"] = changes.get("amount")
        values["kind"] = kind
    return values


def reduction_letter_sent(
    *,
    reduction: Reduction,
    user,
    sent_on: datetime.date,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Reduction:
    """Record the pre-information letter, sent on ``sent_on``: the beneficiaries' observations
    are due the rule set's ``observation_days`` later. From now on the consortium reads it."""
    today = today or brussels_today()
    require(can_record_reduction, user, reduction.project)
    with transaction.atomic():
        locked = _locked(reduction, LETTER, today, expected_version)
        earliest, after = _last_step(locked)
        day = check_step_day(sent_on, "sent_on", today, earliest, after)
        days = locked.project.call.ruleset.observation_days
        before = _state(locked)
        locked.status = ReductionStatus.LETTER_SENT
        locked.letter_sent_on = day
        locked.observations_due_on = day + datetime.timedelta(days=days)
        locked.save()
        _record(
            locked,
            user,
            "reduction.letter_sent",
            before=before,
            after={
                **_state(locked),
                "letter_sent_on": day,
                "observations_due_on": locked.observations_due_on,
            },
            note=locked.reason,
        )
    return locked


def reduction_observations(
    *,
    reduction: Reduction,
    user,
    received_on: datetime.date,
    observations: str,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Reduction:
    """Record the beneficiaries' observations on the letter, received on ``received_on``."""
    today = today or brussels_today()
    require(can_record_reduction, user, reduction.project)
    with transaction.atomic():
        locked = _locked(reduction, OBSERVATIONS, today, expected_version)
        earliest, after = _last_step(locked)
        (day, text), errors = _collect(
            lambda: check_step_day(received_on, "received_on", today, earliest, after),
            lambda: check_observations(observations),
        )
        if errors:
            raise InvalidInput(errors, _("The observations were not recorded."))
        before = _state(locked)
        locked.status = ReductionStatus.OBSERVATIONS_RECEIVED
        locked.observations_received_on = day
        locked.observations = text
        locked.save()
        _record(
            locked,
            user,
            "reduction.observations_received",
            before=before,
            after={**_state(locked), "observations_received_on": day},
            note=text,
        )
    return locked


def _decide(reduction: Reduction, user, step: str, *, decided_on, note, expected_version, today):
    """Confirm or withdraw: the decision dated and explained."""
    today = today or brussels_today()
    require(can_record_reduction, user, reduction.project)
    status = ReductionStatus.CONFIRMED if step == CONFIRM else ReductionStatus.WITHDRAWN
    with transaction.atomic():
        locked = _locked(reduction, step, today, expected_version)
        earliest, after = _last_step(locked)
        if step == CONFIRM and locked.status == ReductionStatus.LETTER_SENT:
            earliest = locked.observations_due_on + datetime.timedelta(days=1)
            after = _("the day after the observations were due")
        (day, text), errors = _collect(
            lambda: check_step_day(decided_on, "decided_on", today, earliest, after),
            lambda: check_note(note),
        )
        if errors:
            raise InvalidInput(errors, _("The decision on the reduction was not recorded."))
        before = _state(locked)
        locked.status = status
        locked.decided_on = day
        locked.decision_note = text
        locked.save()
        _record(
            locked,
            user,
            f"reduction.{status}",
            before=before,
            after={**_state(locked), "decided_on": day},
            note=text,
        )
        projects_changed([locked.project_id], reason=f"reduction {status}")
    return locked


def reduction_confirm(
    *,
    reduction: Reduction,
    user,
    decided_on: datetime.date,
    note: str,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Reduction:
    """Confirm the reduction, once the letter was sent and the observations were received or
    their period is over: from then on it changes the amounts."""
    return _decide(
        reduction,
        user,
        CONFIRM,
        decided_on=decided_on,
        note=note,
        expected_version=expected_version,
        today=today,
    )


def reduction_withdraw(
    *,
    reduction: Reduction,
    user,
    decided_on: datetime.date,
    note: str,
    expected_version: int | None = None,
    today: datetime.date | None = None,
) -> Reduction:
    """Withdraw the reduction (at any step before it is confirmed): it changes nothing."""
    return _decide(
        reduction,
        user,
        WITHDRAW,
        decided_on=decided_on,
        note=note,
        expected_version=expected_version,
        today=today,
    )
