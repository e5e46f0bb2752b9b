"""HTTP API for a project's grant reductions and their procedure: the list and one reduction
(with its ETag), the officer's draft and its changes, the pre-information letter, the
beneficiaries' observations, and the decision (confirmed or withdrawn).

Refusals: a project out of sight, or a reduction the user may not read (a draft, for the
consortium), is 404; a step the user may not take is 403 with the reason; a step the
reduction's status does not allow is 409 saying why; invalid input is 400 naming each field; a
write with an ``If-Match`` that is no longer the reduction's version is 412. None of them
writes anything. Percentages and amounts are strings with 2 decimals (amounts in EUR).
"""

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.fields import SkipField, empty
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.concurrency import (
    ETAG,
    IF_MATCH,
    PRECONDITION_FAILED,
    if_match,
    precondition_failed,
    with_etag,
)
from backend.api.errors import PathErrorsSerializer, field_check
from backend.api.fields import DayField, DecimalTextField, ListedChoiceField, TextField
from backend.api.idempotency import idempotent
from backend.api.lookups import check_permission, parsed, request_body, visible_project
from backend.api.pagination import PageNumberPagination
from backend.common.concurrency import StaleVersion
from backend.common.dates import brussels_today
from backend.payments.models import Reduction, ReductionKind
from backend.payments.permissions import can_record_reduction, can_view_payments
from backend.payments.reductions import (
    CONFIRM,
    LETTER,
    OBSERVATIONS,
    TEXT_MAX_LENGTH,
    UPDATE,
    WITHDRAW,
    check_note,
    check_observations,
    check_reason,
    reduction_confirm,
    reduction_create,
    reduction_get,
    reduction_letter_sent,
    reduction_observations,
    reduction_update,
    reduction_withdraw,
    reductions_visible,
    status_label,
    step_check,
)
from backend.payments.services import REASON_MAX_LENGTH

# -- input -------------------------------------------------------------------------------------


class OptionalDecimalField(DecimalTextField):
    """A number that may be left out (absent, null or blank: not given)."""

    def run_validation(self, data=empty):
        if data is empty or data is None or (isinstance(data, str) and not data.strip()):
            raise SkipField
        return super().run_validation(data)


def _participant(**kwargs) -> TextField:
    return TextField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=50,
        help_text="The beneficiary's short name in the project; empty or null: every beneficiary.",
        **kwargs,
    )


def _work_package(**kwargs) -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=32767,
        help_text="The work package's number; null: every work package.",
        **kwargs,
    )


def _kind(**kwargs) -> ListedChoiceField:
    return ListedChoiceField(
        choices=ReductionKind.choices,
        required=False,
        help_text="percent or amount; left out, told by which of percent and amount is given.",
        **kwargs,
    )


def _size_fields():
    percent = OptionalDecimalField(
        missing=gettext_lazy('Give the reduction as a percentage, e.g. "10.00".'),
        example="10.00",
        required=False,
        help_text="A reduction by a percentage: above 0 and at most 100, at most 2 decimals, e.g. "
        '"10.00"; the percentages of one target add up to 100 at most.',
    )
    amount = OptionalDecimalField(
        missing=gettext_lazy('Give the reduction as an amount, e.g. "5000.00".'),
        example="5000.00",
        required=False,
        help_text='A reduction by an amount in EUR: above 0, to the cent, e.g. "5000.00"; at '
        "most the target's lump-sum shares (less the amounts of one target reduced already).",
    )
    return percent, amount


class ReductionInputSerializer(serializers.Serializer):
    # A draft reduction: its target, kind, size and reason; the service holds them to the
    # rules together (the target's shares bound the amount). (A comment, not a docstring: the
    # schema would show it.)

    participant = _participant()
    work_package = _work_package()
    kind = _kind()
    percent, amount = _size_fields()
    reason = TextField(
        missing_is_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Why the grant is reduced: the breach of obligations (required).",
    )

    def validate_reason(self, value):
        return field_check(check_reason, value)


class ReductionUpdateSerializer(serializers.Serializer):
    # The fields of a draft to change; those left out stay.

    participant = _participant()
    work_package = _work_package()
    kind = _kind()
    percent, amount = _size_fields()
    reason = TextField(
        required=False,
        allow_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Why the grant is reduced.",
    )

    def validate_reason(self, value):
        return field_check(check_reason, value)


class LetterInputSerializer(serializers.Serializer):
    sent_on = DayField(
        missing=gettext_lazy("Give the date the pre-information letter was sent (YYYY-MM-DD)."),
        help_text="Not in the future, not before the reduction was recorded. The observations "
        "are due the rule set's observation days later.",
    )


class ObservationsInputSerializer(serializers.Serializer):
    received_on = DayField(
        missing=gettext_lazy("Give the date the observations were received (YYYY-MM-DD)."),
        help_text="Not in the future, not before the letter was sent.",
    )
    observations = TextField(
        missing_is_blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text="The beneficiaries' observations, or a summary of them (required).",
    )

    def validate_observations(self, value):
        return field_check(check_observations, value)


class DecisionInputSerializer(serializers.Serializer):
    decided_on = DayField(
        missing=gettext_lazy("Give the date of the decision (YYYY-MM-DD)."),
        help_text="Not in the future, not before the previous step (a confirmation without "
        "observations: after the day they were due).",
    )
    note = TextField(
        missing_is_blank=True,
        max_length=TEXT_MAX_LENGTH,
        help_text="Why the reduction is confirmed or withdrawn (required).",
    )

    def validate_note(self, value):
        return field_check(check_note, value)


# -- output ------------------------------------------------------------------------------------


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(
        max_digits=12, decimal_places=2, coerce_to_string=True, allow_null=True, **kwargs
    )


class ReductionTargetSerializer(serializers.Serializer):
    participant = serializers.CharField(
        allow_null=True, help_text="The beneficiary's short name; null: every beneficiary."
    )
    work_package = serializers.IntegerField(
        allow_null=True, help_text="The work package's number; null: every work package."
    )


class ReductionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField(
        help_text="draft, letter_sent, observations_received, confirmed or withdrawn. Only a "
        "confirmed reduction changes amounts."
    )
    status_label = serializers.CharField(help_text="The status in the request's language.")
    target = ReductionTargetSerializer(help_text="What is reduced: both null, the whole grant.")
    kind = serializers.CharField(help_text="percent or amount.")
    percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, coerce_to_string=True, allow_null=True
    )
    amount = _money(help_text="In EUR.")
    reason = serializers.CharField()
    letter_sent_on = serializers.DateField(allow_null=True)
    observations_due_on = serializers.DateField(
        allow_null=True, help_text="The rule set's observation days after the letter."
    )
    observations_received_on = serializers.DateField(allow_null=True)
    observations = serializers.CharField(allow_blank=True)
    decided_on = serializers.DateField(
        allow_null=True, help_text="The day it was confirmed or withdrawn."
    )
    decision_note = serializers.CharField(allow_blank=True)
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(allow_null=True)
    version = serializers.IntegerField(help_text="The row version (the ETag of the detail).")


def _reduction(reduction: Reduction) -> dict:
    participation, package = reduction.participation, reduction.work_package
    return {
        "id": reduction.pk,
        "status": reduction.status,
        "status_label": status_label(reduction.status),
        "target": {
            "participant": None if participation is None else participation.short_name,
            "work_package": None if package is None else package.number,
        },
        "kind": reduction.kind,
        "percent": reduction.percent,
        "amount": reduction.amount_eur,
        "reason": reduction.reason,
        "letter_sent_on": reduction.letter_sent_on,
        "observations_due_on": reduction.observations_due_on,
        "observations_received_on": reduction.observations_received_on,
        "observations": reduction.observations,
        "decided_on": reduction.decided_on,
        "decision_note": reduction.decision_note,
        "recorded_at": reduction.recorded_at,
        "recorded_by": None if reduction.recorded_by is None else reduction.recorded_by.username,
        "version": reduction.version,
    }


# -- lookups -----------------------------------------------------------------------------------


def _project(request, project_id: int):
    project = visible_project(request, project_id)
    check_permission(can_view_payments, request, project)
    return project


def _found(request, project, reduction_id: int) -> Reduction:
    reduction = reduction_get(user=request.user, project=project, reduction_id=reduction_id)
    if reduction is None:
        raise Http404
    return reduction


def _detail(request, project, reduction_id: int, *, status_code=status.HTTP_200_OK) -> Response:
    reduction = _found(request, project, reduction_id)
    data = ReductionSerializer(_reduction(reduction)).data
    return with_etag(Response(data, status=status_code), reduction.version)


def _step(request, project_id: int, reduction_id: int, step: str, take) -> Response:
    """Load the reduction (404), check the user may act (403) and that its status allows the
    step today (409), then read the input and take the step (``take(reduction, version)``: 400
    naming the fields, 412 if it changed since the If-Match); answer with the reduction."""
    project = _project(request, project_id)
    reduction = _found(request, project, reduction_id)
    check_permission(can_record_reduction, request, project)
    step_check(reduction, step, brussels_today())
    version = if_match(request)
    try:
        take(reduction, version)
    except StaleVersion as stale:
        return precondition_failed(stale)
    return _detail(request, project, reduction_id)


NOT_FOUND = OpenApiResponse(
    description="No such project or reduction, or not visible to the user (a reduction before "
    "its pre-information letter is visible to the agency's officers only)"
)
FORBIDDEN = OpenApiResponse(description="The user may not take this step (the reason is given)")
CONFLICT = OpenApiResponse(
    description="The reduction's status does not allow this step now (the detail says why)"
)
STEP_RESPONSES = {
    200: ReductionSerializer,
    400: PathErrorsSerializer,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
    412: PRECONDITION_FAILED,
}


# -- views -------------------------------------------------------------------------------------


class ReductionListApi(APIView):
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination
    invalid_detail = gettext_lazy("The reduction was not saved.")

    @extend_schema(
        operation_id="reductions_list",
        summary="A project's grant reductions, in the order they were recorded (the consortium "
        "sees them once the pre-information letter is sent)",
        responses={200: ReductionSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        reductions = reductions_visible(user=request.user, project=project)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(reductions, request, view=self)
        return paginator.get_paginated_response(
            ReductionSerializer([_reduction(r) for r in page], many=True).data
        )

    @idempotent
    @extend_schema(
        operation_id="reductions_create",
        summary="Draft a grant reduction: of a beneficiary, a work package, both or the whole "
        "grant, by a percentage or an amount, with its reason (the project's agency officers)",
        description="A draft changes no amount and is visible to the agency's officers only, "
        "until its pre-information letter is sent.",
        request=ReductionInputSerializer,
        responses={
            201: ReductionSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        examples=[
            OpenApiExample(
                "A beneficiary's share of a work package",
                request_only=True,
                value={
                    "participant": "ZILEMED",
                    "work_package": 2,
                    "kind": "amount",
                    "amount": "5000.00",
                    "reason": "The training modules of WP2 were not delivered by ZILEMED.",
                },
            )
        ],
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        check_permission(can_record_reduction, request, project)
        data = parsed(ReductionInputSerializer, request_body(request))
        reduction = reduction_create(project=project, user=request.user, **data)
        return _detail(request, project, reduction.pk, status_code=status.HTTP_201_CREATED)


class ReductionDetailApi(APIView):
    invalid_detail = gettext_lazy("The reduction was not saved.")

    @extend_schema(
        operation_id="reductions_retrieve",
        summary="One grant reduction, with its procedure",
        parameters=[ETAG],
        responses={200: ReductionSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, reduction_id: int):
        return _detail(request, _project(request, project_id), reduction_id)

    @extend_schema(
        operation_id="reductions_update",
        summary="Change a draft reduction (the project's agency officers); the fields left out "
        "stay",
        request=ReductionUpdateSerializer,
        parameters=[IF_MATCH, ETAG],
        responses=STEP_RESPONSES,
    )
    def patch(self, request, project_id: int, reduction_id: int):
        return _step(
            request,
            project_id,
            reduction_id,
            UPDATE,
            lambda reduction, version: reduction_update(
                reduction=reduction,
                user=request.user,
                changes=parsed(ReductionUpdateSerializer, request_body(request)),
                expected_version=version,
            ),
        )


class ReductionLetterApi(APIView):
    invalid_detail = gettext_lazy("The pre-information letter was not recorded.")

    @idempotent
    @extend_schema(
        operation_id="reductions_letter",
        summary="Record the pre-information letter sent to the beneficiaries (the project's "
        "agency officers); their observations are due the rule set's observation days later",
        request=LetterInputSerializer,
        parameters=[IF_MATCH],
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, reduction_id: int):
        return _step(
            request,
            project_id,
            reduction_id,
            LETTER,
            lambda reduction, version: reduction_letter_sent(
                reduction=reduction,
                user=request.user,
                **parsed(LetterInputSerializer, request_body(request)),
                expected_version=version,
            ),
        )


class ReductionObservationsApi(APIView):
    invalid_detail = gettext_lazy("The observations were not recorded.")

    @idempotent
    @extend_schema(
        operation_id="reductions_observations",
        summary="Record the beneficiaries' observations on the pre-information letter (the "
        "project's agency officers)",
        request=ObservationsInputSerializer,
        parameters=[IF_MATCH],
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, reduction_id: int):
        return _step(
            request,
            project_id,
            reduction_id,
            OBSERVATIONS,
            lambda reduction, version: reduction_observations(
                reduction=reduction,
                user=request.user,
                **parsed(ObservationsInputSerializer, request_body(request)),
                expected_version=version,
            ),
        )


class ReductionConfirmApi(APIView):
    invalid_detail = gettext_lazy("The decision on the reduction was not recorded.")

    @idempotent
    @extend_schema(
        operation_id="reductions_confirm",
        summary="Confirm a reduction (the project's agency officers): once the observations are "
        "received or their period is over; from then on it changes the amounts",
        request=DecisionInputSerializer,
        parameters=[IF_MATCH],
        responses=STEP_RESPONSES,
        examples=[
            OpenApiExample(
                "Observations still due",
                status_codes=["409"],
                response_only=True,
                value={
                    "detail": "The beneficiaries' observations are due by 2026-12-31: the "
                    "reduction can be confirmed once they are received, or from 2027-01-01."
                },
            )
        ],
    )
    def post(self, request, project_id: int, reduction_id: int):
        return _step(
            request,
            project_id,
            reduction_id,
            CONFIRM,
            lambda reduction, version: reduction_confirm(
                reduction=reduction,
                user=request.user,
                **parsed(DecisionInputSerializer, request_body(request)),
                expected_version=version,
            ),
        )


class ReductionWithdrawApi(APIView):
    invalid_detail = gettext_lazy("The decision on the reduction was not recorded.")

    @idempotent
    @extend_schema(
        operation_id="reductions_withdraw",
        summary="Withdraw a reduction not confirmed (the project's agency officers): it changes "
        "nothing",
        request=DecisionInputSerializer,
        parameters=[IF_MATCH],
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, reduction_id: int):
        return _step(
            request,
            project_id,
            reduction_id,
            WITHDRAW,
            lambda reduction, version: reduction_withdraw(
                reduction=reduction,
                user=request.user,
                **parsed(DecisionInputSerializer, request_body(request)),
                expected_version=version,
            ),
        )
