"""The compliance report's download link, shown to those who may download it
(``{% load report_pdf %}``, ``{% compliance_report_link project %}``)."""

from django import template
from django.urls import reverse

from monitoring.compliance_report import can_download_report

register = template.Library()


@register.inclusion_tag("frontend/pdf/_link.html", takes_context=True)
def compliance_report_link(context, project, separator: str = "", paragraph: bool = False) -> dict:
    """The link for the project's officers, managers and administrators (after ``separator``,
    or in a paragraph of its own); nothing for others."""
    request = context.get("request")
    allowed = request is not None and can_download_report(request.user, project)[0]
    return {
        "allowed": allowed,
        "separator": separator,
        "paragraph": paragraph,
        "url": reverse("frontend:compliance_report_pdf", args=[project.pk]) if allowed else "",
    }
