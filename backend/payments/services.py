"""Writes of payments: an officer approves an instalment of the schedule (one that calls for a
decision, with a justification), suspends its payment and lifts the suspension, and records the
payment (or recovery) of an approved instalment. Grant reductions have their own services, in
``backend.payments.reductions``.

Each service checks permission first (PermissionDenied with the reason), then locks the project
row (so that two approvals or two payments of one project are decided one after the other) and
checks the state (Conflict, 409, naming the instalment's status), then validates the input
(InvalidInput naming each field, 400), then writes and records exactly one audit event
(``instalment.approved``, ``instalment.suspended``, ``instalment.suspension_lifted``,
``payment.recorded``) and tells the watchers.
A refusal writes nothing.

The database guards what the checks decide as well: an instalment is approved once (a unique
constraint on project and key), paid once (a one-to-one payment), and payments less recoveries
never exceed the maximum grant (a trigger); a write refused there is a Conflict too.
"""

import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from backend.accounts.permissions import require
from backend.audit.services import event_record
from backend.common.dates import brussels_today
from backend.common.errors import Conflict, InvalidInput
from backend.common.seam import projects_changed
from backend.grants.eligibility.messages import render
from backend.grants.models import Project
from backend.workplan.models import ReportingPeriod

from .models import Direction, Instalment, Payment, PaymentSuspension
from .permissions import (
    can_approve_instalment,
    can_record_payment,
    four_eyes,
)
from .rules import PREFINANCING, schedule
from .selectors import grant_facts, net_paid
from .statuses import (
    APPROVED,
    DECISION_NEEDED,
    NOTHING_DUE,
    PAID,
    READY,
    SCHEDULED,
    SUSPENDED,
    status_label,
)

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
REFERENCE_MAX_LENGTH = 100
REASON_MAX_LENGTH = 2000
JUSTIFICATION_MAX_LENGTH = 2000
RECOVERY = "recovery"  # a post-balance recovery's key: "recovery" and its number


class UnknownInstalment(LookupError):
    """The project's schedule has no instalment with this key (the API answers 404)."""


def instalment_label(key: str) -> str:
    """How messages name an instalment: "Pre-financing", "RP2" (the period's payment) or
    "Recovery 1" (a recovery after the balance)."""
    if key == PREFINANCING:
        return _("Pre-financing")
    if key.startswith(RECOVERY):
        return _("Recovery %(number)s") % {"number": key[len(RECOVERY) :]}
    return key.upper()


def _lock(project: Project) -> Project:
    """The project row, locked until the end of the transaction."""
    return Project.objects.select_for_update().get(pk=project.pk)


def _approval_day(instalment: Instalment) -> datetime.date:
    return brussels_today(instalment.approved_at)


def _conditions_as_stored(conditions) -> list[dict]:
    """The conditions as checked at approval, their messages in English."""
    return [
        {
            "code": condition.code,
            "met": condition.met,
            "message": render(condition.message, condition.params, "en"),
        }
        for condition in conditions
    ]


def _not_ready(item, period_end: datetime.date | None) -> str:
    """Why an instalment of the schedule cannot be approved, in the reader's language."""
    label = instalment_label(item.key)
    if item.status == SCHEDULED:
        reasons = _("RP%(number)s ends on %(date)s.") % {
            "number": item.period,
            "date": period_end.isoformat() if period_end else "",
        }
    else:
        language = get_language() or "en"
        reasons = " ".join(
            render(condition.message, condition.params, language) for condition in item.reasons
        )
    return _('%(instalment)s cannot be approved: it is "%(status)s" (%(reasons)s)') % {
        "instalment": label,
        "status": status_label(item.status),
        "reasons": reasons,
    }


def _already_approved(key: str, project_id: int) -> str:
    existing = Instalment.objects.filter(project_id=project_id, key=key).first()
    if existing is None:
        return _("%(instalment)s is already approved; it cannot be approved again.") % {
            "instalment": instalment_label(key)
        }
    return _("%(instalment)s was already approved on %(date)s; it cannot be approved again.") % {
        "instalment": instalment_label(key),
        "date": _approval_day(existing).isoformat(),
    }


def _open_suspension(project_id: int, key: str, *, lock: bool = False):
    """The instalment's open payment suspension, or None."""
    rows = PaymentSuspension.objects.filter(project_id=project_id, key=key, lifted_on__isnull=True)
    return (rows.select_for_update() if lock else rows).first()


def _suspended(key: str, suspension: PaymentSuspension | None, *, approving: bool) -> str:
    """Why a suspended instalment is neither approved nor paid."""
    values = {"instalment": instalment_label(key)}
    if suspension is None:  # the schedule saw one that is lifted since
        return _("The payment of %(instalment)s is suspended; lift the suspension first.") % values
    values.update(date=suspension.suspended_on.isoformat(), reason=suspension.reason)
    if approving:
        message = _(
            "%(instalment)s cannot be approved: its payment is suspended since %(date)s "
            "(%(reason)s); lift the suspension first."
        )
    else:
        message = _(
            "The payment of %(instalment)s is suspended since %(date)s (%(reason)s); lift the "
            "suspension before its payment is recorded."
        )
    return message % values


def _approvable(item, facts, project_id: int) -> None:
    """Conflict unless the schedule's instalment ``item`` may be approved: ready, or calling
    for the officer's decision."""
    if item.status in (APPROVED, PAID) or item.key in facts.approved:
        # (An approved instalment whose payment is suspended reads "suspended".)
        raise Conflict(_already_approved(item.key, project_id))
    if item.status == SUSPENDED:
        suspension = _open_suspension(project_id, item.key)
        raise Conflict(_suspended(item.key, suspension, approving=True))
    if item.status == NOTHING_DUE:
        raise Conflict(
            _(
                "%(instalment)s cannot be approved: there is nothing to pay (the amount is "
                "EUR %(amount)s)."
            )
            % {"instalment": instalment_label(item.key), "amount": item.amount}
        )
    if item.status not in (READY, DECISION_NEEDED):
        period_end = next((p.end_on for p in facts.periods if p.number == item.period), None)
        raise Conflict(_not_ready(item, period_end))


def check_justification(justification: str, status: str, key: str) -> str:
    """Why the officer approves an instalment that calls for a decision (an open composition
    breach): required then, optional when it is ready."""
    text = (justification or "").strip()
    if status == DECISION_NEEDED and not text:
        raise InvalidInput.at(
            "justification",
            _(
                "Give the justification for approving %(instalment)s although the consortium "
                "breaches the composition rules, or suspend its payment instead."
            )
            % {"instalment": instalment_label(key)},
        )
    if len(text) > JUSTIFICATION_MAX_LENGTH:
        raise InvalidInput.at(
            "justification",
            _("Write at most %(max)s characters.") % {"max": JUSTIFICATION_MAX_LENGTH},
        )
    return text


def _period(project_id: int, number: int | None) -> ReportingPeriod | None:
    if number is None:
        return None
    return ReportingPeriod.objects.get(project_id=project_id, number=number)


def instalment_approve(
    *,
    project: Project,
    key: str,
    user,
    today: datetime.date | None = None,
    justification: str = "",
) -> Instalment:
    """Approve an instalment whose status is ``ready``, or ``decision_needed`` with the
    officer's ``justification`` (required then): its amount, kind, period, the work packages it
    pays, its conditions and the justification are frozen in an ``Instalment`` row. A
    post-balance recovery ("recovery1", ...) is approved like any other, against the last
    period. The schedule is computed again inside the transaction, once the project row is
    locked. Suspended, blocked, scheduled or with nothing due: Conflict saying why."""
    today = today or brussels_today()
    require(can_approve_instalment, user, project)
    try:
        with transaction.atomic():
            locked = _lock(project)
            facts = grant_facts([locked.pk], today=today)[locked.pk]
            item = next((i for i in schedule(facts, today) if i.key == key), None)
            if item is None:
                raise UnknownInstalment(key)
            _approvable(item, facts, locked.pk)
            text = check_justification(justification, item.status, key)
            instalment = Instalment.objects.create(
                project=locked,
                key=item.key,
                kind=item.kind,
                reporting_period=_period(locked.pk, item.period),
                amount_eur=item.amount,
                approved_at=timezone.now(),
                approved_by=user,
                work_packages=list(item.work_packages),
                conditions=_conditions_as_stored(item.conditions),
                justification=text,
            )
            event_record(
                actor=user,
                verb="instalment.approved",
                obj=instalment,
                before={"status": item.status},
                after={
                    "status": APPROVED,
                    "key": instalment.key,
                    "kind": instalment.kind,
                    "amount_eur": instalment.amount_eur,
                    "work_packages": instalment.work_packages,
                    "justification": text,
                },
                note=text,
            )
            projects_changed([locked.pk], reason="instalment approved")
    except IntegrityError:
        # Approved at the same moment by someone else: the unique (project, key) refused it.
        raise Conflict(_already_approved(key, project.pk)) from None
    return instalment


# -- input checks ------------------------------------------------------------------------------
# The services take typed values (Decimal, date, str). Each check below holds them to the rules
# and the record, raising InvalidInput at its field; the API's serializers run the same checks
# as they read the input, so that a refusal names every wrong field at once.


# The most digits before the decimal point an amount may have: the database's 12 digits, 2 of
# them after the point.
WHOLE_DIGITS = 10


def _bounded(number: Decimal, path: str, *, whole_digits: int | None = None) -> Decimal:
    """``number``, refused unless it is finite and, with ``whole_digits``, has at most that many
    digits before the decimal point: checked before any comparison or rounding, which a NaN or
    a number like 1e999999999 would break."""
    if not number.is_finite():
        raise InvalidInput.at(path, _('Give a number, e.g. "1500.00".'))
    if whole_digits is not None and number.adjusted() >= whole_digits:
        raise InvalidInput.at(
            path,
            _("The number is too large: give at most %(digits)s digits before the decimal point.")
            % {"digits": whole_digits},
        )
    return number


def _to_the_cent(number: Decimal, path: str, message: str) -> Decimal:
    if number != number.quantize(CENT):
        raise InvalidInput.at(path, message % {"value": number})
    return number.quantize(CENT)


def check_amount(amount: Decimal, instalment: Instalment) -> Decimal:
    """The amount paid (or recovered): positive, to the cent, the amount approved."""
    path = "amount"
    _bounded(amount, path, whole_digits=WHOLE_DIGITS)
    if amount < 0:
        raise InvalidInput.at(
            path,
            _(
                "The amount cannot be negative: give the amount paid (or, for a recovery, "
                "recovered) as a positive number."
            ),
        )
    if amount == 0:
        raise InvalidInput.at(path, _("The amount must be above zero."))
    number = _to_the_cent(
        amount,
        path,
        _('Give the amount to the cent: "%(value)s" has more than 2 decimal places.'),
    )
    approved = abs(instalment.amount_eur)
    if number != approved:
        if instalment.amount_eur < 0:
            message = _(
                "The amount must be EUR %(approved)s, the recovery approved for %(instalment)s "
                "(EUR %(amount)s was given)."
            )
        else:
            message = _(
                "The amount must be EUR %(approved)s, the amount approved for %(instalment)s "
                "(EUR %(amount)s was given)."
            )
        raise InvalidInput.at(
            path,
            message
            % {
                "approved": approved,
                "instalment": instalment_label(instalment.key),
                "amount": number,
            },
        )
    return number


def check_paid_on(
    day: datetime.date, instalment: Instalment, today: datetime.date
) -> datetime.date:
    """The day the money moved: not in the future, not before the approval."""
    path = "paid_on"
    check_day(day, path, today)
    approved_on = _approval_day(instalment)
    if day < approved_on:
        raise InvalidInput.at(
            path,
            _("The date cannot be before %(instalment)s was approved, on %(date)s.")
            % {"instalment": instalment_label(instalment.key), "date": approved_on.isoformat()},
        )
    return day


def _text(value: str, path: str, *, max_length: int, missing: str) -> str:
    text = value.strip()
    if not text:
        raise InvalidInput.at(path, missing)
    if len(text) > max_length:
        raise InvalidInput.at(path, _("Write at most %(max)s characters.") % {"max": max_length})
    return text


def check_reference(reference: str) -> str:
    return _text(
        reference,
        "reference",
        max_length=REFERENCE_MAX_LENGTH,
        missing=_("Give the payment's reference, e.g. the agency's payment order."),
    )


def _collect(*checks) -> list:
    """Run each check (a callable); the values, or InvalidInput with every error found."""
    values, errors = [], []
    for check in checks:
        try:
            values.append(check())
        except InvalidInput as invalid:
            errors += invalid.errors
            values.append(None)
    return values, errors


def instalment_key_exists(project_id: int, key: str) -> bool:
    """The project's schedule has (or had: an approved row) an instalment ``key``."""
    if key == PREFINANCING:
        return True
    if key.startswith(RECOVERY) and key[len(RECOVERY) :].isdigit():
        if Instalment.objects.filter(project_id=project_id, key=key).exists():
            return True
        today = brussels_today()
        facts = grant_facts([project_id], today=today).get(project_id)
        return facts is not None and any(i.key == key for i in schedule(facts, today))
    if not key.startswith("rp") or not key[2:].isdigit():
        return False
    return ReportingPeriod.objects.filter(project_id=project_id, number=int(key[2:])).exists()


# -- payments ----------------------------------------------------------------------------------


def payable_instalment(project: Project, key: str, *, lock: bool = False, user=None) -> Instalment:
    """The project's approved instalment ``key``, if its payment may be recorded: else
    UnknownInstalment (no such instalment in the schedule) or Conflict (not approved yet, or
    paid already, or its payment suspended); given the ``user`` who would record it,
    PermissionDenied if that is the person who approved it (four eyes). ``payment_record`` asks
    it with the instalment locked; a caller may ask first, before it reads the input, so that
    such a step is told as such whatever the input."""
    label = instalment_label(key)
    rows = Instalment.objects.filter(project_id=project.pk, key=key)
    instalment = (rows.select_for_update() if lock else rows).first()
    if instalment is None:
        if not instalment_key_exists(project.pk, key):
            raise UnknownInstalment(key)
        raise Conflict(
            _(
                "%(instalment)s is not approved yet: an officer approves it before its "
                "payment is recorded."
            )
            % {"instalment": label}
        )
    existing = Payment.objects.filter(instalment=instalment).first()
    if existing is not None:
        raise Conflict(
            _(
                "%(instalment)s was already paid on %(date)s with reference "
                "%(reference)s; it cannot be paid twice."
            )
            % {
                "instalment": label,
                "date": existing.paid_on.isoformat(),
                "reference": existing.reference,
            }
        )
    suspension = _open_suspension(project.pk, key, lock=lock)
    if suspension is not None:
        raise Conflict(_suspended(key, suspension, approving=False))
    if user is not None:
        require(four_eyes, user, instalment)
    return instalment


def payment_record(
    *,
    project: Project,
    key: str,
    user,
    amount: Decimal,
    paid_on: datetime.date,
    reference: str,
    today: datetime.date | None = None,
) -> Payment:
    """Record the payment of an approved instalment (or, for a negative balance, the recovery):
    its amount (the approved amount, positive), date and reference. At most once per
    instalment; payments less recoveries never exceed the maximum grant; not by the person who
    approved the instalment (PermissionDenied, unless ``GRANTWATCH_FOUR_EYES_PAYMENTS`` is
    off); not while its payment is suspended (Conflict)."""
    today = today or brussels_today()
    require(can_record_payment, user, project)
    try:
        with transaction.atomic():
            locked = _lock(project)
            instalment = payable_instalment(locked, key, lock=True, user=user)
            (value, day, text), errors = _collect(
                lambda: check_amount(amount, instalment),
                lambda: check_paid_on(paid_on, instalment, today),
                lambda: check_reference(reference),
            )
            if errors:
                raise InvalidInput(errors, _("The payment was not recorded."))
            payment = _payment_create(locked, instalment, user, amount=value, day=day, text=text)
            projects_changed([locked.pk], reason="payment recorded")
    except IntegrityError:
        # The database refused it: paid at the same moment, or above the maximum grant.
        raise Conflict(
            _(
                "The payment of %(instalment)s was not recorded: it is already paid, or payments "
                "less recoveries would exceed the maximum grant of EUR %(max)s."
            )
            % {"instalment": instalment_label(key), "max": project.max_grant_eur}
        ) from None
    return payment


def _payment_create(
    project: Project,
    instalment: Instalment,
    user,
    *,
    amount: Decimal,
    day: datetime.date,
    text: str,
) -> Payment:
    """The payment row and its event, unless it would take the payments less recoveries above
    the maximum grant (Conflict)."""
    direction = Direction.RECOVERY if instalment.amount_eur < 0 else Direction.PAYMENT
    signed = amount if direction == Direction.PAYMENT else -amount
    before = net_paid(project.pk)
    if before + signed > project.max_grant_eur:
        raise Conflict(
            _(
                "Payments less recoveries would reach EUR %(total)s, above the maximum "
                "grant of EUR %(max)s; the payment was not recorded."
            )
            % {"total": before + signed, "max": project.max_grant_eur}
        )
    payment = Payment.objects.create(
        instalment=instalment,
        project=project,
        direction=direction,
        amount_eur=amount,
        paid_on=day,
        reference=text,
        recorded_at=timezone.now(),
        recorded_by=user,
    )
    event_record(
        actor=user,
        verb="payment.recorded",
        obj=payment,
        before={"status": APPROVED, "net_paid_eur": before},
        after={
            "status": PAID,
            "key": instalment.key,
            "direction": direction,
            "amount_eur": amount,
            "paid_on": day,
            "reference": text,
            "net_paid_eur": before + signed,
        },
    )
    return payment


# -- payment suspensions -----------------------------------------------------------------------


def check_day(day: datetime.date, path: str, today: datetime.date) -> datetime.date:
    """A day the officer acted on: not in the future."""
    if day > today:
        raise InvalidInput.at(
            path,
            _("The date cannot be in the future: today is %(today)s.")
            % {"today": today.isoformat()},
        )
    return day


def check_lifted_on(
    day: datetime.date, suspension: PaymentSuspension, today: datetime.date
) -> datetime.date:
    """The day a suspension ends: not in the future, not before it started."""
    check_day(day, "lifted_on", today)
    if day < suspension.suspended_on:
        raise InvalidInput.at(
            "lifted_on",
            _("The suspension cannot be lifted before it started, on %(date)s.")
            % {"date": suspension.suspended_on.isoformat()},
        )
    return day


def check_suspension_reason(reason: str) -> str:
    return _text(
        reason,
        "reason",
        max_length=REASON_MAX_LENGTH,
        missing=_("Give the reason for suspending the payment."),
    )


def check_lift_reason(reason: str) -> str:
    return _text(
        reason,
        "reason",
        max_length=REASON_MAX_LENGTH,
        missing=_("Give the reason for lifting the suspension."),
    )


def suspendable(project: Project, key: str) -> None:
    """UnknownInstalment (no such instalment), or Conflict unless the payment of ``key`` may be
    suspended: not paid yet, and not suspended already. The API asks it before it reads the
    input, ``payment_suspend`` again once the project row is locked."""
    if not instalment_key_exists(project.pk, key):
        raise UnknownInstalment(key)
    label = instalment_label(key)
    payment = Payment.objects.filter(project_id=project.pk, instalment__key=key).first()
    if payment is not None:
        raise Conflict(
            _("%(instalment)s was paid on %(date)s; its payment can no longer be suspended.")
            % {"instalment": label, "date": payment.paid_on.isoformat()}
        )
    suspension = _open_suspension(project.pk, key)
    if suspension is not None:
        raise Conflict(
            _(
                "The payment of %(instalment)s is already suspended since %(date)s; lift that "
                "suspension before suspending it again."
            )
            % {"instalment": label, "date": suspension.suspended_on.isoformat()}
        )


def liftable(project: Project, key: str, *, lock: bool = False) -> PaymentSuspension:
    """The open suspension of the payment of ``key``: else UnknownInstalment or Conflict."""
    if not instalment_key_exists(project.pk, key):
        raise UnknownInstalment(key)
    suspension = _open_suspension(project.pk, key, lock=lock)
    if suspension is None:
        raise Conflict(
            _("The payment of %(instalment)s is not suspended: there is nothing to lift.")
            % {"instalment": instalment_label(key)}
        )
    return suspension


def _already_suspended(key: str) -> Conflict:
    return Conflict(
        _(
            "The payment of %(instalment)s is already suspended; lift that suspension before "
            "suspending it again."
        )
        % {"instalment": instalment_label(key)}
    )


def payment_suspend(
    *,
    project: Project,
    key: str,
    user,
    reason: str,
    suspended_on: datetime.date,
    today: datetime.date | None = None,
) -> PaymentSuspension:
    """Suspend the payment of an instalment (for instance while the consortium breaches the
    composition rules), from ``suspended_on`` (not in the future), with the reason: until it is
    lifted, the instalment is neither approved nor paid and its payment deadline does not run.
    The project's agency officers (and administrators) do it; at most one open suspension per
    instalment; not once it is paid."""
    today = today or brussels_today()
    require(can_approve_instalment, user, project)
    try:
        with transaction.atomic():
            locked = _lock(project)
            suspendable(locked, key)
            (text, day), errors = _collect(
                lambda: check_suspension_reason(reason),
                lambda: check_day(suspended_on, "suspended_on", today),
            )
            if errors:
                raise InvalidInput(errors, _("The payment was not suspended."))
            suspension = PaymentSuspension.objects.create(
                project=locked,
                key=key,
                reason=text,
                suspended_on=day,
                suspended_at=timezone.now(),
                suspended_by=user,
            )
            event_record(
                actor=user,
                verb="instalment.suspended",
                obj=suspension,
                before={"suspended": False},
                after={"suspended": True, "key": key, "suspended_on": day, "reason": text},
                note=text,
            )
            projects_changed([locked.pk], reason="instalment suspended")
    except IntegrityError:
        # Suspended at the same moment by someone else: one open suspension per instalment.
        raise _already_suspended(key) from None
    return suspension


def payment_suspension_lift(
    *,
    project: Project,
    key: str,
    user,
    reason: str,
    lifted_on: datetime.date,
    today: datetime.date | None = None,
) -> PaymentSuspension:
    """Lift the open suspension of an instalment's payment on ``lifted_on`` (not in the future,
    not before it started), with the reason: the instalment may be approved and paid again, and
    its payment deadline runs again from that day."""
    today = today or brussels_today()
    require(can_approve_instalment, user, project)
    with transaction.atomic():
        locked = _lock(project)
        suspension = liftable(locked, key, lock=True)
        (text, day), errors = _collect(
            lambda: check_lift_reason(reason),
            lambda: check_lifted_on(lifted_on, suspension, today),
        )
        if errors:
            raise InvalidInput(errors, _("The suspension was not lifted."))
        suspension.lifted_on = day
        suspension.lift_reason = text
        suspension.lifted_at = timezone.now()
        suspension.lifted_by = user
        suspension.save(update_fields=["lifted_on", "lift_reason", "lifted_at", "lifted_by"])
        event_record(
            actor=user,
            verb="instalment.suspension_lifted",
            obj=suspension,
            before={"suspended": True, "suspended_on": suspension.suspended_on},
            after={"suspended": False, "key": key, "lifted_on": day, "reason": text},
            note=text,
        )
        projects_changed([locked.pk], reason="instalment suspension lifted")
    return suspension
