"""The plain data the eligibility rules read: a consortium as of its recorded history, the rule
set of its call, and the programme status of countries. No ORM here; selectors build these."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from backend.grants.rules import StatusPeriod

COORDINATOR = "coordinator"
BENEFICIARY = "beneficiary"
AFFILIATED_ENTITY = "affiliated_entity"
ASSOCIATED_PARTNER = "associated_partner"
FULL_PARTNER_ROLES = frozenset({COORDINATOR, BENEFICIARY})
FUNDED_ROLES = frozenset({COORDINATOR, BENEFICIARY, AFFILIATED_ENTITY})

EMPLOYER_TYPES = frozenset({"enterprise", "sector_representative"})
VET_TYPES = frozenset({"vet_provider_secondary", "vet_provider_tertiary"})
SECONDARY_VET_TYPE = "vet_provider_secondary"

PUBLIC_INTEREST_TRUST = "public_interest_trust"
RUSSIAN_PUBLIC_ENTITY = "russian_public_entity"
SANCTIONS_LIST = "sanctions_list"


@dataclass(frozen=True, slots=True)
class Restriction:
    kind: str
    valid_from: datetime.date
    valid_to: datetime.date | None = None  # inclusive; None = still in force

    def covers(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, slots=True)
class Earlier:
    """A value a participant had up to a day (inclusive) before a dated change: its
    organisation's country or types, or its role. The others are None (not changed then)."""

    until: datetime.date
    country: str | None = None
    types: frozenset[str] | None = None
    role: str | None = None


DATED = ("country", "types", "role")
_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Participant:
    """One participation: an organisation in a role over a period (left_on inclusive).

    ``country``, ``types`` and ``role`` are the newest values; ``earlier`` holds the values
    before dated changes (a move of the seat, a re-classification, a change of coordinator),
    so that a day is judged with the values of that day (``on``). ``pending``: a newcomer whose
    accession is pending, or who never acceded; it does not take part (``joined_on`` is the
    day it counts from once it accedes)."""

    key: str  # the participant's short name in the project
    name: str  # the organisation's legal name
    pic: str
    country: str
    types: frozenset[str]
    role: str
    joined_on: datetime.date
    left_on: datetime.date | None = None
    affiliated_to: str | None = None
    restrictions: tuple[Restriction, ...] = ()
    id: int | None = None  # the participation's id; None for one that is only planned
    earlier: tuple[Earlier, ...] = ()  # sorted by ``until``
    pending: bool = False

    def active_on(self, day: datetime.date) -> bool:
        return (
            not self.pending
            and self.joined_on <= day
            and (self.left_on is None or day <= self.left_on)
        )

    def value_on(self, name: str, day: datetime.date):
        """The country, types or role valid on ``day``."""
        for entry in self.earlier:
            value = getattr(entry, name)
            if value is not None and day <= entry.until:
                return value
        return getattr(self, name)

    def on(self, day: datetime.date) -> "Participant":
        """The participant with the values valid on ``day``."""
        if not self.earlier:
            return self
        return replace(self, **{name: self.value_on(name, day) for name in DATED}, earlier=())

    def change_days(self) -> set[datetime.date]:
        """The first days of dated changes."""
        return {entry.until + _ONE_DAY for entry in self.earlier}

    def with_value_from(self, name: str, value, day: datetime.date) -> "Participant":
        """The participant with ``name`` = ``value`` from ``day`` until its next recorded
        change of that value (the newest value if none follows)."""
        # The value's history as (first day, value) steps; the first starts at the dawn of time.
        steps: list[tuple[datetime.date, object]] = []
        start = datetime.date.min
        for entry in self.earlier:
            held = getattr(entry, name)
            if held is not None:
                steps.append((start, held))
                start = entry.until + _ONE_DAY
        steps.append((start, getattr(self, name)))
        kept = [(first, held) for first, held in steps if first != day]
        kept.append((day, value))
        kept.sort(key=lambda step: step[0])
        merged: list[tuple[datetime.date, object]] = []
        for first, held in kept:
            if merged and merged[-1][1] == held:
                continue
            merged.append((first, held))
        # The other values' history stays as it is.
        others = [
            replace(entry, **{name: None})
            for entry in self.earlier
            if any(getattr(entry, other) is not None for other in DATED if other != name)
        ]
        earlier = [
            Earlier(until=merged[index + 1][0] - _ONE_DAY, **{name: held})
            for index, (_first, held) in enumerate(merged[:-1])
        ]
        return replace(
            self,
            **{name: merged[-1][1]},
            earlier=tuple(sorted([*others, *earlier], key=lambda entry: entry.until)),
        )


@dataclass(frozen=True, slots=True)
class Consortium:
    """A project's consortium with everything the rules need to judge it on any date."""

    project_id: int | None
    signed_on: datetime.date
    start_date: datetime.date
    end_date: datetime.date
    call_reference_date: datetime.date  # the call's country list date
    participants: tuple[Participant, ...]
    # Programme status periods by country code; shared between the consortia of a batch.
    countries: Mapping[str, Sequence[StatusPeriod]] = field(default_factory=dict)
    # Overseas countries and territories: code -> the Member State each is linked to.
    overseas: Mapping[str, str] = field(default_factory=dict)
    # Subcontractors and recipients of financial support (restricted entities may not be).
    third_parties: tuple["ThirdPartyFact", ...] = ()

    def on(self, day: datetime.date) -> "Consortium":
        """The consortium with each participant's values valid on ``day``."""
        if not any(participant.earlier for participant in self.participants):
            return self
        return replace(
            self, participants=tuple(participant.on(day) for participant in self.participants)
        )


@dataclass(frozen=True, slots=True)
class ThirdPartyFact:
    """An organisation receiving EU money through the project: a subcontractor or a recipient
    of financial support, over a period (ended_on inclusive)."""

    name: str
    pic: str
    kind: str  # subcontractor | financial_support
    started_on: datetime.date
    ended_on: datetime.date | None = None
    restrictions: tuple[Restriction, ...] = ()

    def active_on(self, day: datetime.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day <= self.ended_on)


@dataclass(frozen=True, slots=True)
class RuleSetFacts:
    """A call's rule set (grants.RuleSet) as plain data."""

    key: str
    min_full_partners: int = 8
    affiliated_entities_count_as_partners: bool = False
    min_eligible_countries: int = 4
    min_member_states: int = 2
    member_states_severity: str = "warning"  # breach | warning
    type_rule_reading: str = "lenient"  # lenient | strict
    min_qualifying_countries: int = 4
    affiliated_entities_count_for_types: bool = True
    country_reference: str = "call"  # call | signature | evaluation
    temporary_gap_days: int = 90
    scheduled_breach_days: int = 90
    secondary_vet_provider_review: bool = True
    oct_counts_as_member_state: bool = False
