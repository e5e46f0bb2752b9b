"""The flag store: what the watchers found, one row per flag, with its history."""

from django.conf import settings
from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import gettext_lazy as _

from backend.grants.eligibility.messages import explanation_text
from backend.grants.models import Project


class FlagKind(models.TextChoices):
    """What a watcher found. A new check adds its kind here (and a migration: the database
    refuses kinds it does not know). Fingerprints of a kind start with ``"<kind>:"``."""

    ELIGIBILITY_BREACH = "eligibility_breach", _("Eligibility breach")
    ELIGIBILITY_REVIEW = "eligibility_review", _("Eligibility review or warning")
    BREACH_SCHEDULED = "breach_scheduled", _("Breach scheduled by a recorded change")
    AMENDMENT_DECISION_OVERDUE = "amendment_decision_overdue", _("Amendment decision overdue")
    DELIVERABLE_OVERDUE = "deliverable_overdue", _("Deliverable overdue")
    MILESTONE_OVERDUE = "milestone_overdue", _("Milestone overdue")
    REPORT_OVERDUE = "report_overdue", _("Periodic report overdue")
    INSTALMENT_READY = "instalment_ready", _("Instalment ready for payment")
    INSTALMENT_BLOCKED = "instalment_blocked", _("Instalment blocked")
    # Only the consortium's composition holds it: the officer suspends or approves it.
    INSTALMENT_DECISION_NEEDED = "instalment_decision", _("Instalment needs a decision")
    PAYMENT_LATE = "payment_late", _("Agency payment late")
    TERMINATION_REPORT_OVERDUE = "termination_report_overdue", _("Termination reports overdue")
    ACCESSION_OVERDUE = "accession_overdue", _("Accession overdue")
    UNALLOCATED_SHARES = "unallocated_shares", _("Lump-sum shares of a participant that left")


class Severity(models.TextChoices):
    """From the most to the least urgent; listings show the most urgent first."""

    CRITICAL = "critical", _("Critical")
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


# Most urgent first (0), as the Severity choices are declared: what listings order flags by.
SEVERITY_RANK = Case(
    *(When(severity=value, then=Value(rank)) for rank, value in enumerate(Severity.values)),
    default=Value(len(Severity.values)),
    output_field=models.PositiveSmallIntegerField(),
)


class Resolution(models.TextChoices):
    AUTO = "auto", _("Automatic: the finding went away")
    MANUAL = "manual", _("Manual: resolved by an officer")


class FlagStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Flag(models.Model):
    """One finding of a watcher about one project, from when it was first seen until it was
    resolved. A finding that comes back after it was resolved is a new flag, so the rows of a
    fingerprint are its history; at most one of them is open.

    Watchers write flags through ``monitoring.flags.flags_sync`` only; officers acknowledge
    and resolve them through ``flag_acknowledge`` and ``flag_resolve``.

    ``last_seen_at`` is when the finding was last raised or changed (its severity or its
    explanation): a check that finds it again as it was does not write the flag. When the
    project was last checked is its summary row's ``ProjectSummary.checked_at``.

    ``explanation`` holds a message id with its parameters, rendered in the reader's language
    when shown (``message``): {"message": msgid, "params": {...}, "details": {...}}, where a
    parameter may itself be {"messages": [[msgid, params], ...]} (rendered each and joined
    with a space). Rows written before, {"en": "...", "lv": "...", "details": {...}}, are
    read as they are.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="flags", verbose_name=_("project")
    )
    kind = models.CharField(_("kind"), max_length=40, choices=FlagKind)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity)
    # Stored by the database from ``severity``, so that "most urgent first" is an index scan.
    severity_rank = models.GeneratedField(
        expression=SEVERITY_RANK,
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        verbose_name=_("severity rank"),
    )
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=200,
        help_text=_(
            "Identifies the finding within the project, e.g. eligibility_breach:min_full_partners."
        ),
    )
    explanation = models.JSONField(
        _("explanation"),
        default=dict,
        help_text=_('What the officer reads: {"en": "...", "lv": "...", "details": {...}}.'),
    )
    first_seen_at = models.DateTimeField(_("first seen at"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=10, choices=Resolution, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolved_flags",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.TextField(_("resolution note"), blank=True)
    suppressed = models.BooleanField(
        _("suppressed"),
        default=False,
        help_text=_(
            "Set on a flag an officer resolved while its finding still held: the finding is "
            "not raised again until a check has seen it gone."
        ),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="acknowledged_flags",
        verbose_name=_("acknowledged by"),
    )
    acknowledgement_note = models.TextField(_("acknowledgement note"), blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        constraints = [
            models.UniqueConstraint(
                fields=["project", "fingerprint"],
                condition=Q(resolved_at__isnull=True),
                name="flag_one_open_per_fingerprint",
            ),
            models.CheckConstraint(condition=Q(kind__in=FlagKind.values), name="flag_kind_known"),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="flag_severity_known"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolution="")
                | Q(resolved_at__isnull=False, resolution__in=Resolution.values),
                name="flag_resolution_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(suppressed=False) | Q(resolution=Resolution.MANUAL),
                name="flag_suppressed_only_if_resolved_by_hand",
            ),
            models.CheckConstraint(condition=~Q(fingerprint=""), name="flag_fingerprint_not_empty"),
        ]
        indexes = [
            models.Index(fields=["project", "resolved_at"], name="flag_project_resolved_idx"),
            # A kind's flags in the lists' order (and plain lookups by kind).
            models.Index(
                fields=["kind", "severity_rank", "-last_seen_at", "-id"],
                name="flag_kind_rank_seen_idx",
            ),
            models.Index(fields=["severity"], name="flag_severity_idx"),
            # The flag lists' order (most urgent, then most recently seen), over all flags and
            # over the open ones.
            models.Index(
                fields=["severity_rank", "-last_seen_at", "-id"], name="flag_rank_seen_idx"
            ),
            models.Index(
                fields=["severity_rank", "-last_seen_at", "-id"],
                condition=Q(resolved_at__isnull=True),
                name="flag_open_rank_seen_idx",
            ),
            models.Index(
                fields=["project", "severity_rank", "-last_seen_at", "-id"],
                name="flag_project_rank_seen_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fingerprint} ({self.project_id}, {self.status})"

    @property
    def status(self) -> str:
        return FlagStatus.OPEN if self.resolved_at is None else FlagStatus.RESOLVED

    def message(self, language: str) -> str:
        """The explanation in ``language`` ("lv", "en-gb", ...), else in English."""
        return explanation_text(self.explanation, language)


class ReminderKind(models.TextChoices):
    DELIVERABLE = "deliverable", _("Deliverable")
    MILESTONE = "milestone", _("Milestone")
    REPORT = "report", _("Periodic report")


class ReminderSent(models.Model):
    """One reminder e-mailed to one user about one item on one day. The unique constraint is
    what makes the reminder task safe to run twice: the row is written in the same transaction
    as the e-mail is handed over, and a second attempt finds it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders_sent"
    )
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    item_kind = models.CharField(_("item"), max_length=20, choices=ReminderKind)
    item_id = models.PositiveIntegerField(_("item id"))
    due_on = models.DateField(_("due date"))
    sent_on = models.DateField(_("sent on"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "item_kind", "item_id", "sent_on"], name="reminder_once_a_day"
            ),
            models.CheckConstraint(
                condition=Q(item_kind__in=ReminderKind.values), name="reminder_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.item_kind}:{self.item_id} {self.sent_on}"


class DigestSent(models.Model):
    """The weekly digest e-mailed to an officer, once per ISO week."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests_sent"
    )
    week = models.CharField(_("week"), max_length=8, help_text=_("ISO week, e.g. 2026-W48."))
    flags = models.PositiveIntegerField(_("open flags"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        constraints = [
            models.UniqueConstraint(fields=["user", "week"], name="digest_once_a_week"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.week}"


# -- the watchers' own record: sweeps and failed tasks ------------------------------------------


class SweepRun(models.Model):
    """(Operations records, shown to no one but Prometheus: their names are not translated.)

    One run of the periodic sweep (``monitoring.tasks.sweep_task``): the active projects it
    handed to the workers, in how many batches, and when the last batch finished. A sweep is
    successful once every one of its batches has finished (``finished_at`` set); a batch that
    failed for good leaves its sweep unfinished, and the metrics (``monitoring.metrics``) keep
    reporting the previous successful sweep, so that the "sweep stale" alert fires."""

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_seconds = models.FloatField(null=True, blank=True)
    projects = models.PositiveIntegerField()
    batches = models.PositiveIntegerField()
    group_id = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["finished_at"], name="sweeprun_finished_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True, duration_seconds__isnull=True)
                | Q(finished_at__isnull=False, duration_seconds__isnull=False),
                name="sweeprun_duration_iff_finished",
            ),
        ]

    def __str__(self) -> str:
        return f"sweep {self.started_at:%Y-%m-%d %H:%M} ({self.projects} projects)"


class SweepBatch(models.Model):
    """One check task of a sweep. Finishing a batch is idempotent (a batch run twice finishes
    once), which a counter on the sweep would not be."""

    sweep = models.ForeignKey(SweepRun, on_delete=models.CASCADE, related_name="batch_records")
    number = models.PositiveIntegerField()
    projects = models.PositiveIntegerField()
    finished_at = models.DateTimeField(null=True, blank=True)
    # What is needed to send the batch again when it did not finish (monitoring.sweep_resend):
    # its projects, when it was last sent, and how many times it has been sent.
    project_ids = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sends = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["sweep", "number"]
        constraints = [
            models.UniqueConstraint(fields=["sweep", "number"], name="sweepbatch_once_per_sweep"),
        ]

    def __str__(self) -> str:
        return f"{self.sweep_id}/{self.number}"


class TaskFailure(models.Model):
    """A Celery task that failed for good (after its retries), recorded by the worker (Celery's
    ``task_failure`` signal) where the web process's metrics can count it."""

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=255, blank=True)
    exception = models.CharField(max_length=200)
    message = models.TextField(blank=True)
    failed_at = models.DateTimeField()

    class Meta:
        ordering = ["-failed_at", "-id"]
        indexes = [models.Index(fields=["task_name"], name="taskfailure_task_idx")]

    def __str__(self) -> str:
        return f"{self.task_name}[{self.task_id}] {self.exception}"


# -- the outbox: checks the record asked for, not yet handed to the broker ----------------------


OUTBOX_EVERYTHING = "all"


class PendingCheck(models.Model):
    """(Operations records, shown to no one but Prometheus and the admin: their names are not
    translated.)

    A check the grant record asked for (``backend.common.seam``), written in the same
    transaction as the change, so that it exists exactly when the change commits. The relay
    (``monitoring.outbox``) hands it to the broker and deletes it only once the broker took
    it. One row per project while it waits (``key`` is ``project:<id>``): a burst of changes to
    one project is one row, and one check; the row ``all`` asks for a sweep of every project
    (reference data changed)."""

    key = models.CharField(max_length=40, unique=True)
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True, help_text="The latest reason.")
    requests = models.PositiveIntegerField(default=1)
    requested_at = models.DateTimeField(help_text="The first request since the last relay.")
    last_requested_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        indexes = [models.Index(fields=["requested_at"], name="pendingcheck_requested_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(key=OUTBOX_EVERYTHING, project__isnull=True)
                | Q(key__startswith="project:", project__isnull=False),
                name="pendingcheck_key_matches_project",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.requests} requests since {self.requested_at:%Y-%m-%d %H:%M:%S})"


# -- per-project summaries: what the dashboards and the lists read instead of recomputing ------


class ProjectSummary(models.Model):
    """(Operations records, derived from the record and the flags; their names are not
    translated.)

    One project as the checks last saw it: its open flags summed up (``monitoring.rag``), its
    next instalment, and when it was last checked. Refreshed by every check of the project (on
    change and by the sweep) and by an officer's triage of its flags
    (``monitoring.summaries``); the portfolio's pages and lists read, filter, sort and sum these
    rows instead of recomputing every project on each request. A project not checked yet has
    no row."""

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, primary_key=True, related_name="summary"
    )
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_on = models.DateField(
        null=True, blank=True, help_text="The day (Brussels) its dated figures were computed for."
    )
    # The open flags (monitoring.rag.compliance).
    status = models.CharField(max_length=10, default="green")
    status_rank = models.PositiveSmallIntegerField(default=2, help_text="0 red, 1 amber, 2 green")
    eligibility = models.CharField(max_length=10, default="pass")
    overdue = models.PositiveIntegerField(default=0)
    flags_total = models.PositiveIntegerField(default=0)
    flags_critical = models.PositiveIntegerField(default=0)
    flags_high = models.PositiveIntegerField(default=0)
    flags_medium = models.PositiveIntegerField(default=0)
    flags_low = models.PositiveIntegerField(default=0)
    participants = models.PositiveIntegerField(default=0)
    # The first instalment not settled (monitoring.summaries.next_instalment); blank: none.
    next_key = models.CharField(max_length=40, blank=True)
    next_kind = models.CharField(max_length=40, blank=True)
    next_period = models.PositiveSmallIntegerField(null=True, blank=True)
    next_status = models.CharField(max_length=40, blank=True)
    next_due_on = models.DateField(null=True, blank=True)
    next_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status_rank"], name="summary_status_idx"),
            models.Index(fields=["flags_total"], name="summary_flags_idx"),
            models.Index(fields=["next_due_on"], name="summary_due_idx"),
        ]

    def __str__(self) -> str:
        return f"summary of {self.project_id} ({self.status})"


class ProjectTally(models.Model):
    """(Operations records.) A figure of one project's payment schedule as last checked, summed
    over a portfolio by the database: how many instalments have a status
    (``figure`` "instalment_status", ``key`` the status), or what fell due in a month
    (``figure`` "due_month", ``key`` "2026-03", ``amount`` in EUR)."""

    INSTALMENT_STATUS = "instalment_status"
    DUE_MONTH = "due_month"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    figure = models.CharField(max_length=20)
    key = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)
    amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "figure", "key"], name="projecttally_once_per_key"
            ),
        ]
        indexes = [models.Index(fields=["figure", "key"], name="projecttally_figure_idx")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.figure}:{self.key}"


class ProgressSummary(models.Model):
    """(Operations records.) One project's progress (``backend.reporting.progress.Summary``)
    as last checked, in total (``cluster`` blank) and per activity cluster (its number, "1" to
    "3": a code such as "cooperation_partnership" is longer than the column)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    cluster = models.CharField(max_length=20, blank=True)
    deliverables_pending = models.PositiveIntegerField(default=0)
    deliverables_draft = models.PositiveIntegerField(default=0)
    deliverables_submitted = models.PositiveIntegerField(default=0)
    deliverables_accepted = models.PositiveIntegerField(default=0)
    deliverables_total = models.PositiveIntegerField(default=0)
    deliverables_overdue = models.PositiveIntegerField(default=0)
    milestones_achieved = models.PositiveIntegerField(default=0)
    milestones_total = models.PositiveIntegerField(default=0)
    milestones_overdue = models.PositiveIntegerField(default=0)
    work_packages_total = models.PositiveIntegerField(default=0)
    work_packages_completed_declared = models.PositiveIntegerField(default=0)
    work_packages_completed_approved = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "cluster"], name="progresssummary_once_per_cluster"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_id} {self.cluster or 'total'}"
