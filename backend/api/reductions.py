"""HTTP API for a project's grant reductions.

Refusals: a project out of sight is 404; a step the user may not take is 403 with the reason;
invalid input is 400 naming each field. None of them writes anything. Percentages are strings
with 2 decimals.
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer, field_check
from backend.api.fields import DecimalTextField, TextField
from backend.api.idempotency import idempotent
from backend.api.lookups import check_permission, parsed, request_body
from backend.api.pagination import PageNumberPagination
from backend.api.payments import FORBIDDEN, NOT_FOUND, _name, _percent, _project
from backend.payments.models import Reduction
from backend.payments.permissions import can_record_reduction
from backend.payments.reductions import (
    check_percent,
    check_reason,
    reduction_record,
    reductions_recorded,
)
from backend.payments.services import REASON_MAX_LENGTH


class ReductionInputSerializer(serializers.Serializer):
    # A reduction of context["project"], held to the service's own checks.

    percent = DecimalTextField(
        missing=gettext_lazy('Give the reduction as a percentage, e.g. "10.00".'),
        example="10.00",
        help_text='A percentage above 0 and at most 100, at most 2 decimals, e.g. "10.00"; a '
        "project's reductions add up to 100 at most.",
    )
    reason = TextField(
        missing_is_blank=True,
        max_length=REASON_MAX_LENGTH,
        help_text="Why the grant is reduced (required).",
    )

    def validate_percent(self, value):
        recorded = reductions_recorded(self.context["project"].pk)
        return field_check(check_percent, value, recorded)

    def validate_reason(self, value):
        return field_check(check_reason, value)


class ReductionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    percent = _percent()
    reason = serializers.CharField()
    recorded_at = serializers.DateTimeField()
    recorded_by = serializers.CharField(allow_null=True)


class ReductionListApi(APIView):
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination
    invalid_detail = gettext_lazy("The reduction was not recorded.")

    @extend_schema(
        operation_id="reductions_list",
        summary="A project's grant reductions, in the order they were recorded",
        responses={200: ReductionSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = _project(request, project_id)
        reductions = (
            Reduction.objects.filter(project_id=project.pk)
            .select_related("recorded_by")
            .order_by("recorded_at", "id")
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(reductions, request, view=self)
        return paginator.get_paginated_response(
            ReductionSerializer([_reduction(r) for r in page], many=True).data
        )

    @idempotent
    @extend_schema(
        operation_id="reductions_create",
        summary="Record a grant reduction with its reason (the project's agency officers)",
        request=ReductionInputSerializer,
        responses={
            201: ReductionSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, project_id: int):
        project = _project(request, project_id)
        check_permission(can_record_reduction, request, project)
        data = parsed(ReductionInputSerializer, request_body(request), project=project)
        reduction = reduction_record(project=project, user=request.user, **data)
        return Response(
            ReductionSerializer(_reduction(reduction)).data, status=status.HTTP_201_CREATED
        )


def _reduction(reduction: Reduction) -> dict:
    return {
        "id": reduction.pk,
        "percent": reduction.percent,
        "reason": reduction.reason,
        "recorded_at": reduction.recorded_at,
        "recorded_by": _name(reduction.recorded_by),
    }
