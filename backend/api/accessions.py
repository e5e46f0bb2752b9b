"""HTTP API for the accession of new beneficiaries and affiliated entities: thin views that look
the participation up, call a selector or a service, and render. A project out of sight, or a
participant not in it, is 404; a user who may not record is 403 with the reason; a bad date or
a missing note is 400 naming the field; an accession already settled is 409."""

from django.http import Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.amendments.accession import accession_record, non_accession_record
from backend.amendments.permissions import can_record_accession
from backend.amendments.selectors import accession_list, participation_get
from backend.api.errors import PathErrorsSerializer
from backend.api.fields import DayField, TextField
from backend.api.lookups import check_permission, parsed, request_body, visible_project
from backend.common.dates import brussels_today
from backend.grants.models import Accession

# -- input -------------------------------------------------------------------------------------


class AccessionInputSerializer(serializers.Serializer):
    acceded_on = DayField(
        missing=gettext_lazy("Give the date of the accession (YYYY-MM-DD)."),
        help_text="The day the newcomer acceded to the grant agreement (signed its accession "
        "form): not in the future, not after its participation ends.",
    )


class NonAccessionInputSerializer(serializers.Serializer):
    # Required, but the service says so ("Say why the new participant did not accede.").
    note = TextField(missing_is_blank=True, help_text="Why the newcomer did not accede.")


# -- output ------------------------------------------------------------------------------------


class AccessionSerializer(serializers.Serializer):
    participation_id = serializers.IntegerField(source="id")
    participant = serializers.CharField(source="short_name")
    pic = serializers.CharField(source="organisation.pic")
    role = serializers.CharField()
    joined_on = serializers.DateField(help_text="The day it joins, as the amendment says.")
    left_on = serializers.DateField(
        allow_null=True, help_text="Its last day; for a non-accession, the day it joins."
    )
    accession = serializers.CharField(help_text="acceded, pending or not_acceded.")
    accession_due_on = serializers.DateField(
        allow_null=True,
        help_text="The last day to accede: the approval of the amendment that added it plus "
        "the rule set's accession days.",
    )
    acceded_on = serializers.DateField(allow_null=True)
    counts_from = serializers.DateField(
        allow_null=True,
        help_text="The first day it counts toward the composition: its joining or, later, its "
        "accession; null while pending or if it never acceded.",
    )
    overdue = serializers.SerializerMethodField(
        help_text="Pending after its accession due date: flagged, and its non-accession can be "
        "recorded."
    )

    def get_overdue(self, participation) -> bool:
        return (
            participation.accession == Accession.PENDING
            and participation.accession_due_on is not None
            and self.context["today"] > participation.accession_due_on
        )


# -- views -------------------------------------------------------------------------------------


NOT_FOUND = OpenApiResponse(description="No such project or participant, or not visible")
FORBIDDEN = OpenApiResponse(description="The user may not record it (the reason is given)")
CONFLICT = OpenApiResponse(description="The accession is already recorded either way")


def _participation(project, participation_id: int):
    participation = participation_get(project=project, participation_id=participation_id)
    if participation is None:
        raise Http404
    return participation


def _answer(participation) -> Response:
    return Response(AccessionSerializer(participation, context={"today": brussels_today()}).data)


class AccessionListApi(APIView):
    @extend_schema(
        operation_id="accessions_list",
        summary="The participants added by amendment that accede to the grant agreement, with "
        "their accession (whoever sees the project)",
        responses={200: AccessionSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        data = AccessionSerializer(
            accession_list(project=project), many=True, context={"today": brussels_today()}
        ).data
        return Response(data)


class AccessionRecordApi(APIView):
    invalid_detail = gettext_lazy("The accession was not recorded.")

    @extend_schema(
        operation_id="accessions_record",
        summary="Record that a pending newcomer acceded, and when (agency officers); it counts "
        "from that day",
        request=AccessionInputSerializer,
        responses={
            200: AccessionSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, project_id: int, participation_id: int):
        project = visible_project(request, project_id)
        participation = _participation(project, participation_id)
        check_permission(can_record_accession, request, project)
        data = parsed(AccessionInputSerializer, request_body(request))
        accession_record(participation=participation, user=request.user, **data)
        return _answer(_participation(project, participation_id))


class NonAccessionRecordApi(APIView):
    invalid_detail = gettext_lazy("The non-accession was not recorded.")

    @extend_schema(
        operation_id="accessions_record_non_accession",
        summary="Record that a pending newcomer did not accede (agency officers); it never "
        "counts, and its participation closes on the day it would have joined",
        request=NonAccessionInputSerializer,
        responses={
            200: AccessionSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
    )
    def post(self, request, project_id: int, participation_id: int):
        project = visible_project(request, project_id)
        participation = _participation(project, participation_id)
        check_permission(can_record_accession, request, project)
        data = parsed(NonAccessionInputSerializer, request_body(request))
        non_accession_record(participation=participation, user=request.user, **data)
        return _answer(_participation(project, participation_id))
