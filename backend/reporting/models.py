"""Periodic reporting of a lump-sum grant: for each reporting period, the partners'
contributions to the technical part, the coordinator's status of work packages, the
justifications of late deliverables, and the report the coordinator submits and the officer
reviews. Every submission is kept as a frozen version.

This is how the Funding & Tenders Portal runs it (IT How To "Periodic reporting for lump sums":
https://webgate.ec.europa.eu/funding-tenders-opportunities/pages/viewpage.action?pageId=8913115).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from backend.common.concurrency import Versioned
from backend.common.dates import REPORT_DUE_DAYS, report_due_on  # noqa: F401 - re-exported
from backend.grants.models import Participation, Project
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    APPROVED = "approved", _("Approved")


# The statuses in which the consortium may still edit the report and its parts.
EDITABLE_REPORT_STATUSES = (ReportStatus.DRAFT, ReportStatus.CHANGES_REQUESTED)


class PeriodicReport(Versioned):
    """The report of one reporting period. Created when someone first writes to it."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="reports", verbose_name=_("project")
    )
    reporting_period = models.OneToOneField(
        ReportingPeriod,
        on_delete=models.CASCADE,
        related_name="report",
        verbose_name=_("reporting period"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus, default=ReportStatus.DRAFT
    )
    technical_part = models.TextField(
        _("technical part"),
        blank=True,
        help_text=_("The coordinator's account of the period's work, composed for the report."),
    )
    submitted_at = models.DateTimeField(_("last submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    first_submitted_at = models.DateTimeField(
        _("first submitted at"),
        null=True,
        blank=True,
        help_text=_("When the agency first received the report."),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    review_comments = models.TextField(_("review comments"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["project", "reporting_period__number"]
        verbose_name = _("periodic report")
        verbose_name_plural = _("periodic reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="report_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status=ReportStatus.APPROVED) | Q(approved_at__isnull=False),
                name="report_approved_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} RP{self.reporting_period.number}"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_REPORT_STATUSES


class ContributionStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    LOCKED = "locked", _("Locked for review")


class Contribution(Versioned):
    """One organisation's part of a report's technical part."""

    report = models.ForeignKey(
        PeriodicReport, on_delete=models.CASCADE, related_name="contributions"
    )
    participation = models.ForeignKey(
        Participation, on_delete=models.CASCADE, related_name="report_contributions"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ContributionStatus, default=ContributionStatus.DRAFT
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("locked by"),
    )

    class Meta:
        ordering = ["report", "participation__position"]
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "participation"], name="contribution_once_per_partner"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContributionStatus.values),
                name="contribution_status_known",
            ),
            models.CheckConstraint(
                condition=~Q(status=ContributionStatus.LOCKED) | Q(locked_at__isnull=False),
                name="contribution_locked_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.participation.short_name}"


class ContributionEntry(models.Model):
    """What an organisation did in one work package during the period."""

    contribution = models.ForeignKey(Contribution, on_delete=models.CASCADE, related_name="entries")
    work_package = models.ForeignKey(
        WorkPackage, on_delete=models.CASCADE, related_name="contribution_entries"
    )
    activities = models.TextField(_("activities carried out"), blank=True)
    outputs = models.TextField(_("outputs"), blank=True)
    narrative = models.TextField(_("narrative"), blank=True)

    class Meta:
        ordering = ["contribution", "work_package__number"]
        verbose_name = _("contribution entry")
        verbose_name_plural = _("contribution entries")
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "work_package"], name="contribution_entry_once_per_wp"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contribution} WP{self.work_package.number}"


class WorkPackageDecision(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class WorkPackageDeclaration(Versioned):
    """The coordinator's status of a work package at the end of a reporting period: completed
    (on a date) or not. A lump sum is paid for completed work packages, not for costs, so the
    work package's lump-sum share is payable once it is completed."""

    work_package = models.ForeignKey(
        WorkPackage, on_delete=models.CASCADE, related_name="declarations"
    )
    reporting_period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="declarations"
    )
    completed = models.BooleanField(_("completed"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    completion_percent = models.DecimalField(
        _("completion (percent)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "For a work package not completed in the final period, where the call pays partial "
            "completion."
        ),
    )
    comment = models.TextField(_("comment"), blank=True)
    declared_at = models.DateTimeField(_("declared at"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("declared by"),
    )
    # The officer's decision on a work package the report declares completed (or, in the final
    # period, done to a percentage), taken when the report is approved. Empty until then.
    decision = models.CharField(
        _("officer's decision"),
        max_length=10,
        choices=WorkPackageDecision,
        blank=True,
        default="",
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    accepted_percent = models.DecimalField(
        _("accepted completion (percent)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_(
            "In the final period, where the call pays partial completion: the completion the "
            "officer accepts, which may differ from the one declared."
        ),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        ordering = ["reporting_period__number", "work_package__number"]
        verbose_name = _("work package declaration")
        verbose_name_plural = _("work package declarations")
        constraints = [
            models.UniqueConstraint(
                fields=["work_package", "reporting_period"], name="declaration_once_per_period"
            ),
            models.CheckConstraint(
                condition=Q(completed=True, completed_on__isnull=False)
                | Q(completed=False, completed_on__isnull=True),
                name="declaration_completed_has_date",
            ),
            models.CheckConstraint(
                condition=Q(completion_percent__isnull=True)
                | Q(
                    completed=False,
                    completion_percent__gt=0,
                    completion_percent__lt=100,
                ),
                name="declaration_partial_only_if_not_completed",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=["", *WorkPackageDecision.values]),
                name="declaration_decision_known",
            ),
            models.CheckConstraint(
                condition=~Q(decision=WorkPackageDecision.REJECTED) | ~Q(decision_reason=""),
                name="declaration_rejection_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(accepted_percent__isnull=True)
                | Q(accepted_percent__gte=0, accepted_percent__lte=100),
                name="declaration_accepted_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return f"WP{self.work_package.number} RP{self.reporting_period.number}: {self.completed}"


class CompletionWaiver(models.Model):
    """An officer's permission to declare a work package completed although not all its
    deliverables are accepted."""

    work_package = models.OneToOneField(
        WorkPackage, on_delete=models.CASCADE, related_name="completion_waiver"
    )
    reason = models.TextField(_("reason"))
    waived_at = models.DateTimeField(_("waived at"))
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("waived by"),
    )

    class Meta:
        verbose_name = _("completion waiver")
        verbose_name_plural = _("completion waivers")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="waiver_has_reason"),
        ]

    def __str__(self) -> str:
        return f"WP{self.work_package.number}"


class LateJustification(models.Model):
    """Why a deliverable due in the report's period was not submitted in time. The portal asks
    for one for each deliverable due in the period and not submitted when the report is locked
    for review (IT How To "Completing the deliverables")."""

    report = models.ForeignKey(
        PeriodicReport, on_delete=models.CASCADE, related_name="justifications"
    )
    deliverable = models.ForeignKey(
        Deliverable, on_delete=models.CASCADE, related_name="late_justifications"
    )
    text = models.TextField(_("justification"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["report", "deliverable__position"]
        verbose_name = _("late deliverable justification")
        verbose_name_plural = _("late deliverable justifications")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "deliverable"], name="justification_once_per_report"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="justification_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.deliverable.code}"


class VersionDecision(models.TextChoices):
    PENDING = "pending", _("Awaiting review")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class ReportVersion(models.Model):
    """A report exactly as it was submitted, frozen; the officer's decision on it."""

    report = models.ForeignKey(PeriodicReport, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    content = models.JSONField(_("content"))
    submitted_at = models.DateTimeField(_("submitted at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    decision = models.CharField(
        _("decision"), max_length=20, choices=VersionDecision, default=VersionDecision.PENDING
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    comments = models.TextField(_("comments"), blank=True)

    class Meta:
        ordering = ["report", "number"]
        verbose_name = _("report version")
        verbose_name_plural = _("report versions")
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="report_version_unique"),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(decision="pending"),
                name="report_version_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=VersionDecision.values),
                name="report_version_decision_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} v{self.number}"


class SuspensionReason(models.TextChoices):
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    INFORMATION_REQUESTED = "information_requested", _("Information requested")


class DeadlineSuspension(models.Model):
    """A stretch of time during which the agency's payment deadline for a period's report does
    not run: from the day the officer sends the report back or asks for information, to the day
    the consortium resubmits it or answers (open until then). Recorded by the review services,
    never edited by hand."""

    report = models.ForeignKey(
        PeriodicReport,
        on_delete=models.CASCADE,
        related_name="deadline_suspensions",
        verbose_name=_("report"),
    )
    reason = models.CharField(_("reason"), max_length=25, choices=SuspensionReason)
    message = models.TextField(_("what was asked"), blank=True)
    started_on = models.DateField(_("suspended from"))
    ended_on = models.DateField(_("suspended until"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )

    class Meta:
        ordering = ["report", "started_on", "id"]
        verbose_name = _("payment deadline suspension")
        verbose_name_plural = _("payment deadline suspensions")
        constraints = [
            models.CheckConstraint(
                condition=Q(reason__in=SuspensionReason.values),
                name="deadline_suspension_reason_known",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="deadline_suspension_ends_after_start",
            ),
            models.UniqueConstraint(
                fields=["report"],
                condition=Q(ended_on__isnull=True),
                name="deadline_suspension_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.reason} {self.started_on}"


class TerminationInitiator(models.TextChoices):
    CONSORTIUM = "consortium", _("The consortium")
    AGENCY = "agency", _("The agency")


class TerminationReport(models.Model):
    """When a beneficiary leaves, the coordinator sends a termination report and a report on
    the distribution of payments: within the rule set's days of the last day of the
    participation (30 when the consortium asked for the termination, 60 when the agency
    decided it). None is due when a periodic report falls due within the rule set's skip days:
    that report covers it (``skipped_for`` names its period)."""

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="termination_reports",
        verbose_name=_("project"),
    )
    participation = models.OneToOneField(
        Participation,
        on_delete=models.CASCADE,
        related_name="termination_report",
        verbose_name=_("participant that left"),
    )
    initiated_by = models.CharField(
        _("termination asked by"),
        max_length=10,
        choices=TerminationInitiator,
        default=TerminationInitiator.CONSORTIUM,
    )
    due_on = models.DateField(_("due by"))
    skipped_for = models.ForeignKey(
        ReportingPeriod,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("covered by the periodic report of"),
    )
    report_submitted_at = models.DateTimeField(
        _("termination report sent at"), null=True, blank=True
    )
    report_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("termination report sent by"),
    )
    distribution_submitted_at = models.DateTimeField(
        _("report on the distribution of payments sent at"), null=True, blank=True
    )
    distribution_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("report on the distribution of payments sent by"),
    )
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["project", "due_on", "id"]
        verbose_name = _("termination report")
        verbose_name_plural = _("termination reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(initiated_by__in=TerminationInitiator.values),
                name="termination_report_initiator_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} termination report of {self.participation}"

    @property
    def complete(self) -> bool:
        """Both reports sent, or none needed."""
        return self.skipped_for_id is not None or (
            self.report_submitted_at is not None and self.distribution_submitted_at is not None
        )
