"""HTTP API for payments: a project's payment schedule (each instalment with its conditions,
approval and payment), one instalment with its split among the beneficiaries, the officer's
approval and payment recording (grant reductions: ``backend.api.reductions``).

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
from backend.payments.models import Instalment
from backend.payments.permissions import (
    can_approve_instalment,
    can_record_payment,
    can_view_payments,
)
from backend.payments.rules import Instalment as ScheduledInstalment
from backend.payments.rules import beneficiary_split, percent_of
from backend.payments.selectors import ScheduleState, participant_order, payment_of, schedule_state
from backend.payments.services import (
    REFERENCE_MAX_LENGTH,
    UnknownInstalment,
    check_amount,
    check_paid_on,
    check_reference,
    instalment_approve,
    instalment_key_exists,
    payable_instalment,
    payment_record,
)


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


# -- output ------------------------------------------------------------------------------------


class InstalmentConditionSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="grant_signed, report_approved, work_packages_declared, consortium_eligible, "
        "late_deliverables_justified or amount_above_zero."
    )
    met = serializers.BooleanField()
    message = serializers.CharField(help_text="In the request's language.")


class InstalmentApprovalSerializer(serializers.Serializer):
    amount = _money(help_text="The amount approved (negative: a recovery).")
    approved_at = serializers.DateTimeField()
    approved_by = serializers.CharField(allow_null=True)


class InstalmentPaymentSerializer(serializers.Serializer):
    direction = serializers.CharField(help_text="payment or recovery.")
    amount = _money(help_text="Positive; a recovery is money back.")
    paid_on = serializers.DateField()
    reference = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(allow_null=True)


class InstalmentSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='"prefinancing", or "rp" and the period number.')
    # Plain strings, not choices: several other enums of the API are named after "status".
    kind = serializers.CharField(
        help_text="prefinancing, additional_prefinancing, interim or balance."
    )
    period = serializers.IntegerField(
        allow_null=True, help_text="The reporting period's number; null for pre-financing."
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
    status = serializers.CharField(help_text="scheduled, blocked, ready, approved or paid.")
    conditions = InstalmentConditionSerializer(many=True)
    reasons = serializers.ListField(
        child=serializers.CharField(), help_text="The messages of the conditions not met."
    )
    report_received_on = serializers.DateField(allow_null=True)
    payment_due_on = serializers.DateField(
        allow_null=True, help_text="The agency pays within the call's payment days of the report."
    )
    payment_late = serializers.BooleanField(
        help_text="Not paid and past payment_due_on: interest may be due."
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
    reduction_percent = _percent(help_text="The total of the reductions recorded.")
    net_paid = _money(help_text="Payments less recoveries recorded.")
    instalments = InstalmentSerializer(many=True)


# -- reads -------------------------------------------------------------------------------------


def _name(user) -> str | None:
    return None if user is None else user.get_username()


def _message(condition, language: str) -> str:
    return render(condition.message, condition.params, language)


def _instalment(item: ScheduledInstalment, row: Instalment | None, language: str) -> dict:
    payment = payment_of(row)
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
        "conditions": [
            {"code": c.code, "met": c.met, "message": _message(c, language)}
            for c in item.conditions
        ],
        "reasons": [_message(c, language) for c in item.reasons],
        "report_received_on": item.report_received_on,
        "payment_due_on": item.payment_due_on,
        "payment_late": item.payment_late,
        "approval": None
        if row is None
        else {
            "amount": row.amount_eur,
            "approved_at": row.approved_at,
            "approved_by": _name(row.approved_by),
        },
        "payment": None
        if payment is None
        else {
            "direction": payment.direction,
            "amount": payment.amount_eur,
            "paid_on": payment.paid_on,
            "reference": payment.reference,
            "recorded_at": payment.recorded_at,
            "recorded_by": _name(payment.recorded_by),
        },
    }


def _schedule(state: ScheduleState, language: str) -> dict:
    facts = state.facts
    return {
        "project": state.project.pk,
        "today": state.today,
        "max_grant": facts.max_grant,
        "cap_percent": facts.cap_percent,
        "cap": percent_of(facts.max_grant, facts.cap_percent),
        "reduction_percent": facts.reduction_percent,
        "net_paid": state.net_paid,
        "instalments": [
            _instalment(item, state.rows.get(item.key), language) for item in state.instalments
        ],
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
    data = {
        **_instalment(item, state.rows.get(key), request_language(request)),
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
    @idempotent
    @extend_schema(
        operation_id="instalments_approve",
        summary="Approve an instalment that is ready (the project's agency officers); its "
        "amount and conditions are frozen",
        request=None,
        responses={200: InstalmentDetailSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Not ready",
                status_codes=["409"],
                response_only=True,
                value={
                    "detail": 'RP2 cannot be approved: it is "blocked" (The report of RP2 '
                    "awaits the officer's review.)"
                },
            )
        ],
    )
    def post(self, request, project_id: int, key: str):
        project = _project(request, project_id)
        _known(project, key)
        check_permission(can_approve_instalment, request, project)
        try:
            instalment_approve(project=project, key=key, user=request.user)
        except UnknownInstalment:
            raise Http404 from None
        return _detail(request, project, key)


class InstalmentPaymentApi(APIView):
    invalid_detail = gettext_lazy("The payment was not recorded.")

    @idempotent
    @extend_schema(
        operation_id="instalments_payment",
        summary="Record the payment (or recovery) of an approved instalment (the project's "
        "agency officers)",
        description="Once per instalment; payments less recoveries never exceed the maximum grant.",
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
