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
    # The officer's decision on it ("" until the report is approved; "accepted", "rejected").
    decision: str = ""


# The officer's decision (reporting.WorkPackageDecision values) on a declared work package.
ACCEPTED, REJECTED = "accepted", "rejected"
DECISIONS = (ACCEPTED, REJECTED)


def declared_completed_before(declarations: Iterable[DeclarationFact], period: int) -> set[int]:
    """The numbers of the work packages declared completed in the submitted or approved report
    of a period before ``period`` (a number): the later reports do not declare them again. A
    work package the officer rejected does not count: a later report declares it again."""
    return {
        declaration.work_package
        for declaration in declarations
        if declaration.completed
        and declaration.period < period
        and declaration.report_status in SENT_REPORT_STATUSES
        and declaration.decision != REJECTED
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


def completion_refusal(
    work_package: int, not_accepted: list[str], *, waived: bool, required: bool = True
) -> str | None:
    """Why the work package cannot be declared completed, or None if it can. Only where the
    rule set requires every deliverable accepted first (``required``,
    RuleSet.completion_needs_accepted_deliverables): otherwise the officer sees a warning
    (``completion_warning``) instead."""
    if not required or waived or not not_accepted:
        return None
    return _(
        "WP%(number)s cannot be declared completed: not every deliverable is accepted "
        "(%(codes)s), and no officer has waived that."
    ) % {"number": work_package, "codes": ", ".join(not_accepted)}


def completion_warning(work_package: int, not_accepted: list[str], *, waived: bool) -> str | None:
    """What the officer is warned of about a work package declared completed while some of its
    deliverables are not accepted (and no officer waived that), or None."""
    if waived or not not_accepted:
        return None
    if len(not_accepted) == 1:
        return _("WP%(number)s is declared completed while %(code)s is not accepted.") % {
            "number": work_package,
            "code": not_accepted[0],
        }
    return _(
        "WP%(number)s is declared completed while %(codes)s and %(last)s are not accepted."
    ) % {
        "number": work_package,
        "codes": ", ".join(not_accepted[:-1]),
        "last": not_accepted[-1],
    }


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


def _entry_text(value, *, max_length: int = ENTRY_TEXT_MAX_LENGTH) -> tuple[str, str]:
    """An entry's text field, stripped (absent or null: empty): (the text, "") or ("", what
    is wrong with it)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        return "", _("Not a valid string.")
    if len(value) > max_length:
        return "", _("Write at most %(max)s characters.") % {"max": max_length}
    return value.strip(), ""


# -- the officer's decision per work package ------------------------------------------------------

DECISION_FIELDS = ("decision", "reason", "accepted_percent")


@dataclass(frozen=True)
class CompletionWarning:
    """A work package declared completed while some of its deliverables are not accepted."""

    work_package: int
    deliverables: tuple[str, ...]
    message: str

    def as_dict(self) -> dict:
        return {
            "work_package": self.work_package,
            "deliverables": list(self.deliverables),
            "message": self.message,
        }


def completion_warnings(
    completed: Iterable[int], not_accepted: Mapping[int, list[str]], waived: Iterable[int]
) -> list[CompletionWarning]:
    """A warning for each work package declared ``completed`` (numbers) with deliverables
    ``not_accepted`` (codes by work package number) and no waiver."""
    waived = set(waived)
    warnings = []
    for number in sorted(completed):
        codes = not_accepted.get(number, [])
        message = completion_warning(number, codes, waived=number in waived)
        if message:
            warnings.append(CompletionWarning(number, tuple(codes), message))
    return warnings


@dataclass(frozen=True)
class DecisionInput:
    """The officer's decision on one work package the report declares completed (or done to a
    percentage, in the final period)."""

    work_package: int
    decision: str
    reason: str = ""
    accepted_percent: Decimal | None = None


def accepted_percent_refusal(
    *, pays_partial_completion: bool, final_period: int, period: int
) -> str | None:
    """Why the officer may not set an accepted completion percentage in this period's report,
    or None: only in the final period, where the project's call pays partial completion."""
    if not pays_partial_completion:
        return _(
            "The call of this project does not pay partial completion: a work package is "
            "accepted or rejected, with no percentage."
        )
    if period != final_period:
        return _(
            "An accepted percentage is set only in the final reporting period (RP%(final)s), "
            "not in RP%(number)s."
        ) % {"final": final_period, "number": period}
    return None


def _as_decimal(value) -> Decimal | None:
    """A number as JSON or a form gives it (a number or its text), or None if it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        value = str(value)
    if isinstance(value, str):
        value = value.strip()
    if not isinstance(value, (Decimal, int, str)):
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _accepted_percent(value, decision: str, refusal: str | None) -> tuple[Decimal | None, str]:
    """An accepted percentage: (the number, "") or (None, what is wrong with it)."""
    if value is None or value == "":
        return None, ""
    if refusal:
        return None, refusal
    if decision == REJECTED:
        return None, _("A rejected work package has no accepted percentage.")
    number = _as_decimal(value)
    if number is None:
        return None, _("Give the accepted percentage as a number.")
    if not Decimal(0) <= number <= Decimal(100):
        return None, _("Give an accepted percentage from 0 to 100.")
    if number != number.quantize(Decimal(1).scaleb(-COMPLETION_PERCENT_PLACES)):
        return None, _("Give the accepted percentage with at most %(places)s decimals.") % {
            "places": COMPLETION_PERCENT_PLACES
        }
    return number.quantize(Decimal(1).scaleb(-COMPLETION_PERCENT_PLACES)), ""


def _decision_number(key, decidable: set[int], declared: set[int]) -> tuple[int | None, str]:
    """The work package a decision is keyed by: (its number, "") or (None, what is wrong)."""
    number = key if isinstance(key, int) and not isinstance(key, bool) else None
    if isinstance(key, str) and key.isascii() and key.isdigit():
        number = int(key)
    if number is None:
        return None, _("Give a work package's number.")
    if number in decidable:
        return number, ""
    if number in declared:
        return None, _(
            "This report does not declare WP%(number)s completed; there is nothing to decide."
        ) % {"number": number}
    return None, _("This report does not declare WP%(number)s.") % {"number": number}


def _decision_item(
    number: int, item, path: tuple, percent_refusal: str | None
) -> tuple[DecisionInput | None, list[PathError]]:
    """One work package's decision: ``{"decision", "reason", "accepted_percent"}``."""
    if not isinstance(item, dict):
        return None, [PathError.at(path, _("Give an object with a decision."))]
    errors = [
        PathError.at((*path, name), _("Unknown field."))
        for name in sorted(set(item) - set(DECISION_FIELDS), key=str)
    ]
    decision = item.get("decision")
    if decision not in DECISIONS:
        errors.append(PathError.at((*path, "decision"), _('Give "accepted" or "rejected".')))
    reason, error = _entry_text(item.get("reason"), max_length=COMMENT_MAX_LENGTH)
    if not error and decision == REJECTED and not reason:
        error = _("Give the reason for rejecting the work package.")
    if error:
        errors.append(PathError.at((*path, "reason"), error))
    percent, error = _accepted_percent(item.get("accepted_percent"), decision, percent_refusal)
    if error:
        errors.append(PathError.at((*path, "accepted_percent"), error))
    if errors:
        return None, errors
    return DecisionInput(number, decision, reason, percent), []


def parse_decisions(
    data,
    *,
    decidable: Iterable[int],
    declared: Iterable[int],
    percent_refusal: str | None,
) -> tuple[dict[int, DecisionInput], list[PathError]]:
    """The officer's decisions as the API takes them, ``{"<work package number>": {"decision":
    "accepted" | "rejected", "reason", "accepted_percent"}}``, completed with an acceptance for
    every ``decidable`` work package not given. A decision is taken only on a ``decidable`` work
    package (declared completed, or done to a percentage), a rejection needs a reason, and an
    accepted percentage needs no ``percent_refusal``. Returns them by number, and every error."""
    decidable, declared = set(decidable), set(declared)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, [PathError.at(("decisions",), _("Give the decisions by work package number."))]
    decisions: dict[int, DecisionInput] = {}
    errors: list[PathError] = []
    for key, item in data.items():
        path = ("decisions", str(key))
        number, error = _decision_number(key, decidable, declared)
        if error:
            errors.append(PathError.at(path, error))
            continue
        if number in decisions:
            errors.append(
                PathError.at(path, _("WP%(number)s already has a decision.") % {"number": number})
            )
            continue
        decision, item_errors = _decision_item(number, item, path, percent_refusal)
        errors.extend(item_errors)
        if decision is not None:
            decisions[number] = decision
    for number in decidable - set(decisions):
        decisions[number] = DecisionInput(number, ACCEPTED)
    return dict(sorted(decisions.items())), errors
