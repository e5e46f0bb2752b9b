"""The work plan of a grant: activity clusters, work packages, deliverables, milestones and
reporting periods, as the grant agreement's Annex 1 and Data Sheet fix them."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.grants.models import Participation, Project


class ClusterCode(models.TextChoices):
    TEACHING_LEARNING = "teaching_learning", _("Teaching and learning")
    COOPERATION_PARTNERSHIP = "cooperation_partnership", _("Cooperation and partnerships")
    GOVERNANCE_FUNDING = "governance_funding", _("Governance and funding")


class ActivityCluster(models.Model):
    """One of the three CoVE activity clusters."""

    code = models.CharField(_("code"), max_length=30, unique=True, choices=ClusterCode)
    number = models.PositiveSmallIntegerField(_("number"), unique=True)

    class Meta:
        ordering = ["number"]
        verbose_name = _("activity cluster")
        verbose_name_plural = _("activity clusters")
        constraints = [
            models.CheckConstraint(
                condition=Q(code__in=ClusterCode.values), name="cluster_code_known"
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_code_display())


class WorkPackage(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="work_packages", verbose_name=_("project")
    )
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("title"), max_length=300)
    clusters = models.ManyToManyField(
        ActivityCluster, related_name="work_packages", verbose_name=_("activity clusters")
    )
    lead = models.ForeignKey(
        Participation, on_delete=models.RESTRICT, related_name="led_work_packages"
    )
    start_month = models.PositiveSmallIntegerField(_("start month"))
    end_month = models.PositiveSmallIntegerField(_("end month"))
    lump_sum_eur = models.DecimalField(_("lump sum (EUR)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("work package")
        verbose_name_plural = _("work packages")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="work_package_number_unique"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="work_package_number_positive"),
            models.CheckConstraint(
                condition=Q(start_month__gte=1) & Q(end_month__gte=F("start_month")),
                name="work_package_months_ordered",
            ),
            models.CheckConstraint(
                condition=Q(lump_sum_eur__gte=0), name="work_package_lump_sum_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"WP{self.number} {self.title}"


class WorkPackageShare(models.Model):
    """A beneficiary's (or affiliated entity's) share of a work package's lump sum."""

    work_package = models.ForeignKey(WorkPackage, on_delete=models.CASCADE, related_name="shares")
    participation = models.ForeignKey(
        Participation, on_delete=models.RESTRICT, related_name="work_package_shares"
    )
    amount_eur = models.DecimalField(_("amount (EUR)"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["work_package", "participation__position"]
        verbose_name = _("work package share")
        verbose_name_plural = _("work package shares")
        constraints = [
            models.UniqueConstraint(
                fields=["work_package", "participation"], name="work_package_share_once"
            ),
            models.CheckConstraint(
                condition=Q(amount_eur__gte=0), name="work_package_share_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participation.short_name}: {self.amount_eur}"


class DeliverableType(models.TextChoices):
    R = "R", _("Document, report")
    DEM = "DEM", _("Demonstrator, pilot, prototype")
    DEC = "DEC", _("Websites, patent filings, videos, etc.")
    DATA = "DATA", _("Data sets, microdata, etc.")
    DMP = "DMP", _("Data management plan")
    ETHICS = "ETHICS", _("Ethics")
    OTHER = "OTHER", _("Other")


class Dissemination(models.TextChoices):
    PU = "PU", _("Public")
    SEN = "SEN", _("Sensitive")


class DeliverableStatus(models.TextChoices):
    """The portal's statuses of a deliverable in continuous reporting (IT How To "Completing the
    deliverables"): nothing uploaded, uploaded, submitted with its delivery date, accepted by
    the officer with an approval date. A revision request sends a submitted
    deliverable back to Pending with the officer's reason."""

    PENDING = "pending", _("Pending")
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")


class Deliverable(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="deliverables", verbose_name=_("project")
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    work_package = models.ForeignKey(
        WorkPackage, on_delete=models.CASCADE, related_name="deliverables"
    )
    lead = models.ForeignKey(
        Participation, on_delete=models.RESTRICT, related_name="led_deliverables"
    )
    type = models.CharField(_("type"), max_length=10, choices=DeliverableType)
    dissemination = models.CharField(_("dissemination level"), max_length=5, choices=Dissemination)
    due_month = models.PositiveSmallIntegerField(_("due month"))
    position = models.PositiveIntegerField(_("position"), default=0)
    # The deadline in force: the end of the due month, unless an officer revised it (the
    # revisions are kept in DueDateRevision).
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliverableStatus, default=DeliverableStatus.PENDING
    )
    delivered_on = models.DateField(_("delivery date"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    approved_on = models.DateField(_("approval date"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    revision_reason = models.TextField(
        _("revision requested"),
        blank=True,
        help_text=_("The officer's reason for the last revision request."),
    )

    class Meta:
        ordering = ["project", "position", "id"]
        verbose_name = _("deliverable")
        verbose_name_plural = _("deliverables")
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="deliverable_code_unique"),
            models.CheckConstraint(condition=Q(due_month__gte=1), name="deliverable_due_month"),
            models.CheckConstraint(
                condition=Q(type__in=DeliverableType.values), name="deliverable_type_known"
            ),
            models.CheckConstraint(
                condition=Q(dissemination__in=Dissemination.values),
                name="deliverable_dissemination_known",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliverableStatus.values), name="deliverable_status_known"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[DeliverableStatus.PENDING, DeliverableStatus.DRAFT],
                    delivered_on__isnull=True,
                    approved_on__isnull=True,
                )
                | Q(
                    status=DeliverableStatus.SUBMITTED,
                    delivered_on__isnull=False,
                    approved_on__isnull=True,
                )
                | Q(
                    status=DeliverableStatus.ACCEPTED,
                    delivered_on__isnull=False,
                    approved_on__isnull=False,
                ),
                name="deliverable_dates_match_status",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="deliverable_status_due")]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def planned_due_on(self) -> datetime.date:
        """The end of the due month, as the grant agreement plans it."""
        return self.project.month_end(self.due_month)

    @property
    def due_date(self) -> datetime.date:
        return self.due_on

    @property
    def is_submitted(self) -> bool:
        return self.status in (DeliverableStatus.SUBMITTED, DeliverableStatus.ACCEPTED)


def evidence_path(instance: "EvidenceFile", filename: str) -> str:
    """Stored under a random name: the user's file name is kept in the row, never trusted as a
    path."""
    import uuid

    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"evidence/{instance.deliverable.project_id}/{uuid.uuid4().hex}.{suffix}"


class EvidenceFile(models.Model):
    """The file uploaded for a deliverable. One is current at a time; a file submitted and then
    sent back for revision stays as history (current=False)."""

    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="evidence_files"
    )
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=120)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    current = models.BooleanField(_("current"), default=True)

    class Meta:
        ordering = ["deliverable", "-uploaded_at", "-id"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        constraints = [
            models.UniqueConstraint(
                fields=["deliverable"], condition=Q(current=True), name="evidence_one_current"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DueDateRevision(models.Model):
    """An officer's revision of a deliverable's due date. In the portal only the project
    officer revises it, only while the deliverable is Pending or Draft, and only to a later
    date (IT How To "Completing the deliverables")."""

    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="due_date_revisions"
    )
    previous_on = models.DateField(_("previous due date"))
    new_on = models.DateField(_("new due date"))
    reason = models.TextField(_("reason"), blank=True)
    revised_at = models.DateTimeField(_("revised at"))
    revised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("revised by"),
    )

    class Meta:
        ordering = ["deliverable", "revised_at", "id"]
        verbose_name = _("due date revision")
        verbose_name_plural = _("due date revisions")

    def __str__(self) -> str:
        return f"{self.previous_on} -> {self.new_on}"


class Milestone(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("project")
    )
    code = models.CharField(_("code"), max_length=20)
    title = models.CharField(_("title"), max_length=300)
    work_packages = models.ManyToManyField(
        WorkPackage, related_name="milestones", verbose_name=_("work packages")
    )
    lead = models.ForeignKey(
        Participation, on_delete=models.RESTRICT, related_name="led_milestones"
    )
    due_month = models.PositiveSmallIntegerField(_("due month"))
    verification = models.TextField(_("means of verification"))
    position = models.PositiveIntegerField(_("position"), default=0)
    achieved_on = models.DateField(_("achieved on"), null=True, blank=True)
    achievement_evidence = models.TextField(
        _("verification provided"),
        blank=True,
        help_text=_("How the means of verification show the milestone achieved."),
    )
    achieved_recorded_at = models.DateTimeField(_("recorded at"), null=True, blank=True)
    achieved_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        ordering = ["project", "position", "id"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="milestone_code_unique"),
            models.CheckConstraint(condition=Q(due_month__gte=1), name="milestone_due_month"),
            models.CheckConstraint(
                condition=Q(achieved_on__isnull=True) | ~Q(achievement_evidence=""),
                name="milestone_achieved_with_evidence",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def due_date(self) -> datetime.date:
        return self.project.month_end(self.due_month)


class PeriodPayment(models.TextChoices):
    INTERIM = "interim", _("Interim payment")
    ADDITIONAL_PREFINANCING = "additional_prefinancing", _("Additional pre-financing")
    BALANCE = "balance", _("Payment of the balance")


class ReportingPeriod(models.Model):
    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="reporting_periods",
        verbose_name=_("project"),
    )
    number = models.PositiveSmallIntegerField(_("number"))
    start_month = models.PositiveSmallIntegerField(_("start month"))
    end_month = models.PositiveSmallIntegerField(_("end month"))
    payment = models.CharField(_("payment"), max_length=30, choices=PeriodPayment)

    class Meta:
        ordering = ["project", "number"]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "number"], name="reporting_period_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1)
                & Q(start_month__gte=1)
                & Q(end_month__gte=F("start_month")),
                name="reporting_period_months_ordered",
            ),
            models.CheckConstraint(
                condition=Q(payment__in=PeriodPayment.values), name="reporting_period_payment_known"
            ),
        ]

    def __str__(self) -> str:
        return f"RP{self.number} (M{self.start_month}-M{self.end_month})"

    @property
    def end_date(self) -> datetime.date:
        return self.project.month_end(self.end_month)

    @property
    def start_date(self) -> datetime.date:
        return self.project.month_start(self.start_month)
