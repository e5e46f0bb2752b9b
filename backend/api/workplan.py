"""HTTP API for continuous reporting: a project's deliverables (their files, submission, the
officer's decisions and due-date revisions) and milestones. Thin views that parse, call one
selector or service, and render. Refusals: a project out of sight, or an id of another
project, is 404; a step the user may not take is 403 with the reason; invalid input is 400
naming each field; a step out of order is 409. None of them writes anything."""

from django.http import FileResponse, Http404
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import NOBODY, project_access
from backend.api.errors import PathErrorsSerializer
from backend.api.fields import ListedChoiceField
from backend.api.idempotency import idempotent
from backend.api.lookups import check_permission, parsed, request_body, visible_project
from backend.api.pagination import PageNumberPagination
from backend.api.parsers import FormParser, JSONParser, MultiPartParser
from backend.common.dates import brussels_today
from backend.workplan.evidence import CONTENT_TYPES, request_size_check
from backend.workplan.models import ClusterCode, DeliverableStatus, DeliverableType, Dissemination
from backend.workplan.permissions import (
    can_accept,
    can_download_evidence,
    can_manage_evidence,
    can_record_achievement,
    can_request_revision,
    can_revise_due_date,
    can_submit,
)
from backend.workplan.rules import deliverable_is_overdue, milestone_is_overdue
from backend.workplan.selectors import (
    current_file_readable,
    deliverable_evidence_history,
    deliverable_get,
    deliverable_list,
    evidence_get,
    milestone_get,
    milestone_list,
)
from backend.workplan.services import (
    deliverable_accept,
    deliverable_due_date_revise,
    deliverable_evidence_delete,
    deliverable_evidence_upload,
    deliverable_request_revision,
    deliverable_submit,
    milestone_achieve,
)

# -- input -------------------------------------------------------------------------------------


class DeliverableListFilterSerializer(serializers.Serializer):
    status = ListedChoiceField(choices=DeliverableStatus.choices, required=False)
    work_package = serializers.IntegerField(
        required=False, min_value=1, help_text="A work package's number."
    )
    cluster = ListedChoiceField(
        choices=ClusterCode.choices,
        required=False,
        help_text="An activity cluster's code: deliverables of the work packages in it.",
    )
    lead = serializers.CharField(required=False, help_text="The lead participant's short name.")
    overdue = serializers.BooleanField(
        required=False,
        help_text="true: past the due date and not submitted, as of today in Brussels; false: "
        "the others.",
    )
    due_before = serializers.DateField(
        required=False, help_text="Due on this day or earlier (YYYY-MM-DD)."
    )
    due_after = serializers.DateField(
        required=False, help_text="Due on this day or later (YYYY-MM-DD)."
    )


class MilestoneListFilterSerializer(serializers.Serializer):
    achieved = serializers.BooleanField(required=False)
    overdue = serializers.BooleanField(
        required=False,
        help_text="true: its due month has ended and it is not achieved, as of today in "
        "Brussels; false: the others.",
    )
    work_package = serializers.IntegerField(
        required=False, min_value=1, help_text="A work package's number."
    )


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="One file: doc, docx, odt, rtf, pdf, csv or zip (several files go into one "
        "zip); its content must match its extension."
    )


class RequestRevisionInputSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text="What has to be revised (required)."
    )


class DueDateInputSerializer(serializers.Serializer):
    due_on = serializers.DateField(help_text="The new due date, after today (YYYY-MM-DD).")
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class AchieveInputSerializer(serializers.Serializer):
    achieved_on = serializers.DateField(
        help_text="The day it was achieved (YYYY-MM-DD): not in the future, not before the "
        "project's start."
    )
    verification = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="How the means of verification show the milestone achieved (required).",
    )


def _query(request) -> dict:
    # A plain dict: an absent boolean stays absent (a QueryDict would make it false).
    return request.query_params.dict()


# -- output ------------------------------------------------------------------------------------


# Described by a pattern, not an enum: other components have a "status" enum of their own, and
# the schema's enum names collide without an entry in SPECTACULAR_SETTINGS' ENUM_NAME_OVERRIDES.
@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(" + "|".join(DeliverableStatus.values) + ")$",
        "description": "One of: " + ", ".join(DeliverableStatus.values) + ".",
    }
)
class DeliverableStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DeliverableStatus.choices, **kwargs)


class EvidenceFileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The uploaded file's name (made safe).")
    size = serializers.IntegerField(help_text="Bytes.")
    content_type = serializers.CharField(help_text="As found from the content.")
    sha256 = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class EvidenceHistorySerializer(EvidenceFileSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", allow_null=True)
    current = serializers.BooleanField(
        help_text="false: a file submitted and sent back for revision, kept as history."
    )


class DeliverableItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    work_package = serializers.IntegerField(source="work_package.number")
    clusters = serializers.SerializerMethodField()
    lead = serializers.CharField(source="lead.short_name")
    type = serializers.ChoiceField(choices=DeliverableType.choices)
    dissemination = serializers.ChoiceField(choices=Dissemination.choices)
    due_month = serializers.IntegerField()
    planned_due_on = serializers.DateField(help_text="The end of the due month.")
    due_on = serializers.DateField(help_text="The due date in force (possibly revised).")
    status = DeliverableStatusField()
    overdue = serializers.SerializerMethodField(
        help_text="Past due_on and not submitted, as of today in Brussels."
    )
    delivered_on = serializers.DateField(allow_null=True)
    approved_on = serializers.DateField(allow_null=True)
    revision_reason = serializers.CharField(
        help_text="The officer's reason for the last revision request."
    )
    evidence = serializers.SerializerMethodField(
        help_text="The current file; null while there is none, or for the agency's officers "
        "while the deliverable is a draft."
    )

    def get_clusters(self, deliverable) -> list[str]:
        return [cluster.code for cluster in deliverable.work_package.clusters.all()]

    def get_overdue(self, deliverable) -> bool:
        return deliverable_is_overdue(deliverable.status, deliverable.due_on, self.context["today"])

    @extend_schema_field(EvidenceFileSerializer(allow_null=True))
    def get_evidence(self, deliverable) -> dict | None:
        # The current file as the user may read it: a draft's file is the consortium's own.
        evidence = current_file_readable(
            access=self.context.get("access", NOBODY), deliverable=deliverable
        )
        return None if evidence is None else EvidenceFileSerializer(evidence).data


class DueDateRevisionSerializer(serializers.Serializer):
    previous_on = serializers.DateField()
    new_on = serializers.DateField()
    reason = serializers.CharField()
    revised_at = serializers.DateTimeField()
    revised_by = serializers.CharField(source="revised_by.username", allow_null=True)


class DeliverableDetailSerializer(DeliverableItemSerializer):
    submitted_at = serializers.DateTimeField(allow_null=True)
    submitted_by = serializers.CharField(source="submitted_by.username", allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", allow_null=True)
    due_date_revisions = DueDateRevisionSerializer(many=True, source="due_date_revisions.all")
    evidence_history = EvidenceHistorySerializer(
        many=True,
        help_text="The files the user may download, newest first: the current one and those "
        "sent back for revision.",
    )


class MilestoneItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    work_packages = serializers.SerializerMethodField()
    lead = serializers.CharField(source="lead.short_name")
    due_month = serializers.IntegerField()
    due_date = serializers.DateField(help_text="The end of the due month.")
    verification = serializers.CharField(help_text="The means of verification planned.")
    achieved = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField(
        help_text="Its due month has ended and it is not achieved, as of today in Brussels."
    )
    achieved_on = serializers.DateField(allow_null=True)
    achievement_evidence = serializers.CharField(
        help_text="How the means of verification show it achieved."
    )
    achieved_recorded_at = serializers.DateTimeField(allow_null=True)
    achieved_recorded_by = serializers.CharField(
        source="achieved_recorded_by.username", allow_null=True
    )

    def get_work_packages(self, milestone) -> list[int]:
        return [work_package.number for work_package in milestone.work_packages.all()]

    def get_achieved(self, milestone) -> bool:
        return milestone.achieved_on is not None

    def get_overdue(self, milestone) -> bool:
        return milestone_is_overdue(
            milestone.achieved_on, milestone.due_date, self.context["today"]
        )


NOT_FOUND = OpenApiResponse(
    description="No such project, deliverable, milestone or file, or not visible to the user"
)
FORBIDDEN = OpenApiResponse(description="The user may not take this step (the reason is given)")
CONFLICT = OpenApiResponse(description="The status does not allow this step (the reason is given)")
CONFLICT_EXAMPLE = OpenApiExample(
    "Out of order",
    status_codes=["409"],
    response_only=True,
    value={"detail": 'Only a draft can be submitted; this deliverable is "Pending".'},
)
BAD_FILTER_EXAMPLE = OpenApiExample(
    "Bad filter",
    status_codes=["400"],
    response_only=True,
    value={
        "detail": "The filters are not valid.",
        "errors": [{"path": "due_before", "message": "Date has wrong format."}],
    },
)
BAD_FILE_EXAMPLE = OpenApiExample(
    "Disguised file",
    status_codes=["400"],
    response_only=True,
    value={
        "detail": "The file was not stored.",
        "errors": [
            {
                "path": "file",
                "message": 'The content of "report.pdf" (image/png) is not that of a .pdf file; '
                "upload a real file of one of these types: doc, docx, odt, rtf, pdf, csv, zip.",
            }
        ],
    },
)
STEP_RESPONSES = {
    200: DeliverableDetailSerializer,
    400: PathErrorsSerializer,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
}


# -- helpers -----------------------------------------------------------------------------------


def _deliverable(request, project_id: int, deliverable_id: int):
    deliverable = deliverable_get(
        project=visible_project(request, project_id), deliverable_id=deliverable_id
    )
    if deliverable is None:
        raise Http404
    return deliverable


def _milestone(request, project_id: int, milestone_id: int):
    milestone = milestone_get(
        project=visible_project(request, project_id), milestone_id=milestone_id
    )
    if milestone is None:
        raise Http404
    return milestone


def _detail(request, project_id: int, deliverable_id: int, status_code=status.HTTP_200_OK):
    deliverable = _deliverable(request, project_id, deliverable_id)
    deliverable.evidence_history = deliverable_evidence_history(
        user=request.user, deliverable=deliverable
    )
    context = {
        "today": brussels_today(),
        "access": project_access(request.user, deliverable.project_id),
    }
    data = DeliverableDetailSerializer(deliverable, context=context).data
    return Response(data, status=status_code)


def _milestone_detail(milestone) -> Response:
    return Response(MilestoneItemSerializer(milestone, context={"today": brussels_today()}).data)


def _download(request, evidence) -> FileResponse:
    check_permission(can_download_evidence, request, evidence)
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class AnyAcceptNegotiation(DefaultContentNegotiation):
    """A download answers with the file whatever the client accepts (errors in JSON)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type


FILE_RESPONSE = OpenApiResponse(
    response=OpenApiTypes.BINARY,
    description="The file, as an attachment under its uploaded name, with the content type "
    "found at upload: that of its extension, or a variant of it that libmagic names (a .doc may "
    "be application/vnd.ms-word, an .rtf text/rtf).",
)
# The media types a download may have: those of the accepted extensions, then any other.
_FILE_MEDIA_TYPES = (*dict.fromkeys(CONTENT_TYPES.values()), "*/*")
FILE_RESPONSES = {(200, media_type): FILE_RESPONSE for media_type in _FILE_MEDIA_TYPES}


# -- deliverables ------------------------------------------------------------------------------


class DeliverableListApi(APIView):
    invalid_detail = gettext_lazy("The filters are not valid.")
    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="deliverables_list",
        summary="A project's deliverables in the work plan's order, filterable",
        parameters=[DeliverableListFilterSerializer],
        responses={
            200: DeliverableItemSerializer(many=True),
            400: PathErrorsSerializer,
            404: NOT_FOUND,
        },
        examples=[BAD_FILTER_EXAMPLE],
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        filters = parsed(DeliverableListFilterSerializer, _query(request))
        today = brussels_today()
        deliverables = deliverable_list(project=project, today=today, **filters)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(deliverables, request, view=self)
        context = {"today": today, "access": project_access(request.user, project.pk)}
        data = DeliverableItemSerializer(page, many=True, context=context).data
        return paginator.get_paginated_response(data)


class DeliverableDetailApi(APIView):
    @extend_schema(
        operation_id="deliverables_retrieve",
        summary="A deliverable with its due-date revisions and the files the user may download",
        responses={200: DeliverableDetailSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, deliverable_id: int):
        return _detail(request, project_id, deliverable_id)


class DeliverableEvidenceApi(APIView):
    parser_classes = [MultiPartParser, FormParser]
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="deliverables_evidence_download",
        summary="Download the deliverable's current file",
        description="The project's managers and partner contacts in any status; its agency "
        "officers once the deliverable is submitted or accepted; administrators.",
        responses={
            **FILE_RESPONSES,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, project_id: int, deliverable_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        evidence = evidence_get(deliverable=deliverable)
        if evidence is None:
            raise Http404
        return _download(request, evidence)

    @idempotent
    @extend_schema(
        operation_id="deliverables_evidence_upload",
        summary="Upload (or replace) the file of a pending or draft deliverable; it becomes a "
        "draft",
        description="The project's managers, the contacts of the deliverable's lead partner and "
        "administrators. One file: doc, docx, odt, rtf, pdf, csv or zip, its content matching "
        "its extension, at most GRANTWATCH_EVIDENCE_MAX_BYTES. A draft's previous file is "
        "removed.",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={
            201: DeliverableDetailSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
        },
        examples=[BAD_FILE_EXAMPLE],
    )
    def post(self, request, project_id: int, deliverable_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        check_permission(can_manage_evidence, request, deliverable)
        request_size_check(request.META.get("CONTENT_LENGTH"))
        deliverable_evidence_upload(
            deliverable=deliverable, user=request.user, upload=request.FILES.get("file")
        )
        return _detail(request, project_id, deliverable_id, status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="deliverables_evidence_delete",
        summary="Delete a draft's file; the deliverable is pending again",
        description="The project's managers, the contacts of the deliverable's lead partner and "
        "administrators.",
        responses={200: DeliverableDetailSerializer, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT},
    )
    def delete(self, request, project_id: int, deliverable_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        check_permission(can_manage_evidence, request, deliverable)
        deliverable_evidence_delete(deliverable=deliverable, user=request.user)
        return _detail(request, project_id, deliverable_id)


class DeliverableEvidenceFileApi(APIView):
    content_negotiation_class = AnyAcceptNegotiation

    @extend_schema(
        operation_id="deliverables_evidence_file_download",
        summary="Download one of the deliverable's files, current or kept as history",
        description="The same access as the current file's download; files sent back for "
        "revision were submitted, so the project's agency officers may read them.",
        responses={
            **FILE_RESPONSES,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def get(self, request, project_id: int, deliverable_id: int, file_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        evidence = evidence_get(deliverable=deliverable, file_id=file_id)
        if evidence is None:
            raise Http404
        return _download(request, evidence)


class DeliverableSubmitApi(APIView):
    @idempotent
    @extend_schema(
        operation_id="deliverables_submit",
        summary="Submit a draft to the agency (project managers); the delivery date is today",
        request=None,
        responses=STEP_RESPONSES,
        examples=[CONFLICT_EXAMPLE],
    )
    def post(self, request, project_id: int, deliverable_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        check_permission(can_submit, request, deliverable)
        deliverable_submit(deliverable=deliverable, user=request.user)
        return _detail(request, project_id, deliverable_id)


class DeliverableAcceptApi(APIView):
    @extend_schema(
        operation_id="deliverables_accept",
        summary="Accept a submitted deliverable (agency officers); the approval date is today",
        request=None,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, deliverable_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        check_permission(can_accept, request, deliverable)
        deliverable_accept(deliverable=deliverable, user=request.user)
        return _detail(request, project_id, deliverable_id)


class DeliverableRequestRevisionApi(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="deliverables_request_revision",
        summary="Send a submitted deliverable back to Pending with a reason (agency officers)",
        description="The submitted file is kept as history; the consortium uploads a new one.",
        request=RequestRevisionInputSerializer,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, deliverable_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        check_permission(can_request_revision, request, deliverable)
        data = parsed(RequestRevisionInputSerializer, request_body(request))
        deliverable_request_revision(
            deliverable=deliverable, user=request.user, reason=data.get("reason", "")
        )
        return _detail(request, project_id, deliverable_id)


class DeliverableDueDateApi(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="deliverables_revise_due_date",
        summary="Revise the due date of a pending or draft deliverable (agency officers)",
        description="Only to a day after today; the revision is kept in the deliverable's history.",
        request=DueDateInputSerializer,
        responses=STEP_RESPONSES,
    )
    def post(self, request, project_id: int, deliverable_id: int):
        deliverable = _deliverable(request, project_id, deliverable_id)
        check_permission(can_revise_due_date, request, deliverable)
        data = parsed(DueDateInputSerializer, request_body(request))
        deliverable_due_date_revise(
            deliverable=deliverable,
            user=request.user,
            due_on=data["due_on"],
            reason=data["reason"],
        )
        return _detail(request, project_id, deliverable_id)


# -- milestones --------------------------------------------------------------------------------


class MilestoneListApi(APIView):
    invalid_detail = gettext_lazy("The filters are not valid.")
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="milestones_list",
        summary="A project's milestones in the work plan's order, filterable",
        parameters=[MilestoneListFilterSerializer],
        responses={
            200: MilestoneItemSerializer(many=True),
            400: PathErrorsSerializer,
            404: NOT_FOUND,
        },
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        filters = parsed(MilestoneListFilterSerializer, _query(request))
        today = brussels_today()
        milestones = milestone_list(project=project, today=today, **filters)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(milestones, request, view=self)
        data = MilestoneItemSerializer(page, many=True, context={"today": today}).data
        return paginator.get_paginated_response(data)


class MilestoneDetailApi(APIView):
    @extend_schema(
        operation_id="milestones_retrieve",
        summary="A milestone",
        responses={200: MilestoneItemSerializer, 404: NOT_FOUND},
    )
    def get(self, request, project_id: int, milestone_id: int):
        return _milestone_detail(_milestone(request, project_id, milestone_id))


class MilestoneAchieveApi(APIView):
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        operation_id="milestones_achieve",
        summary="Record a milestone as achieved, with the verification provided (project managers)",
        request=AchieveInputSerializer,
        responses={
            200: MilestoneItemSerializer,
            400: PathErrorsSerializer,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(description="The milestone is already recorded as achieved"),
        },
    )
    def post(self, request, project_id: int, milestone_id: int):
        milestone = _milestone(request, project_id, milestone_id)
        check_permission(can_record_achievement, request, milestone)
        data = parsed(AchieveInputSerializer, request_body(request))
        milestone_achieve(
            milestone=milestone,
            user=request.user,
            achieved_on=data["achieved_on"],
            verification=data.get("verification", ""),
        )
        return _milestone_detail(_milestone(request, project_id, milestone_id))
