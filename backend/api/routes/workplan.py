"""API routes of this app, included under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import workplan as apis

DELIVERABLES = "projects/<int:project_id>/deliverables/"
DELIVERABLE = f"{DELIVERABLES}<int:deliverable_id>/"
MILESTONES = "projects/<int:project_id>/milestones/"

urlpatterns = [
    path(DELIVERABLES, apis.DeliverableListApi.as_view(), name="deliverable-list"),
    path(DELIVERABLE, apis.DeliverableDetailApi.as_view(), name="deliverable-detail"),
    path(
        f"{DELIVERABLE}evidence", apis.DeliverableEvidenceApi.as_view(), name="deliverable-evidence"
    ),
    path(
        f"{DELIVERABLE}evidence-files/<int:file_id>",
        apis.DeliverableEvidenceFileApi.as_view(),
        name="deliverable-evidence-file",
    ),
    path(f"{DELIVERABLE}submit", apis.DeliverableSubmitApi.as_view(), name="deliverable-submit"),
    path(f"{DELIVERABLE}accept", apis.DeliverableAcceptApi.as_view(), name="deliverable-accept"),
    path(
        f"{DELIVERABLE}request-revision",
        apis.DeliverableRequestRevisionApi.as_view(),
        name="deliverable-request-revision",
    ),
    path(
        f"{DELIVERABLE}due-date", apis.DeliverableDueDateApi.as_view(), name="deliverable-due-date"
    ),
    path(MILESTONES, apis.MilestoneListApi.as_view(), name="milestone-list"),
    path(
        f"{MILESTONES}<int:milestone_id>/",
        apis.MilestoneDetailApi.as_view(),
        name="milestone-detail",
    ),
    path(
        f"{MILESTONES}<int:milestone_id>/achieve",
        apis.MilestoneAchieveApi.as_view(),
        name="milestone-achieve",
    ),
]
