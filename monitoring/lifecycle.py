"""The watchers of a grant's life after its changes: termination reports overdue, accessions
overdue, and the lump-sum shares of participants that left, not yet reallocated. Each finder
lives in its own module; the checks (``checks.check_projects``) call them all through here."""

import datetime
from collections.abc import Collection

from monitoring.accessions import accession_findings
from monitoring.flags import Finding
from monitoring.models import FlagKind
from monitoring.shares import unallocated_share_findings
from monitoring.terminations import termination_report_findings

LIFECYCLE_KINDS = (
    FlagKind.TERMINATION_REPORT_OVERDUE,
    FlagKind.ACCESSION_OVERDUE,
    FlagKind.UNALLOCATED_SHARES,
)


def lifecycle_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    return [
        *termination_report_findings(project_ids, today),
        *accession_findings(project_ids, today),
        *unallocated_share_findings(project_ids, today),
    ]
