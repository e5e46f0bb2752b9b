"""Labels and badge colours of the statuses the report pages show (``{% load report_tags %}``).

Every badge carries its text; the colour only repeats it.
"""

from django import template
from django.utils.translation import gettext as _

from backend.reporting.models import ContributionStatus, ReportStatus, VersionDecision
from backend.reporting.selectors import NOT_STARTED
from backend.workplan.models import DeliverableStatus

register = template.Library()

REPORT_CLASSES = {
    ReportStatus.DRAFT: "status-amber",
    ReportStatus.SUBMITTED: "status-amber",
    ReportStatus.CHANGES_REQUESTED: "status-red",
    ReportStatus.APPROVED: "status-green",
}
CONTRIBUTION_CLASSES = {
    ContributionStatus.DRAFT: "status-amber",
    ContributionStatus.LOCKED: "status-green",
}
DECISION_CLASSES = {
    VersionDecision.PENDING: "status-amber",
    VersionDecision.APPROVED: "status-green",
    VersionDecision.CHANGES_REQUESTED: "status-red",
}
DELIVERABLE_CLASSES = {
    DeliverableStatus.DRAFT: "status-amber",
    DeliverableStatus.SUBMITTED: "status-amber",
    DeliverableStatus.ACCEPTED: "status-green",
}


@register.filter
def report_status(value) -> str:
    """The label of a report's status ("not_started" while nobody wrote to it)."""
    if value == NOT_STARTED or not value:
        return _("Not started")
    return str(ReportStatus(value).label)


@register.filter
def report_status_class(value) -> str:
    return REPORT_CLASSES.get(value, "status-none")


@register.filter
def contribution_status(value) -> str:
    if value == NOT_STARTED or not value:
        return _("Not started")
    return str(ContributionStatus(value).label)


@register.filter
def contribution_status_class(value) -> str:
    return CONTRIBUTION_CLASSES.get(value, "status-none")


@register.filter
def decision(value) -> str:
    return str(VersionDecision(value).label)


@register.filter
def decision_class(value) -> str:
    return DECISION_CLASSES.get(value, "status-none")


@register.filter
def deliverable_status(value) -> str:
    return str(DeliverableStatus(value).label)


@register.filter
def deliverable_status_class(value) -> str:
    return DELIVERABLE_CLASSES.get(value, "status-none")


@register.filter
def months(period) -> str:
    """ "M1\N{EN DASH}M18": a reporting period's (or task's) first and last project months."""
    return f"M{period.start_month}\N{EN DASH}M{period.end_month}"
