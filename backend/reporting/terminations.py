"""Termination reporting: when a beneficiary leaves, the coordinator owes a termination report
and a report on the distribution of payments (``models.TerminationReport``)."""

import datetime


def termination_report_open(
    *, participation_id: int, initiated_by: str, left_on: datetime.date
) -> None:
    """Open the termination reports of a participation that ends on ``left_on``."""
    # Written next: the reports' deadline, or their skipping when a periodic report is near.
