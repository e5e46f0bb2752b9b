"""HTTP API for organisations' own data over time and for a project's third parties.

An organisation's change of seat, types or legal name is recorded as an update from a date on
(administrators and the organisation's own contacts); its history reads as periods. A project's
subcontractors and recipients of financial support are listed for everyone who sees the project
and recorded by its managers, its agency officers and administrators.

Refusals: an organisation or project out of sight is 404; a step the user may not take is 403
with the reason; invalid input is 400 naming each field, and writes nothing.
"""

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer
from backend.api.fields import DayField, ListedChoiceField, TextField
from backend.api.lookups import check_permission, parsed, request_body, visible_project
from backend.grants.models import OrganisationUpdate, OrgType, ThirdParty, ThirdPartyKind
from backend.grants.organisations import (
    DESCRIPTION_MAX_LENGTH,
    LEGAL_NAME_MAX_LENGTH,
    SOURCE_MAX_LENGTH,
    can_add_third_party,
    can_update_organisation,
    organisation_by_pic,
    organisation_periods,
    organisation_update,
    organisation_updates,
    project_third_parties,
    third_party_add,
)

# -- input -------------------------------------------------------------------------------------


class OrganisationUpdateInputSerializer(serializers.Serializer):
    # What changes from a date on: any of country, types and legal name (at least one); the
    # values left out stay. (A comment, not a docstring: the schema would show it.)

    effective_on = DayField(
        missing=gettext_lazy("Give the first day of the new values (YYYY-MM-DD)."),
        help_text="The first day of the new values.",
    )
    country = TextField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=2,
        help_text="The new country of the seat (ISO 3166-1 alpha-2); left out: unchanged.",
    )
    types = serializers.ListField(
        child=ListedChoiceField(choices=OrgType.choices),
        required=False,
        allow_null=True,
        allow_empty=True,
        help_text="The new types, all of them; left out: unchanged.",
    )
    legal_name = TextField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=LEGAL_NAME_MAX_LENGTH,
        help_text="The new legal name; left out: unchanged.",
    )
    source = TextField(
        missing_is_blank=True,
        max_length=SOURCE_MAX_LENGTH,
        help_text="Where the change comes from, e.g. the participant register's validation "
        "(required).",
    )


class ThirdPartyInputSerializer(serializers.Serializer):
    pic = TextField(
        missing_is_blank=True,
        max_length=9,
        help_text="The organisation's PIC; the system must know it.",
    )
    kind = ListedChoiceField(choices=ThirdPartyKind.choices, help_text="The kind of third party.")
    started_on = DayField(
        missing=gettext_lazy("Give the first day (YYYY-MM-DD)."),
        help_text="Within the project's life.",
    )
    ended_on = serializers.DateField(
        required=False,
        allow_null=True,
        input_formats=["iso-8601"],
        help_text="The last day; left out: still going.",
    )
    description = TextField(
        required=False, allow_blank=True, max_length=DESCRIPTION_MAX_LENGTH, default=""
    )


# -- output ------------------------------------------------------------------------------------


class OrganisationPeriodSerializer(serializers.Serializer):
    valid_from = serializers.DateField(
        allow_null=True, help_text="null: since before any recorded update."
    )
    valid_to = serializers.DateField(allow_null=True, help_text="Inclusive; null: still valid.")
    country = serializers.CharField()
    types = serializers.ListField(child=serializers.CharField())
    legal_name = serializers.CharField()
    source = serializers.CharField(
        allow_blank=True, help_text="The update that started the period."
    )


class OrganisationUpdateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    effective_on = serializers.DateField(help_text="The first day of the new values.")
    previous_country = serializers.CharField(allow_null=True, source="previous_country_id")
    country = serializers.CharField(allow_null=True, source="country_id")
    previous_types = serializers.ListField(child=serializers.CharField(), allow_null=True)
    types = serializers.ListField(child=serializers.CharField(), allow_null=True)
    previous_legal_name = serializers.CharField(allow_blank=True)
    legal_name = serializers.CharField(allow_blank=True)
    source = serializers.CharField()
    recorded_by = serializers.CharField(allow_null=True, source="recorded_by.username")
    recorded_at = serializers.DateTimeField()


class OrganisationHistorySerializer(serializers.Serializer):
    pic = serializers.CharField()
    legal_name = serializers.CharField(help_text="The newest legal name.")
    short_name = serializers.CharField()
    country = serializers.CharField(source="country_id", help_text="The newest country.")
    types = serializers.ListField(child=serializers.CharField(), help_text="The newest types.")
    history = OrganisationPeriodSerializer(many=True, help_text="Oldest first.")
    updates = OrganisationUpdateSerializer(many=True, help_text="In date order.")


class ThirdPartySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pic = serializers.CharField(source="organisation.pic")
    legal_name = serializers.CharField(source="organisation.legal_name")
    kind = serializers.CharField()
    started_on = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True)
    description = serializers.CharField(allow_blank=True)


def _history(organisation) -> dict:
    updates = organisation_updates(organisation)
    return {
        "pic": organisation.pic,
        "legal_name": organisation.legal_name,
        "short_name": organisation.short_name,
        "country_id": organisation.country_id,
        "types": organisation.types,
        "history": [vars(period) for period in organisation_periods(organisation, updates)],
        "updates": updates,
    }


def _update_data(update: OrganisationUpdate) -> dict:
    return OrganisationUpdateSerializer(update).data


NOT_FOUND = OpenApiResponse(description="No such organisation, or not visible to the user")
FORBIDDEN = OpenApiResponse(description="The user may not take this step (the reason is given)")
PROJECT_NOT_FOUND = OpenApiResponse(description="No such project, or not visible to the user")


def _organisation(request, pic: str):
    organisation = organisation_by_pic(user=request.user, pic=pic)
    if organisation is None:
        raise Http404
    return organisation


# -- views -------------------------------------------------------------------------------------


class OrganisationDetailApi(APIView):
    @extend_schema(
        operation_id="organisations_retrieve",
        summary="An organisation's newest values and its dated history, as periods",
        responses={200: OrganisationHistorySerializer, 404: NOT_FOUND},
    )
    def get(self, request, pic: str):
        organisation = _organisation(request, pic)
        return Response(OrganisationHistorySerializer(_history(organisation)).data)


class OrganisationUpdatesApi(APIView):
    invalid_detail = gettext_lazy("The organisation was not updated.")

    @extend_schema(
        operation_id="organisations_updates_list",
        summary="The updates of an organisation's own data, in date order",
        responses={200: OrganisationUpdateSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, pic: str):
        organisation = _organisation(request, pic)
        return Response(
            OrganisationUpdateSerializer(organisation_updates(organisation), many=True).data
        )

    @extend_schema(
        operation_id="organisations_updates_create",
        summary="Record a change of an organisation's seat, types or legal name from a date on "
        "(administrators and the organisation's own contacts); every project it takes part in "
        "is checked again",
        request=OrganisationUpdateInputSerializer,
        responses={
            201: OrganisationUpdateSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
        examples=[
            OpenApiExample(
                "A move of the seat",
                request_only=True,
                value={
                    "effective_on": "2026-09-01",
                    "country": "EE",
                    "source": "Participant register, validated 2026-08-20",
                },
            )
        ],
    )
    def post(self, request, pic: str):
        organisation = _organisation(request, pic)
        allowed, reason = can_update_organisation(request.user, organisation)
        if not allowed:
            raise PermissionDenied(reason)
        data = parsed(OrganisationUpdateInputSerializer, request_body(request))
        update = organisation_update(
            organisation=organisation,
            user=request.user,
            effective_on=data["effective_on"],
            country=data.get("country") or None,
            types=data.get("types"),
            legal_name=data.get("legal_name") or None,
            source=data["source"],
        )
        update = OrganisationUpdate.objects.select_related("recorded_by").get(pk=update.pk)
        return Response(_update_data(update), status=status.HTTP_201_CREATED)


class ThirdPartyListApi(APIView):
    invalid_detail = gettext_lazy("The third party was not recorded.")

    @extend_schema(
        operation_id="third_parties_list",
        summary="A project's subcontractors and recipients of financial support",
        responses={200: ThirdPartySerializer(many=True), 404: PROJECT_NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        return Response(ThirdPartySerializer(project_third_parties(project), many=True).data)

    @extend_schema(
        operation_id="third_parties_create",
        summary="Record a subcontractor or a recipient of financial support (the project's "
        "managers, its agency officers and administrators); the project is checked again",
        request=ThirdPartyInputSerializer,
        responses={
            201: ThirdPartySerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: PROJECT_NOT_FOUND,
        },
    )
    def post(self, request, project_id: int):
        project = visible_project(request, project_id)
        check_permission(can_add_third_party, request, project)
        data = parsed(ThirdPartyInputSerializer, request_body(request))
        third_party = third_party_add(project=project, user=request.user, **data)
        third_party = ThirdParty.objects.select_related("organisation").get(pk=third_party.pk)
        return Response(ThirdPartySerializer(third_party).data, status=status.HTTP_201_CREATED)
