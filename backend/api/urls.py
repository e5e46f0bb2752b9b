from django.urls import include, path

from backend.api import compliance_report as report_apis
from backend.api import grants as grants_apis
from backend.api import progress as progress_apis

urlpatterns = [
    path("", include("backend.api.routes.amendments")),
    path("", include("backend.api.routes.flags")),
    path("", include("backend.api.routes.workplan")),
    path("", include("backend.api.routes.reporting")),
    path("", include("backend.api.routes.audit")),
    path("", include("backend.api.routes.accounts")),
    path("", include("backend.api.routes.payments")),
    path("", include("backend.api.routes.tokens")),
    path("", include("backend.api.routes.organisations")),
    path("", include("backend.api.routes.terminations")),
    path("", include("backend.api.routes.accessions")),
    path("grants/import", grants_apis.GrantImportApi.as_view(), name="grant-import"),
    path("projects/", grants_apis.ProjectListApi.as_view(), name="project-list"),
    path(
        "projects/<int:project_id>/", grants_apis.ProjectDetailApi.as_view(), name="project-detail"
    ),
    path(
        "projects/<int:project_id>/eligibility",
        grants_apis.ProjectEligibilityApi.as_view(),
        name="project-eligibility",
    ),
    path(
        "projects/<int:project_id>/eligibility/timeline",
        grants_apis.ProjectEligibilityTimelineApi.as_view(),
        name="project-eligibility-timeline",
    ),
    path(
        "projects/<int:project_id>/compliance-report",
        report_apis.ProjectComplianceReportApi.as_view(),
        name="project-compliance-report",
    ),
    path(
        "projects/<int:project_id>/progress",
        progress_apis.ProjectProgressApi.as_view(),
        name="project-progress",
    ),
    path(
        "portfolio/progress",
        progress_apis.PortfolioProgressApi.as_view(),
        name="portfolio-progress",
    ),
    path(
        "projects/<int:project_id>/grant-file",
        grants_apis.ProjectGrantFileApi.as_view(),
        name="project-grant-file",
    ),
]
