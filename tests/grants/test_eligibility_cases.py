"""Composition scenarios, numbered 1-19, each with the verdict the composition rules give (at
least 8 applicants, the coordinator and full partners, from at least 4 EU Member States or
associated countries, and countries that each hold an enterprise or sector representative and a
VET provider, as the CoVE calls' eligibility criteria set them), on plain data: no database.

Scenario 20 (an amendment left unanswered for 45 days) is about the amendment workflow and is shown
in tests/amendments; scenario 16's controlled vocabulary is the grant file's (types outside it are
refused at import)."""

import datetime
import zlib
from dataclasses import replace

import pytest

from backend.grants.eligibility.changes import (
    AddParticipant,
    ChangeCoordinator,
    ChangeOrganisation,
    EndParticipation,
    apply_changes,
)
from backend.grants.eligibility.engine import evaluate, timeline
from backend.grants.eligibility.facts import Consortium, Participant, Restriction, RuleSetFacts

D = datetime.date
START = D(2022, 6, 1)
AS_OF = D(2024, 6, 1)
PROGRAMME = D(2021, 1, 1)
COUNTRIES = {
    **{
        code: [("eu_member", PROGRAMME, None)]
        for code in ("DE", "FR", "IT", "ES", "PL", "HU", "PT")
    },
    **{code: [("associated", PROGRAMME, None)] for code in ("NO", "RS", "TR")},
    # not associated: no rows (UA, GB, CH); GB associates in 2027 and NO leaves in 2023 in the
    # cases that say so
}
RULES_2021 = RuleSetFacts(key="cove-2021", member_states_severity="breach")
RULES_2022 = RuleSetFacts(key="cove-2022", member_states_severity="warning")

ENT = frozenset({"enterprise"})
VET = frozenset({"vet_provider_secondary"})
HOSPITAL = frozenset({"enterprise", "vet_provider_tertiary"})


def partner(key, country, types, role="beneficiary", **fields):
    return Participant(
        key=key,
        name=f"{key} org",
        pic=f"9{zlib.crc32(key.encode()) % 10**8:08d}",
        country=country,
        types=types,
        role=role,
        joined_on=fields.pop("joined_on", START),
        **fields,
    )


SIGNED = D(2022, 5, 20)


def consortium(*participants, countries=COUNTRIES, signed_on=SIGNED):
    return Consortium(
        project_id=None,
        signed_on=signed_on,
        start_date=START,
        end_date=D(2026, 5, 31),
        call_reference_date=D(2021, 9, 7),
        participants=tuple(participants),
        countries=countries,
    )


def pairs(*countries, coordinator="DE"):
    """An enterprise and a VET provider in each country; the first VET provider coordinates."""
    people = []
    for country in countries:
        role = "coordinator" if country == coordinator else "beneficiary"
        people.append(partner(f"{country}-VET", country, VET, role=role))
        people.append(partner(f"{country}-ENT", country, ENT))
    return people


LEFT = D(2024, 3, 31)


def leaves(participants, key, on=LEFT):
    return [replace(p, left_on=on) if p.key == key else p for p in participants]


def _status(verdict, rule):
    result = verdict.result(rule)
    return result.status if result else None


# Each case: the consortium, the rule set, the overall verdict, and the rules that decide it.
CASES = {
    "1 a full partner withdraws leaving 7": (
        consortium(
            *leaves(
                [
                    partner("DE-H", "DE", HOSPITAL, role="coordinator"),
                    partner("FR-H", "FR", HOSPITAL),
                    partner("IT-H", "IT", HOSPITAL),
                    partner("ES-H", "ES", HOSPITAL),
                    partner("DE-E", "DE", ENT),
                    partner("FR-V", "FR", VET),
                    partner("IT-E", "IT", ENT),
                    partner("ES-V", "ES", VET),
                ],
                "DE-E",
            )
        ),
        RULES_2021,
        "breach",
        {"min_full_partners": "breach", "type_rule": "pass", "min_eligible_countries": "pass"},
    ),
    "2 strict: the only enterprise of a country leaves": (
        consortium(*leaves(pairs("DE", "FR", "IT", "ES", "PL"), "PL-ENT")),
        replace(RULES_2021, type_rule_reading="strict"),
        "breach",
        {"type_rule": "breach", "min_full_partners": "pass"},
    ),
    "2 lenient: the country stops counting, four others still qualify": (
        consortium(*leaves(pairs("DE", "FR", "IT", "ES", "PL"), "PL-ENT")),
        RULES_2021,
        "review",
        {"type_rule": "pass", "countries_without_both_types": "review"},
    ),
    "2 lenient: the enterprise leaves a four-country consortium": (
        consortium(
            *leaves([*pairs("DE", "FR", "IT", "ES"), partner("IT-V2", "IT", VET)], "IT-ENT")
        ),
        RULES_2021,
        "breach",
        {"type_rule": "breach", "countries_without_both_types": "review"},
    ),
    "3 strict: the only VET provider of a country leaves": (
        consortium(*leaves(pairs("DE", "FR", "IT", "ES", "PL"), "PL-VET")),
        replace(RULES_2021, type_rule_reading="strict"),
        "breach",
        {"type_rule": "breach"},
    ),
    "3 lenient: the only VET provider of a country leaves": (
        consortium(*leaves(pairs("DE", "FR", "IT", "ES", "PL"), "PL-VET")),
        RULES_2021,
        "review",
        {"type_rule": "pass", "countries_without_both_types": "review"},
    ),
    "4 all partners of one country leave, 3 countries remain": (
        consortium(
            *leaves(leaves(pairs("DE", "FR", "IT", "ES"), "ES-VET"), "ES-ENT"),
            partner("DE-E2", "DE", ENT),
            partner("FR-E2", "FR", ENT),
        ),
        RULES_2021,
        "breach",
        {"min_eligible_countries": "breach", "min_full_partners": "pass", "type_rule": "breach"},
    ),
    "5 four qualifying countries but one Member State, 2021 call": (
        consortium(*pairs("DE", "NO", "RS", "TR")),
        RULES_2021,
        "breach",
        {"min_member_states": "breach", "min_eligible_countries": "pass", "type_rule": "pass"},
    ),
    "5 four qualifying countries but one Member State, later call": (
        consortium(*pairs("DE", "NO", "RS", "TR")),
        RULES_2022,
        "warning",
        {"min_member_states": "warning"},
    ),
    "6 a country associates later: the call-year list still applies": (
        replace(
            consortium(*pairs("DE", "FR", "IT", "ES"), partner("GB-ENT", "GB", ENT)),
            end_date=D(2027, 12, 31),
            countries={**COUNTRIES, "GB": [("associated", D(2027, 1, 1), None)]},
        ),
        RULES_2021,
        "review",
        {"country_status_changed": "review", "min_eligible_countries": "pass"},
    ),
    "7 a country loses its association mid-project": (
        consortium(
            *pairs("DE", "FR", "IT", "NO"),
            countries={**COUNTRIES, "NO": [("associated", PROGRAMME, D(2023, 12, 31))]},
        ),
        RULES_2021,
        "review",
        {"country_status_changed": "review", "min_eligible_countries": "pass"},
    ),
    "8 public interest trust in a grant signed before the measure: it may stay": (
        consortium(
            *pairs("DE", "FR", "IT", "ES"),
            partner(
                "HU-U",
                "HU",
                HOSPITAL,
                restrictions=(Restriction("public_interest_trust", D(2022, 12, 16)),),
            ),
        ),
        RULES_2021,
        "pass",
        {"min_full_partners": "pass"},
    ),
    "8 public interest trust added after the measure to an older grant": (
        consortium(
            *pairs("DE", "FR", "IT", "ES"),
            partner(
                "HU-U",
                "HU",
                VET,
                joined_on=D(2023, 3, 1),
                restrictions=(Restriction("public_interest_trust", D(2022, 12, 16)),),
            ),
        ),
        RULES_2021,
        "breach",
        {"restricted_participants": "breach", "min_full_partners": "pass"},
    ),
    "8 public interest trust as beneficiary of a grant signed after the measure": (
        consortium(
            *pairs("DE", "FR", "IT"),
            partner(
                "HU-V",
                "HU",
                VET,
                restrictions=(Restriction("public_interest_trust", D(2022, 12, 16)),),
            ),
            partner("HU-E", "HU", ENT),
            signed_on=D(2023, 5, 2),
        ),
        RULES_2022,
        "breach",
        {
            "restricted_participants": "breach",
            "min_full_partners": "breach",
            "min_eligible_countries": "pass",
            "type_rule": "breach",
        },
    ),
    "8 public interest trust as associated partner of a grant signed after the measure": (
        consortium(
            *pairs("DE", "FR", "IT", "ES"),
            partner(
                "HU-V",
                "HU",
                VET,
                role="associated_partner",
                restrictions=(Restriction("public_interest_trust", D(2022, 12, 16)),),
            ),
            signed_on=D(2023, 5, 2),
        ),
        RULES_2022,
        "pass",
        {"min_full_partners": "pass"},
    ),
    "9 an associated partner joins a consortium of 7": (
        consortium(
            *pairs("DE", "FR", "IT"),
            partner("ES-H", "ES", HOSPITAL),
            partner("PL-AP", "PL", HOSPITAL, role="associated_partner", joined_on=D(2024, 1, 1)),
        ),
        RULES_2021,
        "breach",
        {"min_full_partners": "breach"},
    ),
    "10 an affiliated entity's types make a country qualify": (
        consortium(
            *pairs("DE", "FR", "IT"),
            partner("ES-VET", "ES", VET),
            partner("ES-LAB", "ES", ENT, role="affiliated_entity", affiliated_to="ES-VET"),
            partner("DE-V2", "DE", VET),
        ),
        RULES_2021,
        "review",
        {"type_rule": "review", "min_full_partners": "pass"},
    ),
    "10 affiliated entities' types do not count under the option": (
        consortium(
            *pairs("DE", "FR", "IT"),
            partner("ES-VET", "ES", VET),
            partner("ES-LAB", "ES", ENT, role="affiliated_entity", affiliated_to="ES-VET"),
            partner("DE-V2", "DE", VET),
        ),
        replace(RULES_2021, affiliated_entities_count_for_types=False),
        "breach",
        {"type_rule": "breach"},
    ),
    "11 a full partner from a non-associated country is added": (
        consortium(
            *pairs("DE", "FR", "IT", "ES"), partner("UA-E", "UA", ENT, joined_on=D(2024, 1, 1))
        ),
        RULES_2021,
        "pass",
        {"min_full_partners": "pass", "min_eligible_countries": "pass"},
    ),
    "12 the coordinator withdraws and no one replaces it": (
        consortium(
            *leaves([*pairs("DE", "FR", "IT", "ES"), partner("DE-V2", "DE", VET)], "DE-VET")
        ),
        RULES_2021,
        "breach",
        {"coordinator": "breach", "min_full_partners": "pass"},
    ),
    "12 a beneficiary from an eligible country takes over as coordinator": (
        apply_changes(
            consortium(*pairs("DE", "FR", "IT", "ES"), partner("DE-V2", "DE", VET)),
            [ChangeCoordinator("DE-V2"), EndParticipation("DE-VET", D(2024, 3, 31))],
        ),
        RULES_2021,
        "pass",
        {"coordinator": "pass"},
    ),
    "12 a coordinator from a non-associated country": (
        apply_changes(
            consortium(*pairs("DE", "FR", "IT", "ES"), partner("UA-V", "UA", VET)),
            [ChangeCoordinator("UA-V")],
        ),
        RULES_2021,
        "breach",
        {"coordinator": "breach"},
    ),
    "13 a merger moves a partner under a group seated elsewhere": (
        apply_changes(
            consortium(*pairs("DE", "FR", "IT", "ES")),
            [ChangeOrganisation(pic=partner("ES-ENT", "ES", ENT).pic, country="UA")],
        ),
        RULES_2021,
        "breach",
        {"min_full_partners": "breach", "type_rule": "breach"},
    ),
    "14 a partial takeover: termination, then the newcomer as associated partner": (
        apply_changes(
            consortium(*pairs("DE", "FR", "IT", "ES")),
            [
                EndParticipation("FR-ENT", D(2024, 3, 31)),
                AddParticipant(
                    partner("FR-NEW", "FR", ENT, role="associated_partner", joined_on=D(2024, 4, 1))
                ),
            ],
        ),
        RULES_2021,
        "breach",
        {"min_full_partners": "breach", "type_rule": "breach"},
    ),
    "15 a partner moves its seat to another Member State": (
        apply_changes(
            consortium(*pairs("DE", "FR", "IT", "ES", "PL")),
            [ChangeOrganisation(pic=partner("PL-ENT", "PL", ENT).pic, country="PT")],
        ),
        RULES_2021,
        "review",
        {"min_eligible_countries": "pass", "countries_without_both_types": "review"},
    ),
    "16 a declared type counts as declared": (
        consortium(
            *pairs("DE", "FR", "IT"),
            partner("ES-R", "ES", frozenset({"research", "vet_provider_tertiary"})),
            partner("ES-ENT", "ES", ENT),
        ),
        RULES_2021,
        "pass",
        {"type_rule": "pass"},
    ),
    "16 the disputed type re-classified": (
        apply_changes(
            consortium(
                *pairs("DE", "FR", "IT"),
                partner("ES-R", "ES", frozenset({"research", "vet_provider_tertiary"})),
                partner("ES-ENT", "ES", ENT),
            ),
            [ChangeOrganisation(pic=partner("ES-R", "ES", ENT).pic, types=frozenset({"research"}))],
        ),
        RULES_2021,
        "breach",
        {"type_rule": "breach", "countries_without_both_types": "review"},
    ),
    "17 the only upper-secondary VET provider leaves": (
        consortium(
            *leaves(
                [
                    partner("DE-H", "DE", HOSPITAL, role="coordinator"),
                    partner("FR-H", "FR", HOSPITAL),
                    partner("IT-H", "IT", HOSPITAL),
                    partner("ES-H", "ES", HOSPITAL),
                    partner("DE-E", "DE", ENT),
                    partner("FR-E", "FR", ENT),
                    partner("IT-E", "IT", ENT),
                    partner("ES-E", "ES", ENT),
                    partner("PL-V", "PL", VET),
                ],
                "PL-V",
            )
        ),
        RULES_2021,
        "review",
        {"secondary_vet_provider": "review", "min_full_partners": "pass"},
    ),
    "18 a Russian publicly controlled entity": (
        consortium(
            *pairs("DE", "FR", "IT", "ES"),
            partner(
                "RU-U",
                "RU",
                VET,
                restrictions=(Restriction("russian_public_entity", D(2022, 4, 8)),),
            ),
        ),
        RULES_2021,
        "breach",
        {"restricted_participants": "breach"},
    ),
    "18 an associated partner on the sanctions list": (
        consortium(
            *pairs("DE", "FR", "IT", "ES"),
            partner(
                "XX-S",
                "FR",
                ENT,
                role="associated_partner",
                restrictions=(Restriction("sanctions_list", D(2023, 1, 1)),),
            ),
        ),
        RULES_2021,
        "breach",
        {"restricted_participants": "breach"},
    ),
    "19 a temporary gap before the replacement accedes": (
        consortium(
            *leaves(pairs("DE", "FR", "IT", "ES"), "FR-ENT", on=D(2024, 5, 15)),
            partner("FR-NEW", "FR", ENT, joined_on=D(2024, 6, 20)),
        ),
        RULES_2021,
        "review",
        {"min_full_partners": "review", "type_rule": "review", "temporary_gap": "review"},
    ),
    "19 the same gap when no gap is tolerated": (
        consortium(
            *leaves(pairs("DE", "FR", "IT", "ES"), "FR-ENT", on=D(2024, 5, 15)),
            partner("FR-NEW", "FR", ENT, joined_on=D(2024, 6, 20)),
        ),
        replace(RULES_2021, temporary_gap_days=0),
        "breach",
        {"min_full_partners": "breach", "temporary_gap": None},
    ),
}


@pytest.mark.parametrize(
    ("case", "rules", "expected", "rules_expected"),
    [pytest.param(*values, id=name) for name, values in CASES.items()],
)
def test_the_composition_scenarios(case, rules, expected, rules_expected):
    verdict = evaluate(case, rules, AS_OF if "2027" not in str(case.end_date) else D(2027, 3, 1))

    assert {rule: _status(verdict, rule) for rule in rules_expected} == rules_expected
    assert verdict.status == expected


def test_the_timeline_shows_the_gap_window_of_case_19():
    case, rules, _expected, _rules = CASES["19 the same gap when no gap is tolerated"]

    entries = timeline(case, rules)

    assert [(str(e.starts_on), e.verdict.status) for e in entries] == [
        ("2022-06-01", "pass"),
        ("2024-05-16", "breach"),
        ("2024-06-20", "pass"),
    ]


def test_the_timeline_reports_the_tolerated_gap_for_review():
    case, rules, _expected, _rules = CASES["19 a temporary gap before the replacement accedes"]

    entries = timeline(case, rules)

    assert [(str(e.starts_on), e.verdict.status) for e in entries] == [
        ("2022-06-01", "pass"),
        ("2024-05-16", "review"),
        ("2024-06-20", "pass"),
    ]
    assert entries[1].verdict.result("temporary_gap").found == "2024-06-20"


def test_a_breach_keeps_its_evidence():
    case, rules, _expected, _rules = CASES["1 a full partner withdraws leaving 7"]

    result = evaluate(case, rules, AS_OF).result("min_full_partners")

    assert (result.required, result.found) == (8, 7)
    assert "DE-E" not in result.participants
    assert len(result.participants) == 7
