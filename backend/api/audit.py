"""HTTP API for the audit trail: a project's activity feed. Read only: no endpoint changes or
deletes an event."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from backend.accounts.permissions import project_access
from backend.api.errors import PathErrorsSerializer
from backend.api.lookups import parsed, visible_project
from backend.api.pagination import PageNumberPagination
from backend.audit.models import Event
from backend.audit.selectors import project_activity

# -- input -------------------------------------------------------------------------------------


class ActivityFilterSerializer(serializers.Serializer):
    verb = serializers.CharField(
        required=False,
        max_length=Event._meta.get_field("verb").max_length,
        help_text="An exact verb (deliverable.submitted), or a prefix ending with a dot "
        "(deliverable.) for every verb that starts with it.",
    )
    object_type = serializers.CharField(
        required=False,
        max_length=Event._meta.get_field("object_type").max_length,
        help_text="The kind of object changed, e.g. deliverable, amendmentrequest, flag.",
    )
    actor = serializers.CharField(
        required=False,
        max_length=Event._meta.get_field("actor_name").max_length,
        help_text="The user name of who did it.",
    )
    since = serializers.DateField(
        required=False,
        input_formats=["iso-8601"],
        help_text="The first day (YYYY-MM-DD, Brussels time), included.",
    )
    until = serializers.DateField(
        required=False,
        input_formats=["iso-8601"],
        help_text="The last day (YYYY-MM-DD, Brussels time), included.",
    )

    def validate(self, data):
        since, until = data.get("since"), data.get("until")
        if since is not None and until is not None and until < since:
            raise serializers.ValidationError(
                {
                    "until": _("The last day %(until)s is before the first day %(since)s.")
                    % {"until": until.isoformat(), "since": since.isoformat()}
                }
            )
        return data


# -- output ------------------------------------------------------------------------------------


class EventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(
        source="actor_name",
        help_text="The user name of who did it, as it was then; empty for the system (a "
        "watcher, an import from the command line).",
    )
    verb = serializers.CharField(help_text="What happened, e.g. deliverable.submitted.")
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    object = serializers.CharField(source="object_repr", help_text="The object, as it read then.")
    before = serializers.JSONField(allow_null=True, help_text="The fields changed, before.")
    after = serializers.JSONField(allow_null=True, help_text="The fields changed, after.")
    note = serializers.CharField(help_text="The note, justification or reason given.")


# -- views -------------------------------------------------------------------------------------


class ProjectActivityApi(APIView):
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination
    invalid_detail = gettext_lazy("The filters are not valid.")

    @extend_schema(
        operation_id="projects_activity",
        summary="A project's audit trail, newest first (whoever can see the project)",
        description="Every change of the project's record, who made it and when, with the state "
        "before and after. Events are never changed or deleted: this feed is read only. An "
        "event about a draft is shown only to those who may read the draft: a contribution's "
        "to its organisation and the managers, an amendment request's to the managers, a "
        "deliverable's files to the consortium.",
        parameters=[ActivityFilterSerializer],
        responses={
            200: EventSerializer(many=True),
            400: OpenApiResponse(PathErrorsSerializer, description="A malformed filter (named)"),
            404: OpenApiResponse(description="No such project, or not visible to the user"),
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
                            "path": "since",
                            "message": "Date has wrong format. Use one of these formats "
                            "instead: YYYY-MM-DD.",
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        filters = parsed(ActivityFilterSerializer, request.query_params)
        access = project_access(request.user, project.pk)
        events = project_activity(project=project, access=access, **filters)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(events, request, view=self)
        return paginator.get_paginated_response(EventSerializer(page, many=True).data)
