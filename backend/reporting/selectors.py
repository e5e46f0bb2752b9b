"""Reads of periodic reports, scoped to the requesting user, in a fixed number of queries.

Seeing the project is checked by the caller (``project_get``); within a visible project every
role sees every period's report, its declarations, justifications and versions, and every
locked contribution; a draft contribution is seen only by its own organisation's partner
contacts, the project's managers and administrators.
"""

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from backend.accounts.permissions import project_access
from backend.grants.models import Call, Participation, Project
from backend.workplan.models import Deliverable, ReportingPeriod, WorkPackage

from .models import (
    CompletionWaiver,
    Contribution,
    ContributionEntry,
    ContributionStatus,
    DeadlineSuspension,
    LateJustification,
    PeriodicReport,
    ReportStatus,
    ReportVersion,
    WorkPackageDeclaration,
    report_due_on,
)
from .permissions import access_sees_draft
from .rules import (
    CompletionWarning,
    DeclarationFact,
    DeliverableFact,
    SubmissionFacts,
    WorkPackageFact,
    accepted_percent_refusal,
    completion_warnings,
    declared_completed_before,
    deliverables_not_accepted,
    late_deliverables,
    work_packages_to_declare,
)

NOT_STARTED = "not_started"
REPORT_STATUS_FILTERS = (NOT_STARTED, *ReportStatus.values)


def report_of(period: ReportingPeriod) -> PeriodicReport | None:
    """The period's report, or None while nobody has written to it."""
    try:
        return period.report
    except PeriodicReport.DoesNotExist:
        return None


def report_status(period: ReportingPeriod) -> str:
    report = report_of(period)
    return NOT_STARTED if report is None else report.status


def period_due_on(period: ReportingPeriod) -> datetime.date:
    return report_due_on(period.end_date)


# -- periods and their reports -----------------------------------------------------------------


def _periods(project: Project) -> QuerySet[ReportingPeriod]:
    return ReportingPeriod.objects.filter(project=project).select_related(
        "project__call__ruleset", "report", "report__submitted_by", "report__approved_by"
    )


def report_list(*, project: Project, status: str | None = None) -> QuerySet[ReportingPeriod]:
    """One reporting period per item, with its report if anybody wrote to it; ``status``
    ("not_started" or a report status) filters. The caller has checked the project is
    visible to the user (every role that sees the project sees all its reports)."""
    if status is not None and status not in REPORT_STATUS_FILTERS:
        raise ValueError(f"unknown status filter {status!r}")
    periods = _periods(project)
    if status == NOT_STARTED:
        periods = periods.filter(report__isnull=True)
    elif status is not None:
        periods = periods.filter(report__status=status)
    return periods.order_by("number")


def period_get(*, project: Project, number: int) -> ReportingPeriod | None:
    return _periods(project).filter(number=number).first()


def work_package_get(*, project: Project, number: int) -> WorkPackage | None:
    return (
        WorkPackage.objects.filter(project=project, number=number).select_related("project").first()
    )


def deliverable_get(*, project: Project, deliverable_id: int) -> Deliverable | None:
    return (
        Deliverable.objects.filter(project=project, pk=deliverable_id)
        .select_related("work_package")
        .first()
    )


def participation_get(*, project: Project, participation_id: int) -> Participation | None:
    return Participation.objects.filter(project=project, pk=participation_id).first()


# -- what a period's report depends on -----------------------------------------------------------


def _deliverable_fact(deliverable: Deliverable) -> DeliverableFact:
    return DeliverableFact(
        id=deliverable.pk,
        code=deliverable.code,
        work_package=deliverable.work_package.number,
        due_on=deliverable.due_on,
        status=deliverable.status,
    )


@dataclass
class PeriodState:
    """A period's report and everything its status of work packages, late deliverables and
    blockers are computed from, read in a fixed number of queries."""

    period: ReportingPeriod
    report: PeriodicReport | None
    work_packages: list[WorkPackage]
    to_declare: list[int]
    declarations: dict[int, WorkPackageDeclaration]  # by work package number
    deliverables: list[Deliverable]  # every deliverable of the project
    waivers: dict[int, CompletionWaiver]  # by work package number
    justifications: dict[int, LateJustification]  # by deliverable id
    draft_contributions: list[str] = field(default_factory=list)

    @property
    def deliverable_facts(self) -> list[DeliverableFact]:
        return [_deliverable_fact(deliverable) for deliverable in self.deliverables]

    @property
    def late(self) -> list[Deliverable]:
        late_ids = {
            fact.id
            for fact in late_deliverables(
                self.deliverable_facts, self.period.start_date, self.period.end_date
            )
        }
        return [deliverable for deliverable in self.deliverables if deliverable.pk in late_ids]

    @property
    def in_period(self) -> list[Deliverable]:
        start, end = self.period.start_date, self.period.end_date
        return [d for d in self.deliverables if start <= d.due_on <= end]

    def not_accepted(self, number: int) -> list[str]:
        return deliverables_not_accepted(self.deliverable_facts, number)

    @property
    def decidable(self) -> list[int]:
        """The work packages the officer decides on when approving the report: declared
        completed, or (final period) done to a percentage."""
        return [
            number
            for number, declaration in sorted(self.declarations.items())
            if declaration.completed or declaration.completion_percent is not None
        ]

    @property
    def warnings(self) -> list[CompletionWarning]:
        """The work packages declared completed while deliverables of theirs are not accepted
        (and no officer waived that): what the officer is warned of."""
        facts = self.deliverable_facts
        completed = [n for n, declaration in self.declarations.items() if declaration.completed]
        return completion_warnings(
            completed,
            {number: deliverables_not_accepted(facts, number) for number in completed},
            self.waivers,
        )

    def facts(self) -> SubmissionFacts:
        return SubmissionFacts(
            period_end=self.period.end_date,
            technical_part=self.report.technical_part if self.report else "",
            draft_contributions=tuple(self.draft_contributions),
            to_declare=tuple(self.to_declare),
            declared=frozenset(self.declarations),
            late={deliverable.pk: deliverable.code for deliverable in self.late},
            justified=frozenset(self.justifications),
        )


def completed_before(period: ReportingPeriod) -> set[int]:
    """The work packages declared completed in an earlier period's submitted or approved
    report and not rejected by the officer (``rules.declared_completed_before``)."""
    declarations = WorkPackageDeclaration.objects.filter(
        reporting_period__project_id=period.project_id
    ).values_list(
        "reporting_period__number",
        "work_package__number",
        "completed",
        "reporting_period__report__status",
        "decision",
    )
    return declared_completed_before(
        (
            DeclarationFact(
                period=number,
                work_package=wp,
                completed=completed,
                report_status=status,
                decision=decision,
            )
            for number, wp, completed, status, decision in declarations
        ),
        period.number,
    )


def period_state(*, period: ReportingPeriod, report: PeriodicReport | None) -> PeriodState:
    work_packages = list(
        WorkPackage.objects.filter(project_id=period.project_id).order_by("number")
    )
    to_declare = work_packages_to_declare(
        [WorkPackageFact(wp.number, wp.start_month) for wp in work_packages],
        period_end_month=period.end_month,
        completed_before=completed_before(period),
    )
    declarations = {
        declaration.work_package.number: declaration
        for declaration in WorkPackageDeclaration.objects.filter(
            reporting_period=period, work_package__number__in=to_declare
        ).select_related("work_package", "declared_by", "decided_by")
    }
    deliverables = list(
        Deliverable.objects.filter(project_id=period.project_id)
        .select_related("work_package")
        .order_by("position", "id")
    )
    waivers = {
        waiver.work_package.number: waiver
        for waiver in CompletionWaiver.objects.filter(
            work_package__project_id=period.project_id
        ).select_related("work_package", "waived_by")
    }
    justifications: dict[int, LateJustification] = {}
    drafts: list[str] = []
    if report is not None:
        justifications = {
            justification.deliverable_id: justification
            for justification in LateJustification.objects.filter(report=report).select_related(
                "deliverable", "updated_by"
            )
        }
        drafts = list(
            Contribution.objects.filter(report=report, status=ContributionStatus.DRAFT)
            .order_by("participation__position", "participation_id")
            .values_list("participation__short_name", flat=True)
        )
    return PeriodState(
        period=period,
        report=report,
        work_packages=work_packages,
        to_declare=to_declare,
        declarations=declarations,
        deliverables=deliverables,
        waivers=waivers,
        justifications=justifications,
        draft_contributions=drafts,
    )


# -- contributions -------------------------------------------------------------------------------


def _contributions(report: PeriodicReport) -> QuerySet[Contribution]:
    entries = ContributionEntry.objects.select_related("work_package").order_by(
        "work_package__number"
    )
    return (
        Contribution.objects.filter(report=report)
        .select_related("participation", "updated_by", "locked_by")
        .prefetch_related(Prefetch("entries", queryset=entries))
        .order_by("participation__position", "participation_id")
    )


def contributions_visible(*, user, report: PeriodicReport) -> QuerySet[Contribution]:
    """The report's contributions the user may see: locked ones for anyone who sees the
    project; drafts only for their own organisation, the managers and administrators."""
    access = project_access(user, report.project_id)
    contributions = _contributions(report)
    if access.admin or access.manager:
        return contributions
    return contributions.filter(
        Q(status=ContributionStatus.LOCKED) | Q(participation_id__in=access.partner_for)
    )


@dataclass
class ContributionView:
    """A participation's contribution to a period's report; ``contribution`` is None while
    nothing was written."""

    participation: Participation
    contribution: Contribution | None

    @property
    def status(self) -> str:
        return NOT_STARTED if self.contribution is None else self.contribution.status


def contribution_get(
    *, user, period: ReportingPeriod, participation: Participation
) -> ContributionView | None:
    """A participation's contribution, or None if the user may not see it (a draft, or one not
    written yet, of another organisation)."""
    report = report_of(period)
    contribution = (
        None
        if report is None
        else _contributions(report).filter(participation=participation).first()
    )
    locked = contribution is not None and contribution.status == ContributionStatus.LOCKED
    if not locked and not access_sees_draft(project_access(user, period.project_id), participation):
        return None
    return ContributionView(participation=participation, contribution=contribution)


# -- a report as the user sees it ----------------------------------------------------------------


def _versions(report: PeriodicReport) -> QuerySet[ReportVersion]:
    return ReportVersion.objects.filter(report=report).select_related(
        "submitted_by", "decided_by", "report"
    )


def version_list(*, period: ReportingPeriod) -> QuerySet[ReportVersion]:
    report = report_of(period)
    if report is None:
        return ReportVersion.objects.none()
    return _versions(report).order_by("number")


def version_get(*, period: ReportingPeriod, number: int) -> ReportVersion | None:
    return version_list(period=period).filter(number=number).first()


def suspension_list(*, report: PeriodicReport | None) -> list[DeadlineSuspension]:
    """The report's payment-deadline suspensions, oldest first (none before it exists)."""
    if report is None:
        return []
    return list(
        DeadlineSuspension.objects.filter(report=report)
        .select_related("started_by", "ended_by")
        .order_by("started_on", "id")
    )


@dataclass
class ReportDetail:
    period: ReportingPeriod
    state: PeriodState
    contributions: list[Contribution]
    versions: list[ReportVersion]
    today: datetime.date
    suspensions: list[DeadlineSuspension] = field(default_factory=list)

    @property
    def report(self) -> PeriodicReport | None:
        return self.state.report

    @property
    def open_suspension(self) -> DeadlineSuspension | None:
        """The suspension still running, if any (at most one)."""
        return next((s for s in self.suspensions if s.ended_on is None), None)


def report_detail(*, user, period: ReportingPeriod, today: datetime.date) -> ReportDetail:
    """A period's report as the user sees it now, with what blocks its submission."""
    report = report_of(period)
    state = period_state(period=period, report=report)
    contributions = [] if report is None else list(contributions_visible(user=user, report=report))
    versions = [] if report is None else list(_versions(report).order_by("number"))
    return ReportDetail(
        period=period,
        state=state,
        contributions=contributions,
        versions=versions,
        today=today,
        suspensions=suspension_list(report=report),
    )


def percent_refusal(period: ReportingPeriod) -> str | None:
    """Why the officer may not set an accepted completion percentage in the period's report
    (``rules.accepted_percent_refusal``), or None; two queries."""
    return accepted_percent_refusal(
        pays_partial_completion=Call.objects.filter(pk=period.project.call_id)
        .values_list("pays_partial_completion", flat=True)
        .get(),
        final_period=ReportingPeriod.objects.filter(project_id=period.project_id)
        .order_by("-number")
        .values_list("number", flat=True)
        .first(),
        period=period.number,
    )


# -- the frozen content of a submission ----------------------------------------------------------


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def _username(user) -> str | None:
    return None if user is None else user.get_username()


def decision_content(declaration: WorkPackageDeclaration) -> dict[str, Any]:
    """The officer's decision on a declaration, as plain JSON (empty until it is taken)."""
    return {
        "decision": declaration.decision,
        "decision_reason": declaration.decision_reason,
        "accepted_percent": None
        if declaration.accepted_percent is None
        else str(declaration.accepted_percent),
    }


def report_content(*, period: ReportingPeriod, report: PeriodicReport) -> dict[str, Any]:
    """Everything the report says, as plain JSON, to be kept as it was submitted: the period,
    the technical part, every locked contribution with its entries, the status of work
    packages, the late deliverables' justifications, and each deliverable due in the period
    with its status and dates."""
    state = period_state(period=period, report=report)
    project = period.project
    contributions = _contributions(report).filter(status=ContributionStatus.LOCKED)
    return {
        "project": {
            "id": project.pk,
            "acronym": project.acronym,
            "grant_agreement_number": project.grant_agreement_number,
        },
        "period": {
            "number": period.number,
            "start_month": period.start_month,
            "end_month": period.end_month,
            "start_date": _iso(period.start_date),
            "end_date": _iso(period.end_date),
            "due_on": _iso(period_due_on(period)),
        },
        "technical_part": report.technical_part,
        "contributions": [
            {
                "participation_id": contribution.participation_id,
                "participant": contribution.participation.short_name,
                "locked_at": _iso(contribution.locked_at),
                "locked_by": _username(contribution.locked_by),
                "entries": [
                    {
                        "work_package": entry.work_package.number,
                        "activities": entry.activities,
                        "outputs": entry.outputs,
                        "narrative": entry.narrative,
                    }
                    for entry in contribution.entries.all()
                ],
            }
            for contribution in contributions
        ],
        "declarations": [
            {
                "work_package": number,
                "completed": declaration.completed,
                "completed_on": _iso(declaration.completed_on),
                "completion_percent": None
                if declaration.completion_percent is None
                else str(declaration.completion_percent),
                "comment": declaration.comment,
                "completion_waived": number in state.waivers,
                **decision_content(declaration),
            }
            for number, declaration in sorted(state.declarations.items())
        ],
        "justifications": [
            {
                "deliverable_id": justification.deliverable_id,
                "code": justification.deliverable.code,
                "text": justification.text,
            }
            for justification in state.justifications.values()
        ],
        "deliverables": [
            {
                "id": deliverable.pk,
                "code": deliverable.code,
                "title": deliverable.title,
                "work_package": deliverable.work_package.number,
                "due_on": _iso(deliverable.due_on),
                "status": deliverable.status,
                "delivered_on": _iso(deliverable.delivered_on),
                "approved_on": _iso(deliverable.approved_on),
            }
            for deliverable in state.in_period
        ],
    }
