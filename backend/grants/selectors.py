"""Reads of the grant record, scoped to the requesting user, in a fixed number of queries."""

import datetime
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from django.db.models import Count, Exists, F, Lookup, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from backend.accounts.models import ProjectRole
from backend.common.dates import month_end
from backend.grants.eligibility.engine import TimelineEntry, Verdict, evaluate, timeline
from backend.grants.eligibility.facts import (
    Consortium,
    Earlier,
    Participant,
    Restriction,
    RuleSetFacts,
    ThirdPartyFact,
)
from backend.grants.models import (
    Accession,
    Country,
    Organisation,
    OrganisationRestriction,
    OrganisationType,
    OrganisationUpdate,
    Participation,
    ParticipationRoleChange,
    Project,
    RuleSet,
    ThirdParty,
)


def projects_visible_to(user) -> QuerySet[Project]:
    """Administrators see every project; everyone else the projects they hold a role on
    (an officer's portfolio, a manager's or partner contact's own projects)."""
    projects = Project.objects.all()
    if user.is_superuser:
        return projects
    if not user.is_authenticated:
        return projects.none()
    return projects.filter(
        Exists(ProjectRole.objects.filter(project=OuterRef("pk"), user_id=user.pk))
    )


def project_list(*, user) -> QuerySet[Project]:
    """Projects for a listing: call, coordinator and participant count loaded with the page.

    The participant count is a subquery evaluated for the page's rows only (not a join grouped
    over every project before the page is taken), so a page costs the same whatever the number
    of projects, and counting the list is a plain COUNT over the projects (the unused
    annotation is left out of it)."""
    coordinators = Participation.objects.filter(role="coordinator").select_related("organisation")
    participants = (
        Participation.objects.filter(project=OuterRef("pk"))
        .order_by()
        .values("project")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        projects_visible_to(user)
        .select_related("call")
        .annotate(participant_count=Coalesce(Subquery(participants), 0))
        .prefetch_related(Prefetch("participations", queryset=coordinators, to_attr="coordinators"))
        .order_by("grant_agreement_number")
    )


def ruleset_facts(ruleset: RuleSet) -> RuleSetFacts:
    return RuleSetFacts(
        key=ruleset.key,
        min_full_partners=ruleset.min_full_partners,
        affiliated_entities_count_as_partners=ruleset.affiliated_entities_count_as_partners,
        min_eligible_countries=ruleset.min_eligible_countries,
        min_member_states=ruleset.min_member_states,
        member_states_severity=ruleset.member_states_severity,
        type_rule_reading=ruleset.type_rule_reading,
        min_qualifying_countries=ruleset.min_qualifying_countries,
        affiliated_entities_count_for_types=ruleset.affiliated_entities_count_for_types,
        country_reference=ruleset.country_reference,
        temporary_gap_days=ruleset.temporary_gap_days,
        scheduled_breach_days=ruleset.scheduled_breach_days,
        secondary_vet_provider_review=ruleset.secondary_vet_provider_review,
        oct_counts_as_member_state=ruleset.oct_counts_as_member_state,
    )


def country_tables() -> tuple[dict[str, list], dict[str, str]]:
    """Every country's programme status periods, and the overseas countries and territories
    with their Member States; one query (a few hundred rows)."""
    table: dict[str, list] = defaultdict(list)
    overseas: dict[str, str] = {}
    for code, oct_of, status, valid_from, valid_to in Country.objects.order_by(
        "code", "statuses__valid_from"
    ).values_list(
        "code", "oct_of_id", "statuses__status", "statuses__valid_from", "statuses__valid_to"
    ):
        if oct_of is not None:
            overseas[code] = oct_of
        if status is not None:
            table[code].append((status, valid_from, valid_to))
    return dict(table), overseas


class AnyOf(Lookup):
    """``column = ANY(%s)`` with the ids (integers) as one array parameter on PostgreSQL
    (``IN (...)`` elsewhere): a batch's thousands of organisation or participation ids cost one
    parameter to build and to send, not one each. Used as a filter expression:
    ``filter(AnyOf(F("organisation_id"), ids))``. No ids still send the query (which matches
    nothing), so that a read takes the same queries whatever the record holds."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        if connection.vendor == "postgresql":
            # The array as its text form, cast by the database: the driver quotes one string
            # instead of inspecting each of the batch's thousands of ids (each made an int
            # first, so that nothing but digits reaches the text).
            array = ",".join(map(str, map(int, self.rhs)))
            return f"{lhs} = ANY(%s::bigint[])", [*params, f"{{{array}}}"]
        ids = [int(pk) for pk in self.rhs]
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]


def consortia(project_ids: Collection[int]) -> dict[int, tuple[Consortium, RuleSetFacts]]:
    """The consortia of these projects with the rule sets of their calls, as plain data, in
    ten queries whatever the number of projects and participants (a sweep batch's ids: a few
    hundred). Each participant carries its dated history (its organisation's updates, its
    role changes), so that any day is judged with that day's values."""
    ids = list(project_ids)
    projects = Project.objects.filter(AnyOf(F("id"), ids)).values_list(
        "id",
        "signed_on",
        "start_date",
        "duration_months",
        "terminated_on",
        "call__country_reference_date",
        "call__ruleset_id",
    )
    rulesets = {ruleset.key: ruleset_facts(ruleset) for ruleset in RuleSet.objects.all()}
    countries, overseas = country_tables()
    members = _participants(ids)
    third_parties = _third_parties(ids)
    consortia = {}
    for project_id, signed_on, start_date, duration, terminated_on, reference, key in projects:
        end_date = month_end(start_date, duration)
        if terminated_on is not None and terminated_on < end_date:
            end_date = terminated_on
        consortia[project_id] = (
            Consortium(
                project_id=project_id,
                signed_on=signed_on,
                start_date=start_date,
                end_date=end_date,
                call_reference_date=reference,
                participants=tuple(members[project_id]),
                countries=countries,
                overseas=overseas,
                third_parties=third_parties.get(project_id, ()),
            ),
            rulesets[key],
        )
    return consortia


def _participants(project_ids: list[int]) -> dict[int, list[Participant]]:
    """The projects' participants with their organisations' types and restrictions, by
    project, in the grant's order; six queries. Each reads its table by the projects' ids or
    by the ids of the rows read before (the organisations, the participations), never through
    a join or a subquery the database could answer by reading the whole table."""
    rows = list(
        Participation.objects.filter(AnyOf(F("project_id"), project_ids))
        .order_by("project_id", "position", "id")
        .values_list(
            "id",
            "project_id",
            "short_name",
            "role",
            "joined_on",
            "left_on",
            "affiliated_to_id",
            "organisation_id",
            "accession",
            "acceded_on",
        )
    )
    organisation_ids = sorted({row[7] for row in rows})
    organisations = _organisations(organisation_ids)
    types = _organisation_types(organisation_ids)
    restrictions = _organisation_restrictions(organisation_ids)
    updates = _organisation_history(organisation_ids)
    roles = _role_history([row[0] for row in rows])
    short_names = {row[0]: row[2] for row in rows}  # an affiliation stays within its project
    members: dict[int, list[Participant]] = defaultdict(list)
    for (
        participation_id, project_id, key, role, joined_on, left_on, affiliated_to,
        organisation_id, accession, acceded_on,
    ) in rows:  # fmt: skip
        name, pic, country = organisations[organisation_id]
        updated, role_changes = updates.get(organisation_id), roles.get(participation_id)
        # Each history comes in date order: only both together need sorting.
        if updated and role_changes:
            earlier = sorted([*updated, *role_changes], key=lambda entry: entry.until)
        else:
            earlier = updated or role_changes or ()
        members[project_id].append(
            Participant(
                key=key,
                name=name,
                pic=pic,
                country=country,
                types=types.get(organisation_id, frozenset()),
                role=role,
                # It counts from its accession when that came after the date it joins on.
                joined_on=max(joined_on, acceded_on or joined_on),
                left_on=left_on,
                affiliated_to=short_names.get(affiliated_to),
                restrictions=restrictions.get(organisation_id, ()),
                id=participation_id,
                earlier=tuple(earlier),
                pending=accession != Accession.ACCEDED,
            )
        )
    return members


def _organisations(organisation_ids: list[int]) -> dict[int, tuple[str, str, str]]:
    """The organisations' (legal name, PIC, country), by id; one query."""
    rows = (
        Organisation.objects.filter(AnyOf(F("id"), organisation_ids))
        .order_by()
        .values_list("id", "legal_name", "pic", "country_id")
    )
    return {organisation_id: (name, pic, country) for organisation_id, name, pic, country in rows}


def _organisation_history(organisation_ids: list[int]) -> dict[int, list[Earlier]]:
    """The values organisations had before each dated update, by organisation id; one query."""
    history: dict[int, list[Earlier]] = defaultdict(list)
    for organisation_id, effective_on, country, types in (
        OrganisationUpdate.objects.filter(AnyOf(F("organisation_id"), organisation_ids))
        .order_by("organisation_id", "effective_on", "id")
        .values_list("organisation_id", "effective_on", "previous_country_id", "previous_types")
    ):
        history[organisation_id].append(
            Earlier(
                until=effective_on - datetime.timedelta(days=1),
                country=country,
                types=None if types is None else frozenset(types),
            )
        )
    return history


def _role_history(participation_ids: list[int]) -> dict[int, list[Earlier]]:
    """The roles participations had before each dated role change, by participation id; one
    query."""
    history: dict[int, list[Earlier]] = defaultdict(list)
    for participation_id, effective_on, role in (
        ParticipationRoleChange.objects.filter(AnyOf(F("participation_id"), participation_ids))
        .order_by("participation_id", "effective_on", "id")
        .values_list("participation_id", "effective_on", "previous_role")
    ):
        history[participation_id].append(
            Earlier(until=effective_on - datetime.timedelta(days=1), role=role)
        )
    return history


def _third_parties(project_ids: list[int]) -> dict[int, tuple[ThirdPartyFact, ...]]:
    """The projects' subcontractors and recipients of financial support, with their
    organisations' restrictions; one query, and two for the organisations and their
    restrictions if there are any."""
    rows = list(
        ThirdParty.objects.filter(AnyOf(F("project_id"), project_ids))
        .order_by("project_id", "started_on", "id")
        .values_list("project_id", "organisation_id", "kind", "started_on", "ended_on")
    )
    if not rows:
        return {}
    organisation_ids = sorted({row[1] for row in rows})
    organisations = _organisations(organisation_ids)
    restrictions = _organisation_restrictions(organisation_ids)
    found: dict[int, list[ThirdPartyFact]] = defaultdict(list)
    for project_id, organisation_id, kind, started_on, ended_on in rows:
        name, pic, _country = organisations[organisation_id]
        found[project_id].append(
            ThirdPartyFact(
                name=name,
                pic=pic,
                kind=kind,
                started_on=started_on,
                ended_on=ended_on,
                restrictions=restrictions.get(organisation_id, ()),
            )
        )
    return {project_id: tuple(items) for project_id, items in found.items()}


def _organisation_types(organisation_ids: list[int]) -> dict[int, frozenset[str]]:
    """The organisations' declared types, by organisation id; one query."""
    types: dict[int, set[str]] = defaultdict(set)
    for organisation_id, code in (
        OrganisationType.objects.filter(AnyOf(F("organisation_id"), organisation_ids))
        .order_by()
        .values_list("organisation_id", "code")
    ):
        types[organisation_id].add(code)
    return {organisation_id: frozenset(codes) for organisation_id, codes in types.items()}


def _organisation_restrictions(organisation_ids: list[int]) -> dict[int, tuple[Restriction, ...]]:
    """The organisations' dated restrictions, by organisation id; one query."""
    restrictions: dict[int, list[Restriction]] = defaultdict(list)
    for organisation_id, kind, valid_from, valid_to in (
        OrganisationRestriction.objects.filter(AnyOf(F("organisation_id"), organisation_ids))
        .order_by("organisation_id", "valid_from", "id")
        .values_list("organisation_id", "kind", "valid_from", "valid_to")
    ):
        restrictions[organisation_id].append(Restriction(kind, valid_from, valid_to))
    return {organisation_id: tuple(found) for organisation_id, found in restrictions.items()}


def project_get(*, user, project_id: int) -> Project | None:
    """The project, or None if it does not exist or the user may not see it (not told apart)."""
    return projects_visible_to(user).filter(pk=project_id).first()


def project_get_or_404(*, user, project_id: int) -> Project:
    """The project, or 404 when it does not exist or the user may not see it (the two are not
    told apart): where the API and the pages start."""
    project = project_get(user=user, project_id=project_id)
    if project is None:
        raise Http404
    return project


def project_consortium(*, user, project_id: int) -> tuple[Consortium, RuleSetFacts] | None:
    """A visible project's consortium and rule set, or None (missing and hidden look alike)."""
    if project_get(user=user, project_id=project_id) is None:
        return None
    return consortia([project_id]).get(project_id)


def active_project_ids(today: datetime.date, *, days_after_end: int = 0) -> list[int]:
    """The projects still running (or not yet started) on a day, in id order; with
    ``days_after_end``, also those that ended at most that many days before."""
    horizon = today - datetime.timedelta(days=days_after_end)
    return [
        project_id
        for project_id, start_date, duration in Project.objects.order_by("id").values_list(
            "id", "start_date", "duration_months"
        )
        if month_end(start_date, duration) >= horizon
    ]


# -- eligibility ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eligibility:
    """A consortium judged against its call's composition rules as of a day."""

    consortium: Consortium
    rules: RuleSetFacts
    verdict: Verdict

    def timeline(self) -> list[TimelineEntry]:
        """Each date in the project's life on which the verdict changes, with the verdict from
        then on."""
        return timeline(self.consortium, self.rules)


def eligibility_on(
    consortium: Consortium, rules: RuleSetFacts, as_of: datetime.date
) -> Eligibility:
    """The verdict, as of a day, of a consortium already read (``consortia``)."""
    return Eligibility(
        consortium=consortium, rules=rules, verdict=evaluate(consortium, rules, as_of)
    )


def project_eligibility(*, user, project_id: int, as_of: datetime.date) -> Eligibility | None:
    """A visible project's eligibility verdict as of a day, or None (missing and hidden look
    alike)."""
    found = project_consortium(user=user, project_id=project_id)
    return None if found is None else eligibility_on(*found, as_of)


def project_eligibility_timeline(*, user, project_id: int) -> list[TimelineEntry] | None:
    """Each date in a visible project's life on which its verdict changes, or None."""
    found = project_consortium(user=user, project_id=project_id)
    return None if found is None else timeline(*found)
