"""HTTP API for termination reports: when a participant leaves, the coordinator sends a
termination report and a report on the distribution of payments; the project's managers record
the sending of each.

Refusals: a project or termination report out of sight (or of another project) is 404; a step
the user may not take is 403 with the reason; invalid input is 400 naming the field; a step the
report's state does not allow (a report already sent, none due, the participant not gone yet) is
409. None of them writes anything."""

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.errors import PathErrorsSerializer
from backend.api.lookups import check_permission, request_body, visible_project
from backend.api.pagination import PageNumberPagination
from backend.common.dates import brussels_today
from backend.reporting.models import TerminationReport
from backend.reporting.terminations import (
    DISTRIBUTION,
    TERMINATION,
    can_send_termination_report,
    missing_reports,
    termination_report_get,
    termination_report_list,
    termination_report_send,
    termination_state,
)

# -- input ---------------------------------------------------------------------------------------


class TerminationSendInputSerializer(serializers.Serializer):
    # A plain string, not a choice: drf-spectacular would name its enum after "report", which
    # other enums of the API could be named after too.
    report = serializers.CharField(
        help_text="Which report the coordinator sent: termination (the termination report) or "
        "distribution (the report on the distribution of payments)."
    )


# -- output --------------------------------------------------------------------------------------


class SentSerializer(serializers.Serializer):
    sent_at = serializers.DateTimeField(allow_null=True)
    sent_by = serializers.CharField(allow_null=True, help_text="The username who recorded it.")


class TerminationParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    short_name = serializers.CharField()
    role = serializers.CharField()
    left_on = serializers.DateField(allow_null=True, help_text="The last day of its participation.")


class TerminationReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    participant = TerminationParticipantSerializer()
    initiated_by = serializers.CharField(
        help_text="consortium (due within the rule set's 30 days) or agency (60 days)."
    )
    due_on = serializers.DateField(help_text="Both reports are due by the end of this day.")
    skipped_for = serializers.IntegerField(
        allow_null=True,
        help_text="The number of the reporting period whose periodic report, due within 30 "
        "days of the departure, covers it: no termination reports are due.",
    )
    state = serializers.CharField(help_text="skipped, complete, due or overdue (today).")
    missing = serializers.ListField(
        child=serializers.CharField(),
        help_text="The reports not sent yet: termination, distribution.",
    )
    termination_report = SentSerializer()
    distribution_report = SentSerializer()


def _name(user) -> str | None:
    return None if user is None else user.get_username()


def _termination(report: TerminationReport, today) -> dict:
    participation = report.participation
    return {
        "id": report.pk,
        "participant": {
            "id": participation.pk,
            "short_name": participation.short_name,
            "role": participation.role,
            "left_on": participation.left_on,
        },
        "initiated_by": report.initiated_by,
        "due_on": report.due_on,
        "skipped_for": report.skipped_for and report.skipped_for.number,
        "state": termination_state(report, today),
        "missing": missing_reports(report),
        "termination_report": {
            "sent_at": report.report_submitted_at,
            "sent_by": _name(report.report_submitted_by),
        },
        "distribution_report": {
            "sent_at": report.distribution_submitted_at,
            "sent_by": _name(report.distribution_submitted_by),
        },
    }


NOT_FOUND = OpenApiResponse(description="No such project or termination report, or not visible")


# -- views ---------------------------------------------------------------------------------------


class TerminationReportListApi(APIView):
    pagination_class = PageNumberPagination

    @extend_schema(
        operation_id="termination_reports_list",
        summary="The termination reports of a project's participants that left, by due date",
        responses={200: TerminationReportSerializer(many=True), 404: NOT_FOUND},
    )
    def get(self, request, project_id: int):
        project = visible_project(request, project_id)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(
            termination_report_list(project=project), request, view=self
        )
        today = brussels_today()
        data = TerminationReportSerializer(
            [_termination(report, today) for report in page], many=True
        ).data
        return paginator.get_paginated_response(data)


class TerminationReportSubmitApi(APIView):
    @extend_schema(
        operation_id="termination_reports_submit",
        summary="Record that the coordinator sent the termination report or the report on the "
        "distribution of payments (the project's managers)",
        request=TerminationSendInputSerializer,
        examples=[
            OpenApiExample("Termination report", value={"report": TERMINATION}),
            OpenApiExample("Distribution of payments", value={"report": DISTRIBUTION}),
        ],
        responses={
            200: TerminationReportSerializer,
            400: PathErrorsSerializer,
            403: OpenApiResponse(description="Not one of the project's managers (the reason)"),
            404: NOT_FOUND,
            409: OpenApiResponse(
                description="Already sent, none due (a periodic report covers it), or the "
                "participant has not left yet"
            ),
        },
    )
    def post(self, request, project_id: int, report_id: int):
        project = visible_project(request, project_id)
        report = termination_report_get(project=project, report_id=report_id)
        if report is None:
            raise Http404
        check_permission(can_send_termination_report, request, project)
        sent = termination_report_send(
            report=report, user=request.user, which=request_body(request).get("report")
        )
        fresh = termination_report_get(project=project, report_id=sent.pk)
        return Response(TerminationReportSerializer(_termination(fresh, brussels_today())).data)
