"""Words for the officer's pages: statuses, verdicts, severities, flag kinds and instalments
in the active language (``{% load officer_labels %}``). The same functions name the columns'
values in the exports."""

from django import template
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from backend.grants.eligibility.engine import BREACH, PASS, REVIEW, WARNING
from backend.grants.eligibility.messages import render, rule_label
from backend.payments.models import InstalmentKind
from backend.payments.services import STATUS_LABELS, instalment_label
from frontend.templatetags.grantwatch import eur
from monitoring.models import FlagKind, Severity
from monitoring.rag import AMBER, GREEN, RED

register = template.Library()

RAG_LABELS = {RED: _("Red"), AMBER: _("Amber"), GREEN: _("Green")}
VERDICT_LABELS = {
    PASS: _("Pass"),
    WARNING: _("Warning"),
    REVIEW: _("Review"),
    BREACH: _("Breach"),
}
# The badge colour of each verdict and instalment status; the badge always shows the words.
VERDICT_COLOURS = {PASS: "green", WARNING: "green", REVIEW: "amber", BREACH: "red"}
INSTALMENT_COLOURS = {
    "scheduled": "",
    "blocked": "red",
    "ready": "amber",
    "approved": "green",
    "paid": "green",
}


def _label(labels, value) -> str:
    return str(labels.get(value, value or ""))


@register.filter
def rag_label(value) -> str:
    return _label(RAG_LABELS, value)


@register.filter
def verdict_label(value) -> str:
    return _label(VERDICT_LABELS, value)


@register.filter
def verdict_colour(value) -> str:
    return VERDICT_COLOURS.get(value, "")


@register.filter
def severity_label(value) -> str:
    return _label(dict(Severity.choices), value)


@register.filter
def flag_kind_label(value) -> str:
    return _label(dict(FlagKind.choices), value)


@register.filter
def instalment_status_label(value) -> str:
    """ "Blocked", "Paid": the payment schedule's own words, capitalised."""
    return capfirst(_label(STATUS_LABELS, value))


@register.filter
def instalment_colour(value) -> str:
    return INSTALMENT_COLOURS.get(value, "")


@register.filter
def instalment_name(instalment) -> str:
    """ "RP2 · Interim payment", "Pre-financing"."""
    if instalment is None:
        return ""
    kind = _label(dict(InstalmentKind.choices), instalment.kind)
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
