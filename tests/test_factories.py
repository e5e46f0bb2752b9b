"""The factories build records the application accepts, dated relative to the day the test
runs."""

import datetime
from decimal import Decimal

import pytest

from backend.common.dates import project_month
from backend.grants.models import Call, Country, RuleSet
from backend.reporting.models import PeriodicReport
from backend.workplan.models import Deliverable, WorkPackageShare
from tests import factories

pytestmark = pytest.mark.django_db


def test_reference_data_is_the_seeded_one():
    calls, countries, rulesets = (
        Call.objects.count(),
        Country.objects.count(),
        RuleSet.objects.count(),
    )

    project = factories.ProjectFactory()
    factories.OrganisationFactory(country=factories.CountryFactory(code="EE"))

    assert project.call.identifier == "ERASMUS-EDU-2023-PEX-COVE"
    assert project.call.ruleset_id == "cove-2023"
    assert (Call.objects.count(), Country.objects.count(), RuleSet.objects.count()) == (
        calls,
        countries,
        rulesets,
    )


def test_a_project_started_six_months_before_today():
    project = factories.ProjectFactory()

    assert project.start_date.day == 1
    assert project_month(project.start_date, factories.today()) == 7
    assert project.signed_on < project.start_date < factories.today() < project.end_date


def test_the_consortium_is_a_whole_small_grant():
    project = factories.consortium()

    roles = list(project.participations.values_list("short_name", "role", "position"))
    assert roles == [
        ("GAUJA", "coordinator", 1),
        ("ZILEMED", "beneficiary", 2),
        ("LVTDA", "beneficiary", 3),
        ("GAUJMALA", "associated_partner", 4),
    ]
    assert list(
        project.reporting_periods.values_list("number", "start_month", "end_month", "payment")
    ) == [
        (1, 1, 12, "interim"),
        (2, 13, 24, "balance"),
    ]
    for wp in project.work_packages.all():
        assert sum(s.amount_eur for s in wp.shares.all()) == wp.lump_sum_eur
        assert [c.code for c in wp.clusters.all()] == ["teaching_learning"]
    assert list(project.deliverables.values_list("code", "due_month", "position")) == [
        ("D1.1", 3, 1),
        ("D2.1", 3, 2),
    ]
    d11 = project.deliverables.get(code="D1.1")
    assert d11.due_on == project.month_end(3) < factories.today()
    milestone = project.milestones.get()
    assert (milestone.code, [wp.number for wp in milestone.work_packages.all()]) == ("MS1", [1])


def test_roles_and_statuses():
    project = factories.consortium(work_packages=1)
    ae = factories.AffiliatedEntityFactory(
        project=project, affiliated_to=project.participations.get(short_name="ZILEMED")
    )
    contact = factories.member("pc", project, "partner_contact", acting_for=ae)
    accepted = factories.DeliverableFactory(work_package=project.work_packages.get(), accepted=True)
    report = factories.PeriodicReportFactory(reporting_period=project.reporting_periods.first())
    factories.ContributionEntryFactory(
        contribution__report=report,
        contribution__participation=ae,
        work_package=accepted.work_package,
    )
    factories.WorkPackageDeclarationFactory(
        reporting_period=report.reporting_period, work_package=accepted.work_package, done=True
    )

    assert contact.organisation == ae.organisation
    assert (ae.role, ae.affiliated_to.short_name) == ("affiliated_entity", "ZILEMED")
    assert (accepted.code, accepted.status) == ("D1.2", "accepted")
    assert accepted.approved_on - accepted.delivered_on == datetime.timedelta(days=7)
    assert PeriodicReport.objects.get().contributions.get().entries.count() == 1
    assert Deliverable.objects.filter(project=project).count() == 2
    assert WorkPackageShare.objects.filter(participation=ae).count() == 0


def test_the_grant_fixture_and_its_users(grant, grant_users):
    assert grant_users["manager"].project_roles.get().participation.short_name == "GAUJA"
    assert grant_users["partner_contact"].organisation.short_name == "ZILEMED"
    assert grant_users["other_manager"].project_roles.get().project != grant


def test_the_pre_financing_approved_and_paid():
    payment = factories.PaymentFactory(instalment__project=factories.ProjectFactory())

    assert payment.instalment.amount_eur == payment.amount_eur == Decimal("400000.00")
    assert (payment.instalment.key, payment.paid_on) == ("prefinancing", factories.today())
