"""API routes of this app, included under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import audit as apis

urlpatterns = [
    path(
        "projects/<int:project_id>/activity/",
        apis.ProjectActivityApi.as_view(),
        name="project-activity",
    ),
]
