"""HTTP API for payments: a project's payment schedule (each instalment with its status,
conditions, payment deadline, approval and payment, and the ledger's totals), one instalment
with its split among the beneficiaries, the officer's approval (with a justification when it
calls for a decision), the suspension of an instalment's payment and its lifting, payment
recording, and the project's ledger (grant reductions: ``backend.api.reductions``).

Refusals: a project out of sight, or an instalment key its schedule does not have, is 404; a step
the user may not take is 403 with the reason; invalid input is 400 naming each field; a step the
instalment's status does not allow is 409. None of them writes anything. Amounts are strings
with 2 decimals, in EUR.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer, field_check
from backend.api.fields import DayField, DecimalTextField, TextField
from backend.api.idempotency import idempotent
from backend.api.lookups import (
    check_permission,
    parsed,
    request_body,
    request_language,
    visible_project,
)
from backend.common.dates import brussels_today
from backend.grants.eligibility.messages import render
from backend.grants.models import Project
from backend.payments.models import Instalment, PaymentSuspension
from backend.payments.permissions import (
    can_approve_instalment,
    can_record_payment,
    can_view_payments,
)
from backend.payments.rules import Instalment as ScheduledInstalment
from backend.payments.rules import beneficiary_split
from backend.payments.selectors import (
    LedgerEntry,
    LedgerTotals,
    ScheduleState,
    participant_order,
    payment_of,
    project_ledger,
    schedule_state,
)
from backend.payments.services import (
    JUSTIFICATION_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REFERENCE_MAX_LENGTH,
    UnknownInstalment,
    check_amount,
    check_day,
    check_lift_reason,
    check_lifted_on,
    check_paid_on,
    check_reference,
    check_suspension_reason,
    instalment_approve,
    instalment_key_exists,
    liftable,
    payable_instalment,
    payment_record,
    payment_suspend,
    payment_suspension_lift,
    suspendable,
)
from backend.payments.statuses import STATUSES, status_colour, status_label


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=True, **kwargs
    )


def _percent(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=5, decimal_places=2, coerce_to_string=True, **kwargs)


# -- input -------------------------------------------------------------------------------------


class PaymentInputSerializer(serializers.Serializer):
    # The payment of context["instalment"] (approved, not paid) as of context["today"]: each
    # value read, then held to the service's own checks, so that a refusal names every wrong
    # field at once, precisely. (A comment, not a docstring: the schema would show it.)

    amount = DecimalTextField(
        missing=gettext_lazy('Give the amount in euros, e.g. "%(example)s".'),
        help_text='The approved amount in EUR, positive, at most 2 decimals, e.g. "1599500.00" '
        "(a JSON number is accepted too). A recovery is recorded with its positive amount.",
    )
    paid_on = DayField(
        missing=gettext_lazy("Give the date of the payment (YYYY-MM-DD)."),
        help_text="The day the money moved: not in the future, not before the approval.",
    )
    reference = TextField(
        missing_is_blank=True,
        max_length=REFERENCE_MAX_LENGTH,
        help_text="The agency's payment reference.",
    )

    def validate_amount(self, value):
        return field_check(check_amount, value, self.context["instalment"])

    def validate_paid_on(self, value):
        return field_check(check_paid_on, value, self.context["instalment"], self.context["today"])

    def validate_reference(self, value):
        return field_check(check_reference, value)


class ApprovalInputSerializer(serializers.Serializer):
    # The officer's approval: a justification, required when the instalment calls for a
    # decision (the service says so at the field).

    justification = TextField(
        required=False,
        allow_blank=True,
        missing_is_blank=True,
        max_length=JUSTIFICATION_MAX_LENGTH,
        help_text='Why the officer approves it although it is "decision_needed" (the consortium '
        "breaches the composition rules): required then, optional otherwise. The body may be "
        "left out when the instalment is ready.",
    )


class SuspensionInputSerializer(serializers.Serializer):
    # The suspension of an instalment's payment as of context["today"].

    reason = TextField(
        missing_is_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Why the payment is suspended (required).",
    )
    suspended_on = DayField(
        missing=gettext_lazy("Give the date from which the payment is suspended (YYYY-MM-DD)."),
        help_text="The day the suspension starts: not in the future.",
    )

    def validate_reason(self, value):
        return field_check(check_suspension_reason, value)

    def validate_suspended_on(self, value):
        return field_check(check_day, value, "suspended_on", self.context["today"])


class LiftInputSerializer(serializers.Serializer):
    # The lifting of context["suspension"] as of context["today"].

    reason = TextField(
        missing_is_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Why the suspension is lifted (required).",
    )
    lifted_on = DayField(
        missing=gettext_lazy("Give the date the suspension ends (YYYY-MM-DD)."),
        help_text="The day the suspension ends: not in the future, not before it started.",
    )

    def validate_reason(self, value):
        return field_check(check_lift_reason, value)

    def validate_lifted_on(self, value):
        return field_check(
            check_lifted_on, value, self.context["suspension"], self.context["today"]
        )


# -- output ------------------------------------------------------------------------------------


class InstalmentConditionSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="grant_signed, report_approved, earlier_reports_approved, "
        "work_packages_declared, consortium_eligible, late_deliverables_justified or "
        "amount_above_zero."
    )
    met = serializers.BooleanField()
    message = serializers.CharField(help_text="In the request's language.")


class InstalmentApprovalSerializer(serializers.Serializer):
    amount = _money(help_text="The amount approved (negative: a recovery).")
    approved_at = serializers.DateTimeField()
    approved_by = serializers.CharField(allow_null=True)
    justification = serializers.CharField(
        help_text="Why the officer approved it although it called for a decision; empty if it "
        "was ready."
    )


class IntervalSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True, help_text="Null: still running.")
    reason = serializers.CharField(
        help_text="changes_requested or information_requested (the report's review), or the "
        "officer's reason for suspending the payment."
    )


class PaymentSuspensionSerializer(serializers.Serializer):
    suspended_on = serializers.DateField()
    reason = serializers.CharField()
    suspended_at = serializers.DateTimeField()
    suspended_by = serializers.CharField(allow_null=True)


class InstalmentPaymentSerializer(serializers.Serializer):
    direction = serializers.CharField(help_text="payment or recovery.")
    amount = _money(help_text="Positive; a recovery is money back.")
    paid_on = serializers.DateField()
    reference = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(allow_null=True)


class InstalmentSerializer(serializers.Serializer):
    key = serializers.CharField(
        help_text='"prefinancing", "rp" and the period number, or "recovery" and its number (a '
        "recovery after the balance)."
    )
    # Plain strings, not choices: several other enums of the API are named after "status".
    kind = serializers.CharField(
        help_text="prefinancing, additional_prefinancing, interim, balance or recovery (a "
        "recovery after the balance)."
    )
    period = serializers.IntegerField(
        allow_null=True,
        help_text="The reporting period's number (a recovery after the balance: the last "
        "period); null for pre-financing.",
    )
    due_on = serializers.DateField(
        allow_null=True,
        help_text="Pre-financing: when it is due; a period's payment: its report's due date.",
    )
    amount = _money(
        help_text="Payable now, from approved reports (or as approved); negative: a recovery."
    )
    projected_amount = _money(
        help_text="With the period's own declarations, once its report is approved."
    )
    uncapped_amount = _money(help_text="Before the cap on payments before the balance.")
    capped = serializers.BooleanField(help_text="The cap lowered the amount.")
    is_recovery = serializers.BooleanField()
    work_packages = serializers.ListField(
        child=serializers.IntegerField(), help_text="The numbers of the work packages it pays."
    )
    status = serializers.CharField(help_text=", ".join(STATUSES) + ".")
    status_label = serializers.CharField(help_text="The status in the request's language.")
    status_colour = serializers.CharField(help_text="grey, amber, red or green.")
    conditions = InstalmentConditionSerializer(many=True)
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="The messages of the conditions not met."
    )
    report_received_on = serializers.DateField(
        allow_null=True, help_text="The day the agency received the report (first submission)."
    )
    payment_days = serializers.IntegerField(
        help_text="The agency's payment deadline in days: the grant's own, else the call's."
    )
    suspended_days = serializers.IntegerField(
        help_text="Days the deadline did not run (the report sent back or information "
        "requested, the payment suspended)."
    )
    net_days = serializers.IntegerField(
        allow_null=True,
        help_text="Days the deadline has run: from receipt to today or to the payment, less "
        "the suspended days; null before receipt.",
    )
    payment_due_on = serializers.DateField(
        allow_null=True,
        help_text="Receipt (pre-financing: its due date) plus payment_days and suspended_days.",
    )
    payment_late = serializers.BooleanField(
        help_text="Not paid, past payment_due_on and not suspended: interest is due."
    )
    days_late = serializers.IntegerField(help_text="Days past payment_due_on; 0 when on time.")
    interest = _money(
        help_text="Late-payment interest: the amount times the rule set's yearly rate times "
        "days_late / 365, to the cent; 0.00 when not late."
    )
    suspensions = IntervalSerializer(
        many=True, help_text="The suspensions of the payment deadline that count."
    )
    payment_suspension = PaymentSuspensionSerializer(
        allow_null=True, help_text="The officer's open suspension of this payment, if any."
    )
    approval = InstalmentApprovalSerializer(allow_null=True)
    payment = InstalmentPaymentSerializer(allow_null=True)


class BeneficiaryShareSerializer(serializers.Serializer):
    participant = serializers.CharField(help_text="The participant's short name.")
    amount = _money()


class InstalmentDetailSerializer(InstalmentSerializer):
    beneficiaries = BeneficiaryShareSerializer(
        many=True, help_text="How the amount splits among the beneficiaries; adds up exactly."
    )


class InstalmentScheduleSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    today = serializers.DateField(help_text="The day (Brussels) the schedule is computed for.")
    max_grant = _money()
    cap_percent = _percent(help_text="Payments before the balance stay within this share.")
    cap = _money(help_text="The cap on pre-financing and payments before the balance.")
    accepted_total = _money(
        help_text="The lump sums of the work packages accepted so far (partial completion "
        "included), before reductions."
    )
    confirmed_reductions = _money(help_text="The reductions confirmed, in EUR.")
    net_paid = _money(help_text="Payments less recoveries recorded.")
    balance_outstanding = _money(
        help_text="accepted_total - confirmed_reductions - net_paid: negative, money to recover."
    )
    instalments = InstalmentSerializer(many=True)


class LedgerEntrySerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.CharField(help_text="payment, recovery or reduction.")
    instalment = serializers.CharField(
        allow_null=True, help_text="The instalment's key (a payment or a recovery)."
    )
    reduction = serializers.IntegerField(
        allow_null=True, help_text="The reduction's id (a confirmed reduction)."
    )
    amount = _money(help_text="Signed: a payment is positive, a recovery or reduction negative.")
    reference = serializers.CharField(
        help_text="The payment's reference, or the reduction's reason."
    )


class LedgerSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    today = serializers.DateField()
    cap = _money()
    accepted_total = _money()
    confirmed_reductions = _money()
    net_paid = _money()
    balance_outstanding = _money()
    entries = LedgerEntrySerializer(many=True, help_text="In date order.")


# -- reads -------------------------------------------------------------------------------------


def _name(user) -> str | None:
    return None if user is None else user.get_username()


def _message(condition, language: str) -> str:
    return render(condition.message, condition.params, language)


def _interval(interval) -> dict:
    return {"start": interval.start, "end": interval.end, "reason": interval.reason}


def _approval(row: Instalment | None) -> dict | None:
    if row is None:
        return None
    return {
        "amount": row.amount_eur,
        "approved_at": row.approved_at,
        "approved_by": _name(row.approved_by),
        "justification": row.justification,
    }


def _payment(row: Instalment | None) -> dict | None:
    payment = payment_of(row)
    if payment is None:
        return None
    return {
        "direction": payment.direction,
        "amount": payment.amount_eur,
        "paid_on": payment.paid_on,
        "reference": payment.reference,
        "recorded_at": payment.recorded_at,
        "recorded_by": _name(payment.recorded_by),
    }


def _suspension(suspension: PaymentSuspension | None) -> dict | None:
    if suspension is None:
        return None
    return {
        "suspended_on": suspension.suspended_on,
        "reason": suspension.reason,
        "suspended_at": suspension.suspended_at,
        "suspended_by": _name(suspension.suspended_by),
    }


def _deadline(item: ScheduledInstalment) -> dict:
    """The agency's payment deadline: its days, suspensions, lateness and interest."""
    return {
        "report_received_on": item.report_received_on,
        "payment_days": item.payment_days,
        "suspended_days": item.suspended_days,
        "net_days": item.net_days,
        "payment_due_on": item.payment_due_on,
        "payment_late": item.payment_late,
        "days_late": item.days_late,
        "interest": item.interest,
        "suspensions": [_interval(interval) for interval in item.suspensions],
    }


def _instalment(
    item: ScheduledInstalment,
    row: Instalment | None,
    language: str,
    suspension: PaymentSuspension | None = None,
) -> dict:
    return {
        "key": item.key,
        "kind": item.kind,
        "period": item.period,
        "due_on": item.due_on,
        "amount": item.amount,
        "projected_amount": item.projected_amount,
        "uncapped_amount": item.uncapped_amount,
        "capped": item.capped,
        "is_recovery": item.is_recovery,
        "work_packages": list(item.work_packages),
        "status": item.status,
        "status_label": status_label(item.status),
        "status_colour": status_colour(item.status),
        "conditions": [
            {"code": c.code, "met": c.met, "message": _message(c, language)}
            for c in item.conditions
        ],
        "reasons": [_message(c, language) for c in item.reasons],
        **_deadline(item),
        "payment_suspension": _suspension(suspension),
        "approval": _approval(row),
        "payment": _payment(row),
    }


def _open_suspensions(project_id: int) -> dict[str, PaymentSuspension]:
    """The open payment suspensions of the project, by instalment key (one query)."""
    return {
        suspension.key: suspension
        for suspension in PaymentSuspension.objects.filter(
            project_id=project_id, lifted_on__isnull=True
        ).select_related("suspended_by")
    }


def _totals(totals: LedgerTotals) -> dict:
    """The ledger's totals (``backend.payments.selectors.LedgerTotals``)."""
    return {
        "cap": totals.cap,
        "accepted_total": totals.accepted_total,
        "confirmed_reductions": totals.confirmed_reductions,
        "net_paid": totals.net_paid,
        "balance_outstanding": totals.balance_outstanding,
    }


def _schedule(state: ScheduleState, language: str) -> dict:
    facts = state.facts
    suspensions = _open_suspensions(state.project.pk)
    return {
        "project": state.project.pk,
        "today": state.today,
        "max_grant": facts.max_grant,
        "cap_percent": facts.cap_percent,
        # The ledger's totals from the facts and rows the schedule read.
        **_totals(state.totals),
        "instalments": [
            _instalment(item, state.rows.get(item.key), language, suspensions.get(item.key))
            for item in state.instalments
        ],
    }


def _ledger(project: Project) -> dict:
    today = brussels_today()
    ledger = project_ledger(project.pk, today)
    return {
        "project": project.pk,
        "today": today,
        **_totals(ledger),
        "entries": [_entry(entry) for entry in ledger.entries],
    }


def _entry(entry: LedgerEntry) -> dict:
    return {
        "date": entry.date,
        "kind": entry.kind,
        "instalment": entry.key or None,
        "reduction": entry.reduction_id,
        "amount": entry.amount,
        "reference": entry.reference,
    }


def _beneficiaries(state: ScheduleState, key: str) -> list[dict]:
    """The split of an instalment, the participants in the grant's order."""
    parts = beneficiary_split(state.facts, state.instalments, key)
    order = participant_order(state.project.pk)
    names = sorted(parts, key=lambda name: (order.get(name, len(order)), name))
    return [{"participant": name, "amount": parts[name]} for name in names]


# -- lookups -----------------------------------------------------------------------------------


def _project(request, project_id: int) -> Project:
    project = visible_project(request, project_id)
    check_permission(can_view_payments, request, project)
    return project


def _known(project: Project, key: str) -> None:
    if not instalment_key_exists(project.pk, key):
        raise Http404


def _detail(request, project: Project, key: str, *, status_code=status.HTTP_200_OK) -> Response:
    state = schedule_state(project)
    item = state.get(key)
    if item is None:
        raise Http404
    suspension = _open_suspensions(project.pk).get(key)
    data = {
        **_instalment(item, state.rows.get(key), request_language(request), suspension),
        "beneficiaries": _beneficiaries(state, key),
    }
    return Response(InstalmentDetailSerializer(data).data, status=status_code)


NOT_FOUND = OpenApiResponse(
    description="No such project or instalment, or the project is not visible to the user"
)
FORBIDDEN = OpenApiResponse(description="The user may not take this step (the reason is given)")
CONFLICT = OpenApiResponse(
    description="The instalment's status does not allow this step (the detail says why)"
)


# -- views -------------------------------------------------------------------------------------


class InstalmentListApi(APIView):
    @extend_schema(
        operation_id="instalments_list",
        summary="A project's payment schedule: every instalment with its amount, status, "
        "conditions, approval and payment",
        description="Not paginated: a schedule is a handful of instalments (pre-financing and "
        "one per reporting period). Condition messages are in the request's language.",
        responses={200: InstalmentScheduleSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        data = _schedule(schedule_state(project), request_language(request))
        return Response(InstalmentScheduleSerializer(data).data)


class InstalmentDetailApi(APIView):
    @extend_schema(
        operation_id="instalments_retrieve",
        summary="One instalment of the schedule, with its split among the beneficiaries",
        responses={200: InstalmentDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, key: str):
        return _detail(request, _project(request, project_id), key)


class InstalmentBeneficiariesApi(APIView):
    @extend_schema(
        operation_id="instalments_beneficiaries",
        summary="How an instalment splits among the beneficiaries (by their lump-sum shares)",
        description="Not paginated: one row per beneficiary holding a lump-sum share; the "
        "amounts add up to the instalment's amount exactly.",
        responses={200: BeneficiaryShareSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, key: str):
        project = _project(request, project_id)
        state = schedule_state(project)
        if state.get(key) is None:
            raise Http404
        return Response(BeneficiaryShareSerializer(_beneficiaries(state, key), many=True).data)


class InstalmentApproveApi(APIView):
    invalid_detail = gettext_lazy("The instalment was not approved.")

    @idempotent
    @extend_schema(
        operation_id="instalments_approve",
        summary="Approve an instalment that is ready, or that calls for a decision with a "
        "justification (the project's agency officers); its amount, conditions and "
        "justification are frozen",
        description='"ready": approved as it is. "decision_needed" (the consortium breaches '
        "the composition rules): approved only with a justification, else 400 naming it. "
        '"suspended", "blocked", "nothing_due" or "scheduled": 409 saying why. A recovery '
        'after the balance ("recovery1", ...) is approved the same way.',
        request=ApprovalInputSerializer,
        responses={
            200: InstalmentDetailSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[
            OpenApiExample(
                "Decision",
                request_only=True,
                value={
                    "justification": "WP2 was completed while the consortium met the rules; "
                    "the breach started later."
                },
            ),
            OpenApiExample(
                "Not ready",
                status_codes=["409"],
                response_only=True,
                value={
                    "detail": 'RP2 cannot be approved: it is "Blocked" (The report of RP2 '
                    "awaits the officer's review.)"
                },
            ),
        ],
    )
    def post(self, request, project_id: int, key: str):
        project = _project(request, project_id)
        _known(project, key)
        check_permission(can_approve_instalment, request, project)
        data = parsed(ApprovalInputSerializer, request_body(request))
        try:
            instalment_approve(project=project, key=key, user=request.user, **data)
        except UnknownInstalment:
            raise Http404 from None
        return _detail(request, project, key)


SUSPENSION_EXAMPLE = OpenApiExample(
    "Suspension",
    request_only=True,
    value={
        "reason": "The consortium breaches the composition rules since LVTDA left.",
        "suspended_on": "2026-11-20",
    },
)


class InstalmentSuspendApi(APIView):
    invalid_detail = gettext_lazy("The payment was not suspended.")

    @idempotent
    @extend_schema(
        operation_id="instalments_suspend",
        summary="Suspend an instalment's payment, with the reason and the date (the project's "
        "agency officers)",
        description="Until it is lifted the instalment is neither approved nor paid, and its "
        "payment deadline does not run. One open suspension per instalment; not once it is "
        "paid (409).",
        request=SuspensionInputSerializer,
        responses={
            201: InstalmentDetailSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[SUSPENSION_EXAMPLE],
    )
    def post(self, request, project_id: int, key: str):
        project = _project(request, project_id)
        _known(project, key)
        check_permission(can_approve_instalment, request, project)
        today = brussels_today()
        try:
            suspendable(project, key)  # 409 before the input is read
            data = parsed(SuspensionInputSerializer, request_body(request), today=today)
            payment_suspend(project=project, key=key, user=request.user, today=today, **data)
        except UnknownInstalment:
            raise Http404 from None
        return _detail(request, project, key, status_code=status.HTTP_201_CREATED)


class InstalmentLiftApi(APIView):
    invalid_detail = gettext_lazy("The suspension was not lifted.")

    @idempotent
    @extend_schema(
        operation_id="instalments_lift",
        summary="Lift the suspension of an instalment's payment, with the reason and the date "
        "(the project's agency officers)",
        description="409 when its payment is not suspended.",
        request=LiftInputSerializer,
        responses={
            200: InstalmentDetailSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[
            OpenApiExample(
                "Lift",
                request_only=True,
                value={"reason": "A new partner joined.", "lifted_on": "2026-11-27"},
            )
        ],
    )
    def post(self, request, project_id: int, key: str):
        project = _project(request, project_id)
        _known(project, key)
        check_permission(can_approve_instalment, request, project)
        today = brussels_today()
        try:
            suspension = liftable(project, key)  # 409 before the input is read
            data = parsed(
                LiftInputSerializer, request_body(request), today=today, suspension=suspension
            )
            payment_suspension_lift(
                project=project, key=key, user=request.user, today=today, **data
            )
        except UnknownInstalment:
            raise Http404 from None
        return _detail(request, project, key)


class LedgerApi(APIView):
    @extend_schema(
        operation_id="ledger_retrieve",
        summary="A project's ledger: every payment, recovery and confirmed reduction, with the "
        "totals",
        description="Not paginated: a ledger has a handful of entries. balance_outstanding is "
        "always accepted_total - confirmed_reductions - net_paid.",
        responses={200: LedgerSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        return Response(LedgerSerializer(_ledger(project)).data)


class InstalmentPaymentApi(APIView):
    invalid_detail = gettext_lazy("The payment was not recorded.")

    @idempotent
    @extend_schema(
        operation_id="instalments_payment",
        summary="Record the payment (or recovery) of an approved instalment (the project's "
        "agency officers)",
        description="Once per instalment; payments less recoveries never exceed the maximum "
        "grant; not while the instalment's payment is suspended (409). A recovery (a negative "
        'balance, or "recovery1", ... after the balance) is recorded with its positive amount.',
        request=PaymentInputSerializer,
        responses={
            201: InstalmentDetailSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[
            OpenApiExample(
                "Payment",
                request_only=True,
                value={
                    "amount": "1599500.00",
                    "paid_on": "2024-03-20",
                    "reference": "EACEA/2024/0815",
                },
            ),
            OpenApiExample(
                "Over-precise amount",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "The payment was not recorded.",
                    "errors": [
                        {
                            "path": "amount",
                            "message": 'Give the amount to the cent: "12.345" has more than 2 '
                            "decimal places.",
                        }
                    ],
                },
            ),
        ],
    )
    def post(self, request, project_id: int, key: str):
        project = _project(request, project_id)
        _known(project, key)
        check_permission(can_record_payment, request, project)
        today = brussels_today()
        try:
            # Not approved yet, or paid already: 409; the approver: 403; both before the input
            # is read.
            instalment = payable_instalment(project, key, user=request.user)
            data = parsed(
                PaymentInputSerializer,
                request_body(request),
                instalment=instalment,
                today=today,
                example=str(abs(instalment.amount_eur)),
            )
            payment_record(project=project, key=key, user=request.user, today=today, **data)
        except UnknownInstalment:
            raise Http404 from None
        return _detail(request, project, key, status_code=status.HTTP_201_CREATED)
