"""API routes of this app, included under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import reporting as apis

PREFIX = "projects/<int:project_id>/reports/"
REPORT = f"{PREFIX}<int:number>"
CONTRIBUTION = f"{REPORT}/contributions/<int:participation_id>"

urlpatterns = [
    path(PREFIX, apis.ReportListApi.as_view(), name="report-list"),
    path(REPORT, apis.ReportDetailApi.as_view(), name="report-detail"),
    path(CONTRIBUTION, apis.ContributionApi.as_view(), name="report-contribution"),
    path(
        f"{CONTRIBUTION}/lock",
        apis.ContributionLockApi.as_view(),
        name="report-contribution-lock",
    ),
    path(
        f"{CONTRIBUTION}/unlock",
        apis.ContributionUnlockApi.as_view(),
        name="report-contribution-unlock",
    ),
    path(
        f"{REPORT}/work-packages/<int:wp_number>",
        apis.DeclarationApi.as_view(),
        name="report-declaration",
    ),
    path(
        f"{REPORT}/justifications/<int:deliverable_id>",
        apis.JustificationApi.as_view(),
        name="report-justification",
    ),
    path(f"{REPORT}/submit", apis.ReportSubmitApi.as_view(), name="report-submit"),
    path(f"{REPORT}/approve", apis.ReportApproveApi.as_view(), name="report-approve"),
    path(
        f"{REPORT}/request-changes",
        apis.ReportRequestChangesApi.as_view(),
        name="report-request-changes",
    ),
    path(
        f"{REPORT}/request-information",
        apis.ReportRequestInformationApi.as_view(),
        name="report-request-information",
    ),
    path(
        f"{REPORT}/answer-information",
        apis.ReportAnswerInformationApi.as_view(),
        name="report-answer-information",
    ),
    path(f"{REPORT}/versions/", apis.VersionListApi.as_view(), name="report-version-list"),
    path(
        f"{REPORT}/versions/<int:k>",
        apis.VersionDetailApi.as_view(),
        name="report-version-detail",
    ),
    path(
        "projects/<int:project_id>/work-packages/<int:wp_number>/waiver",
        apis.WaiverApi.as_view(),
        name="work-package-waiver",
    ),
]
