"""Termination reporting: when a beneficiary leaves, the coordinator owes a termination report
and a report on the distribution of payments (``models.TerminationReport``).

Both are due within the rule set's days of the last day of the participation: 30 when the
consortium asked for the termination, 60 when the agency decided it. No separate report is
launched when a periodic report falls due within the rule set's skip days (30) of that day: the
periodic report covers it (Funding & Tenders Portal, IT How To "Beneficiary termination").

The reports open when the amendment that ends the participation is approved
(``termination_report_open``, in the approval's transaction); the project's managers record the
sending of each (``termination_report_send``); the watchers flag what is late
(``monitoring.terminations``). An associated partner signs no grant agreement and receives no
payment: its departure opens no report.
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.accounts.permissions import project_access, require
from backend.audit.services import event_record, snapshot
from backend.common.dates import brussels_today, month_end, report_due_on
from backend.common.errors import Conflict, InvalidInput
from backend.common.seam import projects_changed
from backend.grants.models import Participation, ParticipationRole, Project
from backend.workplan.models import ReportingPeriod

from .models import TerminationInitiator, TerminationReport

# The two reports, as the API names them: the fields that record each one's sending.
TERMINATION = "termination"
DISTRIBUTION = "distribution"
REPORTS = {
    TERMINATION: ("report_submitted_at", "report_submitted_by"),
    DISTRIBUTION: ("distribution_submitted_at", "distribution_submitted_by"),
}
REPORT_LABELS = {
    TERMINATION: gettext_lazy("the termination report"),
    DISTRIBUTION: gettext_lazy("the report on the distribution of payments"),
}
# Who leaves with reports to write: those who signed the grant agreement and were paid.
REPORTING_ROLES = (
    ParticipationRole.COORDINATOR,
    ParticipationRole.BENEFICIARY,
    ParticipationRole.AFFILIATED_ENTITY,
)
SENT_FIELDS = [
    "report_submitted_at",
    "report_submitted_by",
    "distribution_submitted_at",
    "distribution_submitted_by",
]

# The states of a participant's termination reports on a day.
SKIPPED = "skipped"  # covered by a periodic report
COMPLETE = "complete"  # both sent
DUE = "due"  # not both sent, the due date not passed
OVERDUE = "overdue"  # not both sent after the due date


# -- rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodDue:
    """A reporting period and the due date of its periodic report."""

    period_id: int
    number: int
    due_on: datetime.date


@dataclass(frozen=True)
class TerminationDue:
    due_on: datetime.date
    skipped_for: PeriodDue | None


def termination_due(
    *,
    left_on: datetime.date,
    initiated_by: str,
    report_days: int,
    agency_report_days: int,
    skip_days: int,
    periods: Iterable[PeriodDue],
) -> TerminationDue:
    """When the termination reports of a participation whose last day is ``left_on`` are due,
    and whether a periodic report falling due within ``skip_days`` of that day (the day itself
    included) covers them instead: the first such one."""
    days = agency_report_days if initiated_by == TerminationInitiator.AGENCY else report_days
    due_on = left_on + datetime.timedelta(days=days)
    horizon = left_on + datetime.timedelta(days=skip_days)
    covering = [period for period in periods if left_on <= period.due_on <= horizon]
    skipped_for = min(covering, key=lambda period: period.due_on) if covering else None
    return TerminationDue(due_on=due_on, skipped_for=skipped_for)


def missing_reports(report: TerminationReport) -> list[str]:
    """The reports not sent yet (none when a periodic report covers them), in order."""
    if report.skipped_for_id is not None:
        return []
    return [name for name, (sent_at, _by) in REPORTS.items() if getattr(report, sent_at) is None]


def termination_state(report: TerminationReport, today: datetime.date) -> str:
    """Skipped, complete, due or overdue (a deadline runs to the end of its day)."""
    if report.skipped_for_id is not None:
        return SKIPPED
    if not missing_reports(report):
        return COMPLETE
    return OVERDUE if today > report.due_on else DUE


# -- permissions ----------------------------------------------------------------------------------


def can_send_termination_report(user, project: Project) -> tuple[bool, str]:
    """Record that the coordinator sent a termination report or the report on the
    distribution of payments: the project's managers (the coordinator's contacts)."""
    if not user.is_authenticated:
        return False, _("Sign in to record a termination report.")
    access = project_access(user, project.pk)
    if access.admin or access.manager:
        return True, ""
    return False, _(
        "Only the project's managers and administrators record the sending of the termination "
        "reports: the coordinator sends them."
    )


# -- opening --------------------------------------------------------------------------------------


def _periods_due(project: Project) -> list[PeriodDue]:
    return [
        PeriodDue(
            period_id=pk,
            number=number,
            due_on=report_due_on(month_end(project.start_date, end_month)),
        )
        for pk, number, end_month in ReportingPeriod.objects.filter(project=project)
        .order_by("number")
        .values_list("pk", "number", "end_month")
    ]


def termination_report_open(
    *, participation_id: int, initiated_by: str, left_on: datetime.date
) -> TerminationReport | None:
    """Open the termination reports of a participation that ends on ``left_on`` (inside the
    caller's transaction: the approval of the amendment that ends it, which records the event
    and asks for the project's check). A participation that signed no grant agreement (an
    associated partner) has none: None."""
    participation = Participation.objects.select_related("project__call__ruleset").get(
        pk=participation_id
    )
    if participation.role not in REPORTING_ROLES:
        return None
    project = participation.project
    ruleset = project.call.ruleset
    initiated_by = initiated_by or TerminationInitiator.CONSORTIUM
    due = termination_due(
        left_on=left_on,
        initiated_by=initiated_by,
        report_days=ruleset.termination_report_days,
        agency_report_days=ruleset.agency_termination_report_days,
        skip_days=ruleset.termination_report_skip_days,
        periods=_periods_due(project),
    )
    report, _created = TerminationReport.objects.update_or_create(
        participation=participation,
        defaults={
            "project": project,
            "initiated_by": initiated_by,
            "due_on": due.due_on,
            "skipped_for_id": due.skipped_for and due.skipped_for.period_id,
        },
    )
    return report


# -- sending --------------------------------------------------------------------------------------


def termination_report_send(
    *,
    report: TerminationReport,
    user,
    which,
    today: datetime.date | None = None,
) -> TerminationReport:
    """Record that the coordinator sent one of the two reports (``which``: "termination" or
    "distribution"), now, by ``user``. Refused while the participation has not ended, when a
    periodic report covers them, and for a report already sent."""
    project = report.project
    require(can_send_termination_report, user, project)
    today = today or brussels_today()
    with transaction.atomic():
        locked = (
            TerminationReport.objects.select_for_update(of=("self",))
            .select_related("participation", "skipped_for", "project")
            .get(pk=report.pk)
        )
        participant = locked.participation.short_name
        if locked.skipped_for_id is not None:
            raise Conflict(
                _(
                    "No termination reports are due for %(participant)s: the periodic report "
                    "of RP%(number)s covers its departure."
                )
                % {"participant": participant, "number": locked.skipped_for.number}
            )
        left_on = locked.participation.left_on
        if left_on is not None and today <= left_on:
            raise Conflict(
                _(
                    "%(participant)s takes part until %(left_on)s: its termination reports can "
                    "be sent from the day after."
                )
                % {"participant": participant, "left_on": left_on.isoformat()}
            )
        if which is None or which == "":
            raise InvalidInput.at(
                "report",
                _("Say which report was sent: %(allowed)s.") % {"allowed": ", ".join(REPORTS)},
            )
        if not isinstance(which, str) or which not in REPORTS:
            raise InvalidInput.at(
                "report",
                _('"%(value)s" is not a termination report; use one of: %(allowed)s.')
                % {"value": which, "allowed": ", ".join(REPORTS)},
            )
        sent_at, sent_by = REPORTS[which]
        if getattr(locked, sent_at) is not None:
            raise Conflict(
                _("%(report)s of %(participant)s was already sent on %(date)s.")
                % {
                    "report": str(REPORT_LABELS[which]).capitalize(),
                    "participant": participant,
                    "date": brussels_today(getattr(locked, sent_at)).isoformat(),
                }
            )
        before = snapshot(locked, SENT_FIELDS)
        setattr(locked, sent_at, timezone.now())
        setattr(locked, sent_by, user)
        locked.save(update_fields=[sent_at, sent_by])
        event_record(
            actor=user,
            verb=f"termination_report.{which}_sent",
            obj=locked,
            project_id=project.pk,
            before=before,
            after=snapshot(locked, SENT_FIELDS),
        )
        projects_changed([project.pk], reason="termination report sent")
    return locked


# -- reading --------------------------------------------------------------------------------------


def termination_report_list(*, project: Project) -> QuerySet[TerminationReport]:
    """The termination reports of a project the caller may see (``project_get_or_404``: its
    officers, managers, partner contacts and administrators read them all), by due date."""
    return (
        TerminationReport.objects.filter(project=project)
        .select_related(
            "participation",
            "skipped_for",
            "report_submitted_by",
            "distribution_submitted_by",
        )
        .order_by("due_on", "id")
    )


def termination_report_get(*, project: Project, report_id: int) -> TerminationReport | None:
    """One of the project's termination reports, or None (another project's, or none)."""
    return termination_report_list(project=project).filter(pk=report_id).first()
