"""The what-if of changes: translated into the engine's changes, judged on the effective date and
every later date the verdict changes, and never written anywhere."""

import pytest

from backend.amendments.errors import AmendmentInvalid
from backend.amendments.selectors import amendment_context, changes_what_if
from backend.amendments.validation import check_changes
from backend.amendments.whatif import (
    breaches,
    planned_change,
    planned_changes,
    what_if,
    what_if_as_dict,
)
from backend.grants.eligibility.changes import (
    AddParticipant,
    ChangeCoordinator,
    ChangeOrganisation,
    EndParticipation,
)
from backend.grants.models import Organisation
from tests.amendments.helpers import (
    DOWN_TO_SEVEN,
    add,
    day,
    new_organisation,
    row_counts,
    terminate,
)

pytestmark = pytest.mark.django_db


def _context(project, changes=()):
    return amendment_context(project_id=project.pk, pics={c.pic for c in changes if c.pic})


def _planned(project, changes):
    context = _context(project, changes)
    validated = check_changes(changes, context)
    return context, planned_changes(validated, context.consortium, context.organisations)


# -- translation ---------------------------------------------------------------------------------


def test_a_new_organisation_joins_on_the_effective_date_with_the_types_given(demo):
    _, [planned] = _planned(
        demo,
        [
            add(
                effective_on="2026-01-01",
                **new_organisation("NEWCO", "993000001", "PL", ["enterprise"]),
            )
        ],
    )

    assert planned.effective_on == day("2026-01-01")
    assert isinstance(planned.change, AddParticipant)
    participant = planned.change.participant
    assert (participant.key, participant.pic, participant.country, participant.role) == (
        "NEWCO",
        "993000001",
        "PL",
        "beneficiary",
    )
    assert participant.types == frozenset({"enterprise"})
    assert (participant.joined_on, participant.left_on, participant.id) == (
        day("2026-01-01"),
        None,
        None,
    )


def test_a_known_pic_keeps_its_recorded_country_types_and_restrictions(demo, other_project):
    # ACME (999999002) takes part in the other project; the demo knows nothing of it.
    _, [planned] = _planned(
        demo,
        [
            add(
                "add_affiliated_entity",
                effective_on="2026-01-01",
                pic="999999002",
                short_name="ACME",
                affiliated_to="UKELB",
            )
        ],
    )

    participant = planned.change.participant
    assert (participant.name, participant.country, participant.types) == (
        "Acme Solar SA",
        "PT",
        frozenset({"enterprise"}),
    )
    assert (participant.role, participant.affiliated_to) == ("affiliated_entity", "UKELB")


def test_targeted_changes_become_the_engines_changes(demo):
    _, planned = _planned(
        demo,
        [
            terminate("ZSTW", "2026-06-30"),
            add("change_coordinator", participant="UKELB", effective_on="2026-07-01"),
            add(
                "change_organisation_country",
                participant="NORDLYS",
                country="SE",
                effective_on="2026-07-01",
            ),
            add(
                "change_organisation_types",
                participant="ZSTW",
                types=["vet_provider_secondary", "enterprise"],
                effective_on="2026-05-01",
            ),
        ],
    )

    assert [p.change for p in planned] == [
        EndParticipation("ZSTW", left_on=day("2026-06-30")),
        ChangeCoordinator("UKELB", effective_on=day("2026-07-01")),
        ChangeOrganisation("992100702", country="SE", effective_on=day("2026-07-01")),
        ChangeOrganisation(
            "992100601",
            types=frozenset({"enterprise", "vet_provider_secondary"}),
            effective_on=day("2026-05-01"),
        ),
    ]


def test_a_participant_outside_the_consortium_cannot_be_translated(demo, other_project):
    context = _context(demo)
    stranger = other_project.participations.get(short_name="ACME")

    with pytest.raises(ValueError, match="not in the consortium"):
        planned_change(
            {
                "kind": "terminate_participation",
                "effective_on": day("2026-01-01"),
                "participation_id": stranger.pk,
            },
            context.consortium,
            context.organisations,
        )


# -- verdicts --------------------------------------------------------------------------------


def test_terminating_down_to_seven_full_partners_is_a_breach_from_the_day_after(demo):
    """The effective date of a termination is the last day of the participation: on it the seven
    leavers still take part; from the next day on the consortium has 7 full partners."""
    context, planned = _planned(demo, [terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN])

    result = what_if(context.consortium, context.rules, planned)

    assert result["effective_on"] == day("2026-06-30")
    assert result["verdict_before"].status == "review"  # Poland lacks an employer: review
    assert result["verdict"].compliant
    [breach] = breaches(result)
    assert breach.starts_on == day("2026-07-01")
    assert [(r.rule, r.status) for r in breach.verdict.results if r.status == "breach"] == [
        ("min_full_partners", "breach")
    ]
    assert breach.verdict.result("min_full_partners").found == 7
    # And it stays so to the project's end: no later entry restores it.
    assert result["changes_over_time"][-1] is breach


def test_the_what_if_as_data_lists_the_breach_date_in_the_requests_language(demo):
    context, planned = _planned(demo, [terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN])

    data = what_if_as_dict(what_if(context.consortium, context.rules, planned), "lv")

    assert data["effective_on"] == "2026-06-30"
    assert data["breach_dates"] == ["2026-07-01"]
    assert [entry["starts_on"] for entry in data["changes_over_time"]] == [
        "2026-06-30",
        "2026-07-01",
    ]
    breach = data["changes_over_time"][1]["verdict"]
    assert breach["status"] == "breach"
    rule = next(r for r in breach["results"] if r["rule"] == "min_full_partners")
    assert rule["message"] == rule["messages"]["lv"]
    assert rule["messages"]["en"].startswith("7 full partners established in EU Member States")


def test_a_partial_takeover_on_one_date_leaves_no_gap(demo):
    """Scenario 14: termination + addition, the accession date equal to the transfer."""
    context, planned = _planned(
        demo,
        [
            terminate("LVTDA", "2026-06-30"),
            add(
                effective_on="2026-06-30",
                **new_organisation("LVTDA-NEW", "993000002", "LV", ["sector_representative"]),
            ),
            *[terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN if key != "LVTDA"],
        ],
    )

    result = what_if(context.consortium, context.rules, planned)

    assert breaches(result) == []
    assert result["verdict"].result("min_full_partners").found == 14
    assert result["changes_over_time"][-1].verdict.result("min_full_partners").found == 8


def test_a_replacement_joining_within_the_tolerated_gap_makes_the_gap_a_review(demo):
    """Scenario 19: 7 partners for a few weeks, fixed by the same request."""
    context, planned = _planned(
        demo,
        [
            *[terminate(key, "2026-06-30") for key in DOWN_TO_SEVEN],
            add(
                effective_on="2026-08-01",
                **new_organisation("NEWCO", "993000003", "LV", ["enterprise"]),
            ),
        ],
    )

    result = what_if(context.consortium, context.rules, planned)

    assert breaches(result) == []
    gap = next(e for e in result["changes_over_time"] if e.starts_on == day("2026-07-01"))
    assert gap.verdict.status == "review"
    assert gap.verdict.result("temporary_gap").params["until"] == day("2026-08-01")


def test_a_change_of_coordinator_holds_from_its_own_date_only(demo):
    """A change of coordinator is dated: before its effective date the old coordinator is still
    the one judged, and from it the new one."""
    context, planned = _planned(
        demo,
        [
            terminate("GAUJA", "2026-06-30"),
            add("change_coordinator", participant="UKELB", effective_on="2026-08-01"),
        ],
    )

    result = what_if(context.consortium, context.rules, planned)

    starts = {entry.starts_on: entry.verdict for entry in result["changes_over_time"]}
    assert result["verdict"].result("coordinator").participants == ("GAUJA",)
    # July: nobody coordinates. The dated change restores a coordinator on 1 August, within the
    # rule set's tolerated gap (90 days): a gap to review, like a departure and its replacement.
    july = starts[day("2026-07-01")].result("coordinator")
    assert (july.status, july.participants) == ("review", ())
    assert july.details["temporary_gap_until"] == "2026-08-01"
    assert starts[day("2026-07-01")].result("temporary_gap").status == "review"
    assert starts[day("2026-08-01")].result("coordinator").participants == ("UKELB",)
    assert starts[day("2026-08-01")].result("coordinator").status == "pass"


def test_a_coordinator_outside_eligible_countries_is_the_verdicts_business(demo):
    """ZORIANE (Ukraine, not associated) may be proposed; the verdict says it breaks the rule."""
    result = changes_what_if(
        project=demo,
        changes=[add("change_coordinator", participant="ZORIANE", effective_on="2026-07-01")],
    )

    assert result["verdict"].result("coordinator").status == "breach"


def test_a_what_if_needs_at_least_one_change(demo):
    with pytest.raises(AmendmentInvalid) as refused:
        changes_what_if(project=demo, changes=[])

    assert [e.as_dict() for e in refused.value.errors] == [
        {"path": "changes", "message": "Give at least one change."}
    ]


def test_a_what_if_writes_nothing(demo, django_capture_on_commit_callbacks):
    before = row_counts()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        changes_what_if(
            project=demo,
            changes=[
                terminate("LVTDA", "2026-06-30"),
                add(
                    effective_on="2026-06-30",
                    **new_organisation("NEWCO", "993000004", "LV", ["enterprise"]),
                ),
                add(
                    "change_organisation_types",
                    participant="ZSTW",
                    types=["enterprise"],
                    effective_on="2026-07-01",
                ),
                add("change_coordinator", participant="UKELB", effective_on="2026-07-01"),
            ],
        )

    assert row_counts() == before
    assert callbacks == []


def test_a_known_organisations_restrictions_travel_with_it(demo, other_project):
    """Scenario 8: a grant signed after 16 Dec 2022 may not take a Hungarian public
    interest trust on as a beneficiary; the what-if says so from the day it would join."""
    acme = Organisation.objects.get(pic="999999002")
    acme.restrictions.create(kind="public_interest_trust", valid_from=day("2022-12-16"))

    result = changes_what_if(
        project=demo,
        changes=[add(effective_on="2026-07-01", pic="999999002", short_name="ACME")],
    )

    restricted = result["verdict"].result("restricted_participants")
    assert (restricted.status, restricted.participants) == ("breach", ("ACME",))


def test_an_associated_partner_leaves_the_composition_as_it_was(demo):
    """Scenario 9: associated partners count for nothing."""
    result = changes_what_if(
        project=demo,
        changes=[
            add(
                "add_associated_partner",
                effective_on="2026-07-01",
                **new_organisation("CITY", "993000005", "LV", ["public_authority"]),
            )
        ],
    )

    assert result["verdict"].signature() == result["verdict_before"].signature()
