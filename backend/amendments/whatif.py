"""What an amendment would do to a consortium: its changes in the engine's terms, and the verdicts
with them from the earliest effective date to the project's end.

Pure: plain data in, plain data out; no ORM queries, no clock, nothing is ever written. The
changes come as model rows (``AmendmentChange``) or as validated input dicts with the same
attribute names (``participation_id``, ``country_id``, ...); participants are found in the
consortium by their participation id, organisations the project does not yet hold in
``AmendmentContext.organisations``.

Effective dates: an addition joins on its date; a termination's date is the LAST day of the
participation, like ``left_on`` in the grant file, so its consequence shows from the next day; a
change of coordinator or of an organisation's country or types holds from its date on (earlier
days keep the earlier values). A change of the grant as a whole says what it does through its
kind's handler (``kinds``).
"""

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from backend.grants.eligibility.changes import (
    AddParticipant,
    Change,
    ChangeCoordinator,
    ChangeOrganisation,
    EndParticipation,
    apply_changes,
)
from backend.grants.eligibility.engine import TimelineEntry, Verdict, evaluate, timeline
from backend.grants.eligibility.facts import Consortium, Participant, Restriction, RuleSetFacts
from backend.grants.eligibility.messages import timeline_as_list, verdict_as_dict

from .kinds import handler_for
from .models import ADDITIONS, PROJECT_LEVEL, ChangeKind

CHANGE_FIELDS = (
    "kind",
    "effective_on",
    "participation_id",
    "pic",
    "legal_name",
    "short_name",
    "country_id",
    "types",
    "affiliated_to_id",
    "new_country_id",
    "new_types",
    "initiated_by",
    "details",
)


@dataclass(frozen=True, slots=True)
class KnownOrganisation:
    """An organisation the system already records, as the rules see it."""

    pic: str
    legal_name: str
    country: str
    types: frozenset[str]
    restrictions: tuple[Restriction, ...] = ()


@dataclass(frozen=True, slots=True)
class AmendmentContext:
    """What checking and trying out a project's changes needs to know from the record."""

    consortium: Consortium
    rules: RuleSetFacts
    countries: frozenset[str]  # every known country code
    organisations: Mapping[str, KnownOrganisation]  # by PIC: those the changes name
    # What the handlers of the changes of the grant as a whole read from the record, by kind.
    records: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PlannedChange:
    """An engine change with the date it takes effect (the change carries it too)."""

    effective_on: datetime.date
    change: Change


def change_fields(change) -> dict:
    """A change row's or a validated input dict's values, by attribute name."""
    if isinstance(change, Mapping):
        return {name: change.get(name) for name in CHANGE_FIELDS}
    return {name: getattr(change, name) for name in CHANGE_FIELDS}


def planned_change(
    change,
    consortium: Consortium,
    organisations: Mapping[str, KnownOrganisation],
) -> PlannedChange:
    """One amendment change in the engine's terms. The participants it names must be in the
    consortium (validation makes sure of it)."""
    fields = change_fields(change)
    kind = fields["kind"]
    effective_on = fields["effective_on"]
    by_id = {p.id: p for p in consortium.participants if p.id is not None}

    def participant(participation_id) -> Participant:
        try:
            return by_id[participation_id]
        except KeyError:
            raise ValueError(
                f"participation {participation_id} is not in the consortium of "
                f"project {consortium.project_id}"
            ) from None

    if kind in ADDITIONS:
        # A PIC the system knows keeps its recorded name, country and types unless the
        # request says otherwise (validation refuses a request that contradicts the record).
        known = organisations.get(fields["pic"])
        country = fields["country_id"] or (known.country if known else None)
        if country is None:
            raise ValueError(f"no country for the new organisation {fields['pic']}")
        types = fields["types"]
        affiliated_to = fields["affiliated_to_id"]
        return PlannedChange(
            effective_on,
            AddParticipant(
                Participant(
                    key=fields["short_name"],
                    name=fields["legal_name"] or (known.legal_name if known else ""),
                    pic=fields["pic"],
                    country=country,
                    types=frozenset(types)
                    if types is not None
                    else (known.types if known else frozenset()),
                    role=str(ADDITIONS[kind]),
                    joined_on=effective_on,
                    affiliated_to=participant(affiliated_to).key if affiliated_to else None,
                    restrictions=known.restrictions if known else (),
                    id=None,
                )
            ),
        )
    target = participant(fields["participation_id"])
    if kind == ChangeKind.TERMINATE_PARTICIPATION:
        return PlannedChange(effective_on, EndParticipation(target.key, left_on=effective_on))
    if kind == ChangeKind.CHANGE_COORDINATOR:
        return PlannedChange(effective_on, ChangeCoordinator(target.key, effective_on))
    if kind == ChangeKind.CHANGE_ORGANISATION_COUNTRY:
        return PlannedChange(
            effective_on,
            ChangeOrganisation(
                target.pic, country=fields["new_country_id"], effective_on=effective_on
            ),
        )
    if kind == ChangeKind.CHANGE_ORGANISATION_TYPES:
        return PlannedChange(
            effective_on,
            ChangeOrganisation(
                target.pic, types=frozenset(fields["new_types"]), effective_on=effective_on
            ),
        )
    raise ValueError(f"unknown kind of change: {kind!r}")


def planned_changes(
    changes: Iterable,
    consortium: Consortium,
    organisations: Mapping[str, KnownOrganisation],
    records: Mapping[str, Any] | None = None,
) -> list[PlannedChange]:
    """The changes in the engine's terms; a change of the grant as a whole gives what its
    kind's handler says (perhaps nothing)."""
    planned = []
    for change in changes:
        fields = change_fields(change)
        if fields["kind"] in PROJECT_LEVEL:
            handler = handler_for(fields["kind"])
            record = (records or {}).get(str(fields["kind"]))
            planned.extend(
                PlannedChange(fields["effective_on"], engine_change)
                for engine_change in handler.consortium_changes(fields, record)
            )
        else:
            planned.append(planned_change(change, consortium, organisations))
    return planned


def consortium_on(
    consortium: Consortium, changes: Sequence[PlannedChange], day: datetime.date | None = None
) -> Consortium:
    """The consortium with the changes (each carries its date, so the day is not needed)."""
    return apply_changes(consortium, [c.change for c in changes])


def what_if(
    consortium: Consortium,
    rules: RuleSetFacts,
    changes: Sequence[PlannedChange],
    effective_on: datetime.date | None = None,
) -> dict[str, object]:
    """The verdict on the earliest effective date without and with the changes, and every later
    date up to the project's end on which the verdict with the changes changes.
    ``effective_on``: the request's earliest date, when some of its changes do nothing to the
    consortium (they give no PlannedChange).

    Returns {"effective_on": date, "verdict_before": Verdict, "verdict": Verdict,
    "changes_over_time": [TimelineEntry, ...]} (the first entry is the effective date).
    """
    dates = [change.effective_on for change in changes]
    if effective_on is not None:
        dates.append(effective_on)
    if not dates:
        raise ValueError("a what-if needs at least one change")
    first = min(dates)
    changed = consortium_on(consortium, changes)
    entries = timeline(changed, rules, start=first)
    return {
        "effective_on": first,
        "verdict_before": evaluate(consortium, rules, first),
        "verdict": entries[0].verdict,
        "changes_over_time": entries,
        "end_date_before": consortium.end_date,
        "end_date_after": changed.end_date,
    }


def breaches(result: Mapping[str, object]) -> list[TimelineEntry]:
    """The stretches of a what-if in which the consortium would be in breach."""
    return [entry for entry in result["changes_over_time"] if not entry.verdict.compliant]


def breached_rules(verdict: Verdict) -> list[str]:
    return [r.rule for r in verdict.results if r.status == "breach"]


def what_if_as_dict(result: Mapping[str, object], language: str = "en") -> dict:
    return {
        "effective_on": result["effective_on"].isoformat(),
        "verdict_before": verdict_as_dict(result["verdict_before"], language),
        "verdict": verdict_as_dict(result["verdict"], language),
        "changes_over_time": timeline_as_list(result["changes_over_time"], language),
        "breach_dates": [entry.starts_on.isoformat() for entry in breaches(result)],
        "end_date_before": result["end_date_before"].isoformat(),
        "end_date_after": result["end_date_after"].isoformat(),
        "money": result.get("money"),
        "notes": list(result.get("notes", [])),
    }
