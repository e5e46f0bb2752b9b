"""The continuous-reporting workflow of deliverables and the overdue rules of the work plan, as
pure data and functions. No ORM, no settings, no clock: the date is a parameter.

A deliverable goes Pending (nothing uploaded) -> Draft (a file uploaded; it may be replaced or
deleted) -> Submitted (the delivery date recorded) -> Accepted (the approval date recorded). The
officer may instead ask for a revision, which sends a submitted deliverable back to Pending. Only
while Pending or Draft may the officer revise its due date. These are the portal's statuses and
steps (Funding & Tenders Portal, IT How To "Completing the deliverables":
https://webgate.ec.europa.eu/funding-tenders-opportunities/display/IT/Completing+the+Deliverables).
"""

import datetime
from dataclasses import dataclass
from enum import StrEnum

from backend.common.dates import month_end

# The statuses, as the model stores them (kept here as plain strings so that the rules need no
# model).
PENDING = "pending"
DRAFT = "draft"
SUBMITTED = "submitted"
ACCEPTED = "accepted"

# Not yet sent to the agency: what the consortium still holds (and what can be overdue).
NOT_SUBMITTED = frozenset({PENDING, DRAFT})
# Sent to the agency: what its officers may read.
SENT = frozenset({SUBMITTED, ACCEPTED})


class Step(StrEnum):
    UPLOAD_EVIDENCE = "upload_evidence"
    DELETE_EVIDENCE = "delete_evidence"
    SUBMIT = "submit"
    ACCEPT = "accept"
    REQUEST_REVISION = "request_revision"
    REVISE_DUE_DATE = "revise_due_date"


@dataclass(frozen=True)
class Transition:
    starts_from: frozenset[str]
    # The status the step leaves the deliverable in; None keeps it as it was.
    leads_to: str | None


# The transition table: which statuses each step starts from, and where it leads.
TRANSITIONS: dict[Step, Transition] = {
    Step.UPLOAD_EVIDENCE: Transition(frozenset({PENDING, DRAFT}), DRAFT),
    Step.DELETE_EVIDENCE: Transition(frozenset({DRAFT}), PENDING),
    Step.SUBMIT: Transition(frozenset({DRAFT}), SUBMITTED),
    Step.ACCEPT: Transition(frozenset({SUBMITTED}), ACCEPTED),
    Step.REQUEST_REVISION: Transition(frozenset({SUBMITTED}), PENDING),
    Step.REVISE_DUE_DATE: Transition(frozenset({PENDING, DRAFT}), None),
}


def step_allowed(step: Step, status: str) -> bool:
    """May the step be taken from this status?"""
    return status in TRANSITIONS[step].starts_from


def status_after(step: Step, status: str) -> str:
    """The status a deliverable has after the step (which must be allowed from ``status``)."""
    if not step_allowed(step, status):
        raise ValueError(f"{step} is not allowed from {status!r}")
    return TRANSITIONS[step].leads_to or status


def deliverable_is_overdue(status: str, due_on: datetime.date, today: datetime.date) -> bool:
    """Past its (possibly revised) due date and not submitted yet."""
    return status in NOT_SUBMITTED and due_on < today


def milestone_is_overdue(
    achieved_on: datetime.date | None, due_on: datetime.date, today: datetime.date
) -> bool:
    """Past its due date (the end of its due month) and not recorded as achieved."""
    return achieved_on is None and due_on < today


def months_ended_before(start: datetime.date, today: datetime.date) -> int:
    """How many of a project's months ended before ``today``: month n is over once
    ``month_end(start, n) < today``. A milestone due in one of those months and not achieved is
    overdue."""
    months = max((today.year - start.year) * 12 + today.month - start.month + 1, 0)
    while months > 0 and month_end(start, months) >= today:
        months -= 1
    while month_end(start, months + 1) < today:
        months += 1
    return months


def achievement_date_problem(
    achieved_on: datetime.date, *, project_start: datetime.date, today: datetime.date
) -> str | None:
    """Why a milestone cannot be recorded as achieved on this date ("future", "before_start"),
    or None."""
    if achieved_on > today:
        return "future"
    if achieved_on < project_start:
        return "before_start"
    return None
