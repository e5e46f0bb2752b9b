"""The plain data the eligibility rules read: a consortium as of its recorded history, the rule
set of its call, and the programme status of countries. No ORM here; selectors build these."""

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
class Participant:
    """One participation: an organisation in a role over a period (left_on inclusive)."""

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

    def active_on(self, day: datetime.date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)


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
