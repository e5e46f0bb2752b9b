"""Words for the officer's pages: statuses, verdicts, severities, flag kinds and instalments
in the active language (``{% load officer_labels %}``). The same functions name the columns'
values in the exports. The words and colours are the presenters' (``frontend.presenters``)."""

from django import template
from django.utils.translation import get_language, gettext

from backend.grants.eligibility.messages import render, rule_label
from backend.payments.models import ReductionKind
from backend.payments.reductions import target_label
from backend.payments.services import instalment_label
from backend.reporting.models import SuspensionReason
from frontend.presenters import (
    FLAG_KIND,
    INSTALMENT_KIND,
    INSTALMENT_STATUS,
    RAG,
    SEVERITY,
    VERDICT,
)
from frontend.templatetags.grantwatch import eur, percent

register = template.Library()


@register.filter
def rag_label(value) -> str:
    return RAG.label(value)


@register.filter
def verdict_label(value) -> str:
    return VERDICT.label(value)


@register.filter
def verdict_colour(value) -> str:
    """The badge colour of a verdict (the badge always shows the words)."""
    return VERDICT.colour(value)


@register.filter
def severity_label(value) -> str:
    return SEVERITY.label(value)


@register.filter
def flag_kind_label(value) -> str:
    return FLAG_KIND.label(value)


@register.filter
def instalment_status_label(value) -> str:
    """ "Blocked", "Ready for approval", "Paid"."""
    return INSTALMENT_STATUS.label(value)


@register.filter
def instalment_colour(value) -> str:
    return INSTALMENT_STATUS.colour(value)


@register.filter
def instalment_name(instalment) -> str:
    """ "RP2 · Interim payment", "Pre-financing"."""
    if instalment is None:
        return ""
    kind = INSTALMENT_KIND.label(instalment.kind)
    if instalment.period is None:
        return kind
    return f"{instalment_label(instalment.key)} · {kind}"


@register.filter
def instalment_amount(instalment) -> str:
    """ "EUR 1,200.00"; a negative balance: "Recovery of EUR 56,000.00"."""
    if instalment is None:
        return ""
    if instalment.amount < 0:
        return gettext("Recovery of %(amount)s") % {"amount": eur(-instalment.amount)}
    return eur(instalment.amount)


@register.filter
def suspension_reason(interval) -> str:
    """Why a payment deadline or a payment stopped: "Deadline suspended: changes requested",
    or the officer's reason for suspending the payment."""
    if interval.reason in SuspensionReason.values:
        return gettext("deadline suspended, %(reason)s") % {
            "reason": str(SuspensionReason(interval.reason).label).lower()
        }
    return gettext("payment suspended: %(reason)s") % {"reason": interval.reason}


@register.filter
def reduction_target(reduction) -> str:
    """ "ZILEMED in WP2", "WP1", "the whole grant"."""
    participation = reduction.participation
    work_package = reduction.work_package
    return target_label(
        participation.short_name if participation is not None else None,
        work_package.number if work_package is not None else None,
    )


@register.filter
def reduction_size(reduction) -> str:
    """ "10 %" of what it targets, or "EUR 1,200.00"."""
    if reduction.kind == ReductionKind.PERCENT:
        return percent(reduction.percent, 2)
    return eur(reduction.amount_eur)


@register.filter
def rule_name(rule: str) -> str:
    return rule_label(rule)


@register.filter
def in_language(item) -> str:
    """A rule's result or an instalment's condition, its message in the active language."""
    return render(item.message, item.params, get_language() or "en")


@register.filter
def flag_message(flag) -> str:
    """The flag's explanation in the active language (English when it has none in it)."""
    return flag.message(get_language() or "en")
