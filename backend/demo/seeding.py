"""Seeding a portfolio of random but realistic CoVE grants, for work at scale.

``seed_portfolio(projects=N)`` writes N projects shaped like the Centres of Vocational Excellence
the agency funds: 10-25 full partners from 4-10 countries, associated partners, now and then an
affiliated entity, 8 work packages over the three activity clusters, about 40 deliverables,
milestones and a payment schedule. Every project is a valid grant file (what ``export-grant``
writes, ``import-grant`` takes back); about one in five deliberately sits at or below the
composition minimum, because a portfolio at scale has such projects and the checks must find them.

Writes go in batches, each batch in its own transaction, with one ``bulk_create`` per table per
batch: the number of statements per batch does not depend on how many projects or rows it holds
(see ``_one_statement_per_table`` for SQLite). Memory holds one batch and a capped pool of
organisations, never the whole portfolio. Names come from the word lists of ``data/seeding.yaml``
(with the countries, organisation types and work plan templates) and are fictional; PICs and
grant agreement numbers start with 8 and never collide with ones already in the database.
"""

import datetime
import random
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import NamedTuple

import yaml
from django.db import connection, transaction

from backend.common.dates import add_months, brussels_today, month_end, report_due_on
from backend.grants.models import (
    Call,
    Country,
    CountryStatus,
    Organisation,
    OrganisationType,
    Participation,
    Project,
)
from backend.grants.rules import ASSOCIATED, ELIGIBLE_STATUSES, EU_MEMBER, country_status_on
from backend.reporting.models import PeriodicReport, ReportStatus, WorkPackageDeclaration
from backend.workplan.models import (
    ActivityCluster,
    Deliverable,
    DeliverableStatus,
    Milestone,
    ReportingPeriod,
    WorkPackage,
    WorkPackageShare,
)

DEFAULT_BATCH_SIZE = 250
CALL_IDENTIFIERS = tuple(f"ERASMUS-EDU-{year}-PEX-COVE" for year in range(2021, 2026))
DURATION_MONTHS = 48
MIN_GRANT_CENTS = 250_000_000  # EUR 2.5 million
MAX_GRANT_CENTS = 400_000_000  # EUR 4 million, capped further by the call's maximum

# What each project's composition is meant to be. Every block of 20 projects holds one of each
# special case in a random place: 15% breach a minimum, 5% sit exactly on it.
NORMAL = "normal"
SEVEN_PARTNERS = "seven_countable_partners"  # 7 full partners from eligible countries
THREE_COUNTRIES = "three_eligible_countries"
TYPE_GAP = "type_gap"  # under 4 eligible countries with both an employer and a VET provider
AT_MINIMUM = "at_minimum"  # 8 countable full partners from exactly 4 qualifying countries
CASE_BLOCK = (SEVEN_PARTNERS, THREE_COUNTRIES, TYPE_GAP, AT_MINIMUM) + (NORMAL,) * 16

# Organisation categories, as the composition rule sees them (the type sets behind each are in
# the data file).
EMPLOYER, VET, BOTH, OTHER = "employer", "vet", "both", "other"
POOL_CAP = 64  # organisations kept for reuse per (country, category)
REUSE_PROBABILITY = 0.3


# -- what projects are made of: data/seeding.yaml, read once ------------------------------------

DATA_FILE = Path(__file__).resolve().parent / "data" / "seeding.yaml"


@dataclass(frozen=True)
class _WorkPackageTemplate:
    """One of the eight work packages: title options, cluster options, start and end month
    ranges, the range of its share of the grant, the weight with which it gets deliverables
    beyond three each, and deliverable titles (with their type)."""

    titles: tuple[str, ...]
    clusters: tuple[tuple[str, ...], ...]
    start: tuple[int, int]
    end: tuple[int, int]
    weight: tuple[float, float]
    extra_deliverables: int
    deliverables: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _SeedData:
    """The country weights, organisation type sets, word lists and work plan templates the
    generator draws from."""

    eu: dict[str, int]
    associated: dict[str, int]
    non_associated: dict[str, int]
    type_sets: dict[str, tuple[tuple[tuple[str, ...], int], ...]]
    place_heads: tuple[str, ...]
    place_tails: tuple[str, ...]
    surnames: tuple[str, ...]
    fields: tuple[str, ...]
    company_forms: dict[str, str]
    default_company_form: str
    organisation_names: dict[str, tuple[str, ...]]  # name patterns by first organisation type
    sectors: tuple[tuple[str, str], ...]  # (sector, the code acronyms are made of)
    title_patterns: tuple[str, ...]
    acronym_prefixes: tuple[str, ...]
    acronym_suffixes: tuple[str, ...]
    work_packages: tuple[_WorkPackageTemplate, ...]
    milestones: tuple[tuple[str, str, int], ...]  # (title, verification, work package number)


def _tuples(value):
    """YAML's lists as tuples, all the way down."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    return value


@cache
def _seed_data() -> _SeedData:
    data = yaml.safe_load(DATA_FILE.read_text(encoding="utf-8"))
    countries, places, forms = data["countries"], data["places"], data["company_forms"]
    return _SeedData(
        eu=countries["eu"],
        associated=countries["associated"],
        non_associated=countries["non_associated"],
        type_sets={
            category: _tuples(sets) for category, sets in data["organisation_types"].items()
        },
        place_heads=_tuples(places["heads"]),
        place_tails=_tuples(places["tails"]),
        surnames=_tuples(data["surnames"]),
        fields=_tuples(data["fields"]),
        company_forms=forms["by_country"],
        default_company_form=forms["default"],
        organisation_names={
            kind: _tuples(patterns) for kind, patterns in data["organisation_names"].items()
        },
        sectors=_tuples(data["sectors"]),
        title_patterns=_tuples(data["title_patterns"]),
        acronym_prefixes=_tuples(data["acronym_prefixes"]),
        acronym_suffixes=_tuples(data["acronym_suffixes"]),
        work_packages=tuple(
            _WorkPackageTemplate(**{key: _tuples(value) for key, value in template.items()})
            for template in data["work_packages"]
        ),
        milestones=_tuples(data["milestones"]),
    )


# -- what the run reports --------------------------------------------------------------------


@dataclass
class SeedReport:
    """Rows written per table, and how long it took."""

    seed: int
    projects: int = 0
    batches: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def rows_per_second(self) -> float:
        return self.total_rows / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class BatchProgress:
    batch: int
    batches: int
    projects_done: int
    projects_total: int
    batch_rows: int
    rows_done: int
    seconds: float


# -- reference data, read once -----------------------------------------------------------------


@dataclass(frozen=True)
class _CallRef:
    call: Call
    deadline: datetime.date
    max_grant_cents: int
    duration: int
    eu: tuple[tuple[str, ...], tuple[int, ...]]
    associated: tuple[tuple[str, ...], tuple[int, ...]]
    non_associated: tuple[tuple[str, ...], tuple[int, ...]]


def _weighted(weights: dict[str, int], keep) -> tuple[tuple[str, ...], tuple[int, ...]]:
    codes = tuple(code for code in weights if keep(code))
    return codes, tuple(weights[code] for code in codes)


def _load_calls() -> list[_CallRef]:
    """The CoVE calls 2021-2025 with the countries as each call's reference date sees them."""
    known = set(Country.objects.values_list("code", flat=True))
    periods: dict[str, list] = {}
    for status in CountryStatus.objects.order_by("country_id", "valid_from"):
        periods.setdefault(status.country_id, []).append(
            (status.status, status.valid_from, status.valid_to)
        )
    data = _seed_data()
    calls = []
    for call in Call.objects.filter(identifier__in=CALL_IDENTIFIERS).order_by("identifier"):

        def status(code, day=call.country_reference_date):
            return country_status_on(periods.get(code, ()), day)

        eu = _weighted(data.eu, lambda code: code in known and status(code) == EU_MEMBER)
        associated = _weighted(
            data.associated, lambda code: code in known and status(code) == ASSOCIATED
        )
        non_associated = _weighted(
            data.non_associated,
            lambda code: code in known and status(code) not in ELIGIBLE_STATUSES,
        )
        if len(eu[0]) < 10:
            raise ValueError(
                f"{call.identifier}: the database knows too few EU Member States to seed with."
            )
        calls.append(
            _CallRef(
                call=call,
                deadline=call.deadline or datetime.date(call.year, 6, 1),
                max_grant_cents=int(call.max_grant_eur * 100),
                duration=min(DURATION_MONTHS, call.max_duration_months),
                eu=eu,
                associated=associated,
                non_associated=non_associated,
            )
        )
    if not calls:
        raise ValueError(
            "None of the calls " + ", ".join(CALL_IDENTIFIERS) + " is in the database; "
            "run the migrations first."
        )
    return calls


class _UniqueCodes:
    """Distinct 9-digit codes starting with 8, in a random-looking order, none of them taken.

    A permutation of 0..10^8-1 gives each draw a new value without remembering the ones
    drawn, so memory stays flat however many codes a run needs."""

    SPAN = 10**8

    def __init__(self, rng: random.Random, taken: set[str]):
        self.multiplier, self.multiplier2 = self._unit(rng), self._unit(rng)
        self.offset, self.offset2 = rng.randrange(self.SPAN), rng.randrange(self.SPAN)
        self.index = 0
        self.taken = taken

    @classmethod
    def _unit(cls, rng: random.Random) -> int:
        """A multiplier prime to 10^8, so that multiplying permutes 0..10^8-1."""
        multiplier = rng.randrange(1, cls.SPAN, 2)
        while multiplier % 5 == 0:
            multiplier += 2
        return multiplier

    def next(self) -> str:
        while self.index < self.SPAN:
            value = (self.multiplier * self.index + self.offset) % self.SPAN
            self.index += 1
            # Reversing the digits and a second affine step keep it a permutation and hide the
            # constant stride between consecutive codes.
            value = (self.multiplier2 * int(f"{value:08d}"[::-1]) + self.offset2) % self.SPAN
            code = f"8{value:08d}"
            if code not in self.taken:
                return code
        raise RuntimeError("No 9-digit code starting with 8 is left.")


# -- one batch: plain records while generating, model instances with ids while writing ----------


@dataclass(slots=True)
class _Org:
    model: Organisation  # its pk is set once its batch is written
    types: tuple[str, ...]


@dataclass(slots=True)
class _Member:
    """A participant of a project being generated."""

    org: _Org
    role: str
    short_name: str = ""
    affiliated_to: "_Member | None" = None
    participation_id: int | None = None


@dataclass(slots=True)
class _WorkPackagePlan:
    number: int
    title: str
    clusters: tuple[str, ...]
    lead: _Member
    start_month: int
    end_month: int
    lump_sum_cents: int
    shares: list[tuple[_Member, int]]
    # (code, title, lead, type, dissemination, due month)
    deliverables: list[tuple[str, str, _Member, str, str, int]]
    id: int | None = None


@dataclass(slots=True)
class _ProjectPlan:
    model: Project
    members: list[_Member]
    work_packages: list[_WorkPackagePlan] = field(default_factory=list)
    # (code, title, lead, due month, verification, work package numbers)
    milestones: list[tuple[str, str, _Member, int, str, list[int]]] = field(default_factory=list)
    # (number, start month, end month, payment)
    reporting_periods: list[tuple[int, int, int, str]] = field(default_factory=list)


class _Batch:
    """The projects of one batch and the organisations they created."""

    def __init__(self, clusters: dict[str, int], today: datetime.date | None = None):
        self.clusters = clusters
        self.today = today or brussels_today()
        self.organisations: list[_Org] = []
        self.projects: list[_ProjectPlan] = []
        self.counts: dict[str, int] = {}

    def write(self) -> None:
        """Write the batch in one transaction, one ``bulk_create`` per table. Rows are built
        table by table with the ids the previous tables received, and dropped once written."""
        with transaction.atomic(), _one_statement_per_table():
            self._write_organisations()
            self._insert(Project, [plan.model for plan in self.projects], "projects")
            # Affiliated entities second: they point at their beneficiary's participation.
            self._write_participations(affiliated=False)
            self._write_participations(affiliated=True)
            self._write_work_packages()
            self._write_deliverables()
            self._write_milestones()
            self._reports(self._write_reporting_periods())

    def _write_organisations(self) -> None:
        self._insert(Organisation, [org.model for org in self.organisations], "organisations")
        self._insert(
            OrganisationType,
            [
                OrganisationType(organisation_id=org.model.pk, code=code)
                for org in self.organisations
                for code in org.types
            ],
            "organisation types",
        )

    def _write_participations(self, *, affiliated: bool) -> None:
        """The participations of the members that are (or are not) affiliated entities; each
        member learns its participation's id."""
        members = [
            (plan.model, position, member)
            for plan in self.projects
            for position, member in enumerate(plan.members, start=1)
            if (member.affiliated_to is not None) is affiliated
        ]
        rows = [
            Participation(
                project_id=project.pk,
                organisation_id=member.org.model.pk,
                short_name=member.short_name,
                role=member.role,
                joined_on=project.start_date,
                affiliated_to_id=member.affiliated_to.participation_id if affiliated else None,
                position=position,
            )
            for project, position, member in members
        ]
        self._insert(Participation, rows, "participations")
        for (_project, _position, member), row in zip(members, rows, strict=True):
            member.participation_id = row.pk

    def _write_work_packages(self) -> None:
        """The work packages (each plan learns its id), their clusters and their shares."""
        plans = [(plan, wp) for plan in self.projects for wp in plan.work_packages]
        rows = [
            WorkPackage(
                project_id=plan.model.pk,
                number=wp.number,
                title=wp.title,
                lead_id=wp.lead.participation_id,
                start_month=wp.start_month,
                end_month=wp.end_month,
                lump_sum_eur=_eur(wp.lump_sum_cents),
            )
            for plan, wp in plans
        ]
        self._insert(WorkPackage, rows, "work packages")
        for (_plan, wp), row in zip(plans, rows, strict=True):
            wp.id = row.pk
        through = WorkPackage.clusters.through
        self._insert(
            through,
            [
                through(workpackage_id=wp.id, activitycluster_id=self.clusters[code])
                for _plan, wp in plans
                for code in wp.clusters
            ],
            "work package clusters",
        )
        self._insert(
            WorkPackageShare,
            [
                WorkPackageShare(
                    work_package_id=wp.id,
                    participation_id=member.participation_id,
                    amount_eur=_eur(cents),
                )
                for _plan, wp in plans
                for member, cents in wp.shares
            ],
            "work package shares",
        )

    def _write_deliverables(self) -> None:
        """Every project's deliverables, numbered across its work packages, with the state they
        have reached by today."""
        self._insert(
            Deliverable,
            [
                Deliverable(
                    project_id=plan.model.pk,
                    code=code,
                    title=title,
                    work_package_id=wp.id,
                    lead_id=lead.participation_id,
                    type=kind,
                    dissemination=dissemination,
                    due_month=due_month,
                    position=position,
                    **_deliverable_state(
                        month_end(plan.model.start_date, due_month), position, self.today
                    ),
                )
                for plan in self.projects
                for position, (wp, (code, title, lead, kind, dissemination, due_month)) in (
                    enumerate(
                        ((wp, d) for wp in plan.work_packages for d in wp.deliverables), start=1
                    )
                )
            ],
            "deliverables",
        )

    def _write_milestones(self) -> None:
        """Every project's milestones, with the state they have reached by today, and the work
        packages each belongs to."""
        milestones = [(plan, milestone) for plan in self.projects for milestone in plan.milestones]
        rows = [
            Milestone(
                project_id=plan.model.pk,
                code=code,
                title=title,
                lead_id=lead.participation_id,
                due_month=due_month,
                verification=verification,
                position=position,
                **_milestone_state(
                    month_end(plan.model.start_date, due_month), position, self.today
                ),
            )
            for plan in self.projects
            for position, (code, title, lead, due_month, verification, _numbers) in enumerate(
                plan.milestones, start=1
            )
        ]
        self._insert(Milestone, rows, "milestones")
        through = Milestone.work_packages.through
        self._insert(
            through,
            [
                through(milestone_id=row.pk, workpackage_id=plan.work_packages[number - 1].id)
                for (plan, milestone), row in zip(milestones, rows, strict=True)
                for number in milestone[5]
            ],
            "milestone work packages",
        )

    def _write_reporting_periods(self) -> list[tuple[_ProjectPlan, ReportingPeriod]]:
        periods = [
            (
                plan,
                ReportingPeriod(
                    project_id=plan.model.pk,
                    number=number,
                    start_month=start,
                    end_month=end,
                    payment=payment,
                ),
            )
            for plan in self.projects
            for number, start, end, payment in plan.reporting_periods
        ]
        self._insert(ReportingPeriod, [period for _plan, period in periods], "reporting periods")
        return periods

    def _reports(self, periods: list[tuple[_ProjectPlan, ReportingPeriod]]) -> None:
        """The work record a project has by now: each period whose report was due is reported
        and approved, with the status of every work package it declares."""
        reported = [
            (plan, period, self._approved_report(plan, period))
            for plan, period in periods
            if report_due_on(month_end(plan.model.start_date, period.end_month)) < self.today
        ]
        self._insert(PeriodicReport, [report for *_rest, report in reported], "periodic reports")
        self._insert(
            WorkPackageDeclaration,
            [
                declaration
                for plan, period, report in reported
                for declaration in _declarations(plan, period, report)
            ],
            "work package declarations",
        )

    @staticmethod
    def _approved_report(plan: _ProjectPlan, period: ReportingPeriod) -> PeriodicReport:
        """Received 50 days after the period's end, approved 30 days later."""
        end = month_end(plan.model.start_date, period.end_month)
        received = _noon(end + datetime.timedelta(days=50))
        return PeriodicReport(
            project_id=plan.model.pk,
            reporting_period_id=period.pk,
            status=ReportStatus.APPROVED,
            technical_part="Seeded report.",
            submitted_at=received,
            first_submitted_at=received,
            approved_at=_noon(end + datetime.timedelta(days=80)),
        )

    def _insert(self, model, rows: list, label: str) -> None:
        model.objects.bulk_create(rows)
        self.counts[label] = self.counts.get(label, 0) + len(rows)


def _declarations(
    plan: _ProjectPlan, period: ReportingPeriod, report: PeriodicReport
) -> list[WorkPackageDeclaration]:
    """What a report declares: every work package started by the period's end and not
    completed in an earlier period, completed if it ended by then."""
    previous_end = max(
        (e for _n, _s, e, _p in plan.reporting_periods if e < period.end_month), default=0
    )
    declarations = []
    for wp in plan.work_packages:
        if wp.start_month > period.end_month or wp.end_month <= previous_end:
            continue
        completed = wp.end_month <= period.end_month
        declarations.append(
            WorkPackageDeclaration(
                work_package_id=wp.id,
                reporting_period_id=period.pk,
                completed=completed,
                completed_on=month_end(plan.model.start_date, wp.end_month) if completed else None,
                declared_at=report.submitted_at,
            )
        )
    return declarations


@contextmanager
def _one_statement_per_table() -> Iterator[None]:
    """Let ``bulk_create`` send a batch's rows for one table as one INSERT on SQLite too.

    Django 5.2 splits SQLite inserts at 999 variables per statement, the compile-time default
    of SQLite before 3.32; the library in use reports its real limit (32766 by default since
    3.32, 250000 in Debian's build), and that is the one that applies. PostgreSQL needs nothing:
    Django sends any number of rows there as one ``INSERT ... SELECT * FROM UNNEST(...)``.
    """
    if connection.vendor != "sqlite":
        yield
        return
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    features = connection.features
    own = "max_query_params" in vars(features)
    previous = features.max_query_params
    features.max_query_params = max(previous or 0, limit)
    try:
        yield
    finally:
        if own:
            features.max_query_params = previous
        else:
            del features.max_query_params


def _drop_prepared_statements() -> None:
    """On SQLite, close the connection between batches (the next query reopens it).

    Python's sqlite3 module keeps the last 128 prepared statements of a connection, and each of
    a batch's INSERTs is a different statement of several megabytes once prepared: kept, they
    doubled the memory a run needs. Inside a transaction (a test, a caller's atomic block) the
    connection stays open; an in-memory database is never closed by Django anyway."""
    if connection.vendor == "sqlite" and not connection.in_atomic_block:
        connection.close()


# -- the generator --------------------------------------------------------------------------------


class _Shape(NamedTuple):
    """What a consortium is to be made of."""

    countries: int  # the countries its coordinator and most beneficiaries come from
    countable: int  # the full partners from those countries
    non_associated: int  # beneficiaries from third countries not associated to the programme
    qualifying: int | None = None  # the countries with both an employer and a VET provider


class _Generator:
    def __init__(self, rng: random.Random, calls: list[_CallRef], clusters: dict[str, int]):
        self.rng = rng
        self.calls = calls
        self.clusters = clusters
        self.pics = _UniqueCodes(rng, set(Organisation.objects.values_list("pic", flat=True)))
        self.numbers = _UniqueCodes(
            rng, set(Project.objects.values_list("grant_agreement_number", flat=True))
        )
        self.pool: dict[tuple[str, str], list[_Org]] = {}
        self.cases: list[str] = []
        self.batch = _Batch(clusters)
        self.data = _seed_data()

    # choices

    def pick(self, options: Sequence, weights: Sequence[float]):
        return self.rng.choices(options, weights)[0]

    def distinct(self, weighted: tuple[tuple[str, ...], tuple[int, ...]], k: int, avoid=()):
        codes, weights = weighted
        pairs = [(c, w) for c, w in zip(codes, weights, strict=True) if c not in avoid]
        chosen = []
        for _ in range(min(k, len(pairs))):
            index = self.pick(range(len(pairs)), [w for _c, w in pairs])
            chosen.append(pairs.pop(index)[0])
        return chosen

    def next_case(self) -> str:
        if not self.cases:
            self.cases = list(CASE_BLOCK)
            self.rng.shuffle(self.cases)
        return self.cases.pop()

    # organisations

    def organisation(self, country: str, category: str, exclude: set[int]) -> _Org:
        """An organisation of a category in a country: now and then one this run already
        created (real networks reuse partners), else a new one."""
        key = (country, category)
        pool = self.pool.setdefault(key, [])
        if pool and self.rng.random() < REUSE_PROBABILITY:
            candidate = self.rng.choice(pool)
            if id(candidate) not in exclude:
                return candidate
        types = self.pick(*zip(*self.data.type_sets[category], strict=True))
        legal_name, short_name = self.names(country, types)
        model = Organisation(
            pic=self.pics.next(), legal_name=legal_name, short_name=short_name, country_id=country
        )
        org = _Org(model, tuple(sorted(types)))
        self.batch.organisations.append(org)
        if len(pool) < POOL_CAP:
            pool.append(org)
        else:
            pool[self.rng.randrange(POOL_CAP)] = org
        return org

    def names(self, country: str, types: tuple[str, ...]) -> tuple[str, str]:
        """A legal name from the patterns of the organisation's first type, and a short name
        made of its initials."""
        rng, data = self.rng, self.data
        place = rng.choice(data.place_heads) + rng.choice(data.place_tails)
        subject = rng.choice(data.fields)
        patterns = data.organisation_names.get(types[0]) or data.organisation_names["other"]
        pattern = patterns[0] if len(patterns) == 1 else rng.choice(patterns)
        name = pattern.format(
            place=place,
            field=subject,
            surname=rng.choice(data.surnames) if "{surname}" in pattern else "",
            company_form=data.company_forms.get(country, data.default_company_form),
        )
        words = [word for word in name.replace("-", " ").split() if word[0].isupper()]
        short_name = "".join(word[0] for word in words[:4]).upper()
        if len(short_name) < 3:
            short_name = place[:5].upper()
        return name, short_name

    # one project

    def project(self) -> None:
        rng, data = self.rng, self.data
        case = self.next_case()
        call = rng.choice(self.calls)
        members = self.consortium(case, call)

        # Dates: signature some 5-9 months after the call deadline, start on a following 1st
        # (now and then mid-month).
        signed_on = call.deadline + datetime.timedelta(days=rng.randint(150, 270))
        first = add_months(signed_on.replace(day=1), rng.randint(1, 3))
        start_date = first.replace(day=15) if rng.random() < 0.15 else first

        upper = min(MAX_GRANT_CENTS, call.max_grant_cents)
        lower = MIN_GRANT_CENTS if upper >= MIN_GRANT_CENTS else upper // 2
        grant_cents = rng.randint(lower, upper)
        if rng.random() < 0.5:
            grant_cents -= grant_cents % 100
        sector, sector_code = rng.choice(data.sectors)
        prefixes, suffixes = data.acronym_prefixes, data.acronym_suffixes
        # All three are drawn, then one of them chosen.
        acronym = rng.choice(
            (
                f"{sector_code}-{rng.choice(suffixes)}",
                f"{rng.choice(prefixes)}{sector_code}",
                f"{rng.choice(prefixes)}{sector_code}-{rng.choice(suffixes)}",
            )
        )
        project = Project(
            grant_agreement_number=self.numbers.next(),
            acronym=acronym,
            title=rng.choice(data.title_patterns).format(sector=sector),
            call_id=call.call.pk,
            signed_on=signed_on,
            start_date=start_date,
            duration_months=call.duration,
            max_grant_eur=_eur(grant_cents),
            prefinancing_percent=Decimal(self.pick(("40.00", "35.00", "50.00"), (8, 1, 1))),
            payments_cap_percent=Decimal(self.pick(("90.00", "80.00", "85.00"), (8, 1, 1))),
        )
        used: set[str] = set()
        for member in members:
            member.short_name = _unique(member.org.model.short_name, used)
        plan = _ProjectPlan(project, members)
        self.reporting_periods(plan, call.duration)
        self.work_plan(plan, call.duration, grant_cents)
        self.batch.projects.append(plan)

    # its consortium

    def consortium(self, case: str, call: _CallRef) -> list[_Member]:
        """Coordinator first, then beneficiaries (each affiliated entity after its beneficiary),
        then associated partners."""
        shape = self.shape(case)
        countries = self.countries(call, shape.countries)
        per_country = self.partners_per_country(shape.countries, shape.countable)
        qualifies = self.qualifying_countries(case, shape.qualifying, countries, per_country)
        taken: set[int] = set()  # the organisations already in this consortium
        full = self.full_partners(countries, per_country, qualifies, taken)
        for country in self.distinct(call.non_associated, shape.non_associated):
            category = self.pick((EMPLOYER, VET, OTHER), (4, 3, 3))
            full.append(self.member(country, category, "beneficiary", taken))
        members = self.with_affiliated_entities(case, full, taken)
        return members + self.associated_partners(call, taken)

    def shape(self, case: str) -> _Shape:
        """How many countries and full partners the case asks for."""
        rng = self.rng
        non_associated = self.pick((0, 1, 2), (75, 20, 5))
        if case == SEVEN_PARTNERS:
            return _Shape(rng.randint(4, 5), 7, non_associated)
        if case == THREE_COUNTRIES:
            countable = rng.randint(10, 18)
            return _Shape(3, countable, self.pick((0, 1), (1, 1)))
        if case == TYPE_GAP:
            country_count, countable = rng.randint(4, 7), rng.randint(10, 20)
            return _Shape(country_count, countable, non_associated, qualifying=rng.randint(1, 3))
        if case == AT_MINIMUM:
            return _Shape(4, 8, self.pick((0, 1), (1, 1)))
        country_count = self.pick(range(4, 10), (10, 14, 14, 12, 8, 5))
        non_associated = min(non_associated, 10 - country_count)
        countable = rng.randint(max(10 - non_associated, country_count), 25)
        return _Shape(country_count, min(countable, 25 - non_associated), non_associated)

    def countries(self, call: _CallRef, count: int) -> list[str]:
        """Mostly Member States, sometimes an associated country; the coordinator's country
        (the first) is a Member State nine times in ten."""
        rng = self.rng
        associated = 0
        if call.associated[0] and rng.random() < 0.3:
            associated = 2 if count >= 6 and rng.random() < 0.2 else 1
        countries = self.distinct(call.eu, count - associated)
        countries += self.distinct(call.associated, associated)
        rng.shuffle(countries)
        if countries[0] not in call.eu[0] and rng.random() < 0.9:
            eu_at = next(i for i, code in enumerate(countries) if code in call.eu[0])
            countries[0], countries[eu_at] = countries[eu_at], countries[0]
        return countries

    def partners_per_country(self, country_count: int, countable: int) -> list[int]:
        """At least one each, the coordinator's country holding more."""
        per_country = [1] * country_count
        weights = [3.0] + [self.rng.uniform(0.5, 2.0) for _ in range(country_count - 1)]
        for _ in range(countable - country_count):
            per_country[self.pick(range(country_count), weights)] += 1
        return per_country

    def qualifying_countries(
        self, case: str, qualifying: int | None, countries: list[str], per_country: list[int]
    ) -> list[bool]:
        """Whether each country gets both an employer and a VET provider."""
        rng, country_count = self.rng, len(per_country)
        if case == AT_MINIMUM:
            return [True] * country_count
        if qualifying is not None:
            chosen = set(rng.sample(range(country_count), qualifying))
            return [i in chosen for i in range(country_count)]
        qualifies = [rng.random() < 0.85 for _ in countries]
        if case == NORMAL:  # at least 4 qualifying countries, the biggest first
            for i in sorted(range(country_count), key=lambda i: -per_country[i]):
                if sum(qualifies) >= 4:
                    break
                qualifies[i] = True
        return qualifies

    def member(self, country: str, category: str, role: str, taken: set[int]) -> _Member:
        """A new member of the consortium, of an organisation not yet in it."""
        org = self.organisation(country, category, taken)
        taken.add(id(org))
        return _Member(org, role)

    def full_partners(
        self, countries: list[str], per_country: list[int], qualifies: list[bool], taken: set[int]
    ) -> list[_Member]:
        """The coordinator and the beneficiaries from the consortium's countries."""
        full: list[_Member] = []
        for index, (country, count, ok) in enumerate(
            zip(countries, per_country, qualifies, strict=True)
        ):
            categories = self.categories(count, ok)
            if index == 0:  # the coordinator: a VET provider if the country has one
                at = next((i for i, c in enumerate(categories) if c in (VET, BOTH)), 0)
                categories.insert(0, categories.pop(at))
            for position, category in enumerate(categories):
                role = "coordinator" if index == 0 and position == 0 else "beneficiary"
                full.append(self.member(country, category, role, taken))
        return full

    def with_affiliated_entities(
        self, case: str, full: list[_Member], taken: set[int]
    ) -> list[_Member]:
        """The full partners, now and then with an affiliated entity or two after theirs."""
        rng = self.rng
        affiliates: dict[int, list[_Member]] = {}
        if case == NORMAL and rng.random() < 0.15:
            for _ in range(self.pick((1, 2), (3, 1))):
                parent = rng.choice(full)
                category = self.pick((OTHER, VET), (3, 1))
                entity = self.member(
                    parent.org.model.country_id, category, "affiliated_entity", taken
                )
                entity.affiliated_to = parent
                affiliates.setdefault(id(parent), []).append(entity)
        members: list[_Member] = []
        for member in full:
            members.append(member)
            members.extend(affiliates.get(id(member), ()))
        return members

    def associated_partners(self, call: _CallRef, taken: set[int]) -> list[_Member]:
        """Up to five, from anywhere (third countries more often than among full partners)."""
        everywhere = (
            call.eu[0] + call.associated[0] + call.non_associated[0],
            call.eu[1] + call.associated[1] + tuple(w * 3 for w in call.non_associated[1]),
        )
        partners = []
        for _ in range(self.pick(range(6), (20, 25, 20, 15, 12, 8))):
            country = self.pick(*everywhere)
            category = self.pick((EMPLOYER, OTHER, VET), (5, 4, 1))
            partners.append(self.member(country, category, "associated_partner", taken))
        return partners

    def categories(self, count: int, qualifies: bool) -> list[str]:
        """Organisation categories for a country's full partners: with both an employer and a
        VET provider if it is to qualify, else missing one of them."""
        rng = self.rng
        if qualifies:
            if count == 1:
                return [BOTH]
            extra = [
                self.pick((VET, EMPLOYER, OTHER, BOTH), (4, 4, 3, 1)) for _ in range(count - 2)
            ]
            categories = [VET, EMPLOYER, *extra]
        else:
            allowed = rng.choice(((EMPLOYER, OTHER), (VET, OTHER)))
            categories = [self.pick(allowed, (2, 1)) for _ in range(count)]
        rng.shuffle(categories)
        return categories

    # its payment schedule and work plan

    def reporting_periods(self, plan: _ProjectPlan, duration: int) -> None:
        """Two halves, or three periods of which the first may be paid as additional
        pre-financing; the last is always the balance."""
        rng = self.rng
        if rng.random() < 0.6:
            bounds = [(1, duration // 2), (duration // 2 + 1, duration)]
            payments = ["interim", "balance"]
        else:
            first = rng.randint(12, 20)
            second = rng.randint(first + 10, duration - 8)
            bounds = [(1, first), (first + 1, second), (second + 1, duration)]
            opening = self.pick(("interim", "additional_prefinancing"), (7, 3))
            payments = [opening, "interim", "balance"]
        plan.reporting_periods = [
            (number, start, end, payment)
            for number, ((start, end), payment) in enumerate(zip(bounds, payments, strict=True), 1)
        ]

    def work_plan(self, plan: _ProjectPlan, duration: int, grant_cents: int) -> None:
        """The eight work packages with their deliverables, then the milestones."""
        rng, templates = self.rng, self.data.work_packages
        leads = [m for m in plan.members if m.role in ("coordinator", "beneficiary")]
        funded = [m for m in plan.members if m.role != "associated_partner"]

        lump_sums = _split(grant_cents, [rng.uniform(*t.weight) for t in templates], 2)
        work_package_leads = [leads[0], *rng.sample(leads[1:], min(7, len(leads) - 1))]
        while len(work_package_leads) < len(templates):
            work_package_leads.append(rng.choice(leads))

        counts = [3] * len(templates)
        extra_weights = [template.extra_deliverables for template in templates]
        for _ in range(rng.randint(35, 45) - sum(counts)):
            counts[self.pick(range(len(templates)), extra_weights)] += 1

        for number, (template, lead, cents, count) in enumerate(
            zip(templates, work_package_leads, lump_sums, counts, strict=True), start=1
        ):
            start = rng.randint(*template.start)
            end = min(duration, rng.randint(*template.end))
            # Shares: everyone funded takes part in management; elsewhere most partners do.
            # The lead's share is the largest and takes the cents left over.
            holders = [lead] + [
                m for m in funded if m is not lead and (number == 1 or rng.random() < 0.75)
            ]
            weights = [rng.uniform(2.0, 3.0)] + [rng.uniform(0.5, 1.5) for _ in holders[1:]]
            deliverables = self.deliverables(number, template, (start, end), count, lead, leads)
            plan.work_packages.append(
                _WorkPackagePlan(
                    number=number,
                    title=rng.choice(template.titles),
                    clusters=rng.choice(template.clusters),
                    lead=lead,
                    start_month=start,
                    end_month=end,
                    lump_sum_cents=cents,
                    shares=list(zip(holders, _split(cents, weights, 0), strict=True)),
                    deliverables=deliverables,
                )
            )
        self.milestones(plan, work_package_leads, leads)

    def deliverables(
        self,
        number: int,
        template: _WorkPackageTemplate,
        months: tuple[int, int],
        count: int,
        lead: _Member,
        leads: list[_Member],
    ) -> list[tuple[str, str, _Member, str, str, int]]:
        """A work package's deliverables, due within its months; titles repeat as updates once
        the template's run out."""
        rng = self.rng
        titles = list(template.deliverables)
        rng.shuffle(titles)
        deliverables = []
        due_months = sorted(rng.randint(*months) for _ in range(count))
        for k, month in enumerate(due_months, start=1):
            title, kind = titles[(k - 1) % len(titles)]
            if k > len(titles):
                title = f"{title} (update {(k - 1) // len(titles)})"
            deliverable_lead = lead if rng.random() < 0.6 else rng.choice(leads)
            dissemination = self.pick(("PU", "SEN"), (3, 1) if number > 1 else (1, 3))
            deliverables.append(
                (f"D{number}.{k}", title, deliverable_lead, kind, dissemination, month)
            )
        return deliverables

    def milestones(
        self, plan: _ProjectPlan, work_package_leads: list[_Member], leads: list[_Member]
    ) -> None:
        """8 to 12 of the template milestones, each due within its work package, numbered in
        the order of their months; a quarter are linked to a second work package too."""
        rng = self.rng
        planned = []
        for title, verification, number in rng.sample(self.data.milestones, rng.randint(8, 12)):
            work_package = plan.work_packages[number - 1]
            month = rng.randint(work_package.start_month, work_package.end_month)
            planned.append((month, title, verification, number))
        planned.sort()
        for position, (month, title, verification, number) in enumerate(planned, start=1):
            milestone_lead = work_package_leads[number - 1] if rng.random() < 0.7 else None
            linked = [number]
            if rng.random() < 0.25:
                linked.append(rng.choice([n for n in range(1, 9) if n != number]))
            plan.milestones.append(
                (
                    f"MS{position}",
                    title,
                    milestone_lead or rng.choice(leads),
                    month,
                    verification,
                    linked,
                )
            )


# Of the deliverables and milestones due by now, one in this many is left overdue; the others
# were delivered (and, a month after their due date, accepted) or achieved on time.
OVERDUE_ONE_IN = 25


def _deliverable_state(due_on: datetime.date, position: int, today: datetime.date) -> dict:
    if due_on >= today or position % OVERDUE_ONE_IN == 0:
        return {"due_on": due_on}
    accepted = due_on + datetime.timedelta(days=30) < today
    return {
        "due_on": due_on,
        "status": DeliverableStatus.ACCEPTED if accepted else DeliverableStatus.SUBMITTED,
        "delivered_on": due_on,
        "approved_on": due_on + datetime.timedelta(days=30) if accepted else None,
    }


def _milestone_state(due_on: datetime.date, position: int, today: datetime.date) -> dict:
    if due_on >= today or position % OVERDUE_ONE_IN == 0:
        return {}
    return {"achieved_on": due_on, "achievement_evidence": "Seeded: verified on the due date."}


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def _eur(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _split(total: int, weights: list[float], remainder_to: int) -> list[int]:
    """Whole cents in proportion to the weights; what rounding leaves goes to one entry, so the
    parts add up to the total exactly."""
    whole = sum(weights)
    parts = [int(total * weight / whole) for weight in weights]
    parts[remainder_to] += total - sum(parts)
    return parts


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 1
    while candidate in used:
        n += 1
        candidate = f"{name}-{n}"
    used.add(candidate)
    return candidate


# -- entry point --------------------------------------------------------------------------------


def seed_portfolio(
    *,
    projects: int,
    seed: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[BatchProgress], None] | None = None,
) -> SeedReport:
    """Write ``projects`` random, valid CoVE grants in batches of ``batch_size`` projects.

    The same seed on the same database contents gives the same projects. ``on_batch`` is
    called after each batch has been committed."""
    if projects < 1:
        raise ValueError("projects must be at least 1.")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1.")
    if seed is None:
        seed = random.SystemRandom().randrange(2**32)
    started = time.perf_counter()
    report = SeedReport(seed=seed)

    calls = _load_calls()
    clusters = dict(ActivityCluster.objects.values_list("code", "id"))
    generator = _Generator(random.Random(seed), calls, clusters)
    batches = -(-projects // batch_size)
    for number in range(1, batches + 1):
        size = min(batch_size, projects - report.projects)
        generator.batch = _Batch(clusters)
        for _ in range(size):
            generator.project()
        generator.batch.write()
        counts = generator.batch.counts
        generator.batch = _Batch(clusters)  # let the batch go before the next one is built
        _drop_prepared_statements()
        for table, count in counts.items():
            report.rows[table] = report.rows.get(table, 0) + count
        report.projects += size
        report.batches = number
        report.seconds = time.perf_counter() - started
        if on_batch is not None:
            on_batch(
                BatchProgress(
                    batch=number,
                    batches=batches,
                    projects_done=report.projects,
                    projects_total=projects,
                    batch_rows=sum(counts.values()),
                    rows_done=report.total_rows,
                    seconds=report.seconds,
                )
            )
    report.seconds = time.perf_counter() - started
    return report
