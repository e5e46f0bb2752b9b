"""Words for verdicts: the rules' message ids rendered in English and Latvian."""

import datetime
from collections.abc import Mapping

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
    with translation.override(language):
        return translation.gettext(message) % {key: _value(v) for key, v in params.items()}


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


def result_as_dict(result: RuleResult, language: str = "en") -> dict:
    messages = {lang: render(result.message, result.params, lang) for lang in LANGUAGES}
    return {
        "rule": result.rule,
        "status": result.status,
        "required": _value(result.required),
        "found": _value(result.found),
        "participants": list(result.participants),
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
