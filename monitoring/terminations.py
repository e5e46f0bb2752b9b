"""Termination reports overdue: a participant left and the coordinator has not sent its
termination report, or the report on the distribution of payments, or either, by their due date
(``backend.reporting.terminations``). None is flagged when a periodic report covers them.

One query for a batch of projects, whatever the number of reports."""

import datetime
from collections.abc import Collection

from django.db.models import F, Q
from django.utils.translation import gettext_noop

from backend.grants.eligibility.messages import stored_message
from backend.grants.selectors import AnyOf
from backend.reporting.models import TerminationReport
from backend.reporting.terminations import DISTRIBUTION, TERMINATION, missing_reports
from monitoring.flags import Finding
from monitoring.models import FlagKind, Severity

# A report more than this many days late is flagged one step more severe.
ESCALATE_AFTER_DAYS = 30

# One sentence per combination of what is missing, so that each language says it whole.
MESSAGES = {
    (TERMINATION, DISTRIBUTION): gettext_noop(
        "%(participant)s left on %(left_on)s. Its termination report and the report on the "
        "distribution of payments were due on %(due)s and have not been sent."
    ),
    (TERMINATION,): gettext_noop(
        "%(participant)s left on %(left_on)s. Its termination report was due on %(due)s and "
        "has not been sent."
    ),
    (DISTRIBUTION,): gettext_noop(
        "%(participant)s left on %(left_on)s. The report on the distribution of payments was "
        "due on %(due)s and has not been sent."
    ),
}


def termination_report_finding(report: TerminationReport, today: datetime.date) -> Finding | None:
    """A report not complete after its due date (a deadline runs to the end of its day)."""
    missing = tuple(missing_reports(report))
    if not missing or today <= report.due_on:
        return None
    participation = report.participation
    late = (today - report.due_on).days
    params = {
        "participant": participation.short_name,
        "left_on": participation.left_on,
        "due": report.due_on,
    }
    return Finding(
        project_id=report.project_id,
        kind=FlagKind.TERMINATION_REPORT_OVERDUE,
        severity=Severity.HIGH if late > ESCALATE_AFTER_DAYS else Severity.MEDIUM,
        fingerprint=f"{FlagKind.TERMINATION_REPORT_OVERDUE}:{report.pk}",
        explanation=stored_message(
            MESSAGES[missing],
            params,
            {
                "termination_report_id": report.pk,
                "participation_id": participation.pk,
                "participant": participation.short_name,
                "left_on": participation.left_on and participation.left_on.isoformat(),
                "initiated_by": report.initiated_by,
                "due_on": report.due_on.isoformat(),
                "missing": list(missing),
            },
        ),
    )


def termination_report_findings(
    project_ids: Collection[int], today: datetime.date
) -> list[Finding]:
    """Every termination report of these projects past its due date and not complete. One
    query; sending the missing report makes the finding go away."""
    ids = list(project_ids)
    reports = (
        TerminationReport.objects.filter(
            AnyOf(F("project_id"), ids),
            # The join's other side restricted to the batch too, so that either leads by index.
            AnyOf(F("participation__project_id"), ids),
            skipped_for__isnull=True,
            due_on__lt=today,
        )
        .filter(Q(report_submitted_at__isnull=True) | Q(distribution_submitted_at__isnull=True))
        .select_related("participation")
        .order_by("project_id", "due_on", "id")
    )
    found = [termination_report_finding(report, today) for report in reports]
    return [finding for finding in found if finding is not None]
