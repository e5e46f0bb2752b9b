"""How the web pages show project months, dates and money.

Dates are ISO dates with the project month in front ("M14 · 2023-07-31"); amounts are euros
with the separators of the active language (English 1,234.50; Latvian 1 234,50).
"""

import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from backend.common.dates import project_month

register = template.Library()


@register.filter
def iso_date(value) -> str:
    """2023-07-31, whatever the language; empty for no date."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    return value.isoformat()


@register.filter
def month_date(value, project) -> str:
    """ "M14 · 2023-07-31": the project month a date falls in, then the date."""
    if not value:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    month = project_month(project.start_date, value)
    return f"M{month} · {value.isoformat()}"


@register.simple_tag
def month_end(project, month: int) -> str:
    """ "M14 · 2023-07-31" for the last day of the project's month 14 (its deadline)."""
    return f"M{month} · {project.month_end(int(month)).isoformat()}"


@register.filter
def eur(value) -> str:
    """An amount in euros with two decimals and the active language's separators."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    formatted = number_format(amount, decimal_pos=2, use_l10n=True, force_grouping=True)
    return _("EUR %(amount)s") % {"amount": formatted}


@register.filter
def percent(value, places: int = 0) -> str:
    """A percentage with the active language's decimal separator."""
    if value is None or value == "":
        return ""
    return f"{number_format(Decimal(value), decimal_pos=int(places), use_l10n=True)} %"
