"""Words for verdicts: the rules' message ids rendered in English and Latvian."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .engine import RuleResult, TimelineEntry, Verdict
from .facts import Consortium

LANGUAGES = ("en", "lv")

# What each rule asks for, in a few words, for sentences that name rules.
RULE_LABELS = {
    "restricted_participants": _("no participant barred from EU funding"),
    "min_full_partners": _("the minimum number of full partners"),
    "min_eligible_countries": _("the minimum number of eligible countries"),
    "min_member_states": _("the minimum number of EU Member States"),
    "type_rule": _("an enterprise and a VET provider in enough countries"),
    "countries_without_both_types": _("an enterprise and a VET provider in every country"),
    "coordinator": _("a coordinator from an eligible country"),
    "country_status_changed": _("country statuses as on the reference date"),
    "secondary_vet_provider": _("an upper-secondary VET provider"),
    "temporary_gap": _("no gap in the composition"),
    "restricted_third_parties": _("no indirect funding of an entity barred from EU funding"),
    "overseas_territory": _("participants from overseas countries or territories reviewed"),
}


def rule_label(rule: str) -> str:
    return str(RULE_LABELS.get(rule, rule))


def _value(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime.date) else value


def render(message: str, params: Mapping[str, object], language: str) -> str:
    """The message id translated into ``language`` with its parameters. A parameter that is
    ``{"messages": [[msgid, params], ...]}`` (``messages_param``) is those messages, each
    rendered in the same language, joined with a space."""
    with translation.override(language):
        return _render(message, params)


def _render(message: str, params: Mapping[str, object]) -> str:
    return translation.gettext(message) % {key: _param(v) for key, v in params.items()}


def _param(value: object) -> object:
    if isinstance(value, Mapping) and "messages" in value:
        return " ".join(_render(message, params) for message, params in value["messages"])
    if isinstance(value, Mapping) and "rules" in value:
        return "; ".join(rule_label(rule) for rule in value["rules"])
    return _value(value)


# -- messages stored with their parameters, rendered when shown ------------------------------


# The exact types JSON stores as they are: told apart by ``type()`` first, since a check turns
# thousands of values a batch (their subclasses, e.g. a choice's enum member, are found further
# down).
_AS_THEY_ARE = frozenset({str, int, float, bool, type(None)})


def jsonable(value: object) -> object:
    """``value`` as JSON stores it and gives it back (dates as ISO strings, Decimals as their
    text, tuples as lists), so that what a check finds compares equal to what it stored."""
    kind = type(value)
    if kind in _AS_THEY_ARE:
        return value
    if kind is dict or isinstance(value, Mapping):
        return {
            str(key): item if type(item) in _AS_THEY_ARE else jsonable(item)
            for key, item in value.items()
        }
    if kind is list or kind is tuple or isinstance(value, list | tuple):
        return [item if type(item) in _AS_THEY_ARE else jsonable(item) for item in value]
    if isinstance(value, str | int | float):
        return value
    if isinstance(value, set | frozenset):
        return sorted(jsonable(item) for item in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    rules = getattr(value, "rules", None)
    if isinstance(rules, tuple) and all(isinstance(rule, str) for rule in rules):
        # Composition rules named in a message (the payment rules' ``RuleNames``): stored by
        # their ids, printed as their labels in the reader's language.
        return {"rules": list(rules)}
    return value


def messages_param(messages: Iterable[tuple[str, Mapping[str, object]]]) -> dict:
    """A parameter made of messages (e.g. the reasons a payment is blocked), each rendered in
    the reader's language and joined with a space."""
    return {"messages": [[message, jsonable(params)] for message, params in messages]}


def stored_message(message: str, params: Mapping[str, object], details: Mapping) -> dict:
    """An explanation as a flag stores it: the message id, its parameters and the details,
    rendered only when read (``explanation_text``)."""
    return {"message": message, "params": jsonable(params), "details": jsonable(details)}


def explanation_text(explanation: object, language: str) -> str:
    """A stored explanation in ``language`` ("lv", "en-gb", ...), else in English: a message
    id with parameters is rendered, the older shape {"en": ..., "lv": ...} is read as is."""
    if not isinstance(explanation, Mapping):
        return ""
    message = explanation.get("message")
    if isinstance(message, str) and message:
        params = explanation.get("params") or {}
        try:
            return render(message, params, language or "en")
        except (KeyError, TypeError, ValueError):  # parameters that do not fit: say the id
            return message
    for code in (language, language.split("-")[0], "en"):
        text = explanation.get(code)
        if isinstance(text, str) and text:
            return text
    return ""


def explanation_languages(explanation: object) -> dict:
    """A stored explanation as the API shows it: {"en": ..., "lv": ..., "details": ...}."""
    details = explanation.get("details", {}) if isinstance(explanation, Mapping) else {}
    return {
        **{language: explanation_text(explanation, language) for language in LANGUAGES},
        "details": details,
    }


def _details(result: RuleResult) -> dict:
    details = {key: value for key, value in result.details.items() if key != "reasons"}
    reasons = result.details.get("reasons")
    if reasons:
        details["reasons"] = {
            key: {
                language: render(reason["message"], reason["params"], language)
                for language in LANGUAGES
            }
            for key, reason in reasons.items()
        }
    return details


def result_details(result: RuleResult) -> dict:
    """A rule's result as a flag stores it, nothing rendered: the reasons keep their message
    ids and parameters."""
    return {
        "rule": result.rule,
        "status": result.status,
        "required": _value(result.required),
        "found": _value(result.found),
        "participants": list(result.participants),
        "details": dict(result.details),
    }


def result_as_dict(result: RuleResult, language: str = "en") -> dict:
    messages = {lang: render(result.message, result.params, lang) for lang in LANGUAGES}
    return {
        **result_details(result),
        "message": messages.get(language, messages["en"]),
        "messages": messages,
        "details": _details(result),
    }


def verdict_as_dict(verdict: Verdict, language: str = "en") -> dict:
    return {
        "as_of": verdict.as_of.isoformat(),
        "ruleset": verdict.ruleset,
        "reference_date": verdict.reference_date.isoformat(),
        "status": verdict.status,
        "compliant": verdict.compliant,
        "results": [result_as_dict(result, language) for result in verdict.results],
    }


def timeline_as_list(entries: list[TimelineEntry], language: str = "en") -> list[dict]:
    return [
        {
            "starts_on": entry.starts_on.isoformat(),
            "verdict": verdict_as_dict(entry.verdict, language),
        }
        for entry in entries
    ]


def participants_on(consortium: Consortium, day: datetime.date) -> list[dict]:
    """Every participant with the role, country and types valid on ``day``."""
    return [
        {
            "participant": participant.key,
            "pic": participant.pic,
            "role": participant.role,
            "country": participant.country,
            "types": sorted(participant.types),
            "takes_part": participant.active_on(day),
        }
        for participant in consortium.on(day).participants
    ]
