from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

from backend.grants import apis as grants_apis
from backend.workplan import progress_apis

urlpatterns = [
    path("", include("backend.amendments.urls")),
    path("", include("monitoring.urls")),
    path("", include("backend.workplan.urls")),
    path("", include("backend.reporting.urls")),
    path("", include("backend.audit.urls")),
    path("", include("backend.accounts.urls")),
    path("", include("backend.payments.urls")),
    path("auth/token", obtain_auth_token, name="api-token"),
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
