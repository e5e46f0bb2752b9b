"""``seed-portfolio``: random CoVE grants that are valid grant files, shaped like real ones, with
some consortia at or below the composition minimum, written in a fixed number of statements per
batch."""

import dataclasses
import datetime
import io
import itertools
import re
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import transaction

from backend.demo.seeding import seed_portfolio
from backend.grantfile.export import dump_grant_file, grant_file_data
from backend.grantfile.loading import load_grant_file
from backend.grantfile.selectors import grant_import_context, projects_with_record
from backend.grantfile.validation import validate_grant_file
from backend.grants.models import Call, CountryStatus, Organisation, Project
from backend.grants.rules import country_status_on
from backend.workplan.models import Deliverable, WorkPackageShare

pytestmark = pytest.mark.django_db

ELIGIBLE = {"eu_member", "associated"}
EMPLOYER_TYPES = {"enterprise", "sector_representative"}
VET_TYPES = {"vet_provider_secondary", "vet_provider_tertiary"}

# Reading the reference data and the PICs and grant numbers already taken: 6 queries, once.
# Each batch: a savepoint and its release, and one INSERT per table (organisations, their
# types, projects, participations, affiliated entities' participations, work packages, their
# clusters, shares, deliverables, milestones, their work packages, reporting periods, periodic
# reports, work-package declarations): 16.
SETUP_QUERIES = 6
QUERIES_PER_BATCH = 16


def _records():
    return list(projects_with_record().order_by("grant_agreement_number"))


def _status_periods() -> dict[str, list]:
    periods: dict[str, list] = {}
    for status in CountryStatus.objects.order_by("valid_from"):
        periods.setdefault(status.country_id, []).append(
            (status.status, status.valid_from, status.valid_to)
        )
    return periods


@dataclasses.dataclass
class Composition:
    full_partners: int
    countable: int  # coordinator and beneficiaries established in an eligible country
    countries: int  # eligible countries of those
    qualifying: int  # of those, countries with an employer and a VET provider


def _composition(project, periods) -> Composition:
    """The composition figures, computed here from the record and the countries' statuses on
    the call's reference date (not from anything the generator says)."""
    day = project.call.country_reference_date

    def eligible(participation):
        country = participation.organisation.country_id
        return country_status_on(periods.get(country, []), day) in ELIGIBLE

    participations = list(project.participations.all())
    full = [p for p in participations if p.role in ("coordinator", "beneficiary")]
    countable = [p for p in full if eligible(p)]
    # Affiliated entities' types count too (the default reading): a breach found with them
    # counted is a breach under either reading.
    counted = countable + [
        p for p in participations if p.role == "affiliated_entity" and eligible(p)
    ]
    types: dict[str, set[str]] = {}
    for participation in counted:
        types.setdefault(participation.organisation.country_id, set()).update(
            participation.organisation.types
        )
    countries = {p.organisation.country_id for p in countable}
    qualifying = [
        country
        for country in countries
        if types[country] & EMPLOYER_TYPES and types[country] & VET_TYPES
    ]
    return Composition(len(full), len(countable), len(countries), len(qualifying))


def test_seeds_exactly_the_number_of_projects_asked_for():
    report = seed_portfolio(projects=6, seed=11, batch_size=4)

    assert Project.objects.count() == 6
    assert report.projects == 6
    assert report.batches == 2
    assert report.rows["projects"] == 6
    assert report.rows["deliverables"] == Deliverable.objects.count()
    assert report.rows["work package shares"] == WorkPackageShare.objects.count()
    assert report.rows["organisations"] == Organisation.objects.count()
    assert report.total_rows == sum(report.rows.values())


def test_every_seeded_project_is_a_valid_grant_file():
    seed_portfolio(projects=6, seed=12, batch_size=4)

    projects = _records()
    assert len(projects) == 6
    for project in projects:
        # The file as export-grant writes it and import-grant reads it (the reader keeps dates
        # as text, which is what the checks expect).
        data = load_grant_file(dump_grant_file(grant_file_data(project)))
        context = dataclasses.replace(grant_import_context(data), taken_grant_numbers=frozenset())
        grant = validate_grant_file(data, context)  # raises GrantFileInvalid with every error
        assert grant.grant_agreement_number == project.grant_agreement_number
        assert len(grant.participants) == len(project.participations.all())
        assert len(grant.deliverables) == len(project.deliverables.all())


def test_seeded_projects_are_shaped_like_coves():
    seed_portfolio(projects=20, seed=13, batch_size=8)
    periods = _status_periods()

    for project in _records():
        where = project.grant_agreement_number
        assert re.fullmatch(r"8\d{8}", where)
        call = project.call
        assert re.fullmatch(r"ERASMUS-EDU-202[1-5]-PEX-COVE", call.identifier)
        assert call.deadline < project.signed_on <= project.start_date, where
        assert project.start_date - call.deadline < datetime.timedelta(days=400), where
        assert project.duration_months == 48
        assert (
            Decimal("2500000.00")
            <= project.max_grant_eur
            <= min(Decimal("4000000.00"), call.max_grant_eur)
        )
        assert project.max_grant_eur.as_tuple().exponent == -2

        composition = _composition(project, periods)
        assert composition.full_partners <= 25, where
        assert composition.full_partners >= 10 or composition.countable <= 8, where
        participations = list(project.participations.all())
        roles = Counter(p.role for p in participations)
        assert roles["coordinator"] == 1
        assert 0 <= roles["associated_partner"] <= 5
        countries = {
            p.organisation.country_id for p in participations if p.role != "associated_partner"
        }
        assert len(countries) <= 10, where

        reporting_periods = list(project.reporting_periods.all())
        assert len(reporting_periods) in (2, 3)
        assert reporting_periods[0].start_month == 1
        assert reporting_periods[-1].end_month == 48
        assert reporting_periods[-1].payment == "balance"
        for before, after in itertools.pairwise(reporting_periods):
            assert after.start_month == before.end_month + 1

        work_packages = list(project.work_packages.all())
        assert [wp.number for wp in work_packages] == list(range(1, 9))
        clusters = {cluster.code for wp in work_packages for cluster in wp.clusters.all()}
        assert clusters == {"teaching_learning", "cooperation_partnership", "governance_funding"}
        assert sum(wp.lump_sum_eur for wp in work_packages) == project.max_grant_eur
        for wp in work_packages:
            assert wp.lead.role in ("coordinator", "beneficiary")
            shares = list(wp.shares.all())
            assert sum(share.amount_eur for share in shares) == wp.lump_sum_eur, (where, wp)
            assert all(share.amount_eur > 0 for share in shares)
            assert all(share.participation.role != "associated_partner" for share in shares)

        deliverables = list(project.deliverables.all())
        assert 35 <= len(deliverables) <= 45, where
        for deliverable in deliverables:
            wp = deliverable.work_package
            assert re.fullmatch(rf"D{wp.number}\.\d+", deliverable.code)
            assert wp.start_month <= deliverable.due_month <= wp.end_month
        assert 8 <= len(project.milestones.all()) <= 12


def test_seeded_projects_have_the_work_record_of_their_age():
    """What is due by now is mostly done: one deliverable and one milestone in 25 is left
    overdue, the others delivered (accepted a month after their due date) or achieved; each
    period whose report was due is reported and approved, with the status of its work
    packages declared."""
    from backend.reporting.models import PeriodicReport, WorkPackageDeclaration
    from backend.workplan.models import Deliverable

    today = datetime.date(2026, 11, 27)
    with time_machine.travel(datetime.datetime(2026, 11, 27, 12, tzinfo=datetime.UTC), tick=False):
        seed_portfolio(projects=8, seed=21, batch_size=4)

    due = Deliverable.objects.filter(due_on__lt=today)
    overdue = due.filter(status="pending")
    assert overdue.exists()
    assert {d.position % 25 for d in overdue} == {0}
    assert not Deliverable.objects.filter(due_on__gte=today).exclude(status="pending").exists()
    assert set(due.exclude(status="pending").values_list("status", flat=True)) <= {
        "submitted",
        "accepted",
    }
    for report in PeriodicReport.objects.select_related("reporting_period__project"):
        period = report.reporting_period
        assert period.end_date + datetime.timedelta(days=60) < today
        assert report.status == "approved"
        assert WorkPackageDeclaration.objects.filter(reporting_period=period).exists()
    assert PeriodicReport.objects.exists()


def test_a_larger_portfolio_holds_consortia_at_and_below_the_minimum():
    seed_portfolio(projects=40, seed=14, batch_size=16)
    periods = _status_periods()

    compositions = [_composition(project, periods) for project in _records()]
    few_partners = [c for c in compositions if c.countable < 8]
    few_countries = [c for c in compositions if c.countries < 4]
    type_gap = [c for c in compositions if c.countable >= 8 and c.countries >= 4 > c.qualifying]
    at_minimum = [c for c in compositions if c.countable == 8 and c.countries == 4]
    compliant = [
        c for c in compositions if c.countable >= 8 and c.countries >= 4 and c.qualifying >= 4
    ]

    assert few_partners
    assert few_countries
    assert type_gap
    assert at_minimum
    breaching = len(compositions) - len(compliant)
    assert 0.1 <= breaching / len(compositions) <= 0.3
    assert len(compliant) >= 0.7 * len(compositions)


def _portfolio() -> list[dict]:
    return [grant_file_data(project) for project in _records()]


def test_the_same_seed_on_an_empty_database_gives_the_same_projects():
    with transaction.atomic():
        seed_portfolio(projects=5, seed=15, batch_size=2)
        first = _portfolio()
        transaction.set_rollback(True)
    assert not Project.objects.exists()
    assert not Organisation.objects.exists()

    with transaction.atomic():
        seed_portfolio(projects=5, seed=15, batch_size=2)
        second = _portfolio()
        transaction.set_rollback(True)

    seed_portfolio(projects=5, seed=16, batch_size=2)
    other = _portfolio()

    assert len(first) == 5
    assert first == second
    assert first != other


def test_codes_already_taken_are_skipped():
    with transaction.atomic():
        seed_portfolio(projects=2, seed=17)
        pic = Organisation.objects.order_by("pk").values_list("pic", flat=True).first()
        number = Project.objects.order_by("pk").values_list("grant_agreement_number", flat=True)[0]
        transaction.set_rollback(True)
    existing = Organisation.objects.create(
        pic=pic, legal_name="Already Here Ltd", short_name="AH", country_id="IE"
    )
    call = Call.objects.get(identifier="ERASMUS-EDU-2022-PEX-COVE")
    Project.objects.create(
        grant_agreement_number=number,
        acronym="TAKEN",
        title="Already imported",
        call=call,
        signed_on=datetime.date(2023, 3, 1),
        start_date=datetime.date(2023, 4, 1),
        duration_months=48,
        max_grant_eur=Decimal("3000000.00"),
        prefinancing_percent=Decimal("40.00"),
        payments_cap_percent=Decimal("90.00"),
    )

    seed_portfolio(projects=2, seed=17)

    assert Project.objects.count() == 3
    assert Project.objects.filter(grant_agreement_number=number).get().acronym == "TAKEN"
    assert Organisation.objects.get(pic=pic) == existing
    assert not existing.participations.exists()


def test_queries_per_batch_do_not_grow_with_its_projects(django_assert_max_num_queries):
    most = SETUP_QUERIES + QUERIES_PER_BATCH
    with django_assert_max_num_queries(most) as three:
        seed_portfolio(projects=3, seed=18, batch_size=12)
    with django_assert_max_num_queries(most) as twelve:
        seed_portfolio(projects=12, seed=19, batch_size=12)

    # One INSERT per table, however many rows it holds (two for participations).
    inserts = Counter(
        re.match(r'INSERT INTO "(\w+)"', query["sql"]).group(1)
        for query in twelve.captured_queries
        if query["sql"].startswith("INSERT")
    )
    assert inserts["workplan_workpackageshare"] == 1
    assert inserts["workplan_deliverable"] == 1
    assert max(inserts.values()) <= 2
    assert WorkPackageShare.objects.count() > 1000  # a statement far above SQLite's old 999
    assert len(twelve.captured_queries) <= len(three.captured_queries) + 1  # +1: affiliates


def test_queries_grow_with_batches_not_projects(django_assert_max_num_queries):
    with django_assert_max_num_queries(SETUP_QUERIES + 3 * QUERIES_PER_BATCH):
        seed_portfolio(projects=12, seed=20, batch_size=4)
    assert Project.objects.count() == 12


def test_command_reports_each_batch_and_the_totals():
    out = io.StringIO()
    call_command(
        "seed-portfolio", "--projects", "3", "--seed", "21", "--batch-size", "2", stdout=out
    )

    text = out.getvalue()
    assert "batch 1/2: 2/3 projects" in text
    assert "batch 2/2: 3/3 projects" in text
    assert re.search(
        r"Seeded 3 projects \(seed 21\): [\d,]+ rows in [\d.]+ s \([\d,]+ rows/s\)", text
    )
    assert re.search(r"deliverables\s+\d+", text)
    assert Project.objects.count() == 3


@pytest.mark.parametrize(
    "arguments",
    [
        [],
        ["--projects", "0"],
        ["--projects", "many"],
        ["--projects", "2", "--batch-size", "0"],
    ],
)
def test_command_refuses_bad_numbers(arguments):
    with pytest.raises(CommandError):
        call_command("seed-portfolio", *arguments, stdout=io.StringIO())
    assert not Project.objects.exists()
