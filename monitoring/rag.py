"""A project's compliance at a glance: red, amber or green, from its open flags.

Pure functions over plain data (no ORM, no clock). The dashboard reads the open flags of a
portfolio in one query (``monitoring.dashboard``) and judges each project here.

The rule:

- **red**: an open critical or high flag (a breach of the composition rules, a breach that
  recorded changes will cause, a deliverable more than 30 days late, a periodic report
  overdue, an agency payment late), or the consortium's verdict is a breach;
- **amber**: otherwise, an open medium flag (an item to review, an instalment blocked, an
  amendment decision overdue, a deliverable or milestone late), a verdict to review, or any
  overdue item (deliverable, milestone or periodic report, whatever its severity);
- **green**: anything else (at most low flags: an instalment ready for payment, a warning).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from backend.grants.eligibility.engine import BREACH, PASS, REVIEW, WARNING
from monitoring.models import FlagKind, Severity

RED = "red"
AMBER = "amber"
GREEN = "green"
# Most urgent first: the order the dashboard sorts by.
STATUSES = (RED, AMBER, GREEN)

# The verdicts of the composition rules, most serious last.
VERDICTS = (PASS, WARNING, REVIEW, BREACH)

OVERDUE_KINDS = frozenset(
    {FlagKind.DELIVERABLE_OVERDUE, FlagKind.MILESTONE_OVERDUE, FlagKind.REPORT_OVERDUE}
)


@dataclass(frozen=True)
class SeverityCounts:
    """Open flags by severity."""

    critical: int = 0
    high: int = 0
    medium: int = 0
    low: int = 0

    @property
    def total(self) -> int:
        return self.critical + self.high + self.medium + self.low

    def of(self, severity: str) -> int:
        return getattr(self, severity)


@dataclass(frozen=True)
class OpenFlag:
    """What the rule needs to know of an open flag; ``count`` flags alike."""

    kind: str
    severity: str
    count: int = 1


@dataclass(frozen=True)
class Compliance:
    """A project's open flags summed up, with its verdict and status."""

    flags: SeverityCounts
    eligibility: str  # pass, warning, review or breach
    overdue: int  # open overdue flags: deliverables, milestones, periodic reports
    status: str  # red, amber or green


def severity_counts(flags: Iterable[OpenFlag]) -> SeverityCounts:
    counts = dict.fromkeys(Severity.values, 0)
    for flag in flags:
        counts[flag.severity] += flag.count
    return SeverityCounts(**counts)


def eligibility_verdict(flags: Iterable[OpenFlag]) -> str:
    """The verdict the watchers last found, read from the open eligibility flags: a breach
    flag is a breach; a review flag is a review (medium) or a warning (low), as
    ``monitoring.checks`` raises them; no such flag is a pass. A breach that recorded changes
    will only cause later is not today's verdict (its flag still makes the project red)."""
    verdict = PASS
    for flag in flags:
        if flag.kind == FlagKind.ELIGIBILITY_BREACH:
            found = BREACH
        elif flag.kind == FlagKind.ELIGIBILITY_REVIEW:
            found = WARNING if flag.severity == Severity.LOW else REVIEW
        else:
            continue
        if VERDICTS.index(found) > VERDICTS.index(verdict):
            verdict = found
    return verdict


def overdue_count(flags: Iterable[OpenFlag]) -> int:
    return sum(flag.count for flag in flags if flag.kind in OVERDUE_KINDS)


def rag_status(flags: SeverityCounts, eligibility: str, overdue: int) -> str:
    """Red, amber or green (see the module's docstring)."""
    if flags.critical or flags.high or eligibility == BREACH:
        return RED
    if flags.medium or eligibility == REVIEW or overdue:
        return AMBER
    return GREEN


def compliance(flags: Iterable[OpenFlag]) -> Compliance:
    """A project's compliance from its open flags."""
    flags = list(flags)
    counts = severity_counts(flags)
    verdict = eligibility_verdict(flags)
    overdue = overdue_count(flags)
    return Compliance(
        flags=counts,
        eligibility=verdict,
        overdue=overdue,
        status=rag_status(counts, verdict, overdue),
    )
