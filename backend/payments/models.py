"""Lump-sum payments: the instalments of a grant's payment schedule as the officer approves
them, the payments and recoveries recorded against them, and the reductions an officer decides.

The schedule itself (which instalments, their due dates, amounts and conditions) is computed by
``backend.payments.rules`` from the grant record; a row here exists once an officer has acted on
an instalment, and freezes what was approved.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backend.grants.models import Project
from backend.workplan.models import ReportingPeriod


class InstalmentKind(models.TextChoices):
    PREFINANCING = "prefinancing", _("Pre-financing")
    ADDITIONAL_PREFINANCING = "additional_prefinancing", _("Additional pre-financing")
    INTERIM = "interim", _("Interim payment")
    BALANCE = "balance", _("Payment of the balance")


class Instalment(models.Model):
    """An instalment an officer approved: its amount is fixed from then on (a negative balance
    is a recovery)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="instalments", verbose_name=_("project")
    )
    key = models.CharField(
        _("key"), max_length=20, help_text=_('"prefinancing", or "rp" and the period number.')
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


class Reduction(models.Model):
    """A grant reduction an officer decided: a percentage of the accepted amount, with the
    reason. How large it is stays the officer's decision (the earlier Horizon 2020 agreement
    reduced a grant in proportion to the seriousness of the breach,
    https://www.lawinsider.com/clause/reduction-of-the-grant; the 2021-2027 article was not
    checked). Reductions add up; they apply to instalments approved afterwards, and the
    balance settles them in full."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="reductions", verbose_name=_("project")
    )
    percent = models.DecimalField(_("percent"), max_digits=5, decimal_places=2)
    reason = models.TextField(_("reason"))
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
                condition=Q(percent__gt=0, percent__lte=100), name="reduction_percent_range"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="reduction_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.project.acronym} -{self.percent}%"
