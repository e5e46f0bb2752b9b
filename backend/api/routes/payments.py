"""API routes of this app, included under /api/v1/ by backend/api/urls.py."""

from django.urls import path

from backend.api import payments as apis
from backend.api import reductions as reduction_apis

PREFIX = "projects/<int:project_id>/instalments/"
INSTALMENT = f"{PREFIX}<str:key>"

urlpatterns = [
    path(PREFIX, apis.InstalmentListApi.as_view(), name="instalment-list"),
    path(INSTALMENT, apis.InstalmentDetailApi.as_view(), name="instalment-detail"),
    path(
        f"{INSTALMENT}/beneficiaries",
        apis.InstalmentBeneficiariesApi.as_view(),
        name="instalment-beneficiaries",
    ),
    path(f"{INSTALMENT}/approve", apis.InstalmentApproveApi.as_view(), name="instalment-approve"),
    path(f"{INSTALMENT}/payment", apis.InstalmentPaymentApi.as_view(), name="instalment-payment"),
    path(f"{INSTALMENT}/suspend", apis.InstalmentSuspendApi.as_view(), name="instalment-suspend"),
    path(f"{INSTALMENT}/lift", apis.InstalmentLiftApi.as_view(), name="instalment-lift"),
    path("projects/<int:project_id>/ledger", apis.LedgerApi.as_view(), name="ledger"),
    path(
        "projects/<int:project_id>/reductions/",
        reduction_apis.ReductionListApi.as_view(),
        name="reduction-list",
    ),
    path(
        "projects/<int:project_id>/reductions/<int:reduction_id>",
        reduction_apis.ReductionDetailApi.as_view(),
        name="reduction-detail",
    ),
    path(
        "projects/<int:project_id>/reductions/<int:reduction_id>/letter",
        reduction_apis.ReductionLetterApi.as_view(),
        name="reduction-letter",
    ),
    path(
        "projects/<int:project_id>/reductions/<int:reduction_id>/observations",
        reduction_apis.ReductionObservationsApi.as_view(),
        name="reduction-observations",
    ),
    path(
        "projects/<int:project_id>/reductions/<int:reduction_id>/confirm",
        reduction_apis.ReductionConfirmApi.as_view(),
        name="reduction-confirm",
    ),
    path(
        "projects/<int:project_id>/reductions/<int:reduction_id>/withdraw",
        reduction_apis.ReductionWithdrawApi.as_view(),
        name="reduction-withdraw",
    ),
]
