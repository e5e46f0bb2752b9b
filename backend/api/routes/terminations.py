"""API routes of termination reports, included under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import terminations as apis

PREFIX = "projects/<int:project_id>/termination-reports"

urlpatterns = [
    path(PREFIX, apis.TerminationReportListApi.as_view(), name="termination-report-list"),
    path(
        f"{PREFIX}/<int:report_id>/submit",
        apis.TerminationReportSubmitApi.as_view(),
        name="termination-report-submit",
    ),
]
