"""HTTP API for a project's compliance report as a PDF (``monitoring/compliance_report.py``).

The language: the one an ``Accept-Language`` header asks for, else the user's own (their
``language`` setting, the language of their e-mails).
"""

from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer
from backend.api.lookups import check_permission, visible_project
from backend.api.parsers import plain_text
from backend.common.dates import brussels_today
from monitoring.compliance_report import (
    PdfUnavailable,
    can_download_report,
    compliance_report,
    report_date,
    report_filename,
    report_pdf,
)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf``; the PDF itself is written by the
    view, and refusals are JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class PdfUnavailableError(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = gettext_lazy(
        "The PDF cannot be produced on this server: WeasyPrint or its system libraries "
        "(Pango, HarfBuzz) are missing."
    )


class PdfUnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField()


def pdf_response(report) -> HttpResponse:
    """The report's PDF as a download named after the project's acronym and the date."""
    try:
        body = report_pdf(report)
    except PdfUnavailable as error:
        raise PdfUnavailableError from error
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
    return response


class ProjectComplianceReportApi(APIView):
    renderer_classes = [PdfRenderer, JSONRenderer]
    invalid_detail = gettext_lazy("The report was not produced.")

    @extend_schema(
        operation_id="projects_compliance_report",
        summary="The project's compliance report on a date, as a PDF (for the project's "
        "officers, managers and administrators)",
        description="The eligibility verdict as of the date with its rules and the participants "
        "counted; the open flags; the deliverables and milestones; the periodic reports and "
        "their versions; the instalments with their conditions and payments; the amendment "
        "requests the user may see. In the language of the Accept-Language header, else the "
        "user's own.",
        parameters=[
            OpenApiParameter(
                "date",
                OpenApiTypes.DATE,
                description="The report's date (YYYY-MM-DD, Brussels), from the project's start "
                "to today; today when not given.",
            )
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF"),
            (400, "application/json"): OpenApiResponse(
                PathErrorsSerializer, description="Bad date"
            ),
            403: OpenApiResponse(description="A partner contact: the reason"),
            404: OpenApiResponse(description="No such project, or not visible to the user"),
            (503, "application/json"): OpenApiResponse(
                PdfUnavailableSerializer,
                description="WeasyPrint or its system libraries are missing on the server",
            ),
        },
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        check_permission(can_download_report, request, project)
        plain_text(request.query_params)
        on = report_date(request.query_params.get("date"), project=project, today=brussels_today())
        language = _language(request)
        with translation.override(language):
            report = compliance_report(user=request.user, project=project, on=on)
            return pdf_response(report)

    def finalize_response(self, request, response, *args, **kwargs):
        # A refusal is JSON whatever the client accepts (the PDF is never a Response).
        if isinstance(response, Response):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


def _language(request) -> str:
    if request.META.get("HTTP_ACCEPT_LANGUAGE"):
        return translation.get_language() or "en"
    return getattr(request.user, "language", "") or translation.get_language() or "en"
