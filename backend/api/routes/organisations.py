"""API routes of organisations' own data and of projects' third parties, included under
/api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import organisations as apis

urlpatterns = [
    path(
        "organisations/<str:pic>",
        apis.OrganisationDetailApi.as_view(),
        name="organisation-detail",
    ),
    path(
        "organisations/<str:pic>/updates",
        apis.OrganisationUpdatesApi.as_view(),
        name="organisation-updates",
    ),
    path(
        "projects/<int:project_id>/third-parties",
        apis.ThirdPartyListApi.as_view(),
        name="third-party-list",
    ),
]
