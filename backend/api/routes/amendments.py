from django.urls import path

from backend.api import amendments as apis

PREFIX = "projects/<int:project_id>/amendments/"

urlpatterns = [
    path(PREFIX, apis.AmendmentListApi.as_view(), name="amendment-list"),
    path(f"{PREFIX}what-if", apis.AmendmentWhatIfApi.as_view(), name="amendment-what-if"),
    path(
        f"{PREFIX}<int:amendment_id>/", apis.AmendmentDetailApi.as_view(), name="amendment-detail"
    ),
    path(
        f"{PREFIX}<int:amendment_id>/submit",
        apis.AmendmentSubmitApi.as_view(),
        name="amendment-submit",
    ),
    path(
        f"{PREFIX}<int:amendment_id>/approve",
        apis.AmendmentApproveApi.as_view(),
        name="amendment-approve",
    ),
    path(
        f"{PREFIX}<int:amendment_id>/reject",
        apis.AmendmentRejectApi.as_view(),
        name="amendment-reject",
    ),
    path(
        f"{PREFIX}<int:amendment_id>/withdraw",
        apis.AmendmentWithdrawApi.as_view(),
        name="amendment-withdraw",
    ),
    path(
        f"{PREFIX}<int:amendment_id>/information-requests",
        apis.InformationRequestListApi.as_view(),
        name="amendment-information-requests",
    ),
    path(
        f"{PREFIX}<int:amendment_id>/information-requests/<int:information_id>/answer",
        apis.InformationAnswerApi.as_view(),
        name="amendment-information-answer",
    ),
]
