"""HTTP API for flags: thin views that parse, call a selector or service, render."""

from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer
from backend.api.fields import ListedChoiceField
from backend.api.lookups import parsed
from backend.api.pagination import PageNumberPagination
from backend.grants.eligibility.messages import explanation_languages
from monitoring.flags import NOTE_MAX_LENGTH, flag_acknowledge, flag_resolve
from monitoring.models import FlagKind, FlagStatus, Resolution, Severity
from monitoring.permissions import can_triage_flag
from monitoring.selectors import STATUS_FILTERS, flag_get, flag_list

# -- input -------------------------------------------------------------------------------------


class FlagListFilterSerializer(serializers.Serializer):
    project = serializers.IntegerField(required=False, help_text="A project's id.")
    kind = ListedChoiceField(choices=FlagKind.choices, required=False)
    severity = ListedChoiceField(choices=Severity.choices, required=False)
    status = ListedChoiceField(
        choices=[(value, value) for value in STATUS_FILTERS],
        default=FlagStatus.OPEN,
        help_text="open (the default), resolved or all.",
    )


class FlagAcknowledgeInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, default=""
    )


class FlagResolveInputSerializer(serializers.Serializer):
    note = serializers.CharField(
        max_length=NOTE_MAX_LENGTH, help_text="Why the flag is resolved (required)."
    )


# -- output ------------------------------------------------------------------------------------


class FlagProjectSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    acronym = serializers.CharField()
    grant_agreement_number = serializers.CharField()


class FlagSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    project = FlagProjectSerializer()
    kind = serializers.ChoiceField(choices=FlagKind.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    fingerprint = serializers.CharField()
    message = serializers.SerializerMethodField(
        help_text="The explanation in the request's language (English if it has none in it)."
    )
    explanation = serializers.SerializerMethodField(
        help_text='{"en": "...", "lv": "...", "details": {...}}: the check\'s message in each '
        "language, rendered when shown, and its details as the check wrote them."
    )
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=["open", "resolved"])
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution = serializers.SerializerMethodField()
    resolution_note = serializers.CharField()
    resolved_by = serializers.CharField(source="resolved_by.username", allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    acknowledged_by = serializers.CharField(source="acknowledged_by.username", allow_null=True)
    acknowledgement_note = serializers.CharField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_message(self, flag) -> str:
        return flag.message(translation.get_language() or "en")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_explanation(self, flag) -> dict:
        return explanation_languages(flag.explanation)

    @extend_schema_field(serializers.ChoiceField(choices=Resolution.choices, allow_null=True))
    def get_resolution(self, flag) -> str | None:
        return flag.resolution or None


_NOT_FOUND = OpenApiResponse(description="No such flag, or of a project the user cannot see")
_FORBIDDEN = OpenApiResponse(description="The user may see the flag but not triage it")
_ALREADY_RESOLVED = OpenApiResponse(description="The flag is already resolved")


# -- views -------------------------------------------------------------------------------------


class FlagListApi(APIView):
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination
    invalid_detail = gettext_lazy("The filters are not valid.")

    @extend_schema(
        operation_id="flags_list",
        summary="Flags of the projects the user can see, most severe first",
        parameters=[FlagListFilterSerializer],
        responses={
            200: FlagSerializer(many=True),
            400: OpenApiResponse(PathErrorsSerializer, description="Bad filter"),
        },
        examples=[
            OpenApiExample(
                "Bad filter",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "The filters are not valid.",
                    "errors": [
                        {
                            "path": "status",
                            "message": '"closed" is not allowed; use one of: open, resolved, all.',
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request):
        data = parsed(FlagListFilterSerializer, request.query_params)
        flags = flag_list(
            user=request.user,
            project_id=data.get("project"),
            kind=data.get("kind"),
            severity=data.get("severity"),
            status=data["status"],
        )
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(flags, request, view=self)
        return paginator.get_paginated_response(FlagSerializer(page, many=True).data)


class FlagDetailApi(APIView):
    @extend_schema(
        operation_id="flags_retrieve",
        summary="One flag",
        responses={200: FlagSerializer, 404: _NOT_FOUND},
    )
    def get(self, request, flag_id: int):
        flag = flag_get(user=request.user, flag_id=flag_id)
        if flag is None:
            raise Http404
        return Response(FlagSerializer(flag).data)


class FlagAcknowledgeApi(APIView):
    @extend_schema(
        operation_id="flags_acknowledge",
        summary="Acknowledge a flag (the project's agency officers and administrators)",
        description="Acknowledging again replaces the note and the time.",
        request=FlagAcknowledgeInputSerializer,
        responses={
            200: FlagSerializer,
            400: OpenApiResponse(PathErrorsSerializer, description="Bad input"),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _ALREADY_RESOLVED,
        },
    )
    def post(self, request, flag_id: int):
        flag = _flag_to_triage(request, flag_id)
        data = parsed(FlagAcknowledgeInputSerializer, request.data)
        return _triage(flag_acknowledge, flag=flag, user=request.user, note=data["note"])


class FlagResolveApi(APIView):
    @extend_schema(
        operation_id="flags_resolve",
        summary="Resolve a flag with a note (the project's agency officers and administrators)",
        description="While the finding lasts, the checks do not raise it again; once they have "
        "seen it gone, its return raises a new flag.",
        request=FlagResolveInputSerializer,
        responses={
            200: FlagSerializer,
            400: OpenApiResponse(PathErrorsSerializer, description="Bad input"),
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _ALREADY_RESOLVED,
        },
    )
    def post(self, request, flag_id: int):
        flag = _flag_to_triage(request, flag_id)
        data = parsed(FlagResolveInputSerializer, request.data)
        return _triage(flag_resolve, flag=flag, user=request.user, note=data["note"])


def _flag_to_triage(request, flag_id: int):
    """The flag, once the user may triage it: 404 if they cannot see it, 403 with the reason
    if they may only look (before the input is read, so that its errors are not shown to
    someone who may not act anyway)."""
    flag = flag_get(user=request.user, flag_id=flag_id)
    if flag is None:
        raise Http404
    allowed, reason = can_triage_flag(request.user, flag)
    if not allowed:
        raise PermissionDenied(reason)
    return flag


def _triage(service, **arguments) -> Response:
    """Run a triage service and render the flag; its refusals are answered by the API's
    handler: PermissionDenied (raised if the user lost the right meanwhile) a 403 with its
    reason, a flag already resolved (FlagAlreadyResolved, a Conflict) a 409, a note refused
    (InvalidInput) a 400 naming it."""
    flag = service(**arguments)
    return Response(FlagSerializer(flag).data)
