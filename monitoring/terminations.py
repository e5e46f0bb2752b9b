"""Termination reports overdue."""

import datetime
from collections.abc import Collection

from monitoring.flags import Finding


def termination_report_findings(
    project_ids: Collection[int], today: datetime.date
) -> list[Finding]:
    return []
