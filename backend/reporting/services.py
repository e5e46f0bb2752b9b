"""Writes of periodic reports: partners' contributions (save, lock, unlock), the coordinator's
technical part, status of work packages and late justifications, the submission (which freezes
a version), the officer's review, and the officer's completion waiver.

Each service checks permission first (PermissionDenied with the reason), then locks the rows and
checks their state (Conflict, 409), then validates the input (InvalidInput naming each field,
400), then writes and records exactly one audit event. A refusal writes nothing: the report row
that the first write creates is rolled back with the rest.
"""

import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.accounts.permissions import require
from backend.audit.models import Audience
from backend.audit.services import event_record, snapshot
from backend.common.concurrency import check_version
from backend.common.dates import brussels_today
from backend.common.errors import Conflict, InvalidInput
from backend.common.seam import projects_changed
from backend.grants.models import Call, Participation, Project
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage

from .models import (
    EDITABLE_REPORT_STATUSES,
    CompletionWaiver,
    Contribution,
    ContributionEntry,
    ContributionStatus,
    DeadlineSuspension,
    LateJustification,
    PeriodicReport,
    ReportStatus,
    ReportVersion,
    SuspensionReason,
    VersionDecision,
    WorkPackageDeclaration,
)
from .permissions import (
    can_answer_information,
    can_compose_report,
    can_request_information,
    can_review_report,
    can_unlock_contribution,
    can_waive_completion,
    can_write_contribution,
)
from .rules import (
    COMMENT_MAX_LENGTH,
    JUSTIFICATION_MAX_LENGTH,
    TECHNICAL_PART_MAX_LENGTH,
    Blocker,
    DecisionInput,
    completion_date_error,
    completion_percent_error,
    completion_refusal,
    needs_justification,
    parse_decisions,
    parse_entries,
    submission_blockers,
)
from .selectors import (
    PeriodState,
    decision_content,
    percent_refusal,
    period_state,
    report_content,
)

REPORT_FIELDS = (
    "status",
    "technical_part",
    "submitted_at",
    "submitted_by",
    "first_submitted_at",
    "approved_at",
    "approved_by",
    "review_comments",
)


class SubmissionBlocked(Conflict):
    """The report cannot be submitted yet; ``blockers`` says everything that stops it."""

    def __init__(self, blockers: list[Blocker]):
        self.blockers = list(blockers)
        super().__init__(
            _("The report cannot be submitted: %(blockers)s")
            % {"blockers": " ".join(blocker.message for blocker in self.blockers)}
        )


def _status_label(report: PeriodicReport) -> str:
    return f'"{report.get_status_display()}"'


def _locked_report(period: ReportingPeriod, *, create: bool) -> PeriodicReport | None:
    """The period's report, locked until the end of the transaction; created (as a draft) by the
    first write if ``create``. The period row is locked first so that two first writes do not
    race to create it."""
    ReportingPeriod.objects.select_for_update().filter(pk=period.pk).first()
    if create:
        PeriodicReport.objects.get_or_create(
            reporting_period_id=period.pk, defaults={"project_id": period.project_id}
        )
    return (
        PeriodicReport.objects.select_for_update(of=("self",))
        .select_related("reporting_period__project")
        .filter(reporting_period_id=period.pk)
        .first()
    )


def _editable_report(period: ReportingPeriod) -> PeriodicReport:
    """The period's report, locked, created if need be, in a status that may still change."""
    report = _locked_report(period, create=True)
    if report.status not in EDITABLE_REPORT_STATUSES:
        raise Conflict(
            _(
                "The report of RP%(number)s is %(status)s; it can be changed only while it is a "
                "draft or changes are requested."
            )
            % {"number": period.number, "status": _status_label(report)}
        )
    return report


def _text(value, path: str, *, max_length: int, required: str | None = None) -> str:
    """A free-text input, stripped; absent is empty. ``required`` is the message if empty."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput.at(path, _("Not a valid string."))
    if len(value) > max_length:
        raise InvalidInput.at(path, _("Write at most %(max)s characters.") % {"max": max_length})
    value = value.strip()
    if required and not value:
        raise InvalidInput.at(path, required)
    return value


# -- contributions -------------------------------------------------------------------------------


def _entries_state(contribution: Contribution | None) -> list[dict]:
    if contribution is None:
        return []
    return [
        {
            "work_package": entry.work_package.number,
            "activities": entry.activities,
            "outputs": entry.outputs,
            "narrative": entry.narrative,
        }
        for entry in contribution.entries.select_related("work_package").order_by(
            "work_package__number"
        )
    ]


def _locked_contribution(report: PeriodicReport, participation: Participation):
    return (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("participation")
        .filter(report=report, participation=participation)
        .first()
    )


def contribution_save(
    *,
    period: ReportingPeriod,
    participation: Participation,
    user,
    entries,
    expected_version: int | None = None,
) -> Contribution:
    """Replace the entries of an organisation's contribution (a draft). With
    ``expected_version`` (the version the writer read; 0 before the first save), a contribution
    changed since is refused (StaleVersion) and nothing is written."""
    require(can_write_contribution, user, participation)
    with transaction.atomic():
        report = _editable_report(period)
        contribution = _locked_contribution(report, participation)
        check_version(
            contribution,
            expected_version,
            changed_by=contribution and contribution.updated_by,
            changed_at=contribution and contribution.updated_at,
        )
        if contribution is not None and contribution.status == ContributionStatus.LOCKED:
            raise Conflict(
                _(
                    "%(participant)s's contribution is locked for review; a project manager "
                    "has to unlock it before it can change."
                )
                % {"participant": participation.short_name}
            )
        work_packages = {
            wp.number: wp for wp in WorkPackage.objects.filter(project_id=period.project_id)
        }
        parsed, errors = parse_entries(entries, work_packages)
        if errors:
            raise InvalidInput(errors, _("The contribution was not saved."))
        before = _entries_state(contribution)
        if contribution is None:
            contribution = Contribution(report=report, participation=participation)
        contribution.updated_by = user
        contribution.save()
        contribution.entries.all().delete()
        ContributionEntry.objects.bulk_create(
            ContributionEntry(
                contribution=contribution,
                work_package=work_packages[entry.work_package],
                activities=entry.activities,
                outputs=entry.outputs,
                narrative=entry.narrative,
            )
            for entry in parsed
        )
        event_record(
            actor=user,
            verb="contribution.saved",
            obj=contribution,
            project_id=period.project_id,
            before={"entries": before},
            after={"entries": _entries_state(contribution)},
            # The draft's text: read by whoever reads the draft (access_sees_draft).
            audience=Audience.PARTICIPATION,
            audience_participation_id=participation.pk,
        )
    return contribution


LOCK_FIELDS = ["status", "locked_at", "locked_by"]


def _set_locked(contribution: Contribution, *, locked: bool, user, period) -> None:
    """Lock a contribution for review, or return it to draft; one audit event."""
    before = snapshot(contribution, LOCK_FIELDS)
    contribution.status = ContributionStatus.LOCKED if locked else ContributionStatus.DRAFT
    contribution.locked_at = timezone.now() if locked else None
    contribution.locked_by = user if locked else None
    contribution.save()
    event_record(
        actor=user,
        verb="contribution.locked" if locked else "contribution.unlocked",
        obj=contribution,
        project_id=period.project_id,
        before=before,
        after=snapshot(contribution, LOCK_FIELDS),
    )


def contribution_lock(
    *, period: ReportingPeriod, participation: Participation, user
) -> Contribution:
    """Lock an organisation's contribution for review: it then counts in the report."""
    require(can_write_contribution, user, participation)
    with transaction.atomic():
        report = _editable_report(period)
        contribution = _locked_contribution(report, participation)
        if contribution is not None and contribution.status == ContributionStatus.LOCKED:
            raise Conflict(
                _("%(participant)s's contribution is already locked for review.")
                % {"participant": participation.short_name}
            )
        if contribution is None or not any(
            (entry.activities + entry.outputs + entry.narrative).strip()
            for entry in contribution.entries.all()
        ):
            raise InvalidInput.at(
                "entries",
                _("Write at least one work package's entry before locking the contribution."),
            )
        _set_locked(contribution, locked=True, user=user, period=period)
    return contribution


def contribution_unlock(
    *, period: ReportingPeriod, participation: Participation, user
) -> Contribution:
    """Return a locked contribution to draft so that its organisation can correct it."""
    require(can_unlock_contribution, user, participation)
    with transaction.atomic():
        report = _editable_report(period)
        contribution = _locked_contribution(report, participation)
        if contribution is None or contribution.status != ContributionStatus.LOCKED:
            raise Conflict(
                _("%(participant)s's contribution is not locked; there is nothing to unlock.")
                % {"participant": participation.short_name}
            )
        _set_locked(contribution, locked=False, user=user, period=period)
    return contribution


# -- the coordinator's part ------------------------------------------------------------------------


def report_update(
    *, period: ReportingPeriod, user, technical_part, expected_version: int | None = None
) -> PeriodicReport:
    """Replace the report's technical part; with ``expected_version``, refused
    (StaleVersion) if the report changed since the writer read it."""
    require(can_compose_report, user, period.project)
    with transaction.atomic():
        existed = _locked_report(period, create=False) is not None
        report = _editable_report(period)
        check_version(report if existed else None, expected_version, changed_at=report.updated_at)
        text = _text(technical_part, "technical_part", max_length=TECHNICAL_PART_MAX_LENGTH)
        before = snapshot(report, ["technical_part"])
        report.technical_part = text
        report.save()
        event_record(
            actor=user,
            verb="report.updated",
            obj=report,
            before=before,
            after=snapshot(report, ["technical_part"]),
        )
    return report


DECLARATION_FIELDS = (
    "completed",
    "completed_on",
    "completion_percent",
    "comment",
    "declared_at",
    "declared_by",
)


def declaration_save(
    *,
    period: ReportingPeriod,
    work_package: WorkPackage,
    user,
    completed: bool,
    completed_on: datetime.date | None = None,
    comment: str = "",
    completion_percent: Decimal | None = None,
    expected_version: int | None = None,
) -> WorkPackageDeclaration:
    """Declare a work package completed (on a date) or not at the end of the period; not
    completed, in the final period and where the project's call pays partial completion, with
    the percentage of it that is done. With ``expected_version`` (0 before the first
    declaration), a declaration changed since the writer read it is refused (StaleVersion)."""
    project: Project = period.project
    require(can_compose_report, user, project)
    with transaction.atomic():
        report = _editable_report(period)
        if expected_version is not None:
            current = (
                WorkPackageDeclaration.objects.select_for_update(of=("self",))
                .select_related("declared_by")
                .filter(work_package=work_package, reporting_period=period)
                .first()
            )
            check_version(
                current,
                expected_version,
                changed_by=current and current.declared_by,
                changed_at=current and current.declared_at,
            )
        state = period_state(period=period, report=report)
        _check_to_declare(period, work_package, state)
        if not isinstance(completed, bool):
            raise InvalidInput.at("completed", _("Say whether the work package is completed."))
        note = _text(comment, "comment", max_length=COMMENT_MAX_LENGTH)
        if completion_percent is not None:
            _check_completion_percent(period, completion_percent, completed=completed)
        if completed:
            _check_completion(period, work_package, state, completed_on)
        elif completed_on is not None:
            raise InvalidInput.at(
                "completed_on", _("A work package that is not completed has no completion date.")
            )
        declaration = _declaration_write(
            period,
            work_package,
            user,
            completed=completed,
            completed_on=completed_on if completed else None,
            completion_percent=None if completed else completion_percent,
            comment=note,
        )
        # The instalment of the period waits for every work package's status.
        projects_changed([project.pk], reason="work package declared")
    return declaration


def _check_to_declare(
    period: ReportingPeriod, work_package: WorkPackage, state: PeriodState
) -> None:
    """The period's report declares the work package: it has started by the period's end and
    no earlier report declared it completed."""
    if work_package.number in state.to_declare:
        return
    reason = (
        _("WP%(number)s was declared completed in an earlier period's report.")
        if work_package.start_month <= period.end_month
        else _("WP%(number)s starts in M%(month)s, after this period ends.")
    )
    raise InvalidInput.at(
        "work_package",
        reason % {"number": work_package.number, "month": work_package.start_month},
    )


def _check_completion_percent(
    period: ReportingPeriod, completion_percent: Decimal, *, completed: bool
) -> None:
    """A completion percentage is declared only where the rules allow it (final period, call
    paying partial completion, work package not completed)."""
    project = period.project
    error = completion_percent_error(
        completion_percent,
        completed=completed,
        pays_partial_completion=Call.objects.filter(pk=project.call_id)
        .values_list("pays_partial_completion", flat=True)
        .get(),
        final_period=ReportingPeriod.objects.filter(project_id=project.pk)
        .order_by("-number")
        .values_list("number", flat=True)
        .first(),
        period=period.number,
    )
    if error:
        raise InvalidInput.at("completion_percent", error)


def _check_completion(
    period: ReportingPeriod,
    work_package: WorkPackage,
    state: PeriodState,
    completed_on: datetime.date | None,
) -> None:
    """A work package declared completed has a completion date within the project and the
    period, and every deliverable accepted (or an officer's waiver)."""
    error = completion_date_error(
        completed_on, period_end=period.end_date, project_start=period.project.start_date
    )
    if error:
        raise InvalidInput.at("completed_on", error)
    refusal = completion_refusal(
        work_package.number,
        state.not_accepted(work_package.number),
        waived=work_package.number in state.waivers,
        required=Call.objects.filter(pk=period.project.call_id)
        .values_list("ruleset__completion_needs_accepted_deliverables", flat=True)
        .get(),
    )
    if refusal:
        raise Conflict(refusal)


def _declaration_write(
    period: ReportingPeriod,
    work_package: WorkPackage,
    user,
    *,
    completed: bool,
    completed_on: datetime.date | None,
    completion_percent: Decimal | None,
    comment: str,
) -> WorkPackageDeclaration:
    """Create or replace the work package's declaration in the period's report; one audit
    event."""
    declaration = (
        WorkPackageDeclaration.objects.select_for_update()
        .filter(work_package=work_package, reporting_period=period)
        .first()
    )
    before = None if declaration is None else snapshot(declaration, DECLARATION_FIELDS)
    if declaration is None:
        declaration = WorkPackageDeclaration(work_package=work_package, reporting_period=period)
    declaration.completed = completed
    declaration.completed_on = completed_on
    declaration.completion_percent = completion_percent
    declaration.comment = comment
    declaration.declared_at = timezone.now()
    declaration.declared_by = user
    declaration.save()
    event_record(
        actor=user,
        verb="work_package.declared",
        obj=declaration,
        project_id=period.project_id,
        before=before,
        after=snapshot(declaration, DECLARATION_FIELDS),
    )
    return declaration


def justification_save(
    *, period: ReportingPeriod, deliverable: Deliverable, user, text
) -> LateJustification:
    """Justify why a deliverable due in the period is not submitted."""
    require(can_compose_report, user, period.project)
    with transaction.atomic():
        report = _editable_report(period)
        state = period_state(period=period, report=report)
        fact = next(fact for fact in state.deliverable_facts if fact.id == deliverable.pk)
        if not needs_justification(fact, period.start_date, period.end_date):
            reason = (
                _(
                    "%(code)s is due on %(due)s, outside RP%(number)s (%(start)s to %(end)s); "
                    "it needs no justification in this report."
                )
                if not period.start_date <= fact.due_on <= period.end_date
                else _("%(code)s is %(status)s; it needs no justification.")
            )
            raise InvalidInput.at(
                "deliverable",
                reason
                % {
                    "code": deliverable.code,
                    "due": fact.due_on.isoformat(),
                    "number": period.number,
                    "start": period.start_date.isoformat(),
                    "end": period.end_date.isoformat(),
                    "status": f'"{deliverable.get_status_display()}"',
                },
            )
        value = _text(
            text,
            "text",
            max_length=JUSTIFICATION_MAX_LENGTH,
            required=_("Say why the deliverable is late."),
        )
        justification = (
            LateJustification.objects.select_for_update()
            .filter(report=report, deliverable=deliverable)
            .first()
        )
        before = None if justification is None else snapshot(justification, ["text"])
        if justification is None:
            justification = LateJustification(report=report, deliverable=deliverable)
        justification.text = value
        justification.updated_by = user
        justification.save()
        event_record(
            actor=user,
            verb="report.justification_saved",
            obj=justification,
            project_id=period.project_id,
            before=before,
            after=snapshot(justification, ["text", "deliverable"]),
        )
        # A late deliverable without a justification blocks the period's instalment.
        projects_changed([period.project_id], reason="late deliverable justified")
    return justification


def completion_waive(*, work_package: WorkPackage, user, reason) -> CompletionWaiver:
    """Let a work package be declared completed although not all its deliverables are
    accepted."""
    require(can_waive_completion, user, work_package.project)
    with transaction.atomic():
        WorkPackage.objects.select_for_update().filter(pk=work_package.pk).first()
        existing = CompletionWaiver.objects.filter(work_package=work_package).first()
        if existing is not None:
            raise Conflict(
                _("WP%(number)s's completion condition was already waived on %(date)s.")
                % {
                    "number": work_package.number,
                    "date": brussels_today(existing.waived_at).isoformat(),
                }
            )
        text = _text(
            reason,
            "reason",
            max_length=COMMENT_MAX_LENGTH,
            required=_("Give the reason for the waiver."),
        )
        waiver = CompletionWaiver.objects.create(
            work_package=work_package, reason=text, waived_at=timezone.now(), waived_by=user
        )
        event_record(
            actor=user,
            verb="work_package.completion_waived",
            obj=waiver,
            project_id=work_package.project_id,
            after=snapshot(waiver, ["work_package", "reason", "waived_at", "waived_by"]),
        )
    return waiver


# -- submission and review -------------------------------------------------------------------------


def _open_suspension(report: PeriodicReport) -> DeadlineSuspension | None:
    """The report's payment-deadline suspension still running (at most one), locked."""
    return (
        DeadlineSuspension.objects.select_for_update()
        .filter(report=report, ended_on__isnull=True)
        .first()
    )


SUSPENSION_FIELDS = ["reason", "message", "started_on", "ended_on", "answer"]


def _suspension_end(
    suspension: DeadlineSuspension | None, *, user, today: datetime.date, answer: str = ""
) -> dict | None:
    """End a running suspension on ``today`` (the agency's payment deadline runs again);
    returns what it was, for the audit event of the step that ends it."""
    if suspension is None:
        return None
    suspension.ended_on = max(today, suspension.started_on)
    suspension.ended_by = user
    suspension.answer = answer
    suspension.save()
    return snapshot(suspension, SUSPENSION_FIELDS)


def _suspension_start(
    report: PeriodicReport, *, reason: str, message: str, user, today: datetime.date
) -> DeadlineSuspension:
    """Suspend the agency's payment deadline from ``today``; a suspension still running (an
    information request overtaken by a request for changes) ends the same day."""
    _suspension_end(_open_suspension(report), user=user, today=today)
    return DeadlineSuspension.objects.create(
        report=report, reason=reason, message=message, started_on=today, started_by=user
    )


def report_submit(
    *, period: ReportingPeriod, user, today: datetime.date | None = None
) -> PeriodicReport:
    """Send the report to the agency: every blocker must be cleared; a frozen version is kept.
    A resubmission ends the suspension of the payment deadline that the request for changes
    started."""
    require(can_compose_report, user, period.project)
    now = timezone.now()
    today = today or brussels_today(now)
    with transaction.atomic():
        report = _locked_report(period, create=True)
        if report.status not in EDITABLE_REPORT_STATUSES:
            raise Conflict(
                _(
                    "Only a draft report, or one with changes requested, can be submitted; the "
                    "report of RP%(number)s is %(status)s."
                )
                % {"number": period.number, "status": _status_label(report)}
            )
        state = period_state(period=period, report=report)
        blockers = submission_blockers(state.facts(), today)
        if blockers:
            raise SubmissionBlocked(blockers)
        before = snapshot(report, REPORT_FIELDS)
        report.status = ReportStatus.SUBMITTED
        report.submitted_at = now
        report.submitted_by = user
        if report.first_submitted_at is None:
            report.first_submitted_at = now
        report.save()
        previous = report.versions.aggregate(last=Max("number"))["last"] or 0
        version = ReportVersion.objects.create(
            report=report,
            number=previous + 1,
            content=report_content(period=period, report=report),
            submitted_at=now,
            submitted_by=user,
        )
        ended = _suspension_end(_open_suspension(report), user=user, today=today)
        after = {**snapshot(report, REPORT_FIELDS), "version": version.number}
        if ended:
            after["suspension_ended"] = ended
        event_record(actor=user, verb="report.submitted", obj=report, before=before, after=after)
        projects_changed([period.project_id], reason="report submitted")
    return report


def _submitted_report(period: ReportingPeriod, step: str) -> PeriodicReport:
    report = _locked_report(period, create=False)
    if report is None or report.status != ReportStatus.SUBMITTED:
        status = _('"Not started"') if report is None else _status_label(report)
        messages = {
            "approve": _(
                "Only a submitted report can be approved; the report of RP%(number)s is %(status)s."
            ),
            "request_changes": _(
                "Changes can be requested only on a submitted report; the report of "
                "RP%(number)s is %(status)s."
            ),
            "request_information": _(
                "Information can be requested only on a submitted report; the report of "
                "RP%(number)s is %(status)s."
            ),
            "answer_information": _(
                "The report of RP%(number)s is %(status)s; no information request of it is "
                "waiting for an answer."
            ),
        }
        raise Conflict(messages[step] % {"number": period.number, "status": status})
    return report


# The officer's decision on a submitted report: the report's status and the audit verb.
DECISIONS = {
    VersionDecision.APPROVED: (ReportStatus.APPROVED, "report.approved"),
    VersionDecision.CHANGES_REQUESTED: (ReportStatus.CHANGES_REQUESTED, "report.changes_requested"),
}


def _decide(
    report: PeriodicReport,
    *,
    period,
    user,
    decision: str,
    comments: str,
    now,
    recorded: dict | None = None,
) -> None:
    """Record the decision on the pending version and on the report; one audit event, which
    also carries what the step ``recorded`` beside (the decisions per work package, the
    suspension of the payment deadline). The decisions per work package are frozen into the
    version's content."""
    recorded = recorded or {}
    status, verb = DECISIONS[decision]
    version = ReportVersion.objects.select_for_update().get(
        report=report, decision=VersionDecision.PENDING
    )
    version.decision = decision
    version.decided_at = now
    version.decided_by = user
    version.comments = comments
    if "decisions" in recorded:
        version.content = _frozen_decisions(version.content, recorded["decisions"])
    version.save()
    before = snapshot(report, REPORT_FIELDS)
    report.status = status
    report.review_comments = comments
    if decision == VersionDecision.APPROVED:
        report.approved_at = now
        report.approved_by = user
    report.save()
    event_record(
        actor=user,
        verb=verb,
        obj=report,
        before=before,
        after={**snapshot(report, REPORT_FIELDS), "version": version.number, **recorded},
    )
    projects_changed([period.project_id], reason=verb.replace(".", " ").replace("_", " "))


def _frozen_decisions(content: dict, decisions: dict[str, dict]) -> dict:
    """A version's content with the officer's decision on each declaration it holds."""
    declarations = [
        {**declaration, **decisions.get(str(declaration.get("work_package")), {})}
        for declaration in content.get("declarations", [])
    ]
    return {**content, "declarations": declarations}


def _decisions_record(
    period: ReportingPeriod, state: PeriodState, decisions, *, user, now
) -> dict[str, dict]:
    """Check the officer's decisions (every work package declared completed, or done to a
    percentage, gets one; an acceptance where none is given) and store them on the
    declarations. Returns them as plain JSON by work package number."""
    chosen, errors = parse_decisions(
        decisions,
        decidable=state.decidable,
        declared=state.declarations,
        percent_refusal=percent_refusal(period) if _sets_a_percent(decisions) else None,
    )
    if errors:
        raise InvalidInput(errors, _("The report was not approved."))
    recorded = {}
    for number, decision in chosen.items():
        declaration = state.declarations[number]
        _decision_write(declaration, decision, user=user, now=now)
        recorded[str(number)] = decision_content(declaration)
    return recorded


def _sets_a_percent(decisions) -> bool:
    """Whether any decision given sets an accepted percentage (the terms are read only then)."""
    return isinstance(decisions, dict) and any(
        isinstance(item, dict) and item.get("accepted_percent") not in (None, "")
        for item in decisions.values()
    )


def _decision_write(declaration: WorkPackageDeclaration, decision: DecisionInput, *, user, now):
    declaration.decision = decision.decision
    declaration.decision_reason = decision.reason
    declaration.accepted_percent = decision.accepted_percent
    declaration.decided_at = now
    declaration.decided_by = user
    declaration.save()


def report_approve(
    *,
    period: ReportingPeriod,
    user,
    comments="",
    decisions=None,
    today: datetime.date | None = None,
) -> PeriodicReport:
    """Approve the submitted report; it cannot change any more. The officer decides on each work
    package it declares completed (or, in the final period, done to a percentage):
    ``decisions`` maps a work package's number to ``{"decision": "accepted" | "rejected",
    "reason", "accepted_percent"}``; a work package not given is accepted. A rejected work
    package is not paid for this period, and a later report may declare it again. A
    suspension of the payment deadline still running ends."""
    require(can_review_report, user, period.project)
    now = timezone.now()
    today = today or brussels_today(now)
    with transaction.atomic():
        report = _submitted_report(period, "approve")
        text = _text(comments, "comments", max_length=COMMENT_MAX_LENGTH)
        state = period_state(period=period, report=report)
        recorded = {
            "decisions": _decisions_record(period, state, decisions, user=user, now=now),
        }
        ended = _suspension_end(_open_suspension(report), user=user, today=today)
        if ended:
            recorded["suspension_ended"] = ended
        _decide(
            report,
            period=period,
            user=user,
            decision=VersionDecision.APPROVED,
            comments=text,
            now=now,
            recorded=recorded,
        )
    return report


def report_request_changes(
    *, period: ReportingPeriod, user, comments, today: datetime.date | None = None
) -> PeriodicReport:
    """Send the submitted report back to the consortium with the changes it needs. The agency's
    payment deadline is suspended from ``today`` until the report is submitted again."""
    require(can_review_report, user, period.project)
    now = timezone.now()
    today = today or brussels_today(now)
    with transaction.atomic():
        report = _submitted_report(period, "request_changes")
        text = _text(
            comments,
            "comments",
            max_length=COMMENT_MAX_LENGTH,
            required=_("Say what has to change."),
        )
        suspension = _suspension_start(
            report,
            reason=SuspensionReason.CHANGES_REQUESTED,
            message=text,
            user=user,
            today=today,
        )
        _decide(
            report,
            period=period,
            user=user,
            decision=VersionDecision.CHANGES_REQUESTED,
            comments=text,
            now=now,
            recorded={"suspension": snapshot(suspension, SUSPENSION_FIELDS)},
        )
    return report


def report_request_information(
    *, period: ReportingPeriod, user, message, today: datetime.date | None = None
) -> DeadlineSuspension:
    """Ask the consortium for information on the submitted report, which stays submitted. The
    agency's payment deadline is suspended from ``today`` until the project's managers answer
    (or the officer decides on the report)."""
    require(can_request_information, user, period.project)
    today = today or brussels_today()
    with transaction.atomic():
        report = _submitted_report(period, "request_information")
        running = _open_suspension(report)
        if running is not None:
            raise Conflict(
                _(
                    "Information on the report of RP%(number)s was already requested on "
                    "%(date)s and is not answered yet."
                )
                % {"number": period.number, "date": running.started_on.isoformat()}
            )
        text = _text(
            message,
            "message",
            max_length=COMMENT_MAX_LENGTH,
            required=_("Say what information is needed."),
        )
        suspension = _suspension_start(
            report,
            reason=SuspensionReason.INFORMATION_REQUESTED,
            message=text,
            user=user,
            today=today,
        )
        event_record(
            actor=user,
            verb="report.information_requested",
            obj=suspension,
            project_id=period.project_id,
            after=snapshot(suspension, SUSPENSION_FIELDS),
        )
        projects_changed([period.project_id], reason="report information requested")
    return suspension


def report_answer_information(
    *, period: ReportingPeriod, user, answer, today: datetime.date | None = None
) -> DeadlineSuspension:
    """Answer the officer's request for information on the submitted report (the project's
    managers): the agency's payment deadline runs again from ``today``."""
    require(can_answer_information, user, period.project)
    today = today or brussels_today()
    with transaction.atomic():
        report = _submitted_report(period, "answer_information")
        suspension = _open_suspension(report)
        if suspension is None or suspension.reason != SuspensionReason.INFORMATION_REQUESTED:
            raise Conflict(
                _("No information request of the report of RP%(number)s is waiting for an answer.")
                % {"number": period.number}
            )
        text = _text(
            answer,
            "answer",
            max_length=COMMENT_MAX_LENGTH,
            required=_("Write the answer to the officer's request."),
        )
        before = snapshot(suspension, SUSPENSION_FIELDS)
        _suspension_end(suspension, user=user, today=today, answer=text)
        event_record(
            actor=user,
            verb="report.information_answered",
            obj=suspension,
            project_id=period.project_id,
            before=before,
            after=snapshot(suspension, SUSPENSION_FIELDS),
        )
        projects_changed([period.project_id], reason="report information answered")
    return suspension
