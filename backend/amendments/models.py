"""Amendment requests: planned changes to a project's consortium, decided by the agency."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.common.concurrency import Versioned
from backend.common.dates import BRUSSELS
from backend.grants.models import Country, Participation, ParticipationRole, Project
from backend.reporting.models import TerminationInitiator

# The agency decides within 45 days of submission; no answer counts as a rejection. That is the
# Horizon Europe guidance on the corporate Model Grant Agreement that CoVE grants also use (FFG:
# https://www.ffg.at/en/europe/heu/legal-financial/amendment; KoWi:
# https://www.kowi.de/en/kowi/proposal-project/project-implementation/grant-agreement/amendments/admendments.aspx).
# No Erasmus+ source confirms it for CoVE grants: each rule set holds its own
# (``RuleSet.decision_days``); this is the default of a request that has none.
DECISION_DAYS = 45


class AmendmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class ChangeKind(models.TextChoices):
    ADD_BENEFICIARY = "add_beneficiary", _("Addition of a beneficiary")
    ADD_AFFILIATED_ENTITY = "add_affiliated_entity", _("Addition of an affiliated entity")
    ADD_ASSOCIATED_PARTNER = "add_associated_partner", _("Addition of an associated partner")
    TERMINATE_PARTICIPATION = "terminate_participation", _("Termination of a participation")
    CHANGE_COORDINATOR = "change_coordinator", _("Change of coordinator")
    CHANGE_ORGANISATION_COUNTRY = (
        "change_organisation_country",
        _("Change of an organisation's country"),
    )
    CHANGE_ORGANISATION_TYPES = "change_organisation_types", _("Change of an organisation's types")
    CHANGE_DURATION = "change_duration", _("Change of the duration and reporting periods")
    CHANGE_LUMP_SUM_BREAKDOWN = (
        "change_lump_sum_breakdown",
        _("Change of the lump-sum breakdown (Annex 2)"),
    )
    CHANGE_WORK_PLAN = "change_work_plan", _("Change of the work plan (Annex 1)")
    SUSPEND_PROJECT = "suspend_project", _("Suspension of the project")
    RESUME_PROJECT = "resume_project", _("Resumption of the project")
    TERMINATE_GRANT = "terminate_grant", _("Termination of the grant agreement")


# Who asked for a termination: the vocabulary of its termination reports.
Initiator = TerminationInitiator


ADDITIONS = {
    ChangeKind.ADD_BENEFICIARY: ParticipationRole.BENEFICIARY,
    ChangeKind.ADD_AFFILIATED_ENTITY: ParticipationRole.AFFILIATED_ENTITY,
    ChangeKind.ADD_ASSOCIATED_PARTNER: ParticipationRole.ASSOCIATED_PARTNER,
}
TARGETED = (
    ChangeKind.TERMINATE_PARTICIPATION,
    ChangeKind.CHANGE_COORDINATOR,
    ChangeKind.CHANGE_ORGANISATION_COUNTRY,
    ChangeKind.CHANGE_ORGANISATION_TYPES,
)
# Changes of the grant as a whole: no participant, what they change in ``details``.
PROJECT_LEVEL = (
    ChangeKind.CHANGE_DURATION,
    ChangeKind.CHANGE_LUMP_SUM_BREAKDOWN,
    ChangeKind.CHANGE_WORK_PLAN,
    ChangeKind.SUSPEND_PROJECT,
    ChangeKind.RESUME_PROJECT,
    ChangeKind.TERMINATE_GRANT,
)
WITH_DETAILS = (
    ChangeKind.CHANGE_DURATION,
    ChangeKind.CHANGE_LUMP_SUM_BREAKDOWN,
    ChangeKind.CHANGE_WORK_PLAN,
)


class AmendmentRequest(Versioned):
    """A request to change a project's consortium: drafted and submitted by a project manager,
    approved or rejected as a whole by the agency, as a request covering several changes is
    under the corporate Model Grant Agreement (KoWi's guidance, above)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("project")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AmendmentStatus, default=AmendmentStatus.DRAFT
    )
    justification = models.TextField(
        _("justification"), blank=True, help_text=_("Why the consortium asks for the changes.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="amendments_created",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments_submitted",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments_decided",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    override_justification = models.TextField(
        _("override justification"),
        blank=True,
        help_text=_("Why the officer approved although the consortium is left in breach."),
    )
    decision_due_on = models.DateField(
        _("decision due by"),
        null=True,
        blank=True,
        help_text=_(
            "The last day for the agency's decision: the rule set's decision days after "
            "submission, plus the days it waited for information it asked for."
        ),
    )
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="amendments_withdrawn",
        verbose_name=_("withdrawn by"),
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["project", "-created_at", "-id"]
        verbose_name = _("amendment request")
        verbose_name_plural = _("amendment requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AmendmentStatus.values), name="amendment_status_known"
            ),
            models.CheckConstraint(
                condition=Q(status=AmendmentStatus.DRAFT)
                | Q(status=AmendmentStatus.WITHDRAWN, submitted_at__isnull=True)
                | (
                    Q(submitted_at__isnull=False, submitted_by__isnull=False) & ~Q(justification="")
                ),
                name="amendment_submitted_with_justification",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status__in=[AmendmentStatus.APPROVED, AmendmentStatus.REJECTED])
                    & Q(decided_at__isnull=False, decided_by__isnull=False)
                )
                | (
                    Q(
                        status__in=[
                            AmendmentStatus.DRAFT,
                            AmendmentStatus.SUBMITTED,
                            AmendmentStatus.WITHDRAWN,
                        ]
                    )
                    & Q(decided_at__isnull=True, decided_by__isnull=True)
                ),
                name="amendment_decided_iff_decision",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status=AmendmentStatus.WITHDRAWN)
                    & Q(withdrawn_at__isnull=False, withdrawn_by__isnull=False)
                )
                | (
                    ~Q(status=AmendmentStatus.WITHDRAWN)
                    & Q(withdrawn_at__isnull=True, withdrawn_by__isnull=True)
                ),
                name="amendment_withdrawn_iff_withdrawal",
            ),
            models.CheckConstraint(
                condition=Q(status=AmendmentStatus.DRAFT)
                | Q(decision_due_on__isnull=False)
                | Q(status=AmendmentStatus.WITHDRAWN, submitted_at__isnull=True),
                name="amendment_submitted_has_decision_date",
            ),
            models.CheckConstraint(
                condition=Q(override_justification="") | Q(status=AmendmentStatus.APPROVED),
                name="amendment_override_only_when_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project} amendment {self.pk} ({self.status})"

    @property
    def submitted_on(self) -> datetime.date | None:
        """The Brussels date of submission: the 45 days count from it."""
        if self.submitted_at is None:
            return None
        return timezone.localtime(self.submitted_at, BRUSSELS).date()

    def is_deemed_rejected(self, today: datetime.date) -> bool:
        """A submitted request with no decision once its decision date has passed counts as
        rejected: the consortium has to launch it again. While the agency waits for
        information it asked for, the decision period stands still (``decision_due_on`` moves
        on when the answer comes), so a question still open never lets it lapse."""
        return (
            self.status == AmendmentStatus.SUBMITTED
            and self.decision_due_on is not None
            and today > self.decision_due_on
            and not self.awaiting_information
        )

    @property
    def awaiting_information(self) -> bool:
        """The agency asked for information that has not come yet (uses prefetched
        ``information_requests`` when present)."""
        return any(item.answered_at is None for item in self.information_requests.all())


class InformationRequest(models.Model):
    """The agency asks the consortium for information on a submitted request: the decision
    period stands still from the question until the answer."""

    request = models.ForeignKey(
        AmendmentRequest,
        on_delete=models.CASCADE,
        related_name="information_requests",
        verbose_name=_("amendment request"),
    )
    question = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked at"))
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("asked by"),
    )
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    paused_days = models.PositiveSmallIntegerField(
        _("days the decision period stood still"), null=True, blank=True
    )

    class Meta:
        ordering = ["request", "asked_at", "id"]
        verbose_name = _("request for information")
        verbose_name_plural = _("requests for information")
        constraints = [
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(answered_at__isnull=True),
                name="information_request_one_open",
            ),
            models.CheckConstraint(
                condition=(
                    Q(answered_at__isnull=True)
                    & Q(answered_by__isnull=True, paused_days__isnull=True)
                    & Q(answer="")
                )
                | (
                    Q(answered_at__isnull=False)
                    & Q(answered_by__isnull=False, paused_days__isnull=False)
                    & ~Q(answer="")
                ),
                name="information_request_answered_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request} question {self.pk}"


class AmendmentChange(models.Model):
    """One change of a request, with the date it takes effect. For a termination the effective
    date is the last day of the participation, like ``left_on`` in the grant file."""

    request = models.ForeignKey(
        AmendmentRequest,
        on_delete=models.CASCADE,
        related_name="changes",
        verbose_name=_("amendment request"),
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=30, choices=ChangeKind)
    effective_on = models.DateField(_("effective on"))
    # The participation a termination, a change of coordinator or an organisation change is about.
    participation = models.ForeignKey(
        Participation,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="amendment_changes",
        verbose_name=_("participant"),
    )
    # Additions: the organisation (by PIC; name, country and types when the PIC is new) and its
    # short name in the project.
    pic = models.CharField(_("PIC"), max_length=9, blank=True)
    legal_name = models.CharField(_("legal name"), max_length=300, blank=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("country"),
    )
    types = models.JSONField(_("types"), null=True, blank=True)
    affiliated_to = models.ForeignKey(
        Participation,
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("affiliated to"),
    )
    # Organisation changes.
    new_country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("new country"),
    )
    new_types = models.JSONField(_("new types"), null=True, blank=True)
    # A termination: who asked for it (the consortium or the agency); it sets the deadline of
    # the termination reports.
    initiated_by = models.CharField(
        _("initiated by"), max_length=10, choices=Initiator, default=Initiator.CONSORTIUM
    )
    # Changes of the grant as a whole: what they change, as their kind describes it.
    details = models.JSONField(_("details"), null=True, blank=True)

    class Meta:
        ordering = ["request", "position"]
        verbose_name = _("amendment change")
        verbose_name_plural = _("amendment changes")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "position"], name="amendment_change_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ChangeKind.values), name="amendment_change_kind_known"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=list(ADDITIONS))
                    & Q(pic__regex=r"^[0-9]{9}$")
                    & ~Q(short_name="")
                    & Q(participation__isnull=True, new_country__isnull=True)
                    & Q(new_types__isnull=True)
                )
                | (
                    Q(kind__in=TARGETED)
                    & Q(participation__isnull=False, pic="", legal_name="", short_name="")
                    & Q(country__isnull=True, types__isnull=True)
                )
                | (
                    Q(kind__in=PROJECT_LEVEL)
                    & Q(participation__isnull=True, pic="", legal_name="", short_name="")
                    & Q(country__isnull=True, types__isnull=True)
                    & Q(new_country__isnull=True, new_types__isnull=True)
                ),
                name="amendment_change_addition_target_or_project",
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=WITH_DETAILS) & Q(details__isnull=False))
                | (~Q(kind__in=WITH_DETAILS) & Q(details__isnull=True)),
                name="amendment_change_details_iff_kind_has_them",
            ),
            models.CheckConstraint(
                condition=Q(kind=ChangeKind.TERMINATE_PARTICIPATION)
                | Q(initiated_by=Initiator.CONSORTIUM),
                name="amendment_change_initiator_only_for_terminations",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=ChangeKind.ADD_AFFILIATED_ENTITY) & Q(affiliated_to__isnull=False)
                )
                | (~Q(kind=ChangeKind.ADD_AFFILIATED_ENTITY) & Q(affiliated_to__isnull=True)),
                name="amendment_change_affiliation_iff_affiliated_entity",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=ChangeKind.CHANGE_ORGANISATION_COUNTRY) & Q(new_country__isnull=False)
                )
                | (~Q(kind=ChangeKind.CHANGE_ORGANISATION_COUNTRY) & Q(new_country__isnull=True)),
                name="amendment_change_new_country_iff_country_change",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=ChangeKind.CHANGE_ORGANISATION_TYPES) & Q(new_types__isnull=False)
                )
                | (~Q(kind=ChangeKind.CHANGE_ORGANISATION_TYPES) & Q(new_types__isnull=True)),
                name="amendment_change_new_types_iff_types_change",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.effective_on}"
