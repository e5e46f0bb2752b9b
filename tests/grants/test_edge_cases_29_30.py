"""Edge cases 29 and 30: a participant from an overseas country or territory (reviewed; whether
it counts as its Member State is the rule set's choice), and a restricted entity funded
indirectly, as a subcontractor or a recipient of financial support (a breach). On plain data,
with the composition scenarios' helpers; then once through the record and the API."""

import datetime
from dataclasses import replace

import pytest

from backend.grants.eligibility.engine import evaluate, timeline
from backend.grants.eligibility.facts import Restriction, ThirdPartyFact
from backend.grants.eligibility.messages import result_as_dict, rule_label
from backend.grants.models import Organisation, OrganisationRestriction, RuleSet
from tests.grants.test_eligibility_cases import (
    AS_OF,
    ENT,
    RULES_2022,
    START,
    VET,
    consortium,
    pairs,
    partner,
)

D = datetime.date
OVERSEAS = {"NC": "FR", "AW": "NL"}
MEASURE = D(2022, 12, 16)  # Council Implementing Decision (EU) 2022/2506 applies from this day
TRUST = Restriction("public_interest_trust", MEASURE)


def _with_overseas(*participants):
    return replace(consortium(*participants), overseas=OVERSEAS)


def _status(verdict, rule):
    result = verdict.result(rule)
    return None if result is None else result.status


# -- 29: overseas countries and territories -------------------------------------------------------


def _three_countries_and_new_caledonia():
    """Six partners in DE, IT and ES (each with both types), and an enterprise and a VET
    provider in New Caledonia, linked to France: 8 partners and 4 countries only if New
    Caledonia counts as France."""
    return _with_overseas(
        *pairs("DE", "IT", "ES"),
        partner("NC-VET", "NC", VET),
        partner("NC-ENT", "NC", ENT),
    )


def test_29_by_default_an_oct_counts_by_its_own_status_and_is_reviewed():
    verdict = evaluate(_three_countries_and_new_caledonia(), RULES_2022, AS_OF)

    overseas = verdict.result("overseas_territory")
    assert (overseas.status, overseas.participants, overseas.found) == (
        "review",
        ("NC-ENT", "NC-VET"),
        ["NC"],
    )
    assert result_as_dict(overseas)["message"] == (
        "NC-ENT, NC-VET are established in overseas countries or territories (NC), linked to "
        "FR. It is unclear whether they count as their Member State; the rule set counts them "
        "by their own country's status. Review it."
    )
    assert overseas.details == {
        "territories": {"NC-ENT": "NC", "NC-VET": "NC"},
        "counted_as_member_state": False,
    }
    # New Caledonia is not associated to the programme by itself: its partners do not count.
    assert (verdict.result("min_full_partners").found, _status(verdict, "min_full_partners")) == (
        6,
        "breach",
    )
    assert verdict.result("min_eligible_countries").details["countries"] == ["DE", "ES", "IT"]
    assert verdict.status == "breach"


def test_29_a_rule_set_may_count_an_oct_as_its_member_state_and_still_reviews_it():
    rules = replace(RULES_2022, oct_counts_as_member_state=True)

    verdict = evaluate(_three_countries_and_new_caledonia(), rules, AS_OF)

    assert _status(verdict, "overseas_territory") == "review"
    assert verdict.result("overseas_territory").details["counted_as_member_state"] is True
    assert (
        "the rule set counts them as their Member State"
        in (result_as_dict(verdict.result("overseas_territory"))["message"])
    )
    assert verdict.result("min_full_partners").found == 8
    assert verdict.result("min_eligible_countries").details["countries"] == [
        "DE",
        "ES",
        "FR",
        "IT",
    ]
    assert verdict.result("min_member_states").found == 4
    assert verdict.result("type_rule").details["qualifying"] == ["DE", "ES", "FR", "IT"]
    assert verdict.status == "review"
    assert verdict.compliant


def test_29_only_funded_participants_from_an_oct_are_reviewed():
    """An associated partner from Aruba receives no EU funding: nothing to review."""
    verdict = evaluate(
        _with_overseas(
            *pairs("DE", "FR", "IT", "ES"),
            partner("AW-AP", "AW", ENT, role="associated_partner"),
        ),
        RULES_2022,
        AS_OF,
    )

    assert verdict.result("overseas_territory") is None
    assert verdict.status == "pass"


def test_29_a_partner_moving_to_an_oct_is_reviewed_from_its_move():
    moved = partner("FR-ENT", "FR", ENT).with_value_from("country", "NC", D(2024, 1, 1))
    entries = timeline(
        _with_overseas(*[p for p in pairs("DE", "FR", "IT", "ES") if p.key != "FR-ENT"], moved),
        replace(RULES_2022, oct_counts_as_member_state=True),
    )

    assert [entry.starts_on for entry in entries] == [START, D(2024, 1, 1)]
    assert entries[0].verdict.result("overseas_territory") is None
    assert entries[1].verdict.result("overseas_territory").participants == ("FR-ENT",)
    assert entries[1].verdict.status == "review"


def test_29_the_rule_has_a_label():
    assert rule_label("overseas_territory") == (
        "participants from overseas countries or territories reviewed"
    )


# -- 30: restricted entities funded indirectly ----------------------------------------------------


def _third_party(name, *restrictions, kind="subcontractor", started_on, ended_on=None):
    return ThirdPartyFact(
        name=name,
        pic="999000001",
        kind=kind,
        started_on=started_on,
        ended_on=ended_on,
        restrictions=restrictions,
    )


def _with_third_parties(*third_parties, signed_on):
    return replace(
        consortium(*pairs("DE", "FR", "IT", "ES"), signed_on=signed_on),
        third_parties=third_parties,
    )


SIGNED_AFTER = D(2023, 3, 1)


def test_30_a_trust_entity_subcontracted_in_a_grant_signed_after_the_measure_is_a_breach():
    project = _with_third_parties(
        _third_party("Trust Uni", TRUST, started_on=D(2024, 1, 1), ended_on=D(2024, 12, 31)),
        signed_on=SIGNED_AFTER,
    )

    verdict = evaluate(project, RULES_2022, AS_OF)

    result = verdict.result("restricted_third_parties")
    assert (result.status, result.participants, result.found) == ("breach", ("Trust Uni",), 1)
    rendered = result_as_dict(result)
    assert rendered["message"] == (
        "On 2024-06-01, the project funds Trust Uni indirectly, as subcontractors or recipients "
        "of financial support, although they may not receive EU funding (see the reasons given "
        "for each)."
    )
    assert rendered["details"]["reasons"]["Trust Uni"]["en"] == (
        "a Hungarian public interest trust or an entity it maintains, in a grant signed on or "
        "after 2022-12-16: it may not be funded indirectly either"
    )
    assert verdict.status == "breach"
    assert rule_label("restricted_third_parties") == (
        "no indirect funding of an entity barred from EU funding"
    )


def test_30_the_breach_lasts_while_the_third_party_works_for_the_project():
    project = _with_third_parties(
        _third_party("Trust Uni", TRUST, started_on=D(2024, 1, 1), ended_on=D(2024, 12, 31)),
        signed_on=SIGNED_AFTER,
    )

    entries = timeline(project, RULES_2022)

    assert [(entry.starts_on, entry.verdict.status) for entry in entries] == [
        (START, "pass"),
        (D(2024, 1, 1), "breach"),
        (D(2025, 1, 1), "pass"),
    ]
    assert evaluate(project, RULES_2022, D(2023, 12, 31)).result("restricted_third_parties") is (
        None
    )


def test_30_a_breach_of_indirect_funding_is_never_a_tolerated_gap():
    project = _with_third_parties(
        _third_party("Trust Uni", TRUST, started_on=D(2024, 1, 1), ended_on=D(2024, 6, 15)),
        signed_on=SIGNED_AFTER,
    )

    verdict = evaluate(project, RULES_2022, AS_OF)  # it ends within the tolerated 90 days

    assert _status(verdict, "restricted_third_parties") == "breach"
    assert verdict.result("temporary_gap") is None


def test_30_in_a_grant_signed_before_the_measure_only_new_commitments_breach():
    signed_before = D(2022, 5, 20)
    project = _with_third_parties(
        _third_party("Old Sub", TRUST, started_on=D(2022, 7, 1)),
        _third_party("New Sub", TRUST, kind="financial_support", started_on=D(2023, 2, 1)),
        signed_on=signed_before,
    )

    verdict = evaluate(project, RULES_2022, AS_OF)

    result = verdict.result("restricted_third_parties")
    assert result.participants == ("New Sub",)
    assert result_as_dict(result)["details"]["reasons"]["New Sub"]["en"] == (
        "a Hungarian public interest trust or an entity it maintains, engaged on or after "
        "2022-12-16: no new commitment may be made with it"
    )


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("sanctions_list", "on a sanctions list since 2022-04-08"),
        (
            "russian_public_entity",
            "a Russian publicly controlled entity, excluded from EU funding since 2022-04-08",
        ),
    ],
)
def test_30_sanctioned_and_russian_public_third_parties_breach(kind, reason):
    project = _with_third_parties(
        _third_party("Excluded", Restriction(kind, D(2022, 4, 8)), started_on=D(2022, 7, 1)),
        signed_on=D(2022, 5, 20),
    )

    result = evaluate(project, RULES_2022, AS_OF).result("restricted_third_parties")

    assert result.status == "breach"
    assert result_as_dict(result)["details"]["reasons"]["Excluded"]["en"] == reason


def test_30_an_unrestricted_third_party_or_a_lifted_measure_is_fine():
    project = _with_third_parties(
        _third_party("Plain Ltd", started_on=D(2023, 6, 1)),
        _third_party(
            "Lifted Uni",
            Restriction("public_interest_trust", MEASURE, D(2024, 3, 31)),
            started_on=D(2023, 6, 1),
        ),
        signed_on=SIGNED_AFTER,
    )

    assert evaluate(project, RULES_2022, D(2024, 3, 31)).result(
        "restricted_third_parties"
    ).participants == ("Lifted Uni",)
    assert evaluate(project, RULES_2022, D(2024, 4, 1)).result("restricted_third_parties") is None
    assert [entry.starts_on for entry in timeline(project, RULES_2022)] == [
        START,
        D(2023, 6, 1),
        D(2024, 4, 1),
    ]


# -- through the record -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_record_gives_the_engine_overseas_territories_and_third_parties(
    api_client, users, demo
):
    """New Caledonia is linked to France in the country table; a third party recorded through
    the API is judged on the project's eligibility."""
    officer = users["officer"]
    api_client.force_authenticate(officer)
    trust = Organisation.objects.get(pic="999999002")  # ACME, from the other project
    OrganisationRestriction.objects.create(
        organisation=trust, kind="public_interest_trust", valid_from=MEASURE
    )
    nordlys = demo.participations.get(short_name="NORDLYS").organisation
    nordlys.country_id = "NC"
    nordlys.save(update_fields=["country"])

    created = api_client.post(
        f"/api/v1/projects/{demo.pk}/third-parties",
        {
            "pic": "999999002",
            "kind": "subcontractor",
            "started_on": "2026-01-01",
            "ended_on": "2026-03-31",
            "description": "Training of trainers",
        },
        format="json",
    )
    during = api_client.get(
        f"/api/v1/projects/{demo.pk}/eligibility", {"as_of": "2026-02-01"}
    ).json()
    after = api_client.get(
        f"/api/v1/projects/{demo.pk}/eligibility", {"as_of": "2026-04-01"}
    ).json()

    assert created.status_code == 201
    assert RuleSet.objects.get(calls__projects=demo).oct_counts_as_member_state is False
    rules_during = {r["rule"]: r for r in during["results"]}
    rules_after = {r["rule"]: r for r in after["results"]}
    assert rules_during["restricted_third_parties"]["status"] == "breach"
    assert rules_during["restricted_third_parties"]["participants"] == [trust.legal_name]
    assert "restricted_third_parties" not in rules_after
    assert rules_after["overseas_territory"]["participants"] == ["NORDLYS"]
    assert rules_after["overseas_territory"]["found"] == ["NC"]
    assert "linked to FR" in rules_after["overseas_territory"]["messages"]["en"]
