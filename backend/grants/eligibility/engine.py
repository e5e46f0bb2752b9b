"""Consortium eligibility: does a consortium meet its call's composition rules on a date?

Pure functions over the plain data of ``facts.py``: no ORM, no settings, no clock. One
``evaluate`` serves the project page, the API, the what-if of an amendment and the watchers.
Messages are gettext message ids with their values; ``messages.render`` words them in English or
Latvian, so the catalogue stays the one place for translations.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.utils.translation import gettext_noop

from backend.grants.rules import ASSOCIATED, EU_MEMBER, country_status_on

from .facts import (
    AFFILIATED_ENTITY,
    COORDINATOR,
    EMPLOYER_TYPES,
    FULL_PARTNER_ROLES,
    FUNDED_ROLES,
    PUBLIC_INTEREST_TRUST,
    SANCTIONS_LIST,
    SECONDARY_VET_TYPE,
    VET_TYPES,
    Consortium,
    Participant,
    RuleSetFacts,
    ThirdPartyFact,
)

PASS = "pass"
WARNING = "warning"
REVIEW = "review"
BREACH = "breach"
_RANK = {PASS: 0, WARNING: 1, REVIEW: 2, BREACH: 3}

# The composition rules proper; a breach of one of these can be a temporary gap.
COMPOSITION_RULES = frozenset(
    {"min_full_partners", "min_eligible_countries", "min_member_states", "type_rule", "coordinator"}
)
_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    status: str
    required: object
    found: object
    participants: tuple[str, ...]
    message: str  # a gettext message id
    params: Mapping[str, object] = field(default_factory=dict)
    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Verdict:
    as_of: datetime.date
    ruleset: str
    reference_date: datetime.date
    results: tuple[RuleResult, ...]

    @property
    def status(self) -> str:
        return max((result.status for result in self.results), key=_RANK.__getitem__, default=PASS)

    @property
    def compliant(self) -> bool:
        return self.status != BREACH

    def signature(self) -> tuple:
        """What a change of verdict is measured by: each rule's status, and who coordinates
        (a change of coordinator is a new stretch of the timeline even when every rule still
        passes)."""
        coordinator = self.result("coordinator")
        return (
            *((result.rule, result.status) for result in self.results),
            coordinator.participants if coordinator is not None else (),
        )

    def result(self, rule: str) -> RuleResult | None:
        return next((result for result in self.results if result.rule == rule), None)


def _names(participants: Iterable[Participant]) -> tuple[str, ...]:
    return tuple(sorted(participant.key for participant in participants))


def _listed(values: Iterable[str]) -> str:
    return ", ".join(values)


def reference_date(consortium: Consortium, rules: RuleSetFacts, as_of: datetime.date):
    """The date on which country statuses are read: the call's reference date, the grant's
    signature or the day evaluated, a setting of the rule set. No public source says which one
    the agency applies when a country's association changes during a grant (the United Kingdom
    and Switzerland are to be associated to Erasmus+ from 2027)."""
    if rules.country_reference == "signature":
        return consortium.signed_on
    if rules.country_reference == "evaluation":
        return as_of
    return consortium.call_reference_date


def _exclusion(participant: Participant, consortium: Consortium, day: datetime.date):
    """Why a participant may not receive EU funding on a day, as (message id, params), or None."""
    for restriction in participant.restrictions:
        if not restriction.covers(day):
            continue
        if restriction.kind == SANCTIONS_LIST:
            return gettext_noop("on a sanctions list since %(since)s"), {
                "since": restriction.valid_from
            }
        if participant.role not in FUNDED_ROLES:
            continue  # associated partners receive no EU funding
        if restriction.kind == PUBLIC_INTEREST_TRUST:
            if consortium.signed_on >= restriction.valid_from:
                return (
                    gettext_noop(
                        "a Hungarian public interest trust or an entity it maintains, in a grant "
                        "signed on or after %(since)s: it may only be an associated partner"
                    ),
                    {"since": restriction.valid_from},
                )
            if participant.joined_on >= restriction.valid_from:
                return (
                    gettext_noop(
                        "a Hungarian public interest trust or an entity it maintains, added on "
                        "or after %(since)s: no new commitment may be made with it"
                    ),
                    {"since": restriction.valid_from},
                )
            continue  # in a grant signed before the measure it may stay
        return (
            gettext_noop(
                "a Russian publicly controlled entity, excluded from EU funding since %(since)s"
            ),
            {"since": restriction.valid_from},
        )
    return None


def evaluate(consortium: Consortium, rules: RuleSetFacts, as_of: datetime.date) -> Verdict:
    """Judge the consortium as it stands on ``as_of``; a breach that recorded changes end
    within the rule set's tolerated gap is reported for review as a temporary gap."""
    verdict = _evaluate_on(consortium, rules, as_of)
    if verdict.status != BREACH or rules.temporary_gap_days <= 0:
        return verdict
    horizon = as_of + datetime.timedelta(days=rules.temporary_gap_days)
    broken = {r.rule for r in verdict.results if r.status == BREACH}
    if not broken <= COMPOSITION_RULES:
        return verdict
    for day in change_dates(consortium, after=as_of, until=horizon):
        later = _evaluate_on(consortium, rules, day)
        if not any(later.result(rule).status == BREACH for rule in broken):
            gap = RuleResult(
                rule="temporary_gap",
                status=REVIEW,
                required=None,
                found=str(day),
                participants=(),
                message=gettext_noop(
                    "The composition is broken from %(date)s until %(until)s, when changes already "
                    "recorded restore it. The agency may tolerate such a gap; review it."
                ),
                params={"date": as_of, "until": day},
            )
            results = tuple(
                replace(r, status=REVIEW, details={**r.details, "temporary_gap_until": str(day)})
                if r.status == BREACH
                else r
                for r in verdict.results
            )
            return replace(verdict, results=(*results, gap))
    return verdict


def _evaluate_on(consortium: Consortium, rules: RuleSetFacts, as_of: datetime.date) -> Verdict:
    composition = _Composition(consortium, rules, as_of)
    results = (
        *_restricted_participants_rule(composition),
        *_restricted_third_parties_rule(composition),
        *_overseas_territory_rule(composition),
        _min_full_partners_rule(composition),
        _min_eligible_countries_rule(composition),
        _min_member_states_rule(composition),
        *_type_rule(rules, composition.countable, composition.funded, composition.countries),
        _coordinator_rule(composition.active, composition.excluded, composition.status_of, as_of),
        *_country_status_changed_rule(composition),
        *_secondary_vet_provider_rule(composition),
    )
    return Verdict(
        as_of=as_of, ruleset=rules.key, reference_date=composition.reference, results=results
    )


_ELIGIBLE = frozenset({EU_MEMBER, ASSOCIATED})


class _Composition:
    """A consortium as it stands on ``as_of``: who takes part, who may receive EU funding, who
    counts toward the composition and from which countries. Country statuses are read on the
    rule set's reference date (or another day), each looked up once."""

    def __init__(self, consortium: Consortium, rules: RuleSetFacts, as_of: datetime.date):
        # Each participant with its country, types and role of that day.
        consortium = consortium.on(as_of)
        # Participants established in an overseas country or territory, with its code, before
        # the rule set perhaps counts them as their Member State (open question 11).
        self.overseas = {
            p.key: p.country for p in consortium.participants if p.country in consortium.overseas
        }
        if self.overseas and rules.oct_counts_as_member_state:
            consortium = replace(
                consortium,
                participants=tuple(
                    replace(p, country=consortium.overseas[p.country])
                    if p.key in self.overseas
                    else p
                    for p in consortium.participants
                ),
            )
        self.consortium = consortium
        self.rules = rules
        self.as_of = as_of
        self.reference = reference_date(consortium, rules, as_of)
        self._statuses: dict[tuple[str, datetime.date], str] = {}
        self.active = [p for p in consortium.participants if p.active_on(as_of)]
        self.excluded: dict[str, tuple] = {}
        for participant in self.active:
            reason = _exclusion(participant, consortium, as_of)
            if reason is not None:
                self.excluded[participant.key] = reason
        self.funded = [
            p for p in self.active if p.role in FUNDED_ROLES and p.key not in self.excluded
        ]
        partner_roles = FULL_PARTNER_ROLES | (
            {AFFILIATED_ENTITY} if rules.affiliated_entities_count_as_partners else set()
        )
        self.countable = [
            p
            for p in self.funded
            if p.role in partner_roles and self.status_of(p.country) in _ELIGIBLE
        ]
        self.countries = sorted({p.country for p in self.countable})
        self.member_states = [c for c in self.countries if self.status_of(c) == EU_MEMBER]

    def status_of(self, country: str, day: datetime.date | None = None) -> str:
        """A country's status on the reference date (or another day)."""
        key = (country, self.reference if day is None else day)
        if key not in self._statuses:
            self._statuses[key] = country_status_on(
                self.consortium.countries.get(country, ()), key[1]
            )
        return self._statuses[key]


def _restricted_participants_rule(composition: _Composition) -> tuple[RuleResult, ...]:
    """Dated restrictions: Hungarian public interest trusts, Russian public entities,
    sanctions."""
    excluded = composition.excluded
    if not excluded:
        return ()
    return (
        RuleResult(
            rule="restricted_participants",
            status=BREACH,
            required=0,
            found=len(excluded),
            participants=tuple(sorted(excluded)),
            message=gettext_noop(
                "On %(date)s, %(participants)s may not take part with EU funding (see the "
                "reasons given for each); they do not count toward the composition."
            ),
            params={"date": composition.as_of, "participants": _listed(sorted(excluded))},
            details={
                "reasons": {
                    key: {"message": message, "params": {k: str(v) for k, v in params.items()}}
                    for key, (message, params) in sorted(excluded.items())
                }
            },
        ),
    )


def _third_party_exclusion(third_party: ThirdPartyFact, consortium: Consortium, day):
    """Why a subcontractor or recipient of financial support may not receive EU money through
    the project on a day, as (message id, params), or None. Indirect funding of a restricted
    entity is as prohibited as funding it directly (Council Implementing Decision (EU)
    2022/2506; University of Cambridge, Research Operations:
    https://www.research-operations.admin.cam.ac.uk/about-us/bulletin/item/eu-council-action-against-certain-hungarian-entities)."""
    for restriction in third_party.restrictions:
        if not restriction.covers(day):
            continue
        since = {"since": restriction.valid_from}
        if restriction.kind == SANCTIONS_LIST:
            return gettext_noop("on a sanctions list since %(since)s"), since
        if restriction.kind == PUBLIC_INTEREST_TRUST:
            if consortium.signed_on >= restriction.valid_from:
                return (
                    gettext_noop(
                        "a Hungarian public interest trust or an entity it maintains, in a grant "
                        "signed on or after %(since)s: it may not be funded indirectly either"
                    ),
                    since,
                )
            if third_party.started_on >= restriction.valid_from:
                return (
                    gettext_noop(
                        "a Hungarian public interest trust or an entity it maintains, engaged on "
                        "or after %(since)s: no new commitment may be made with it"
                    ),
                    since,
                )
            continue  # engaged in a grant signed before the measure: it may go on
        return (
            gettext_noop(
                "a Russian publicly controlled entity, excluded from EU funding since %(since)s"
            ),
            since,
        )
    return None


def _restricted_third_parties_rule(composition: _Composition) -> tuple[RuleResult, ...]:
    """Subcontractors and recipients of financial support active on the day that may not
    receive EU money (edge case 30): a breach, naming them."""
    consortium, as_of = composition.consortium, composition.as_of
    excluded = {}
    for third_party in consortium.third_parties:
        if not third_party.active_on(as_of):
            continue
        reason = _third_party_exclusion(third_party, consortium, as_of)
        if reason is not None:
            excluded.setdefault(third_party.name, reason)
    if not excluded:
        return ()
    names = sorted(excluded)
    return (
        RuleResult(
            rule="restricted_third_parties",
            status=BREACH,
            required=0,
            found=len(excluded),
            participants=tuple(names),
            message=gettext_noop(
                "On %(date)s, the project funds %(third_parties)s indirectly, as subcontractors "
                "or recipients of financial support, although they may not receive EU funding "
                "(see the reasons given for each)."
            ),
            params={"date": as_of, "third_parties": _listed(names)},
            details={
                "reasons": {
                    name: {"message": message, "params": {k: str(v) for k, v in params.items()}}
                    for name, (message, params) in sorted(excluded.items())
                }
            },
        ),
    )


def _overseas_territory_rule(composition: _Composition) -> tuple[RuleResult, ...]:
    """Funded participants established in an overseas country or territory (edge case 29):
    the calls list them with the Member States, and no source says whether they count as
    their Member State for the country rules. The rule set decides
    (``oct_counts_as_member_state``); either way it is reviewed."""
    overseas = composition.overseas
    funded = sorted(p.key for p in composition.funded if p.key in overseas)
    if not funded:
        return ()
    territories = sorted({overseas[key] for key in funded})
    member_states = sorted(
        {composition.consortium.overseas.get(code, code) for code in territories}
    )
    counted = composition.rules.oct_counts_as_member_state
    return (
        RuleResult(
            rule="overseas_territory",
            status=REVIEW,
            required=None,
            found=territories,
            participants=tuple(funded),
            message=gettext_noop(
                "%(participants)s are established in overseas countries or territories "
                "(%(territories)s), linked to %(member_states)s. It is unclear whether they "
                "count as their Member State; the rule set counts them as their Member State. "
                "Review it."
            )
            if counted
            else gettext_noop(
                "%(participants)s are established in overseas countries or territories "
                "(%(territories)s), linked to %(member_states)s. It is unclear whether they "
                "count as their Member State; the rule set counts them by their own country's "
                "status. Review it."
            ),
            params={
                "participants": _listed(funded),
                "territories": _listed(territories),
                "member_states": _listed(member_states),
            },
            details={
                "territories": {key: overseas[key] for key in funded},
                "counted_as_member_state": counted,
            },
        ),
    )


def _min_full_partners_rule(composition: _Composition) -> RuleResult:
    """At least N full partners from EU Member States or associated third countries."""
    rules, countable = composition.rules, composition.countable
    return RuleResult(
        rule="min_full_partners",
        status=PASS if len(countable) >= rules.min_full_partners else BREACH,
        required=rules.min_full_partners,
        found=len(countable),
        participants=_names(countable),
        message=gettext_noop(
            "%(found)s full partners established in EU Member States or associated third "
            "countries take part on %(date)s; at least %(required)s are required."
        ),
        params={
            "found": len(countable),
            "required": rules.min_full_partners,
            "date": composition.as_of,
        },
    )


def _min_eligible_countries_rule(composition: _Composition) -> RuleResult:
    """At least N distinct eligible countries."""
    rules, countries = composition.rules, composition.countries
    return RuleResult(
        rule="min_eligible_countries",
        status=PASS if len(countries) >= rules.min_eligible_countries else BREACH,
        required=rules.min_eligible_countries,
        found=len(countries),
        participants=_names(composition.countable),
        message=gettext_noop(
            "The full partners come from %(found)s EU Member States or associated third "
            "countries (%(countries)s); at least %(required)s are required."
        ),
        params={
            "found": len(countries),
            "required": rules.min_eligible_countries,
            "countries": _listed(countries) or "-",
        },
        details={"countries": countries},
    )


def _min_member_states_rule(composition: _Composition) -> RuleResult:
    """At least N EU Member States (a breach or a warning, by rule set)."""
    rules, member_states = composition.rules, composition.member_states
    return RuleResult(
        rule="min_member_states",
        status=PASS
        if len(member_states) >= rules.min_member_states
        else rules.member_states_severity,
        required=rules.min_member_states,
        found=len(member_states),
        participants=_names(p for p in composition.countable if p.country in member_states),
        message=gettext_noop(
            "%(found)s of these countries are EU Member States (%(countries)s); at least "
            "%(required)s are required."
        ),
        params={
            "found": len(member_states),
            "required": rules.min_member_states,
            "countries": _listed(member_states) or "-",
        },
        details={"countries": member_states},
    )


def _country_status_changed_rule(composition: _Composition) -> tuple[RuleResult, ...]:
    """A country whose status on the day evaluated differs from its status on the reference
    date (associated, or no longer associated, during the grant): reported for review, never
    applied by itself."""
    as_of, reference, status_of = composition.as_of, composition.reference, composition.status_of
    if reference == as_of:
        return ()
    funded = composition.funded
    changed = sorted(
        country
        for country in {p.country for p in funded}
        if status_of(country) != status_of(country, as_of)
        and _ELIGIBLE & {status_of(country), status_of(country, as_of)}
    )
    if not changed:
        return ()
    return (
        RuleResult(
            rule="country_status_changed",
            status=REVIEW,
            required=None,
            found=changed,
            participants=_names(p for p in funded if p.country in changed),
            message=gettext_noop(
                "The programme status of %(countries)s on %(date)s differs from its "
                "status on the reference date %(reference)s, which the rules apply. "
                "Review whether the agency applies the new status."
            ),
            params={"countries": _listed(changed), "date": as_of, "reference": reference},
            details={
                "countries": {
                    c: {"reference": status_of(c), "now": status_of(c, as_of)} for c in changed
                }
            },
        ),
    )


def _secondary_vet_provider_rule(composition: _Composition) -> tuple[RuleResult, ...]:
    """EQF coverage: a CoVE may not target only the tertiary level; one focused on EQF 6-8
    also needs a VET level between EQF 3 and 5 (Czech National Agency, centralised actions:
    https://www.dzs.cz/en/centralised-activities). Reviewed where the rule set asks for it."""
    if not composition.rules.secondary_vet_provider_review or any(
        SECONDARY_VET_TYPE in p.types for p in composition.funded
    ):
        return ()
    return (
        RuleResult(
            rule="secondary_vet_provider",
            status=REVIEW,
            required=1,
            found=0,
            participants=(),
            message=gettext_noop(
                "No upper-secondary VET provider (EQF 3-4) takes part on %(date)s; check "
                "that the project still covers a VET level between EQF 3 and 5."
            ),
            params={"date": composition.as_of},
        ),
    )


def _qualifying(
    countable, funded, countries, *, with_affiliated: bool
) -> tuple[list[str], dict[str, list[str]]]:
    """The eligible countries that have an employer side and a VET provider among their
    countable partners (and, ``with_affiliated``, their affiliated entities), and who takes
    part from each country."""
    types: dict[str, set[str]] = defaultdict(set)
    who: dict[str, list[str]] = defaultdict(list)
    for participant in countable:
        types[participant.country] |= participant.types
        who[participant.country].append(participant.key)
    if with_affiliated:
        for participant in funded:
            if participant.role == AFFILIATED_ENTITY and participant.country in countries:
                types[participant.country] |= participant.types
                who[participant.country].append(participant.key)
    good = [c for c in countries if types[c] & EMPLOYER_TYPES and types[c] & VET_TYPES]
    return good, who


def _type_rule_met(good: list[str], countries: list[str], required: int, strict: bool) -> bool:
    """Enough qualifying countries; strict: every eligible country qualifies."""
    return len(good) >= required and (not strict or len(good) == len(countries))


def _type_rule(rules, countable, funded, countries) -> list[RuleResult]:
    """Each (lenient: enough) eligible country has an employer side and a VET provider."""
    strict = rules.type_rule_reading == "strict"
    counting = rules.affiliated_entities_count_for_types
    good, who = _qualifying(countable, funded, countries, with_affiliated=counting)
    lacking = [c for c in countries if c not in good]
    required = max(
        len(countries) if strict else rules.min_qualifying_countries,
        rules.min_qualifying_countries,
    )
    passed = _type_rule_met(good, countries, required, strict)
    status = PASS if passed else BREACH
    params = {"found": len(good), "required": required, "countries": _listed(good) or "-"}
    message = (
        gettext_noop(
            "Every eligible country must have an enterprise or sector representative and a VET "
            "provider among its partners; %(found)s of %(required)s do (%(countries)s)."
        )
        if strict
        else gettext_noop(
            "%(found)s eligible countries (%(countries)s) each have an enterprise or sector "
            "representative and a VET provider among their partners; at least %(required)s are "
            "required."
        )
    )
    if passed and counting:
        without, _who = _qualifying(countable, funded, countries, with_affiliated=False)
        if not _type_rule_met(without, countries, required, strict):
            # Met only because affiliated entities' types count: the agency may not accept it.
            status = REVIEW
            affiliated = sorted(
                p.key for p in funded if p.role == AFFILIATED_ENTITY and p.country in good
            )
            message = gettext_noop(
                "%(found)s eligible countries (%(countries)s) have an enterprise or sector "
                "representative and a VET provider only when the types of affiliated entities "
                "(%(affiliated)s) count; at least %(required)s are required. Review whether the "
                "agency accepts them."
            )
            params = {**params, "affiliated": _listed(affiliated)}
    results = [
        RuleResult(
            rule="type_rule",
            status=status,
            required=required,
            found=len(good),
            participants=tuple(sorted(key for c in good for key in who[c])),
            message=message,
            params=params,
            details={"qualifying": good, "lacking": lacking},
        )
    ]
    if lacking and not strict:
        results.append(_countries_without_both_types(lacking, who))
    return results


def _countries_without_both_types(lacking: list[str], who: dict[str, list[str]]) -> RuleResult:
    return RuleResult(
        rule="countries_without_both_types",
        status=REVIEW,
        required=None,
        found=lacking,
        participants=tuple(sorted(key for c in lacking for key in who[c])),
        message=gettext_noop(
            "Countries taking part without both an enterprise or sector representative "
            "and a VET provider: %(countries)s. They do not count toward the type rule."
        ),
        params={"countries": _listed(lacking)},
        details={"countries": lacking},
    )


def _coordinator_rule(active, excluded, status_of, as_of) -> RuleResult:
    coordinators = [p for p in active if p.role == COORDINATOR]
    if not coordinators:
        return RuleResult(
            rule="coordinator",
            status=BREACH,
            required=1,
            found=0,
            participants=(),
            message=gettext_noop("No coordinator takes part on %(date)s."),
            params={"date": as_of},
        )
    coordinator = coordinators[0]
    params = {"coordinator": coordinator.key, "country": coordinator.country}
    if status_of(coordinator.country) not in (EU_MEMBER, ASSOCIATED):
        return RuleResult(
            rule="coordinator",
            status=BREACH,
            required=1,
            found=0,
            participants=(coordinator.key,),
            message=gettext_noop(
                "The coordinator %(coordinator)s is established in %(country)s, which is neither "
                "an EU Member State nor a third country associated to the programme."
            ),
            params=params,
        )
    if coordinator.key in excluded:
        return RuleResult(
            rule="coordinator",
            status=BREACH,
            required=1,
            found=0,
            participants=(coordinator.key,),
            message=gettext_noop("The coordinator %(coordinator)s may not receive EU funding."),
            params=params,
        )
    return RuleResult(
        rule="coordinator",
        status=PASS,
        required=1,
        found=1,
        participants=(coordinator.key,),
        message=gettext_noop(
            "The coordinator %(coordinator)s is established in %(country)s, an EU Member State or "
            "associated third country."
        ),
        params=params,
    )


def change_dates(
    consortium: Consortium,
    *,
    after: datetime.date | None = None,
    until: datetime.date | None = None,
) -> list[datetime.date]:
    """The dates on which the verdict can change: joins, the day after a participation ends,
    dated changes of a participant's values, third parties starting and ending, restrictions
    starting and ending, and countries changing status. Sorted, within the project's life and
    (after, until]."""
    dates = {consortium.start_date}
    for participant in consortium.participants:
        dates.add(participant.joined_on)
        dates |= participant.change_days()
        if participant.left_on is not None:
            dates.add(participant.left_on + _ONE_DAY)
        for restriction in participant.restrictions:
            dates.add(restriction.valid_from)
            if restriction.valid_to is not None:
                dates.add(restriction.valid_to + _ONE_DAY)
    for third_party in consortium.third_parties:
        dates.add(third_party.started_on)
        if third_party.ended_on is not None:
            dates.add(third_party.ended_on + _ONE_DAY)
        for restriction in third_party.restrictions:
            dates.add(restriction.valid_from)
            if restriction.valid_to is not None:
                dates.add(restriction.valid_to + _ONE_DAY)
    # Country status changes: they decide the rules when statuses are read on the date
    # evaluated, and are reviewed as changes when they are read on a reference date.
    countries = {p.country for p in consortium.participants} | {
        entry.country
        for p in consortium.participants
        for entry in p.earlier
        if entry.country is not None
    }
    for country in countries:
        for _status, valid_from, valid_to in consortium.countries.get(country, ()):
            dates.add(valid_from)
            if valid_to is not None:
                dates.add(valid_to + _ONE_DAY)
    first = consortium.start_date if after is None else max(consortium.start_date, after + _ONE_DAY)
    last = consortium.end_date if until is None else min(consortium.end_date, until)
    return sorted(day for day in dates if first <= day <= last)


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    starts_on: datetime.date
    verdict: Verdict


def timeline(
    consortium: Consortium,
    rules: RuleSetFacts,
    *,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
) -> list[TimelineEntry]:
    """Each date in the project's life on which the verdict changes, with the verdict from then
    on. The first entry is the project's start (or ``start``)."""
    first = start or consortium.start_date
    dates = [first, *change_dates(consortium, after=first, until=end)]
    entries: list[TimelineEntry] = []
    for day in dates:
        verdict = evaluate(consortium, rules, day)
        if not entries or verdict.signature() != entries[-1].verdict.signature():
            entries.append(TimelineEntry(starts_on=day, verdict=verdict))
    return entries


def next_breach(
    consortium: Consortium, rules: RuleSetFacts, today: datetime.date
) -> TimelineEntry | None:
    """The first breach that changes already recorded bring within the rule set's warning
    horizon (the caller asks when there is none today)."""
    horizon = today + datetime.timedelta(days=rules.scheduled_breach_days)
    for day in change_dates(consortium, after=today, until=horizon):
        # Unforgiving: a coming gap is announced even if it would be tolerated.
        verdict = _evaluate_on(consortium, rules, day)
        if not verdict.compliant:
            return TimelineEntry(starts_on=day, verdict=verdict)
    return None
