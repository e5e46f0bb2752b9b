"""The flag endpoints, mounted under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import flags as apis

urlpatterns = [
    path("flags/", apis.FlagListApi.as_view(), name="flag-list"),
    path("flags/<int:flag_id>/", apis.FlagDetailApi.as_view(), name="flag-detail"),
    path(
        "flags/<int:flag_id>/acknowledge",
        apis.FlagAcknowledgeApi.as_view(),
        name="flag-acknowledge",
    ),
    path("flags/<int:flag_id>/resolve", apis.FlagResolveApi.as_view(), name="flag-resolve"),
]
