"""Lump-sum shares of participants that left, not yet reallocated by an Annex 2 amendment."""

import datetime
from collections.abc import Collection

from monitoring.flags import Finding


def unallocated_share_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    return []
