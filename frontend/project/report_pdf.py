"""A project's compliance report as a PDF download, in the page's language
(``monitoring/compliance_report.py``; the API's ``projects/{id}/compliance-report`` answers the
same). The project's officers, managers and administrators; a partner contact is refused with
the reason (403), anyone else does not see the project (404).
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from backend.common.dates import brussels_today
from backend.common.errors import InvalidInput
from frontend.access import page_check, page_project
from monitoring.compliance_report import (
    PdfUnavailable,
    can_download_report,
    compliance_report,
    report_date,
    report_filename,
    report_pdf,
)

REFUSED = "frontend/pdf/refused.html"


@login_required
@require_GET
def compliance_report_pdf(request, project_id: int):
    project = page_project(request, project_id)
    page_check(can_download_report, request, project)
    try:
        on = report_date(request.GET.get("date"), project=project, today=brussels_today())
    except InvalidInput as error:
        return render(request, REFUSED, {"project": project, "errors": error.errors}, status=400)
    report = compliance_report(user=request.user, project=project, on=on)
    try:
        body = report_pdf(report)
    except PdfUnavailable:
        return render(request, REFUSED, {"project": project, "unavailable": True}, status=503)
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
    return response


urlpatterns = [
    path(
        "projects/<int:project_id>/compliance/report.pdf",
        compliance_report_pdf,
        name="compliance_report_pdf",
    ),
]
