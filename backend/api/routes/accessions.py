from django.urls import path

from backend.api import accessions as apis

PREFIX = "projects/<int:project_id>/"

urlpatterns = [
    path(f"{PREFIX}accessions/", apis.AccessionListApi.as_view(), name="accession-list"),
    path(
        f"{PREFIX}participants/<int:participation_id>/accession",
        apis.AccessionRecordApi.as_view(),
        name="accession-record",
    ),
    path(
        f"{PREFIX}participants/<int:participation_id>/non-accession",
        apis.NonAccessionRecordApi.as_view(),
        name="non-accession-record",
    ),
]
