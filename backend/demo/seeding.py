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
organisations, never the whole portfolio. Names come from word lists and are fictional; PICs and
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

# Countries by how often they show up in CoVE consortia (rough weights, not statistics). The
# programme status is read from the database (CountryStatus) at each call's reference date.
EU_WEIGHTS = {
    "ES": 10, "IT": 9, "PT": 6, "DE": 6, "GR": 5, "NL": 5, "BE": 5, "FI": 5, "FR": 5, "PL": 4,
    "AT": 3, "SE": 3, "DK": 3, "IE": 3, "SI": 3, "HR": 3, "RO": 3, "BG": 3, "CZ": 2, "SK": 2,
    "HU": 2, "LT": 2, "LV": 2, "EE": 2, "CY": 2, "MT": 1, "LU": 1,
}  # fmt: skip
ASSOCIATED_WEIGHTS = {"NO": 3, "TR": 3, "RS": 2, "MK": 2, "IS": 1, "LI": 1}
NON_ASSOCIATED_WEIGHTS = {"UA": 3, "GB": 3, "CH": 2, "MD": 1, "GE": 1, "CA": 1, "AL": 1, "BA": 1}

# Organisation categories, as the composition rule sees them, and the type sets behind them.
EMPLOYER, VET, BOTH, OTHER = "employer", "vet", "both", "other"
TYPE_SETS = {
    VET: (
        (("vet_provider_secondary",), 45),
        (("vet_provider_tertiary",), 25),
        (("vet_provider_tertiary", "hei"), 15),
        (("vet_provider_secondary", "vet_provider_tertiary"), 10),
        (("vet_provider_secondary", "public_authority"), 5),
    ),
    EMPLOYER: (
        (("enterprise",), 55),
        (("sector_representative",), 30),
        (("sector_representative", "social_partner"), 8),
        (("enterprise", "research"), 7),
    ),
    BOTH: (
        (("enterprise", "vet_provider_secondary"), 40),
        (("sector_representative", "vet_provider_tertiary"), 35),
        (("sector_representative", "vet_provider_secondary"), 25),
    ),
    OTHER: (
        (("hei",), 30),
        (("research",), 20),
        (("public_authority",), 20),
        (("ngo",), 10),
        (("social_partner",), 10),
        (("hei", "research"), 5),
        (("other",), 5),
    ),
}
POOL_CAP = 64  # organisations kept for reuse per (country, category)
REUSE_PROBABILITY = 0.3

# Word lists for fictional names.
PLACE_HEADS = (
    "Nor", "Vel", "Ast", "Bran", "Cal", "Dor", "Esk", "Fal", "Gren", "Hal", "Ister", "Kor",
    "Lind", "Mar", "Ost", "Pel", "Ros", "Sal", "Tor", "Val", "Wester", "Zar", "Alb", "Bel",
    "Cor", "Lum", "Mir", "Sol",
)  # fmt: skip
PLACE_TAILS = (
    "vale", "burg", "dal", "mont", "ford", "haven", "ia", "stad", "polis", "mark", "feld",
    "wick", "heim", "ora", "ano", "ovo", "ec", "ija", "lund", "mere",
)  # fmt: skip
SURNAMES = (
    "Ardent", "Berglund", "Castell", "Dervaux", "Eklund", "Ferrante", "Galanis", "Horvath",
    "Ilves", "Jansen", "Kowal", "Lorenz", "Moreau", "Novak", "Oliveira", "Petrov", "Quist",
    "Rossi", "Sandoval", "Teller", "Urban", "Varga", "Weber", "Zeller",
)  # fmt: skip
FIELDS = (
    "Energy", "Food", "Health", "Mobility", "Water", "Construction", "Textile", "Logistics",
    "Tourism", "Digital", "Maritime", "Forestry", "Mechatronics", "Care",
)  # fmt: skip
COMPANY_FORMS = {
    "DE": "GmbH", "AT": "GmbH", "ES": "SL", "PT": "Lda", "FR": "SAS", "BE": "SRL", "IT": "S.r.l.",
    "GR": "SA", "NL": "BV", "FI": "Oy", "SE": "AB", "DK": "ApS", "NO": "AS", "IS": "ehf",
    "PL": "Sp. z o.o.", "CZ": "s.r.o.", "SK": "s.r.o.", "HU": "Kft.", "RO": "SRL", "BG": "OOD",
    "SI": "d.o.o.", "HR": "d.o.o.", "RS": "d.o.o.", "MK": "DOOEL", "TR": "A.S.", "CH": "AG",
    "LI": "AG", "LT": "UAB", "LV": "SIA", "EE": "OU", "UA": "LLC",
}  # fmt: skip
SECTORS = (
    ("Sustainable Energy", "ENERGY"), ("Advanced Manufacturing", "MANU"), ("Agri-Food", "AGRI"),
    ("Health Care", "HEALTH"), ("Tourism and Hospitality", "TOUR"), ("Green Construction", "BUILD"),
    ("Water Management", "WATER"), ("Digital Skills", "DIGI"), ("Automotive", "AUTO"),
    ("Maritime Industries", "MARE"), ("Textiles and Fashion", "TEX"),
    ("Creative Industries", "CREA"),
    ("the Circular Economy", "CIRC"), ("Logistics", "LOGI"), ("Aerospace", "AERO"),
    ("Microelectronics", "CHIP"), ("Dairy", "DAIRY"), ("Forestry and Wood", "WOOD"),
    ("Social Care", "CARE"), ("Hydrogen", "HYDRO"), ("Battery Technologies", "BATT"),
)  # fmt: skip
TITLE_PATTERNS = (
    "Centres of Vocational Excellence in {sector}",
    "European Platform of Vocational Excellence for {sector}",
    "Skills Alliance of Vocational Excellence in {sector}",
    "Regional Skills Ecosystems for {sector}",
    "Network of Excellence Centres for {sector}",
)
ACRONYM_PREFIXES = ("EU", "GREEN", "SMART", "NEXT", "OPEN", "PRO", "RE", "UP", "NEO", "X")
ACRONYM_SUFFIXES = ("COVE", "VET", "EXCEL", "SKILLS", "HUB", "NET", "PRO", "PLUS")

# The eight work packages: title options, cluster options, start and end month ranges, the
# range of their share of the grant, and deliverable titles (with their type).
GOV, COOP, TEACH = "governance_funding", "cooperation_partnership", "teaching_learning"


@dataclass(frozen=True)
class _WorkPackageTemplate:
    titles: tuple[str, ...]
    clusters: tuple[tuple[str, ...], ...]
    start: tuple[int, int]
    end: tuple[int, int]
    weight: tuple[float, float]
    deliverables: tuple[tuple[str, str], ...]


WORK_PACKAGES = (
    _WorkPackageTemplate(
        ("Project management and quality assurance", "Coordination, management and quality"),
        ((GOV,),),
        (1, 1),
        (48, 48),
        (0.07, 0.11),
        (
            ("Project handbook", "R"),
            ("Quality assurance plan", "R"),
            ("Data management plan", "DMP"),
            ("Risk management plan", "R"),
            ("Interim quality report", "R"),
            ("Final quality report", "R"),
        ),
    ),
    _WorkPackageTemplate(
        ("Skills needs analysis and sector intelligence", "Skills anticipation and foresight"),
        ((COOP,), (TEACH, COOP)),
        (1, 3),
        (12, 20),
        (0.08, 0.12),
        (
            ("Report on skills needs in the partner regions", "R"),
            ("Sector skills foresight study", "R"),
            ("Skills intelligence dashboard", "DEC"),
            ("Data set of surveyed employers", "DATA"),
            ("Occupational profiles", "R"),
        ),
    ),
    _WorkPackageTemplate(
        ("Curriculum design and training programmes", "Innovative curricula and micro-credentials"),
        ((TEACH,),),
        (6, 12),
        (36, 44),
        (0.14, 0.2),
        (
            ("Joint curriculum framework", "R"),
            ("Training modules (EQF 3-5)", "OTHER"),
            ("Micro-credentials catalogue", "R"),
            ("Open educational resources", "DEC"),
            ("Pilot training report", "R"),
            ("Validation of learning outcomes", "R"),
        ),
    ),
    _WorkPackageTemplate(
        ("Work-based learning and teacher training", "Professional development of VET staff"),
        ((TEACH,), (TEACH, COOP)),
        (9, 18),
        (40, 48),
        (0.12, 0.18),
        (
            ("Teacher training programme", "R"),
            ("Work-based learning toolkit", "OTHER"),
            ("Apprenticeship guidelines for enterprises", "R"),
            ("Report on staff exchanges", "R"),
            ("Virtual training environment", "DEM"),
        ),
    ),
    _WorkPackageTemplate(
        ("Innovation hubs and business cooperation", "Knowledge partnerships with industry"),
        ((COOP,),),
        (6, 12),
        (42, 48),
        (0.12, 0.18),
        (
            ("Innovation hub concept", "R"),
            ("Applied research projects with SMEs", "DEM"),
            ("Technology transfer report", "R"),
            ("Start-up incubation programme", "OTHER"),
            ("Business cooperation agreements", "R"),
        ),
    ),
    _WorkPackageTemplate(
        ("Regional skills ecosystems", "Internationalisation and mobility", "Inclusion and career"),
        ((COOP,), (COOP, GOV), (TEACH, COOP)),
        (12, 24),
        (44, 48),
        (0.08, 0.14),
        (
            ("Regional skills strategies", "R"),
            ("Mobility scheme for learners", "R"),
            ("Career guidance toolkit", "OTHER"),
            ("Report on inclusion measures", "R"),
        ),
    ),
    _WorkPackageTemplate(
        ("Governance, sustainability and long-term action plan", "Sustainability and funding"),
        ((GOV,),),
        (18, 30),
        (48, 48),
        (0.07, 0.11),
        (
            ("Governance model of the platform", "R"),
            ("Long-term action plan", "R"),
            ("Financial sustainability strategy", "R"),
            ("Memoranda of understanding", "OTHER"),
        ),
    ),
    _WorkPackageTemplate(
        ("Dissemination and exploitation", "Communication, dissemination and valorisation"),
        ((COOP,), (COOP, GOV)),
        (1, 3),
        (48, 48),
        (0.07, 0.1),
        (
            ("Project website and visual identity", "DEC"),
            ("Communication and dissemination plan", "R"),
            ("Exploitation plan", "R"),
            ("Final conference", "OTHER"),
            ("Policy recommendations", "R"),
            ("Promotional video", "DEC"),
        ),
    ),
)
DELIVERABLE_WEIGHTS = (2, 2, 4, 4, 4, 2, 2, 3)  # where deliverables beyond 3 per WP go
MILESTONES = (
    ("Kick-off meeting held", "Minutes of the kick-off meeting", 1),
    ("Quality framework agreed", "Quality assurance plan approved by the steering committee", 1),
    ("Skills needs analysis completed", "Published report on skills needs", 2),
    ("Curriculum framework agreed", "Framework signed off by all VET partners", 3),
    ("First training programmes piloted", "Attendance lists and pilot evaluation", 3),
    ("Teacher training completed", "Certificates of participation", 4),
    ("Innovation hubs operational", "Hub opening events and activity logs", 5),
    ("Cooperation agreements with companies signed", "Signed agreements", 5),
    ("Regional skills ecosystems launched", "Launch events and stakeholder lists", 6),
    ("Mid-term review completed", "Mid-term review report", 1),
    ("Long-term action plan adopted", "Action plan adopted by the general assembly", 7),
    ("Project website online", "Public website address", 8),
    ("Final conference held", "Conference programme and attendance list", 8),
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
    calls = []
    for call in Call.objects.filter(identifier__in=CALL_IDENTIFIERS).order_by("identifier"):

        def status(code, day=call.country_reference_date):
            return country_status_on(periods.get(code, ()), day)

        eu = _weighted(EU_WEIGHTS, lambda code: code in known and status(code) == EU_MEMBER)
        associated = _weighted(
            ASSOCIATED_WEIGHTS, lambda code: code in known and status(code) == ASSOCIATED
        )
        non_associated = _weighted(
            NON_ASSOCIATED_WEIGHTS,
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
            self._insert(Project, [plan.model for plan in self.projects], "projects")
            # Affiliated entities second: they point at their beneficiary's participation.
            for affiliated in (False, True):
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
                        affiliated_to_id=(
                            member.affiliated_to.participation_id if affiliated else None
                        ),
                        position=position,
                    )
                    for project, position, member in members
                ]
                self._insert(Participation, rows, "participations")
                for (_project, _position, member), row in zip(members, rows, strict=True):
                    member.participation_id = row.pk

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
                            ((wp, d) for wp in plan.work_packages for d in wp.deliverables),
                            start=1,
                        )
                    )
                ],
                "deliverables",
            )
            milestones = [
                (plan, milestone) for plan in self.projects for milestone in plan.milestones
            ]
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
            self._insert(
                ReportingPeriod, [period for _plan, period in periods], "reporting periods"
            )
            self._reports(periods)

    def _reports(self, periods: list) -> None:
        """The work record a project has by now: each period whose report was due is reported
        and approved, with the status of every work package it declares."""

        reported = []
        for plan, period in periods:
            end = month_end(plan.model.start_date, period.end_month)
            if report_due_on(end) >= self.today:
                continue
            received = _noon(end + datetime.timedelta(days=50))
            reported.append(
                (
                    plan,
                    period,
                    end,
                    PeriodicReport(
                        project_id=plan.model.pk,
                        reporting_period_id=period.pk,
                        status=ReportStatus.APPROVED,
                        technical_part="Seeded report.",
                        submitted_at=received,
                        first_submitted_at=received,
                        approved_at=_noon(end + datetime.timedelta(days=80)),
                    ),
                )
            )
        self._insert(PeriodicReport, [report for *_rest, report in reported], "periodic reports")
        declarations = []
        for plan, period, _end, report in reported:
            previous_end = max(
                (e for _n, _s, e, _p in plan.reporting_periods if e < period.end_month), default=0
            )
            for wp in plan.work_packages:
                # Declared in this report: started by its end, not completed in an earlier one.
                if wp.start_month > period.end_month or wp.end_month <= previous_end:
                    continue
                completed = wp.end_month <= period.end_month
                declarations.append(
                    WorkPackageDeclaration(
                        work_package_id=wp.id,
                        reporting_period_id=period.pk,
                        completed=completed,
                        completed_on=month_end(plan.model.start_date, wp.end_month)
                        if completed
                        else None,
                        declared_at=report.submitted_at,
                    )
                )
        self._insert(WorkPackageDeclaration, declarations, "work package declarations")

    def _insert(self, model, rows: list, label: str) -> None:
        model.objects.bulk_create(rows)
        self.counts[label] = self.counts.get(label, 0) + len(rows)


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
        types = self.pick(*zip(*TYPE_SETS[category], strict=True))
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
        rng = self.rng
        place = rng.choice(PLACE_HEADS) + rng.choice(PLACE_TAILS)
        subject = rng.choice(FIELDS)
        kind = types[0]
        if kind == "vet_provider_secondary":
            name = rng.choice(
                (
                    f"{place} Vocational School",
                    f"{place} Technical Upper Secondary School",
                    f"{place} Training Centre for {subject}",
                    f"Vocational College of {place}",
                )
            )
        elif kind == "vet_provider_tertiary":
            name = rng.choice(
                (
                    f"{place} University of Applied Sciences",
                    f"{place} Polytechnic Institute",
                    f"Higher Vocational Academy of {place}",
                )
            )
        elif kind == "hei":
            name = rng.choice((f"University of {place}", f"{place} Technical University"))
        elif kind == "enterprise":
            form = COMPANY_FORMS.get(country, "Ltd")
            name = f"{rng.choice(SURNAMES)} {subject} {form}"
        elif kind == "sector_representative":
            name = rng.choice(
                (
                    f"{place} Chamber of Commerce and Industry",
                    f"{subject} Employers' Association of {place}",
                    f"{place} Chamber of Crafts",
                )
            )
        elif kind == "research":
            name = f"{place} Institute for {subject} Research"
        elif kind == "public_authority":
            name = rng.choice((f"Regional Authority of {place}", f"Municipality of {place}"))
        elif kind == "ngo":
            name = f"{subject} Network {place}"
        elif kind == "social_partner":
            name = f"{place} Federation of {subject} Workers"
        else:
            name = f"{place} {subject} Foundation"
        words = [word for word in name.replace("-", " ").split() if word[0].isupper()]
        short_name = "".join(word[0] for word in words[:4]).upper()
        if len(short_name) < 3:
            short_name = place[:5].upper()
        return name, short_name

    # one project

    def project(self) -> None:
        rng = self.rng
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
        sector, sector_code = rng.choice(SECTORS)
        acronym = rng.choice(
            (
                f"{sector_code}-{rng.choice(ACRONYM_SUFFIXES)}",
                f"{rng.choice(ACRONYM_PREFIXES)}{sector_code}",
                f"{rng.choice(ACRONYM_PREFIXES)}{sector_code}-{rng.choice(ACRONYM_SUFFIXES)}",
            )
        )
        project = Project(
            grant_agreement_number=self.numbers.next(),
            acronym=acronym,
            title=rng.choice(TITLE_PATTERNS).format(sector=sector),
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

    def consortium(self, case: str, call: _CallRef) -> list["_Member"]:
        """Coordinator first, then beneficiaries (each affiliated entity after its beneficiary),
        then associated partners."""
        rng = self.rng
        non_associated_partners = self.pick((0, 1, 2), (75, 20, 5))
        qualifying = None  # how many eligible countries get both an employer and a VET provider
        if case == SEVEN_PARTNERS:
            country_count, countable = rng.randint(4, 5), 7
        elif case == THREE_COUNTRIES:
            country_count, countable = 3, rng.randint(10, 18)
            non_associated_partners = self.pick((0, 1), (1, 1))
        elif case == TYPE_GAP:
            country_count, countable = rng.randint(4, 7), rng.randint(10, 20)
            qualifying = rng.randint(1, 3)
        elif case == AT_MINIMUM:
            country_count, countable = 4, 8
            non_associated_partners = self.pick((0, 1), (1, 1))
        else:
            country_count = self.pick(range(4, 10), (10, 14, 14, 12, 8, 5))
            non_associated_partners = min(non_associated_partners, 10 - country_count)
            countable = rng.randint(max(10 - non_associated_partners, country_count), 25)
            countable = min(countable, 25 - non_associated_partners)

        # Countries: mostly Member States, sometimes an associated country; the coordinator's
        # country (the first) is a Member State nine times in ten.
        associated = 0
        if call.associated[0] and rng.random() < 0.3:
            associated = 2 if country_count >= 6 and rng.random() < 0.2 else 1
        countries = self.distinct(call.eu, country_count - associated)
        countries += self.distinct(call.associated, associated)
        rng.shuffle(countries)
        if countries[0] not in call.eu[0] and rng.random() < 0.9:
            eu_at = next(i for i, code in enumerate(countries) if code in call.eu[0])
            countries[0], countries[eu_at] = countries[eu_at], countries[0]

        # Partners per country: at least one each, the coordinator's country holding more.
        per_country = [1] * country_count
        weights = [3.0] + [rng.uniform(0.5, 2.0) for _ in range(country_count - 1)]
        for _ in range(countable - country_count):
            per_country[self.pick(range(country_count), weights)] += 1

        if case == AT_MINIMUM:
            qualifies = [True] * country_count
        elif qualifying is not None:
            chosen = set(rng.sample(range(country_count), qualifying))
            qualifies = [i in chosen for i in range(country_count)]
        else:
            qualifies = [rng.random() < 0.85 for _ in countries]
            if case == NORMAL:  # at least 4 qualifying countries, the biggest first
                for i in sorted(range(country_count), key=lambda i: -per_country[i]):
                    if sum(qualifies) >= 4:
                        break
                    qualifies[i] = True

        taken: set[int] = set()

        def add(country: str, category: str, role: str) -> _Member:
            org = self.organisation(country, category, taken)
            taken.add(id(org))
            return _Member(org, role)

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
                full.append(add(country, category, role))
        non_associated = self.distinct(call.non_associated, non_associated_partners)
        for country in non_associated:
            full.append(add(country, self.pick((EMPLOYER, VET, OTHER), (4, 3, 3)), "beneficiary"))

        members: list[_Member] = []
        affiliates: dict[int, list[_Member]] = {}
        if case == NORMAL and rng.random() < 0.15:
            for _ in range(self.pick((1, 2), (3, 1))):
                parent = rng.choice(full)
                category = self.pick((OTHER, VET), (3, 1))
                entity = add(parent.org.model.country_id, category, "affiliated_entity")
                entity.affiliated_to = parent
                affiliates.setdefault(id(parent), []).append(entity)
        for member in full:
            members.append(member)
            members.extend(affiliates.get(id(member), ()))

        everywhere = (
            call.eu[0] + call.associated[0] + call.non_associated[0],
            call.eu[1] + call.associated[1] + tuple(w * 3 for w in call.non_associated[1]),
        )
        for _ in range(self.pick(range(6), (20, 25, 20, 15, 12, 8))):
            country = self.pick(*everywhere)
            category = self.pick((EMPLOYER, OTHER, VET), (5, 4, 1))
            members.append(add(country, category, "associated_partner"))
        return members

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
        rng = self.rng
        leads = [m for m in plan.members if m.role in ("coordinator", "beneficiary")]
        funded = [m for m in plan.members if m.role != "associated_partner"]
        coordinator = leads[0]

        lump_sums = _split(grant_cents, [rng.uniform(*t.weight) for t in WORK_PACKAGES], 2)
        work_package_leads = [coordinator, *rng.sample(leads[1:], min(7, len(leads) - 1))]
        while len(work_package_leads) < len(WORK_PACKAGES):
            work_package_leads.append(rng.choice(leads))

        counts = [3] * len(WORK_PACKAGES)
        for _ in range(rng.randint(35, 45) - sum(counts)):
            counts[self.pick(range(len(WORK_PACKAGES)), DELIVERABLE_WEIGHTS)] += 1

        for number, (template, lead, cents, count) in enumerate(
            zip(WORK_PACKAGES, work_package_leads, lump_sums, counts, strict=True), start=1
        ):
            start = rng.randint(*template.start)
            end = min(duration, rng.randint(*template.end))

            # Shares: everyone funded takes part in management; elsewhere most partners do.
            # The lead's share is the largest and takes the cents left over.
            holders = [lead] + [
                m for m in funded if m is not lead and (number == 1 or rng.random() < 0.75)
            ]
            weights = [rng.uniform(2.0, 3.0)] + [rng.uniform(0.5, 1.5) for _ in holders[1:]]

            titles = list(template.deliverables)
            rng.shuffle(titles)
            deliverables = []
            months = sorted(rng.randint(start, end) for _ in range(count))
            for k, month in enumerate(months, start=1):
                title, kind = titles[(k - 1) % len(titles)]
                if k > len(titles):
                    title = f"{title} (update {(k - 1) // len(titles)})"
                deliverable_lead = lead if rng.random() < 0.6 else rng.choice(leads)
                dissemination = self.pick(("PU", "SEN"), (3, 1) if number > 1 else (1, 3))
                deliverables.append(
                    (f"D{number}.{k}", title, deliverable_lead, kind, dissemination, month)
                )

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

        planned = []
        for title, verification, number in rng.sample(MILESTONES, rng.randint(8, 12)):
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
