"""API routes of this app, included under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import accounts as apis

urlpatterns = [
    path("me", apis.MeApi.as_view(), name="me"),
    path(
        "projects/<int:project_id>/contacts/",
        apis.ProjectContactsApi.as_view(),
        name="project-contacts",
    ),
]
