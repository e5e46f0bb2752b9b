"""factory-boy factories for the grant record, so that a test builds only what it checks.

Dates are relative to the day the test runs (``today()``: Brussels, and whatever day the test
travels to or GRANTWATCH_TEST_TODAY names), never to a fixed calendar: a project started some
months ago, its deadlines before and after today. A test that needs a particular moment travels
to one it reads from what was built (``project.month_end(n)`` and the like).

Reference data the migrations seed (countries, calls, rule sets, activity clusters) is reused,
not created again: their factories get or create by natural key.

``consortium()`` builds a small grant of the demo's shape (a coordinator, two beneficiaries and
an associated partner, a few work packages, deliverables, milestones and reporting periods) for
tests that need a whole project but not the demo's 48 months and 20 participants.
"""

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from backend.accounts.models import ProjectRole, ProjectRoleKind, User
from backend.common.dates import add_months, brussels_today
from backend.grants.models import (
    Call,
    Country,
    Organisation,
    OrganisationType,
    Participation,
    ParticipationRole,
    Project,
    RuleSet,
)
from backend.payments.models import Direction, Instalment, InstalmentKind, Payment
from backend.reporting.models import (
    Contribution,
    ContributionEntry,
    PeriodicReport,
    WorkPackageDeclaration,
)
from backend.workplan.models import (
    ActivityCluster,
    Deliverable,
    DeliverableStatus,
    Milestone,
    PeriodPayment,
    ReportingPeriod,
    WorkPackage,
    WorkPackageShare,
)


def today() -> datetime.date:
    """The day the test runs, in Brussels (time travel included)."""
    return brussels_today()


def months_ago(months: int) -> datetime.date:
    """The first day of the month ``months`` before this one: a project start date."""
    return add_months(today().replace(day=1), -months)


def _next(manager, field: str) -> int:
    """One more than the largest ``field`` so far (1 for the first)."""
    values = list(manager.values_list(field, flat=True))
    return max(values, default=0) + 1


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("pass-word-123")


# -- reference data (seeded by the migrations) ---------------------------------------------------


class RuleSetFactory(DjangoModelFactory):
    """A call's composition rules; the seeded ``cove-2023`` by default."""

    class Meta:
        model = RuleSet
        django_get_or_create = ("key",)

    key = "cove-2023"
    name = factory.LazyAttribute(lambda ruleset: f"Rules {ruleset.key}")


class CallFactory(DjangoModelFactory):
    """A call; the seeded 2023 CoVE call (EUR 4 million, 48 months) by default."""

    class Meta:
        model = Call
        django_get_or_create = ("identifier",)

    identifier = "ERASMUS-EDU-2023-PEX-COVE"
    title = "Partnerships for Excellence - Centres of Vocational Excellence"
    year = factory.LazyFunction(lambda: today().year)
    deadline = factory.LazyFunction(lambda: add_months(today(), -24))
    max_grant_eur = Decimal("4000000.00")
    max_duration_months = 48
    ruleset = factory.SubFactory(RuleSetFactory)
    country_reference_date = factory.SelfAttribute("deadline")


class CountryFactory(DjangoModelFactory):
    """A country; the seeded one when the code is known (Latvia by default)."""

    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "LV"
    name = factory.LazyAttribute(lambda country: f"Country {country.code}")


# -- organisations and projects ------------------------------------------------------------------


class OrganisationFactory(DjangoModelFactory):
    """An organisation with a fresh PIC; ``types=[...]`` declares its types (an enterprise by
    default)."""

    class Meta:
        model = Organisation
        skip_postgeneration_save = True

    pic = factory.Sequence(lambda n: f"{880000000 + n:09d}")
    short_name = factory.Sequence(lambda n: f"ORG{n}")
    legal_name = factory.LazyAttribute(lambda org: f"{org.short_name} Legal Name")
    country = factory.SubFactory(CountryFactory)

    @factory.post_generation
    def types(self, create, extracted, **kwargs):
        codes = ["enterprise"] if extracted is None else extracted
        if create:
            OrganisationType.objects.bulk_create(
                OrganisationType(organisation=self, code=code) for code in codes
            )


class ProjectFactory(DjangoModelFactory):
    """A signed grant that started six months ago (today is in its 7th month) and runs 24."""

    class Meta:
        model = Project

    grant_agreement_number = factory.Sequence(lambda n: f"{101900000 + n}")
    acronym = factory.Sequence(lambda n: f"PRJ{n}")
    title = factory.LazyAttribute(lambda project: f"The {project.acronym} project")
    call = factory.SubFactory(CallFactory)
    start_date = factory.LazyFunction(lambda: months_ago(6))
    signed_on = factory.LazyAttribute(lambda p: p.start_date - datetime.timedelta(days=14))
    duration_months = 24
    max_grant_eur = Decimal("1000000.00")
    prefinancing_percent = Decimal("40.00")
    payments_cap_percent = Decimal("90.00")


class ParticipationFactory(DjangoModelFactory):
    """A beneficiary from the project's start, with an organisation of its own (named like the
    participation); see the role factories below."""

    class Meta:
        model = Participation

    project = factory.SubFactory(ProjectFactory)
    short_name = factory.Sequence(lambda n: f"PART{n}")
    organisation = factory.SubFactory(
        OrganisationFactory, short_name=factory.SelfAttribute("..short_name")
    )
    role = ParticipationRole.BENEFICIARY
    joined_on = factory.LazyAttribute(lambda p: p.project.start_date)
    position = factory.LazyAttribute(lambda p: _next(p.project.participations, "position"))


class CoordinatorFactory(ParticipationFactory):
    role = ParticipationRole.COORDINATOR
    organisation = factory.SubFactory(
        OrganisationFactory,
        short_name=factory.SelfAttribute("..short_name"),
        types=["vet_provider_secondary"],
    )


class BeneficiaryFactory(ParticipationFactory):
    role = ParticipationRole.BENEFICIARY


class AffiliatedEntityFactory(ParticipationFactory):
    """Affiliated to a beneficiary of the same project (a new one unless given)."""

    role = ParticipationRole.AFFILIATED_ENTITY
    affiliated_to = factory.SubFactory(
        BeneficiaryFactory, project=factory.SelfAttribute("..project")
    )


class AssociatedPartnerFactory(ParticipationFactory):
    role = ParticipationRole.ASSOCIATED_PARTNER
    organisation = factory.SubFactory(
        OrganisationFactory,
        short_name=factory.SelfAttribute("..short_name"),
        types=["public_authority"],
    )


def coordinator_of(project: Project) -> Participation:
    """The project's coordinator, created if it has none yet."""
    existing = project.participations.filter(
        role=ParticipationRole.COORDINATOR, left_on__isnull=True
    ).first()
    return existing or CoordinatorFactory(project=project)


class ProjectRoleFactory(DjangoModelFactory):
    """A user's role on a project: an officer by default (no participation)."""

    class Meta:
        model = ProjectRole

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    role = ProjectRoleKind.OFFICER
    participation = None


def member(
    username: str,
    project: Project | None = None,
    role: str | None = None,
    *,
    acting_for: Participation | None = None,
    **flags,
) -> User:
    """A user (``flags`` set on it) with a role on ``project``: a manager or partner contact
    acting for ``acting_for`` works for that organisation."""
    if acting_for is not None:
        flags.setdefault("organisation_id", acting_for.organisation_id)
    user = UserFactory(username=username, **flags)
    if project is not None:
        ProjectRoleFactory(user=user, project=project, role=role, participation=acting_for)
    return user


def officer_of(project: Project, username: str = "po2") -> User:
    """Another agency officer of ``project``: who records the payments another officer approves
    (two people see every payment)."""
    return member(username, project, ProjectRoleKind.OFFICER, is_agency_officer=True)


# -- the work plan -------------------------------------------------------------------------------


class WorkPackageFactory(DjangoModelFactory):
    """The project's next work package, over the whole project, led by the coordinator, in the
    teaching-and-learning cluster, its lump sum all the lead's share (``shares={participation:
    amount}`` to share it otherwise, ``clusters=[codes]`` for other clusters)."""

    class Meta:
        model = WorkPackage
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    number = factory.LazyAttribute(lambda wp: _next(wp.project.work_packages, "number"))
    title = factory.LazyAttribute(lambda wp: f"Work package {wp.number}")
    lead = factory.LazyAttribute(lambda wp: coordinator_of(wp.project))
    start_month = 1
    end_month = factory.LazyAttribute(lambda wp: wp.project.duration_months)
    lump_sum_eur = Decimal("100000.00")

    @factory.post_generation
    def clusters(self, create, extracted, **kwargs):
        if create:
            codes = ["teaching_learning"] if extracted is None else extracted
            through = WorkPackage.clusters.through
            through.objects.bulk_create(
                through(workpackage_id=self.pk, activitycluster_id=pk) for pk in _cluster_ids(codes)
            )

    @factory.post_generation
    def shares(self, create, extracted, **kwargs):
        if not create:
            return
        amounts = {self.lead: self.lump_sum_eur} if extracted is None else extracted
        WorkPackageShare.objects.bulk_create(
            WorkPackageShare(work_package=self, participation=participation, amount_eur=amount)
            for participation, amount in amounts.items()
        )


class WorkPackageShareFactory(DjangoModelFactory):
    class Meta:
        model = WorkPackageShare

    work_package = factory.SubFactory(WorkPackageFactory, shares={})
    participation = factory.SubFactory(
        BeneficiaryFactory, project=factory.SelfAttribute("..work_package.project")
    )
    amount_eur = Decimal("10000.00")


class DeliverableFactory(DjangoModelFactory):
    """A pending report of its work package, led by the work package's lead, due at the end of
    the work package's third month; ``due_on`` follows ``due_month``. Traits ``submitted`` and
    ``accepted`` give it the dates its status needs (delivered on its due date, accepted a week
    later)."""

    class Meta:
        model = Deliverable

    work_package = factory.SubFactory(WorkPackageFactory)
    project = factory.SelfAttribute("work_package.project")
    code = factory.LazyAttribute(
        lambda d: f"D{d.work_package.number}.{d.work_package.deliverables.count() + 1}"
    )
    title = factory.LazyAttribute(lambda d: f"Deliverable {d.code}")
    lead = factory.SelfAttribute("work_package.lead")
    type = "R"
    dissemination = "PU"
    due_month = factory.LazyAttribute(
        lambda d: min(d.work_package.start_month + 2, d.work_package.end_month)
    )
    due_on = factory.LazyAttribute(lambda d: d.project.month_end(d.due_month))
    position = factory.LazyAttribute(lambda d: _next(d.project.deliverables, "position"))

    class Params:
        submitted = factory.Trait(
            status=DeliverableStatus.SUBMITTED,
            delivered_on=factory.SelfAttribute("due_on"),
            submitted_at=factory.LazyFunction(timezone.now),
        )
        accepted = factory.Trait(
            status=DeliverableStatus.ACCEPTED,
            delivered_on=factory.SelfAttribute("due_on"),
            approved_on=factory.LazyAttribute(lambda d: d.due_on + datetime.timedelta(days=7)),
        )


class MilestoneFactory(DjangoModelFactory):
    """A milestone of one work package (a new one unless ``work_packages=[...]`` is given),
    led by the coordinator, due in the project's sixth month."""

    class Meta:
        model = Milestone
        skip_postgeneration_save = True

    project = factory.SubFactory(ProjectFactory)
    code = factory.LazyAttribute(lambda m: f"MS{m.project.milestones.count() + 1}")
    title = factory.LazyAttribute(lambda m: f"Milestone {m.code}")
    lead = factory.LazyAttribute(lambda m: coordinator_of(m.project))
    due_month = 6
    verification = "Minutes of the meeting"
    position = factory.LazyAttribute(lambda m: _next(m.project.milestones, "position"))

    @factory.post_generation
    def work_packages(self, create, extracted, **kwargs):
        if create:
            packages = (
                extracted if extracted is not None else [WorkPackageFactory(project=self.project)]
            )
            through = Milestone.work_packages.through
            through.objects.bulk_create(
                through(milestone_id=self.pk, workpackage_id=wp.pk) for wp in packages
            )


class ReportingPeriodFactory(DjangoModelFactory):
    """The project's next reporting period: from the month after the last one to the end of the
    project, with the payment of the balance."""

    class Meta:
        model = ReportingPeriod

    project = factory.SubFactory(ProjectFactory)
    number = factory.LazyAttribute(lambda rp: _next(rp.project.reporting_periods, "number"))
    start_month = factory.LazyAttribute(lambda rp: _next(rp.project.reporting_periods, "end_month"))
    end_month = factory.LazyAttribute(lambda rp: rp.project.duration_months)
    payment = PeriodPayment.BALANCE


def reporting_periods(project: Project, *ends: int) -> list[ReportingPeriod]:
    """Consecutive periods ending in these months (the last one at the project's end): interim
    payments, the balance last."""
    if not ends or ends[-1] != project.duration_months:
        ends = (*ends, project.duration_months)
    first = _next(project.reporting_periods, "number")
    starts = (_next(project.reporting_periods, "end_month"), *(end + 1 for end in ends[:-1]))
    return bulk(
        ReportingPeriodFactory,
        [
            {
                "number": number,
                "start_month": start,
                "end_month": end,
                "payment": PeriodPayment.BALANCE if end == ends[-1] else PeriodPayment.INTERIM,
            }
            for number, start, end in zip(
                range(first, first + len(ends)), starts, ends, strict=True
            )
        ],
        project=project,
    )


# -- periodic reports ----------------------------------------------------------------------------


class PeriodicReportFactory(DjangoModelFactory):
    """A draft report of a period (a new period unless given)."""

    class Meta:
        model = PeriodicReport

    reporting_period = factory.SubFactory(ReportingPeriodFactory)
    project = factory.SelfAttribute("reporting_period.project")
    technical_part = "What we did."


class ContributionFactory(DjangoModelFactory):
    """A partner's draft contribution to a report."""

    class Meta:
        model = Contribution

    report = factory.SubFactory(PeriodicReportFactory)
    participation = factory.SubFactory(
        BeneficiaryFactory, project=factory.SelfAttribute("..report.project")
    )


class ContributionEntryFactory(DjangoModelFactory):
    class Meta:
        model = ContributionEntry

    contribution = factory.SubFactory(ContributionFactory)
    work_package = factory.SubFactory(
        WorkPackageFactory, project=factory.SelfAttribute("..contribution.report.project")
    )
    activities = "Did the work."


class WorkPackageDeclarationFactory(DjangoModelFactory):
    """The coordinator's status of a work package at the end of a period: not completed."""

    class Meta:
        model = WorkPackageDeclaration

    reporting_period = factory.SubFactory(ReportingPeriodFactory)
    work_package = factory.SubFactory(
        WorkPackageFactory, project=factory.SelfAttribute("..reporting_period.project")
    )
    completed = False
    declared_at = factory.LazyFunction(timezone.now)

    class Params:
        done = factory.Trait(
            completed=True,
            completed_on=factory.LazyAttribute(lambda d: d.reporting_period.end_date),
        )


# -- payments ------------------------------------------------------------------------------------


class InstalmentFactory(DjangoModelFactory):
    """The pre-financing as an officer approved it: its percentage of the maximum grant, now."""

    class Meta:
        model = Instalment

    project = factory.SubFactory(ProjectFactory)
    key = "prefinancing"
    kind = InstalmentKind.PREFINANCING
    reporting_period = None
    amount_eur = factory.LazyAttribute(
        lambda i: (i.project.max_grant_eur * i.project.prefinancing_percent / 100).quantize(
            Decimal("0.01")
        )
    )
    approved_at = factory.LazyFunction(timezone.now)


class PaymentFactory(DjangoModelFactory):
    """The payment of an approved instalment, in full, today."""

    class Meta:
        model = Payment

    instalment = factory.SubFactory(InstalmentFactory)
    project = factory.SelfAttribute("instalment.project")
    direction = Direction.PAYMENT
    amount_eur = factory.SelfAttribute("instalment.amount_eur")
    paid_on = factory.LazyFunction(today)
    reference = factory.Sequence(lambda n: f"PAY-{n:05d}")
    recorded_at = factory.LazyFunction(timezone.now)


# -- a whole small grant -------------------------------------------------------------------------


def bulk(factory_class, rows, **common) -> list:
    """One object per row (a dict of fields; the factory's defaults for the rest), built with
    ``factory_class`` and inserted in one query. Post-generation steps do not run, and a row
    gives what the factory would otherwise read from the database (numbers, codes, positions)."""
    model = factory_class._meta.model
    return model.objects.bulk_create([factory_class.build(**common, **row) for row in rows])


def _cluster_ids(codes) -> list[int]:
    return list(ActivityCluster.objects.filter(code__in=codes).values_list("pk", flat=True))


# The demo grant file's calendar (signed 2024-02-14, M1 is March 2024, 48 months, reporting
# periods ending in M18 and M36), for tests whose fixed days are written on it.
DEMO_CALENDAR = {
    "start_date": datetime.date(2024, 3, 1),
    "signed_on": datetime.date(2024, 2, 14),
    "duration_months": 48,
    "period_ends": (18, 36),
}


def consortium(
    *,
    coordinator: str = "GAUJA",
    beneficiaries: tuple[str, ...] = ("ZILEMED", "LVTDA"),
    associated_partners: tuple[str, ...] = ("GAUJMALA",),
    work_packages: int = 2,
    period_ends: tuple[int, ...] = (12,),
    **project_fields,
) -> Project:
    """A small grant: the coordinator and beneficiaries (Latvian organisations), associated
    partners; ``work_packages`` work packages over the whole project, each led by the
    coordinator and shared between it and the beneficiaries, each with a deliverable due in
    month 3 (D1.1, D2.1...); milestone MS1 of WP1, due in month 2; reporting periods ending in
    ``period_ends`` and at the project's end. Built in a few queries, as an import would."""
    project = ProjectFactory(**project_fields)
    members = [
        (coordinator, ParticipationRole.COORDINATOR, ["vet_provider_secondary"]),
        *((name, ParticipationRole.BENEFICIARY, ["enterprise"]) for name in beneficiaries),
        *(
            (name, ParticipationRole.ASSOCIATED_PARTNER, ["public_authority"])
            for name in associated_partners
        ),
    ]
    latvia = Country(code="LV")
    organisations = bulk(
        OrganisationFactory, [{"short_name": name} for name, _, _ in members], country=latvia
    )
    OrganisationType.objects.bulk_create(
        OrganisationType(organisation=organisation, code=code)
        for organisation, (_, _, types) in zip(organisations, members, strict=True)
        for code in types
    )
    participations = bulk(
        ParticipationFactory,
        [
            {"short_name": name, "role": role, "organisation": organisation, "position": position}
            for position, (organisation, (name, role, _)) in enumerate(
                zip(organisations, members, strict=True), start=1
            )
        ],
        project=project,
    )
    lead = participations[0]
    sharing = participations[: 1 + len(beneficiaries)]
    packages = bulk(
        WorkPackageFactory,
        [{"number": number} for number in range(1, work_packages + 1)],
        project=project,
        lead=lead,
    )
    through = WorkPackage.clusters.through
    teaching = _cluster_ids(["teaching_learning"])
    through.objects.bulk_create(
        through(workpackage_id=wp.pk, activitycluster_id=pk) for wp in packages for pk in teaching
    )
    WorkPackageShare.objects.bulk_create(
        WorkPackageShare(work_package=wp, participation=participation, amount_eur=amount)
        for wp in packages
        for participation, amount in _shares(wp.lump_sum_eur, sharing).items()
    )
    bulk(
        DeliverableFactory,
        [
            {"work_package": wp, "code": f"D{wp.number}.1", "due_month": 3, "position": wp.number}
            for wp in packages
        ],
    )
    if packages:
        MilestoneFactory(
            project=project,
            code="MS1",
            position=1,
            lead=lead,
            due_month=2,
            work_packages=packages[:1],
        )
    reporting_periods(project, *period_ends)
    return project


def _shares(lump_sum: Decimal, sharing: list[Participation]) -> dict[Participation, Decimal]:
    """The lump sum in equal shares, the rounding left to the first (the coordinator)."""
    share = (lump_sum / len(sharing)).quantize(Decimal("0.01"))
    amounts = dict.fromkeys(sharing, share)
    amounts[sharing[0]] += lump_sum - share * len(sharing)
    return amounts
