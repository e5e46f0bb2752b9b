"""HTTP API for the grant record: thin views that parse, call a selector or service, render."""

from django.http import Http404
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import renderers, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer
from backend.api.idempotency import idempotent
from backend.api.lookups import parsed
from backend.api.pagination import PageNumberPagination
from backend.api.parsers import MultiPartParser
from backend.common.dates import brussels_today
from backend.grantfile.errors import GrantFileError, GrantFileInvalid
from backend.grantfile.export import dump_grant_file, grant_file_data
from backend.grantfile.loading import MAX_FILE_BYTES
from backend.grantfile.selectors import project_record
from backend.grantfile.services import grant_file_import
from backend.grants.eligibility.messages import (
    participants_on,
    timeline_as_list,
    verdict_as_dict,
)
from backend.grants.permissions import can_import_grant
from backend.grants.selectors import (
    project_eligibility,
    project_eligibility_timeline,
    project_list,
)

# -- output ------------------------------------------------------------------------------------


class CoordinatorSerializer(serializers.Serializer):
    short_name = serializers.CharField()
    legal_name = serializers.CharField(source="organisation.legal_name")
    country = serializers.CharField(source="organisation.country_id")


class ProjectListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant_agreement_number = serializers.CharField()
    acronym = serializers.CharField()
    title = serializers.CharField()
    call = serializers.CharField(source="call.identifier")
    signed_on = serializers.DateField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    duration_months = serializers.IntegerField()
    max_grant_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    coordinator = serializers.SerializerMethodField()
    participant_count = serializers.IntegerField()

    @extend_schema_field(CoordinatorSerializer(allow_null=True))
    def get_coordinator(self, project):
        coordinators = project.coordinators
        return CoordinatorSerializer(coordinators[0]).data if coordinators else None


class RelatedValuesField(serializers.ListField):
    """The values of one attribute of a to-many relation, e.g. the codes of a work package's
    clusters (read from the prefetched relation)."""

    def __init__(self, attribute: str, **kwargs):
        self.attribute = attribute
        super().__init__(**kwargs)

    def to_representation(self, manager):
        return [getattr(item, self.attribute) for item in manager.all()]


class OrganisationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pic = serializers.CharField()
    legal_name = serializers.CharField()
    short_name = serializers.CharField()
    country = serializers.CharField(source="country_id")
    types = serializers.ListField(child=serializers.CharField())


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    short_name = serializers.CharField()
    role = serializers.CharField()
    joined_on = serializers.DateField()
    left_on = serializers.DateField(allow_null=True)
    affiliated_to = serializers.CharField(source="affiliated_to.short_name", allow_null=True)
    organisation = OrganisationSerializer()
    accession = serializers.CharField(
        help_text="acceded, pending (added by amendment, not yet acceded: it does not count) "
        "or not_acceded."
    )
    accession_due_on = serializers.DateField(allow_null=True)
    acceded_on = serializers.DateField(allow_null=True)


class ShareSerializer(serializers.Serializer):
    participant = serializers.CharField(source="participation.short_name")
    amount_eur = serializers.DecimalField(max_digits=12, decimal_places=2)


class WorkPackageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    clusters = RelatedValuesField("code", child=serializers.CharField())
    lead = serializers.CharField(source="lead.short_name")
    start_month = serializers.IntegerField()
    end_month = serializers.IntegerField()
    lump_sum_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    shares = ShareSerializer(many=True)


class DeliverableSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    work_package = serializers.IntegerField(source="work_package.number")
    lead = serializers.CharField(source="lead.short_name")
    type = serializers.CharField()
    dissemination = serializers.CharField()
    due_month = serializers.IntegerField()
    due_date = serializers.DateField()


class MilestoneSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    title = serializers.CharField()
    work_packages = RelatedValuesField("number", child=serializers.IntegerField())
    lead = serializers.CharField(source="lead.short_name")
    due_month = serializers.IntegerField()
    due_date = serializers.DateField()
    verification = serializers.CharField()


class ReportingPeriodSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    start_month = serializers.IntegerField()
    end_month = serializers.IntegerField()
    end_date = serializers.DateField()
    payment = serializers.CharField()


class PaymentScheduleSerializer(serializers.Serializer):
    prefinancing_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    payments_cap_percent = serializers.DecimalField(max_digits=5, decimal_places=2)


class ProjectDetailSerializer(ProjectListItemSerializer):
    coordinator = None
    participant_count = None
    call_title = serializers.CharField(source="call.title")
    payment_schedule = PaymentScheduleSerializer(source="*")
    participants = ParticipantSerializer(many=True, source="participations.all")
    work_packages = WorkPackageSerializer(many=True, source="work_packages.all")
    deliverables = DeliverableSerializer(many=True, source="deliverables.all")
    milestones = MilestoneSerializer(many=True, source="milestones.all")
    reporting_periods = ReportingPeriodSerializer(many=True, source="reporting_periods.all")


class ImportedGrantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    grant_agreement_number = serializers.CharField()
    acronym = serializers.CharField()


# -- views -------------------------------------------------------------------------------------


class ProjectListApi(APIView):
    @extend_schema(
        operation_id="projects_list",
        summary="Projects the user can see",
        responses=ProjectListItemSerializer(many=True),
    )
    def get(self, request):
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(project_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(ProjectListItemSerializer(page, many=True).data)

    # Lets drf-spectacular describe the paginated envelope of the list response.
    pagination_class = PageNumberPagination


class ProjectDetailApi(APIView):
    @extend_schema(
        operation_id="projects_retrieve",
        summary="A project's record: consortium, work packages, deliverables, milestones, "
        "reporting periods",
        responses={200: ProjectDetailSerializer, 404: OpenApiResponse(description="Not found")},
    )
    def get(self, request, project_id: int):
        project = project_record(user=request.user, project_id=project_id)
        if project is None:
            raise Http404
        return Response(ProjectDetailSerializer(project).data)


class GrantFileRenderer(renderers.BaseRenderer):
    """Writes grant-file data in the renderer's format (and error responses alike)."""

    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return dump_grant_file(data, self.format).encode()


class GrantFileYamlRenderer(GrantFileRenderer):
    media_type = "application/yaml"
    format = "yaml"


class GrantFileJsonRenderer(GrantFileRenderer):
    media_type = "application/json"
    format = "json"


GRANT_FILE = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description="The project's record as a grant file (format grantwatch/grant@1), as an "
    "attachment named after its grant agreement number and acronym.",
)


class ProjectGrantFileApi(APIView):
    renderer_classes = [GrantFileYamlRenderer, GrantFileJsonRenderer]

    @extend_schema(
        operation_id="projects_grant_file",
        summary="The project's record as a grant file (YAML by default, JSON with "
        "Accept: application/json or ?format=json)",
        # The same document in either media type (backend/grantfile/grant-file.schema.json).
        responses={
            (200, "application/yaml"): GRANT_FILE,
            (200, "application/json"): GRANT_FILE,
            404: OpenApiResponse(description="No such project, or not visible to the user"),
        },
    )
    def get(self, request, project_id: int):
        project = project_record(user=request.user, project_id=project_id)
        if project is None:
            raise Http404
        extension = request.accepted_renderer.format
        filename = f"{project.grant_agreement_number}-{project.acronym}.{extension}"
        return Response(
            grant_file_data(project),
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )


class RawGrantFileParser(BaseParser):
    """Hands the request body over as bytes: the grant-file reader parses YAML and JSON
    itself, exactly as the command line does."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_FILE_BYTES + 1) if stream is not None else b""


class GrantImportApi(APIView):
    parser_classes = [MultiPartParser, RawGrantFileParser]
    invalid_detail = gettext_lazy("The grant file was not imported.")

    @idempotent
    @extend_schema(
        operation_id="grants_import",
        summary="Import a grant file (agency officers and administrators)",
        description="Send the file as the request body (Content-Type application/yaml or "
        "application/json) or as the field `file` of a multipart form. All or nothing: a file "
        "with errors writes nothing and every error is listed with its path.",
        request={
            "application/yaml": OpenApiTypes.BINARY,
            "application/json": OpenApiTypes.OBJECT,
            "multipart/form-data": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            },
        },
        responses={
            201: ImportedGrantSerializer,
            400: PathErrorsSerializer,
            403: OpenApiResponse(description="Not an agency officer or administrator"),
        },
        examples=[
            OpenApiExample(
                "Invalid file",
                status_codes=["400"],
                response_only=True,
                value={
                    "detail": "The grant file was not imported.",
                    "errors": [
                        {
                            "path": "work_packages[2].shares_eur.ACME",
                            "message": "At most 2 decimal places are allowed.",
                        }
                    ],
                },
            )
        ],
    )
    def post(self, request):
        allowed, reason = can_import_grant(request.user)
        if not allowed:
            raise PermissionDenied(reason)
        if isinstance(request.data, bytes):
            content = request.data
        else:
            upload = request.FILES.get("file")
            content = upload.read(MAX_FILE_BYTES + 1) if upload is not None else b""
        if not content:
            raise GrantFileInvalid(
                [
                    GrantFileError(
                        "",
                        _(
                            "No grant file was sent: send it as the request body or as the "
                            "form field 'file'."
                        ),
                    )
                ]
            )
        project = grant_file_import(content=content, user=request.user)
        return Response(ImportedGrantSerializer(project).data, status=status.HTTP_201_CREATED)


# -- eligibility --------------------------------------------------------------------------------


class EligibilityQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(
        required=False,
        input_formats=["iso-8601"],
        help_text="The date to judge the consortium on (YYYY-MM-DD); today in Brussels by default.",
    )


class RuleResultSerializer(serializers.Serializer):
    rule = serializers.CharField()
    status = serializers.ChoiceField(choices=["pass", "warning", "review", "breach"])
    required = serializers.JSONField(allow_null=True)
    found = serializers.JSONField(allow_null=True)
    participants = serializers.ListField(child=serializers.CharField())
    message = serializers.CharField(help_text="In the request's language.")
    messages = serializers.DictField(child=serializers.CharField(), help_text="en and lv")
    details = serializers.DictField()


class VerdictSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    ruleset = serializers.CharField()
    reference_date = serializers.DateField(help_text="Country statuses are read on this date.")
    status = serializers.ChoiceField(choices=["pass", "warning", "review", "breach"])
    compliant = serializers.BooleanField()
    results = RuleResultSerializer(many=True)


class ParticipantOnDaySerializer(serializers.Serializer):
    participant = serializers.CharField(help_text="The participant's short name.")
    pic = serializers.CharField()
    role = serializers.CharField(help_text="The role it holds on the day.")
    country = serializers.CharField(help_text="Its organisation's country on the day.")
    types = serializers.ListField(
        child=serializers.CharField(), help_text="Its organisation's types on the day."
    )
    takes_part = serializers.BooleanField(
        help_text="Whether it takes part on the day (joined, acceded and not yet left)."
    )


class EligibilitySerializer(VerdictSerializer):
    participants = ParticipantOnDaySerializer(
        many=True,
        help_text="Every participant of the record with the values valid on the day: a change "
        "of coordinator or of an organisation's seat or types holds from its own date.",
    )


class TimelineEntrySerializer(serializers.Serializer):
    starts_on = serializers.DateField()
    verdict = VerdictSerializer()


def _found_or_404(found):
    if found is None:
        raise Http404
    return found


class ProjectEligibilityApi(APIView):
    invalid_detail = gettext_lazy("The filters are not valid.")

    @extend_schema(
        operation_id="projects_eligibility",
        summary="The consortium's verdict against its call's composition rules on a date",
        parameters=[EligibilityQuerySerializer],
        responses={
            200: EligibilitySerializer,
            400: OpenApiResponse(PathErrorsSerializer, description="Bad as_of"),
            404: None,
        },
    )
    def get(self, request, project_id: int):
        query = parsed(EligibilityQuerySerializer, request.query_params)
        as_of = query.get("as_of") or brussels_today()
        eligibility = _found_or_404(
            project_eligibility(user=request.user, project_id=project_id, as_of=as_of)
        )
        return Response(
            {
                **verdict_as_dict(eligibility.verdict, get_language()),
                "participants": participants_on(eligibility.consortium, as_of),
            }
        )


class ProjectEligibilityTimelineApi(APIView):
    @extend_schema(
        operation_id="projects_eligibility_timeline",
        summary="Each date in the project's life on which the verdict changes, with the verdict "
        "from then on",
        responses={200: TimelineEntrySerializer(many=True), 404: None},
    )
    def get(self, request, project_id: int):
        entries = _found_or_404(
            project_eligibility_timeline(user=request.user, project_id=project_id)
        )
        return Response(timeline_as_list(entries, get_language()))
