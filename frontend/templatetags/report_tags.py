"""Labels and badge colours of the statuses the report pages show (``{% load report_tags %}``),
as the presenters give them (``frontend.presenters``).

Every badge carries its text; the colour only repeats it.
"""

from django import template

from frontend.presenters import (
    CONTRIBUTION_STATUS,
    DECISION,
    DELIVERABLE_STATUS,
    REPORT_STATUS,
)

register = template.Library()

# The badge of a status shown without a colour.
NO_COLOUR = "status-none"


@register.filter
def report_status(value) -> str:
    """The label of a report's status ("not_started" while nobody wrote to it)."""
    return REPORT_STATUS.label(value)


@register.filter
def report_status_class(value) -> str:
    return REPORT_STATUS.css_class(value, NO_COLOUR)


@register.filter
def contribution_status(value) -> str:
    return CONTRIBUTION_STATUS.label(value)


@register.filter
def contribution_status_class(value) -> str:
    return CONTRIBUTION_STATUS.css_class(value, NO_COLOUR)


@register.filter
def decision(value) -> str:
    return DECISION.label(value)


@register.filter
def decision_class(value) -> str:
    return DECISION.css_class(value, NO_COLOUR)


@register.filter
def deliverable_status(value) -> str:
    return DELIVERABLE_STATUS.label(value)


@register.filter
def deliverable_status_class(value) -> str:
    return DELIVERABLE_STATUS.css_class(value, NO_COLOUR)


@register.filter
def months(period) -> str:
    """ "M1\N{EN DASH}M18": a reporting period's (or task's) first and last project months."""
    return f"M{period.start_month}\N{EN DASH}M{period.end_month}"
