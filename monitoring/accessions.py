"""New beneficiaries that have not acceded by their deadline."""

import datetime
from collections.abc import Collection

from monitoring.flags import Finding


def accession_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    return []
