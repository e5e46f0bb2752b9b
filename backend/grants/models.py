"""The grant record: calls, countries, organisations, projects and their consortia."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from backend.common.dates import month_end, month_start

PIC_VALIDATOR = RegexValidator(r"^[0-9]{9}$", _("A PIC is exactly 9 digits."))
GA_NUMBER_VALIDATOR = RegexValidator(r"^[0-9]+$", _("A grant agreement number is digits only."))
PERCENT_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class FundingModel(models.TextChoices):
    LUMP_SUM = "lump_sum", _("Lump sum (paid per completed work package)")


class TypeRuleReading(models.TextChoices):
    LENIENT = "lenient", _("Lenient: enough represented countries have both types")
    STRICT = "strict", _("Strict: every represented country has both types")


class RuleSeverity(models.TextChoices):
    BREACH = "breach", _("Breach")
    WARNING = "warning", _("Warning")


class CountryReference(models.TextChoices):
    CALL = "call", _("The call's reference date")
    SIGNATURE = "signature", _("The grant's signature date")
    EVALUATION = "evaluation", _("The date evaluated")


class RuleSet(models.Model):
    """The consortium composition rules of a call, as data: a new call year is a new row.

    Where the public call texts leave a rule open (every country or only enough of them with
    both an enterprise and a VET provider, whether affiliated entities count, on which date
    country statuses are read), the choice is a field here."""

    key = models.CharField(_("key"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    min_full_partners = models.PositiveSmallIntegerField(_("minimum full partners"), default=8)
    affiliated_entities_count_as_partners = models.BooleanField(
        _("affiliated entities count toward the full partners"), default=False
    )
    min_eligible_countries = models.PositiveSmallIntegerField(
        _("minimum eligible countries"), default=4
    )
    min_member_states = models.PositiveSmallIntegerField(_("minimum EU Member States"), default=2)
    member_states_severity = models.CharField(
        _("consequence of too few EU Member States"),
        max_length=10,
        choices=RuleSeverity,
        default=RuleSeverity.WARNING,
    )
    type_rule_reading = models.CharField(
        _("reading of the type rule"),
        max_length=10,
        choices=TypeRuleReading,
        default=TypeRuleReading.LENIENT,
    )
    min_qualifying_countries = models.PositiveSmallIntegerField(
        _("minimum countries with an employer and a VET provider"), default=4
    )
    affiliated_entities_count_for_types = models.BooleanField(
        _("affiliated entities' types count for their country"), default=True
    )
    country_reference = models.CharField(
        _("country status as of"),
        max_length=12,
        choices=CountryReference,
        default=CountryReference.CALL,
    )
    temporary_gap_days = models.PositiveSmallIntegerField(
        _("tolerated gap (days)"),
        default=90,
        help_text=_(
            "A breach that recorded changes end within this many days is reported for review "
            "as a temporary gap; 0 reports every breach as a breach."
        ),
    )
    scheduled_breach_days = models.PositiveSmallIntegerField(
        _("warn of a coming breach (days ahead)"), default=90
    )
    secondary_vet_provider_review = models.BooleanField(
        _("review a consortium without an upper-secondary VET provider"),
        default=True,
        help_text=_("Proposals may not target only the tertiary level (EQF 3-5 coverage)."),
    )
    # Payment options. No public source settles them for CoVE grants: each is data, with the
    # reading that the corporate lump-sum grant agreement suggests as its default.
    breach_blocks_payments = models.BooleanField(
        _("a composition breach blocks payments"),
        default=False,
        help_text=_(
            "On: an instalment cannot be approved while the consortium breaches the composition "
            "rules. Off: the officer decides, suspending the payment or approving it with a "
            "justification."
        ),
    )
    reports_in_order = models.BooleanField(
        _("payments wait for the earlier reports"),
        default=True,
        help_text=_(
            "A period's payment waits until the reports of every earlier period are approved."
        ),
    )
    completion_needs_accepted_deliverables = models.BooleanField(
        _("a work package is completed only with every deliverable accepted"),
        default=False,
        help_text=_(
            "On: a work package cannot be declared completed until its deliverables are "
            "accepted (or an officer waives that). Off: the officer sees a warning."
        ),
    )
    observation_days = models.PositiveSmallIntegerField(
        _("days for observations on a reduction"),
        default=30,
        help_text=_("Counted from the pre-information letter."),
    )
    late_interest_reference_percent = models.DecimalField(
        _("reference rate for late-payment interest (percent a year)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("2.15"),
        validators=PERCENT_VALIDATORS,
        help_text=_("The ECB main refinancing rate applied to the grant's late payments."),
    )
    late_interest_margin_points = models.DecimalField(
        _("margin over the reference rate (points)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("3.50"),
        validators=PERCENT_VALIDATORS,
    )
    # The grant's life: amendments, accessions and terminations. The Horizon Europe guidance on
    # the corporate grant agreement gives 45 days for a decision; nothing confirms it, nor the
    # accession deadline, for CoVE grants: both are data.
    decision_days = models.PositiveSmallIntegerField(
        _("days the agency has to decide on an amendment"),
        default=45,
        help_text=_("Counted from submission; no decision by then counts as a rejection."),
    )
    accession_days = models.PositiveSmallIntegerField(
        _("days a new beneficiary has to accede"),
        default=60,
        help_text=_("Counted from the approval of the amendment that adds it."),
    )
    termination_report_days = models.PositiveSmallIntegerField(
        _("days for the termination reports (termination asked by the consortium)"),
        default=30,
        help_text=_("Counted from the last day of the participation."),
    )
    agency_termination_report_days = models.PositiveSmallIntegerField(
        _("days for the termination reports (termination decided by the agency)"),
        default=60,
    )
    termination_report_skip_days = models.PositiveSmallIntegerField(
        _("no termination reports when a periodic report is due within (days)"),
        default=30,
    )
    oct_counts_as_member_state = models.BooleanField(
        _("an overseas country or territory counts as its Member State"),
        default=False,
        help_text=_(
            "Whether a participant from an overseas country or territory counts as one from "
            "the Member State it is linked to; either way its participation is reviewed."
        ),
    )

    class Meta:
        ordering = ["key"]
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        constraints = [
            models.CheckConstraint(
                condition=Q(member_states_severity__in=RuleSeverity.values),
                name="ruleset_member_states_severity_known",
            ),
            models.CheckConstraint(
                condition=Q(type_rule_reading__in=TypeRuleReading.values),
                name="ruleset_type_rule_reading_known",
            ),
            models.CheckConstraint(
                condition=Q(country_reference__in=CountryReference.values),
                name="ruleset_country_reference_known",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Call(models.Model):
    """A call for proposals; it fixes the ceilings and selects the rule set of its grants."""

    identifier = models.CharField(_("identifier"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    year = models.PositiveSmallIntegerField(_("year"))
    deadline = models.DateField(_("submission deadline"), null=True, blank=True)
    max_grant_eur = models.DecimalField(_("maximum grant (EUR)"), max_digits=12, decimal_places=2)
    max_duration_months = models.PositiveSmallIntegerField(_("maximum duration (months)"))
    funding_model = models.CharField(
        _("funding model"), max_length=20, choices=FundingModel, default=FundingModel.LUMP_SUM
    )
    ruleset = models.ForeignKey(
        RuleSet,
        on_delete=models.PROTECT,
        to_field="key",
        db_column="ruleset_key",
        related_name="calls",
        verbose_name=_("rule set"),
        help_text=_("The consortium composition rules that apply to this call's grants."),
    )
    country_reference_date = models.DateField(
        _("country status reference date"),
        help_text=_(
            "Whether a country is an EU Member State or associated to the programme is read "
            "as of this date for the call's grants."
        ),
    )
    # Payment options that no public source settles for CoVE grants (partial completion at the
    # final payment, additional pre-financing, the agency's payment period): data, not code.
    pays_partial_completion = models.BooleanField(
        _("final payment pays partial completion"),
        default=False,
        help_text=_(
            "In the final period, a work package not completed is paid by its declared "
            "completion percentage. Off: it is not paid at all."
        ),
    )
    additional_prefinancing_percent = models.DecimalField(
        _("additional pre-financing (percent of the maximum grant)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PERCENT_VALIDATORS,
        help_text=_("Empty: the same percentage as the grant's initial pre-financing."),
    )
    payment_days = models.PositiveSmallIntegerField(
        _("days the agency has to pay"),
        default=90,
        help_text=_(
            "Counted from the receipt of a periodic report; later payment may owe interest."
        ),
    )
    prefinancing_payment_days = models.PositiveSmallIntegerField(
        _("days the agency has to pay the pre-financing"),
        default=30,
        help_text=_(
            "Counted from the entry into force; paid no earlier than 10 days before the start."
        ),
    )

    class Meta:
        ordering = ["identifier"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_grant_eur__gt=0), name="call_max_grant_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_duration_months__gte=1), name="call_max_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.identifier


class Country(models.Model):
    """A country by its ISO 3166-1 alpha-2 code; its programme status is dated (CountryStatus)."""

    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    oct_of = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="overseas",
        verbose_name=_("overseas country or territory of"),
        help_text=_("For an overseas country or territory: the Member State it is linked to."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=r"^[A-Z]{2}$"), name="country_code_iso2"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProgrammeStatus(models.TextChoices):
    EU_MEMBER = "eu_member", _("EU Member State")
    ASSOCIATED = "associated", _("Third country associated to the programme")
    NOT_ASSOCIATED = "not_associated", _("Third country not associated to the programme")


class CountryStatus(models.Model):
    """A country's status towards the programme over a period (valid_to inclusive, open if null).

    A date that no row covers means "not associated".
    """

    country = models.ForeignKey(
        Country, on_delete=models.CASCADE, related_name="statuses", verbose_name=_("country")
    )
    status = models.CharField(_("status"), max_length=20, choices=ProgrammeStatus)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["country", "valid_from"]
        verbose_name = _("country status")
        verbose_name_plural = _("country statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["country", "valid_from"], name="country_status_unique_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="country_status_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.country_id} {self.status} {self.valid_from}..{self.valid_to or ''}"

    def covers(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class OrgType(models.TextChoices):
    """The organisation-type vocabulary of the grant file."""

    ENTERPRISE = "enterprise", _("Enterprise or other employer")
    SECTOR_REPRESENTATIVE = "sector_representative", _("Sector representative organisation")
    VET_PROVIDER_SECONDARY = "vet_provider_secondary", _("VET provider, upper-secondary level")
    VET_PROVIDER_TERTIARY = "vet_provider_tertiary", _("VET provider, tertiary level")
    HEI = "hei", _("Higher education institution")
    RESEARCH = "research", _("Research organisation")
    PUBLIC_AUTHORITY = "public_authority", _("Public authority")
    NGO = "ngo", _("Non-governmental organisation")
    SOCIAL_PARTNER = "social_partner", _("Social partner")
    OTHER = "other", _("Other")


class Organisation(models.Model):
    """A legal entity, identified by its Participant Identification Code (PIC)."""

    pic = models.CharField(_("PIC"), max_length=9, unique=True, validators=[PIC_VALIDATOR])
    legal_name = models.CharField(_("legal name"), max_length=300)
    short_name = models.CharField(_("short name"), max_length=50)
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="organisations", verbose_name=_("country")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["legal_name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(condition=Q(pic__regex=r"^[0-9]{9}$"), name="organisation_pic"),
        ]

    def __str__(self) -> str:
        return f"{self.short_name} ({self.pic})"

    @property
    def types(self) -> list[str]:
        """The declared types, sorted; uses prefetched ``type_entries`` when present."""
        return sorted(entry.code for entry in self.type_entries.all())


class OrganisationType(models.Model):
    """One declared type of an organisation (an organisation may hold several)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="type_entries"
    )
    code = models.CharField(_("type"), max_length=30, choices=OrgType)

    class Meta:
        ordering = ["organisation", "code"]
        verbose_name = _("organisation type")
        verbose_name_plural = _("organisation types")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="organisation_type_once"),
            models.CheckConstraint(
                condition=Q(code__in=OrgType.values), name="organisation_type_in_vocabulary"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class RestrictionKind(models.TextChoices):
    PUBLIC_INTEREST_TRUST = (
        "public_interest_trust",
        _("Hungarian public interest trust or entity it maintains"),
    )
    RUSSIAN_PUBLIC_ENTITY = "russian_public_entity", _("Russian publicly controlled entity")
    SANCTIONS_LIST = "sanctions_list", _("Entry on a sanctions list")


class OrganisationRestriction(models.Model):
    """A dated measure restricting EU funding to an organisation (valid_to inclusive)."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="restrictions",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=RestrictionKind)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    reference = models.CharField(_("legal reference"), max_length=300, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["organisation", "valid_from"]
        verbose_name = _("organisation restriction")
        verbose_name_plural = _("organisation restrictions")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="restriction_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} {self.kind} from {self.valid_from}"


class Project(models.Model):
    """A signed grant agreement."""

    grant_agreement_number = models.CharField(
        _("grant agreement number"), max_length=20, unique=True, validators=[GA_NUMBER_VALIDATOR]
    )
    acronym = models.CharField(_("acronym"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    call = models.ForeignKey(
        Call, on_delete=models.PROTECT, related_name="projects", verbose_name=_("call")
    )
    signed_on = models.DateField(_("signed on"))
    start_date = models.DateField(_("start date"))
    duration_months = models.PositiveSmallIntegerField(_("duration (months)"))
    signed_duration_months = models.PositiveSmallIntegerField(
        _("duration signed (months)"),
        null=True,
        blank=True,
        help_text=_(
            "The duration the grant agreement was signed with, when an amendment changed it; "
            "empty: unchanged."
        ),
    )
    terminated_on = models.DateField(
        _("grant terminated on"),
        null=True,
        blank=True,
        help_text=_("The last day of a grant agreement terminated early."),
    )
    max_grant_eur = models.DecimalField(_("maximum grant (EUR)"), max_digits=12, decimal_places=2)
    prefinancing_percent = models.DecimalField(
        _("pre-financing (percent of the maximum grant)"),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
    )
    payments_cap_percent = models.DecimalField(
        _("payments cap before the balance (percent of the maximum grant)"),
        max_digits=5,
        decimal_places=2,
        validators=PERCENT_VALIDATORS,
    )
    # The agency's payment deadlines of this grant (its Data Sheet), by kind of payment; empty:
    # the call's value.
    prefinancing_payment_days = models.PositiveSmallIntegerField(
        _("days to pay the pre-financing"), null=True, blank=True
    )
    additional_prefinancing_payment_days = models.PositiveSmallIntegerField(
        _("days to pay an additional pre-financing"), null=True, blank=True
    )
    interim_payment_days = models.PositiveSmallIntegerField(
        _("days to pay an interim payment"), null=True, blank=True
    )
    balance_payment_days = models.PositiveSmallIntegerField(
        _("days to pay the balance"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["grant_agreement_number"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        indexes = [
            # The portfolio table's order within a status (monitoring.dashboard).
            models.Index(
                Lower("acronym"), "grant_agreement_number", "id", name="project_acronym_order_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(grant_agreement_number__regex=r"^[0-9]+$"),
                name="project_ga_number_digits",
            ),
            models.CheckConstraint(
                condition=Q(duration_months__gte=1), name="project_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_grant_eur__gte=0), name="project_grant_positive"
            ),
            models.CheckConstraint(
                condition=Q(prefinancing_percent__gte=0, prefinancing_percent__lte=100),
                name="project_prefinancing_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(payments_cap_percent__gte=0, payments_cap_percent__lte=100),
                name="project_payments_cap_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.acronym} ({self.grant_agreement_number})"

    @property
    def end_date(self) -> datetime.date:
        return month_end(self.start_date, self.duration_months)

    @property
    def last_day(self) -> datetime.date:
        """The last day of the action: its end, or the termination of the grant if earlier."""
        if self.terminated_on is not None and self.terminated_on < self.end_date:
            return self.terminated_on
        return self.end_date

    def month_end(self, month: int) -> datetime.date:
        """The last day of the project's n-th month: its deadline for that month."""
        return month_end(self.start_date, month)

    def month_start(self, month: int) -> datetime.date:
        """The first day of the project's n-th month."""
        return month_start(self.start_date, month)


class ParticipationRole(models.TextChoices):
    COORDINATOR = "coordinator", _("Coordinator")
    BENEFICIARY = "beneficiary", _("Beneficiary (full partner)")
    AFFILIATED_ENTITY = "affiliated_entity", _("Affiliated entity")
    ASSOCIATED_PARTNER = "associated_partner", _("Associated partner")


class Accession(models.TextChoices):
    ACCEDED = "acceded", _("Acceded")
    PENDING = "pending", _("Pending accession")
    NOT_ACCEDED = "not_acceded", _("Did not accede")


class Participation(models.Model):
    """An organisation's part in a project's consortium over a period (left_on inclusive)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="participations", verbose_name=_("project")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("organisation"),
    )
    short_name = models.CharField(
        _("short name"),
        max_length=50,
        help_text=_("How the grant file and the work plan refer to this participant."),
    )
    role = models.CharField(_("role"), max_length=20, choices=ParticipationRole)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    affiliated_to = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="affiliated_entities",
        verbose_name=_("affiliated to"),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # A beneficiary or affiliated entity added by amendment takes part once it accedes to the
    # grant agreement: it counts from its accession date, not before.
    accession = models.CharField(
        _("accession"), max_length=12, choices=Accession, default=Accession.ACCEDED
    )
    accession_due_on = models.DateField(_("accession due by"), null=True, blank=True)
    acceded_on = models.DateField(_("acceded on"), null=True, blank=True)

    class Meta:
        ordering = ["project", "position", "id"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "short_name"], name="participation_short_name_unique"
            ),
            models.UniqueConstraint(
                fields=["project", "organisation"],
                condition=Q(left_on__isnull=True),
                name="participation_one_open_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(role="coordinator", left_on__isnull=True),
                name="participation_one_open_coordinator",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="participation_period_ordered",
            ),
            models.CheckConstraint(
                condition=(Q(role="affiliated_entity") & Q(affiliated_to__isnull=False))
                | (~Q(role="affiliated_entity") & Q(affiliated_to__isnull=True)),
                name="participation_affiliation_iff_affiliated_entity",
            ),
            models.CheckConstraint(
                condition=Q(role__in=ParticipationRole.values), name="participation_role_known"
            ),
            models.CheckConstraint(
                condition=Q(accession__in=Accession.values), name="participation_accession_known"
            ),
            models.CheckConstraint(
                condition=~Q(accession=Accession.PENDING) | Q(accession_due_on__isnull=False),
                name="participation_pending_has_due_date",
            ),
            models.CheckConstraint(
                condition=Q(accession=Accession.ACCEDED) | Q(acceded_on__isnull=True),
                name="participation_accession_date_only_when_acceded",
            ),
        ]
        indexes = [
            # A check's read of the accessions overdue: only the pending ones, by project.
            models.Index(
                fields=["project", "accession_due_on"],
                condition=Q(accession=Accession.PENDING),
                name="participation_pending_project",
            )
        ]

    def __str__(self) -> str:
        return f"{self.short_name} ({self.get_role_display()})"

    @property
    def counts_from(self) -> datetime.date | None:
        """The first day it takes part: its joining or, later, its accession; None while its
        accession is pending or if it never acceded."""
        if self.accession != Accession.ACCEDED:
            return None
        return max(self.joined_on, self.acceded_on or self.joined_on)

    def is_active_on(self, day: datetime.date) -> bool:
        start = self.counts_from
        return start is not None and start <= day and (self.left_on is None or day <= self.left_on)


class ParticipationRoleChange(models.Model):
    """A participation's role changed on a date (a change of coordinator): the role it had
    before, so that a check of an earlier date reads the role of that date."""

    participation = models.ForeignKey(
        Participation,
        on_delete=models.CASCADE,
        related_name="role_changes",
        verbose_name=_("participation"),
    )
    effective_on = models.DateField(
        _("effective on"), help_text=_("The first day of the new role.")
    )
    previous_role = models.CharField(_("previous role"), max_length=20, choices=ParticipationRole)
    role = models.CharField(_("new role"), max_length=20, choices=ParticipationRole)
    source = models.CharField(_("source"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["participation", "effective_on"]
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")
        constraints = [
            models.UniqueConstraint(
                fields=["participation", "effective_on"], name="role_change_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(previous_role__in=ParticipationRole.values)
                & Q(role__in=ParticipationRole.values)
                & ~Q(previous_role=F("role")),
                name="role_change_known_and_different",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation} {self.previous_role}->{self.role} on {self.effective_on}"


class OrganisationUpdate(models.Model):
    """A change of an organisation's own data (its seat's country, its types, its legal name)
    from a date on, as its legal representative records it in the participant register: not an
    amendment of each project. The organisation's fields hold the newest values; an update
    keeps the values before its date, so that checks of earlier dates read those."""

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="updates",
        verbose_name=_("organisation"),
    )
    effective_on = models.DateField(
        _("effective on"), help_text=_("The first day of the new values.")
    )
    previous_country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("previous country"),
    )
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new country"),
    )
    previous_types = models.JSONField(_("previous types"), null=True, blank=True)
    types = models.JSONField(_("new types"), null=True, blank=True)
    previous_legal_name = models.CharField(_("previous legal name"), max_length=300, blank=True)
    legal_name = models.CharField(_("new legal name"), max_length=300, blank=True)
    source = models.CharField(
        _("source"),
        max_length=300,
        help_text=_("Where the change comes from, e.g. the participant register's validation."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["organisation", "effective_on", "id"]
        verbose_name = _("organisation update")
        verbose_name_plural = _("organisation updates")
        constraints = [
            models.CheckConstraint(
                condition=(Q(previous_country__isnull=True) & Q(country__isnull=True))
                | (Q(previous_country__isnull=False) & Q(country__isnull=False)),
                name="organisation_update_country_pair",
            ),
            models.CheckConstraint(
                condition=(Q(previous_types__isnull=True) & Q(types__isnull=True))
                | (Q(previous_types__isnull=False) & Q(types__isnull=False)),
                name="organisation_update_types_pair",
            ),
            models.CheckConstraint(
                condition=Q(country__isnull=False) | Q(types__isnull=False) | ~Q(legal_name=""),
                name="organisation_update_changes_something",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} updated from {self.effective_on}"


class ProjectSuspension(models.Model):
    """The implementation of a project suspended from a date until its resumption (the day
    before it resumes is the last suspended day; open while not resumed)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="suspensions", verbose_name=_("project")
    )
    started_on = models.DateField(_("suspended from"))
    ended_on = models.DateField(
        _("resumed on"), null=True, blank=True, help_text=_("Empty: still suspended.")
    )
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["project", "started_on"]
        verbose_name = _("project suspension")
        verbose_name_plural = _("project suspensions")
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=Q(ended_on__isnull=True),
                name="project_one_open_suspension",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gt=F("started_on")),
                name="project_suspension_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} suspended {self.started_on}..{self.ended_on or ''}"

    def covers(self, day: datetime.date) -> bool:
        return self.started_on <= day and (self.ended_on is None or day < self.ended_on)


class ThirdPartyKind(models.TextChoices):
    SUBCONTRACTOR = "subcontractor", _("Subcontractor")
    FINANCIAL_SUPPORT = "financial_support", _("Recipient of financial support to third parties")


class ThirdParty(models.Model):
    """An organisation that receives EU money indirectly through the project: a subcontractor
    or a recipient of financial support. A restricted entity may not receive it either."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="third_parties", verbose_name=_("project")
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="third_party_roles",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ThirdPartyKind)
    started_on = models.DateField(_("from"))
    ended_on = models.DateField(_("until"), null=True, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["project", "started_on", "id"]
        verbose_name = _("third party")
        verbose_name_plural = _("third parties")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ThirdPartyKind.values), name="third_party_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="third_party_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.kind}) in {self.project}"
