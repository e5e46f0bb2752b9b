"""Lump-sum payments: the instalments of a grant's payment schedule as the officer approves
them, the payments and recoveries recorded against them, and the reductions an officer decides.

The schedule itself (which instalments, their due dates, amounts and conditions) is computed by
``backend.payments.rules`` from the grant record; a row here exists once an officer has acted on
an instalment, and freezes what was approved.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.common.concurrency import Versioned
from backend.grants.models import Participation, Project
from backend.workplan.models import ReportingPeriod, WorkPackage


class InstalmentKind(models.TextChoices):
    PREFINANCING = "prefinancing", _("Pre-financing")
    ADDITIONAL_PREFINANCING = "additional_prefinancing", _("Additional pre-financing")
    INTERIM = "interim", _("Interim payment")
    BALANCE = "balance", _("Payment of the balance")
    RECOVERY = "recovery", _("Recovery after the balance")


class Instalment(models.Model):
    """An instalment an officer approved: its amount is fixed from then on (a negative balance
    is a recovery)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("project")
    )
    key = models.CharField(
        _("key"),
        max_length=20,
        help_text=_(
            '"prefinancing", "rp" and the period number, or "recovery" and its number (a '
            "recovery after the balance)."
        ),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=InstalmentKind)
    reporting_period = models.ForeignKey(
        ReportingPeriod,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instalments",
        verbose_name=_("reporting period"),
    )
    amount_eur = models.DecimalField(_("approved amount (EUR)"), max_digits=12, decimal_places=2)
    approved_at = models.DateTimeField(_("approved at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    work_packages = models.JSONField(
        _("work packages paid"),
        default=list,
        help_text=_("The numbers of the work packages whose lump sums this instalment pays."),
    )
    conditions = models.JSONField(
        _("conditions"), default=list, help_text=_("The conditions as checked at approval.")
    )
    justification = models.TextField(
        _("justification"),
        blank=True,
        help_text=_(
            "Why the officer approved it although a condition called for a decision (an open "
            "composition breach)."
        ),
    )

    class Meta:
        ordering = ["project", "approved_at", "id"]
        verbose_name = _("approved instalment")
        verbose_name_plural = _("approved instalments")
        constraints = [
            models.UniqueConstraint(fields=["project", "key"], name="instalment_once"),
            models.CheckConstraint(
                condition=Q(kind__in=InstalmentKind.values), name="instalment_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(kind="prefinancing", reporting_period__isnull=True)
                | (~Q(kind="prefinancing") & Q(reporting_period__isnull=False)),
                name="instalment_period_unless_prefinancing",
            ),
            models.CheckConstraint(condition=~Q(amount_eur=0), name="instalment_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.project.acronym} {self.key}: {self.amount_eur}"


class Direction(models.TextChoices):
    PAYMENT = "payment", _("Payment to the consortium")
    RECOVERY = "recovery", _("Recovery from the consortium")


class Payment(models.Model):
    """The money that moved for an approved instalment: at most one per instalment (a database
    constraint). Amounts are positive; a recovery is money back. The sum of payments less
    recoveries of a project never exceeds its maximum grant: the services check it, and a
    database trigger refuses a row that would break it."""

    instalment = models.OneToOneField(
        Instalment, on_delete=models.PROTECT, related_name="payment", verbose_name=_("instalment")
    )
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="payments", verbose_name=_("project")
    )
    direction = models.CharField(_("direction"), max_length=10, choices=Direction)
    amount_eur = models.DecimalField(_("amount (EUR)"), max_digits=12, decimal_places=2)
    paid_on = models.DateField(_("date"))
    reference = models.CharField(_("reference"), max_length=100)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["project", "paid_on", "id"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount_eur__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(direction__in=Direction.values), name="payment_direction_known"
            ),
            models.CheckConstraint(condition=~Q(reference=""), name="payment_has_reference"),
        ]

    def __str__(self) -> str:
        return f"{self.project.acronym} {self.direction} {self.amount_eur} ({self.reference})"

    @property
    def signed_amount(self):
        return self.amount_eur if self.direction == Direction.PAYMENT else -self.amount_eur


class ReductionKind(models.TextChoices):
    PERCENT = "percent", _("Percentage")
    AMOUNT = "amount", _("Amount")


class ReductionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LETTER_SENT = "letter_sent", _("Pre-information letter sent")
    OBSERVATIONS_RECEIVED = "observations_received", _("Observations received")
    CONFIRMED = "confirmed", _("Confirmed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Reduction(Versioned):
    """A grant reduction for a breach of obligations, proportionate to it: a percentage or an
    amount of what is accepted for one beneficiary, one work package, one beneficiary's share
    of one work package, or (neither given) the whole grant.

    It follows the procedure of the earlier lump-sum agreement (H2020 MGA, art. 43): a draft, a
    pre-information letter, the beneficiary's observations (within the rule set's
    ``observation_days`` of the letter), then the officer confirms or withdraws it. Only a
    confirmed reduction changes amounts; the 2021-2027 article was not read, so the days are a
    rule-set parameter."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="reductions", verbose_name=_("project")
    )
    participation = models.ForeignKey(
        Participation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reductions",
        verbose_name=_("beneficiary"),
        help_text=_("Empty: every beneficiary."),
    )
    work_package = models.ForeignKey(
        WorkPackage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reductions",
        verbose_name=_("work package"),
        help_text=_("Empty: every work package."),
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=ReductionKind, default=ReductionKind.PERCENT
    )
    percent = models.DecimalField(
        _("percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    amount_eur = models.DecimalField(
        _("amount (EUR)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=25, choices=ReductionStatus, default=ReductionStatus.DRAFT
    )
    letter_sent_on = models.DateField(_("pre-information letter sent on"), null=True, blank=True)
    observations_due_on = models.DateField(_("observations due on"), null=True, blank=True)
    observations_received_on = models.DateField(
        _("observations received on"), null=True, blank=True
    )
    observations = models.TextField(_("observations"), blank=True)
    decided_on = models.DateField(_("confirmed or withdrawn on"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["project", "recorded_at", "id"]
        verbose_name = _("reduction")
        verbose_name_plural = _("reductions")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=ReductionKind.PERCENT, amount_eur__isnull=True)
                & Q(percent__gt=0, percent__lte=100)
                | Q(kind=ReductionKind.AMOUNT, percent__isnull=True, amount_eur__gt=0),
                name="reduction_percent_or_amount",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="reduction_has_reason"),
            models.CheckConstraint(
                condition=Q(status__in=ReductionStatus.values), name="reduction_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(
                    status__in=[
                        ReductionStatus.LETTER_SENT,
                        ReductionStatus.OBSERVATIONS_RECEIVED,
                    ]
                )
                | Q(letter_sent_on__isnull=False, observations_due_on__isnull=False),
                name="reduction_letter_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status=ReductionStatus.OBSERVATIONS_RECEIVED)
                | Q(observations_received_on__isnull=False),
                name="reduction_observations_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[ReductionStatus.CONFIRMED, ReductionStatus.WITHDRAWN])
                | Q(decided_on__isnull=False),
                name="reduction_decision_dated",
            ),
        ]

    def __str__(self) -> str:
        size = f"-{self.percent}%" if self.kind == ReductionKind.PERCENT else f"-{self.amount_eur}"
        return f"{self.project.acronym} {size} ({self.status})"


class PaymentSuspension(models.Model):
    """The officer's suspension of one instalment's payment (for instance while the consortium
    breaches the composition rules): from a date, with the reason, until it is lifted. While it
    is open the instalment cannot be approved or paid, and its payment deadline does not run."""

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="payment_suspensions",
        verbose_name=_("project"),
    )
    key = models.CharField(_("instalment"), max_length=20)
    reason = models.TextField(_("reason"))
    suspended_on = models.DateField(_("suspended from"))
    suspended_at = models.DateTimeField(_("recorded at"))
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("suspended by"),
    )
    lifted_on = models.DateField(_("lifted on"), null=True, blank=True)
    lift_reason = models.TextField(_("why it was lifted"), blank=True)
    lifted_at = models.DateTimeField(_("lift recorded at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )

    class Meta:
        ordering = ["project", "suspended_on", "id"]
        verbose_name = _("payment suspension")
        verbose_name_plural = _("payment suspensions")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="suspension_has_reason"),
            models.CheckConstraint(
                condition=Q(lifted_on__isnull=True) | Q(lifted_on__gte=F("suspended_on")),
                name="suspension_lifted_after_start",
            ),
            models.UniqueConstraint(
                fields=["project", "key"],
                condition=Q(lifted_on__isnull=True),
                name="suspension_one_open_per_instalment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project.acronym} {self.key} suspended {self.suspended_on}"
