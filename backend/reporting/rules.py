"""The rules of periodic reporting, as pure functions over plain data (no ORM, no clock: the date
is a parameter).

- Which work packages a period's report must declare: every work package that has started by
  the period's last month and was not declared completed in an earlier period's submitted or
  approved report. A lump-sum periodic report states, for each work package, whether it is
  completed: its "Status of Work Packages" (Funding & Tenders Portal, IT How To "Periodic
  reporting for lump sums",
  https://webgate.ec.europa.eu/funding-tenders-opportunities/pages/viewpage.action?pageId=8913115).
- Which deliverables are late in a period: due within the period and not submitted (nor
  accepted) now. The portal asks the consortium to justify each such delay before the periodic
  report goes (IT How To "Completing the deliverables",
  https://webgate.ec.europa.eu/funding-tenders-opportunities/display/IT/Completing+the+Deliverables).
- When a work package may be declared completed: every deliverable accepted, or an officer's
  waiver.
- When a work package not completed may carry a completion percentage (the call's partial
  completion option, final period only).
- What blocks a submission, every blocker at once.
- A contribution's entries as the API takes them, each error naming its path.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from backend.common.dates import deadline_passed
from backend.common.errors import PathError

# The longest text a contribution entry, a technical part or a justification may hold.
ENTRY_TEXT_MAX_LENGTH = 20000
TECHNICAL_PART_MAX_LENGTH = 100000
JUSTIFICATION_MAX_LENGTH = 20000
COMMENT_MAX_LENGTH = 20000
ENTRY_TEXT_FIELDS = ("activities", "outputs", "narrative")

# Deliverable statuses (workplan.DeliverableStatus values) that count as submitted / accepted.
SUBMITTED_STATUSES = frozenset({"submitted", "accepted"})
ACCEPTED_STATUS = "accepted"


@dataclass(frozen=True)
class WorkPackageFact:
    number: int
    start_month: int


@dataclass(frozen=True)
class DeliverableFact:
    id: int
    code: str
    work_package: int  # the work package's number
    due_on: datetime.date
    status: str


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@dataclass(frozen=True)
class SubmissionFacts:
    """What a report's submission depends on, read from the record."""

    period_end: datetime.date
    technical_part: str
    # Short names of the participants whose contribution is still a draft.
    draft_contributions: tuple[str, ...] = ()
    # Work packages the report must declare, and those it declares.
    to_declare: tuple[int, ...] = ()
    declared: frozenset[int] = field(default_factory=frozenset)
    # Late deliverables (codes by id), and the ids that have a justification.
    late: Mapping[int, str] = field(default_factory=dict)
    justified: frozenset[int] = field(default_factory=frozenset)


# Report statuses (reporting.ReportStatus values) of a report that was sent to the agency: its
# declarations of completed work packages stand for the later periods. A draft, or a report sent
# back for changes, does not count.
SENT_REPORT_STATUSES = frozenset({"submitted", "approved"})


@dataclass(frozen=True)
class DeclarationFact:
    """A work package's status as a period's report declares it."""

    period: int  # the reporting period's number
    work_package: int  # the work package's number
    completed: bool
    report_status: str | None  # the status of the period's report (None: not started)


def declared_completed_before(declarations: Iterable[DeclarationFact], period: int) -> set[int]:
    """The numbers of the work packages declared completed in the submitted or approved report
    of a period before ``period`` (a number): the later reports do not declare them again."""
    return {
        declaration.work_package
        for declaration in declarations
        if declaration.completed
        and declaration.period < period
        and declaration.report_status in SENT_REPORT_STATUSES
    }


def work_packages_to_declare(
    work_packages: Iterable[WorkPackageFact],
    *,
    period_end_month: int,
    completed_before: Iterable[int],
) -> list[int]:
    """The numbers of the work packages a period's report declares: started by the period's
    last month, and not declared completed in an earlier period's submitted or approved report
    (``completed_before``)."""
    done = set(completed_before)
    return sorted(
        wp.number
        for wp in work_packages
        if wp.start_month <= period_end_month and wp.number not in done
    )


def needs_justification(
    deliverable: DeliverableFact, period_start: datetime.date, period_end: datetime.date
) -> bool:
    """Due within the period and not submitted (or accepted) now."""
    return (
        period_start <= deliverable.due_on <= period_end
        and deliverable.status not in SUBMITTED_STATUSES
    )


def late_deliverables(
    deliverables: Iterable[DeliverableFact], period_start: datetime.date, period_end: datetime.date
) -> list[DeliverableFact]:
    return [d for d in deliverables if needs_justification(d, period_start, period_end)]


def deliverables_not_accepted(
    deliverables: Iterable[DeliverableFact], work_package: int
) -> list[str]:
    """The codes of a work package's deliverables that are not accepted, in the order given."""
    return [
        d.code
        for d in deliverables
        if d.work_package == work_package and d.status != ACCEPTED_STATUS
    ]


def completion_refusal(work_package: int, not_accepted: list[str], *, waived: bool) -> str | None:
    """Why the work package cannot be declared completed, or None if it can."""
    if waived or not not_accepted:
        return None
    return _(
        "WP%(number)s cannot be declared completed: not every deliverable is accepted "
        "(%(codes)s), and no officer has waived that."
    ) % {"number": work_package, "codes": ", ".join(not_accepted)}


def completion_date_error(
    completed_on: datetime.date | None,
    *,
    period_end: datetime.date,
    project_start: datetime.date,
) -> str | None:
    """What is wrong with the completion date of a work package declared completed."""
    if completed_on is None:
        return _("Give the date the work package was completed.")
    if completed_on > period_end:
        return _(
            "The reporting period ends on %(end)s; a work package declared in it cannot be "
            "completed later."
        ) % {"end": period_end.isoformat()}
    if completed_on < project_start:
        return _("The project starts on %(start)s; a work package cannot be completed before.") % {
            "start": project_start.isoformat()
        }
    return None


# A partial completion percentage: above 0, below 100, to 2 decimals. Horizon Europe lump-sum
# grants let the final report declare a work package done to a percentage
# (https://futuro-perfecto.eu/post/part-2-lump-grants-and-project-management). That CoVE grants
# do the same is not confirmed by the Erasmus+ Programme Guide: a setting of the call
# (Call.pays_partial_completion), off by default. The 2 decimals are this application's choice.
COMPLETION_PERCENT_PLACES = 2


def completion_percent_error(
    percent: Decimal | None,
    *,
    completed: bool,
    pays_partial_completion: bool,
    final_period: int,
    period: int,
) -> str | None:
    """What is wrong with a declared completion percentage, or None (also when none is given).
    Only where the project's call pays partial completion, only in the final reporting period,
    and only for a work package declared not completed."""
    if percent is None:
        return None
    if not pays_partial_completion:
        return _(
            "The call of this project does not pay partial completion: a work package that is "
            "not completed is not paid, and no completion percentage can be declared."
        )
    if period != final_period:
        return _(
            "A completion percentage can be declared only in the final reporting period "
            "(RP%(final)s), not in RP%(number)s."
        ) % {"final": final_period, "number": period}
    if completed:
        return _(
            "A completed work package is paid in full; a completion percentage is declared only "
            "for a work package that is not completed."
        )
    if not isinstance(percent, Decimal) or not percent.is_finite():
        return _("Give the completion percentage as a number.")
    if not Decimal(0) < percent < Decimal(100):
        return _("Give a completion percentage above 0 and below 100.")
    if percent != percent.quantize(Decimal(1).scaleb(-COMPLETION_PERCENT_PLACES)):
        return _("Give the completion percentage with at most %(places)s decimals.") % {
            "places": COMPLETION_PERCENT_PLACES
        }
    return None


def submission_blockers(facts: SubmissionFacts, today: datetime.date) -> list[Blocker]:
    """Everything that stops the report from being submitted on ``today``, in a fixed order."""
    blockers = []
    if today <= facts.period_end:
        blockers.append(
            Blocker(
                "period_not_ended",
                _(
                    "The reporting period ends on %(end)s; its report can be submitted from the "
                    "day after."
                )
                % {"end": facts.period_end.isoformat()},
            )
        )
    if not facts.technical_part.strip():
        blockers.append(Blocker("technical_part_missing", _("The technical part is empty.")))
    if facts.draft_contributions:
        blockers.append(
            Blocker(
                "contributions_in_draft",
                _("These contributions are still drafts, not locked for review: %(names)s.")
                % {"names": ", ".join(facts.draft_contributions)},
            )
        )
    undeclared = [number for number in facts.to_declare if number not in facts.declared]
    if undeclared:
        blockers.append(
            Blocker(
                "work_packages_not_declared",
                _("The status of these work packages is not declared: %(wps)s.")
                % {"wps": ", ".join(f"WP{number}" for number in undeclared)},
            )
        )
    unjustified = [code for key, code in facts.late.items() if key not in facts.justified]
    if unjustified:
        blockers.append(
            Blocker(
                "late_deliverables_unjustified",
                _(
                    "These deliverables were due in the period and are not submitted; justify "
                    "the delay: %(codes)s."
                )
                % {"codes": ", ".join(unjustified)},
            )
        )
    return blockers


def report_overdue(
    due_on: datetime.date, first_submitted_at: datetime.datetime | None, now: datetime.datetime
) -> bool:
    """The report's deadline (end of day, Brussels) has passed and it was never submitted."""
    return first_submitted_at is None and deadline_passed(due_on, now)


@dataclass(frozen=True)
class EntryInput:
    work_package: int
    activities: str
    outputs: str
    narrative: str

    @property
    def has_text(self) -> bool:
        return any(getattr(self, name).strip() for name in ENTRY_TEXT_FIELDS)


def parse_entries(data, work_package_numbers: Iterable[int]) -> tuple[list[EntryInput], list]:
    """A contribution's entries as the API takes them: ``[{"work_package": <number>,
    "activities", "outputs", "narrative"}]``. Returns the entries and every error (PathError)."""
    known = set(work_package_numbers)
    errors: list[PathError] = []
    entries: list[EntryInput] = []
    if not isinstance(data, list):
        return [], [PathError.at(("entries",), _("Give a list of entries."))]
    seen: set[int] = set()
    for index, item in enumerate(data):
        if not isinstance(item, dict):
            errors.append(
                PathError.at(("entries", index), _("Give an object with a work_package."))
            )
            continue
        unknown = sorted(set(item) - {"work_package", *ENTRY_TEXT_FIELDS})
        for name in unknown:
            errors.append(PathError.at(("entries", index, name), _("Unknown field.")))
        number, error = _entry_work_package(item.get("work_package"), known, seen)
        if error:
            errors.append(PathError.at(("entries", index, "work_package"), error))
        texts = {}
        for name in ENTRY_TEXT_FIELDS:
            value, error = _entry_text(item.get(name, ""))
            if error:
                errors.append(PathError.at(("entries", index, name), error))
            else:
                texts[name] = value
        if number is not None:
            seen.add(number)
            if len(texts) == len(ENTRY_TEXT_FIELDS):
                entries.append(EntryInput(work_package=number, **texts))
    return sorted(entries, key=lambda entry: entry.work_package), errors


def _entry_work_package(number, known: set[int], seen: set[int]) -> tuple[int | None, str]:
    """An entry's work package: (its number, "") or (None, what is wrong with it)."""
    if isinstance(number, bool) or not isinstance(number, int):
        return None, _("Give a work package's number.")
    if number not in known:
        return None, _("The project has no work package %(number)s.") % {"number": number}
    if number in seen:
        return None, _("WP%(number)s already has an entry.") % {"number": number}
    return number, ""


def _entry_text(value) -> tuple[str, str]:
    """An entry's text field, stripped (absent or null: empty): (the text, "") or ("", what
    is wrong with it)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", _("Not a valid string.")
    if len(value) > ENTRY_TEXT_MAX_LENGTH:
        return "", _("Write at most %(max)s characters.") % {"max": ENTRY_TEXT_MAX_LENGTH}
    return value.strip(), ""
