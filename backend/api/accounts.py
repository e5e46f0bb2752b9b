"""HTTP API for users: the signed-in user's own settings and roles, and a project's contacts."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import MAX_REMINDER_DAYS
from backend.accounts.selectors import project_contacts, user_with_roles
from backend.accounts.services import SETTINGS_FIELDS, user_settings_update
from backend.api.errors import PathErrorsSerializer
from backend.api.lookups import visible_project
from backend.api.pagination import PageNumberPagination
from backend.common.errors import InvalidInput, PathError

# -- input -------------------------------------------------------------------------------------


class SettingsInputSerializer(serializers.Serializer):
    """Describes the body for the schema; the service checks it and names each bad field."""

    language = serializers.ChoiceField(
        choices=["en", "lv"],
        required=False,
        help_text="The language of the e-mails you receive. Left as it is when not given.",
    )
    reminder_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_REMINDER_DAYS),
        max_length=5,
        required=False,
        help_text="How many days before a due date reminders are e-mailed (0 = on the day): at "
        "most 5 numbers from 0 to 90, each once. Left as it is when not given.",
    )


# -- output ------------------------------------------------------------------------------------


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    short_name = serializers.CharField()


class MyRoleSerializer(serializers.Serializer):
    project_id = serializers.IntegerField()
    acronym = serializers.CharField(source="project.acronym")
    role = serializers.CharField(help_text="officer, manager or partner_contact.")
    acting_for = serializers.CharField(
        source="participation.short_name",
        allow_null=True,
        help_text="The participant the role acts for (null for an officer).",
    )


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")
    email = serializers.EmailField(allow_blank=True)
    organisation = OrganisationRefSerializer(
        allow_null=True, help_text="The organisation you work for (null for agency staff)."
    )
    is_agency_officer = serializers.BooleanField()
    language = serializers.CharField(help_text="en or lv: the language of your e-mails.")
    reminder_days = serializers.ListField(child=serializers.IntegerField())
    roles = MyRoleSerializer(many=True, source="project_roles.all")


class ContactSerializer(serializers.Serializer):
    name = serializers.CharField(source="user.get_full_name")
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email", allow_blank=True)
    role = serializers.CharField(help_text="officer, manager or partner_contact.")
    acting_for = serializers.CharField(
        source="participation.short_name",
        allow_null=True,
        help_text="The participant the role acts for (null for an officer).",
    )
    is_primary = serializers.BooleanField()


# -- views -------------------------------------------------------------------------------------


def _settings_input(request) -> dict:
    """The settings the body gives; other keys (the read-only fields of GET) are ignored."""
    if not isinstance(request.data, dict):
        raise InvalidInput(
            [PathError("", _("Send a JSON object."))], _("Your settings were not saved.")
        )
    return {name: request.data[name] for name in SETTINGS_FIELDS if name in request.data}


class MeApi(APIView):
    @extend_schema(
        operation_id="me_retrieve",
        summary="Who you are: your account, your settings and your roles on projects",
        responses={200: MeSerializer, 401: OpenApiResponse(description="Not signed in")},
    )
    def get(self, request):
        return Response(MeSerializer(user_with_roles(request.user)).data)

    @extend_schema(
        operation_id="me_update",
        summary="Change your language and reminder days (the only settings you change yourself)",
        description="Only the fields given change; the other fields of the answer are read only "
        "and ignored in the body. A change is recorded in the audit trail.",
        request=SettingsInputSerializer,
        responses={
            200: MeSerializer,
            400: PathErrorsSerializer,
            401: OpenApiResponse(description="Not signed in"),
        },
        examples=[
            OpenApiExample(
                "Bad reminder days",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "Your settings were not saved.",
                    "errors": [
                        {"path": "reminder_days", "message": "Give each number of days once."}
                    ],
                },
            )
        ],
    )
    def put(self, request):
        user_settings_update(user=request.user, **_settings_input(request))
        return Response(MeSerializer(user_with_roles(request.user)).data)


class ProjectContactsApi(APIView):
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="projects_contacts",
        summary="Who holds a role on the project (whoever can see the project)",
        responses={
            200: ContactSerializer(many=True),
            404: OpenApiResponse(description="No such project, or not visible to the user"),
        },
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(project_contacts(project), request, view=self)
        return paginator.get_paginated_response(ContactSerializer(page, many=True).data)
