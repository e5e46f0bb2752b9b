"""The duration and the reporting periods (``change_duration``): extend or shorten the action,
move the reporting periods.

``details``: ``{"duration_months": 54, "reporting_periods": [{"number": 1, "start_month": 1,
"end_month": 18, "payment": "interim"}, ...]}``. The periods are optional: left out, the last
period stretches (or shrinks) to the new end and the others stay. Given, they are the whole new
list, as in a grant file: numbered 1, 2, 3... in the order of their months, covering months
1..duration without gaps or overlaps, each paid as ``interim`` or ``additional_prefinancing``,
the last as ``balance``. The stored details always hold the whole list, and
``above_call_maximum`` (recomputed on every check, ignored on input).

The checks, each at its field under ``details``: a period whose report was submitted (even if
sent back since) or whose instalment is approved keeps its months and payment; a period with a
report (even a draft) cannot go away; the project cannot end before today, nor before the
months of its deliverables, milestones and work packages, unless a change of the work plan
earlier in the same request moves them (its handler's ``planned_months``). A duration above
the call's maximum, which a grant file cannot hold, is allowed here only: the stored details
say ``above_call_maximum`` and the officer approves it knowingly; on approval the project
keeps the duration it was signed with (``Project.signed_duration_months``, set the first time
the duration changes).

Deadlines, reminders and the payment schedule are computed from the duration and the periods,
never stored, so once approved they follow: a moved period's report is due 60 days after its
new end, and its instalment with it.
"""

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from backend.audit.services import event_record
from backend.common.dates import brussels_today, month_end, month_start
from backend.grants.eligibility.changes import ChangeEnd
from backend.grants.models import Project
from backend.payments.models import Instalment
from backend.payments.rules import BALANCE, GrantFacts, PeriodFacts
from backend.workplan.models import (
    Deliverable,
    Milestone,
    PeriodPayment,
    ReportingPeriod,
    WorkPackage,
)

from ..models import ChangeKind
from . import handler_for, register

DETAILS_KEYS = ("duration_months", "reporting_periods")
# Written into the stored details by the check; recomputed each time, so ignored on input.
DERIVED_KEYS = ("above_call_maximum",)
PERIOD_KEYS = ("number", "start_month", "end_month", "payment")
# A bound of sense, not of a call: no Erasmus+ action runs for more than ten years.
MAX_DURATION_MONTHS = 120


@dataclass(frozen=True)
class PeriodRecord:
    """A reporting period as recorded, with what holds it in place."""

    number: int
    start_month: int
    end_month: int
    payment: str
    report_status: str | None = None  # None: nobody wrote to its report
    received: bool = False  # its report was submitted at least once
    instalment_approved: bool = False

    def as_details(self) -> dict:
        return {
            "number": self.number,
            "start_month": self.start_month,
            "end_month": self.end_month,
            "payment": self.payment,
        }


@dataclass(frozen=True)
class DurationRecord:
    """What a change of the duration is checked against: the project's dates, its periods and
    the months of its work plan (deliverables and milestones by code: due month; work packages
    by number: end month)."""

    project_id: int
    start_date: datetime.date
    duration_months: int
    signed_duration_months: int | None
    call_max_months: int
    terminated_on: datetime.date | None
    today: datetime.date
    periods: tuple[PeriodRecord, ...]
    deliverables: Mapping[str, int] = field(default_factory=dict)
    milestones: Mapping[str, int] = field(default_factory=dict)
    work_packages: Mapping[int, int] = field(default_factory=dict)


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def details_periods(details: Mapping) -> list[PeriodRecord]:
    """The periods of checked details."""
    return [
        PeriodRecord(p["number"], p["start_month"], p["end_month"], p["payment"])
        for p in details["reporting_periods"]
    ]


class DurationHandler:
    kind = ChangeKind.CHANGE_DURATION
    required = frozenset({"details"})
    optional = frozenset()

    def load(self, project_id: int) -> DurationRecord:
        project = (
            Project.objects.filter(pk=project_id)
            .values(
                "start_date",
                "duration_months",
                "signed_duration_months",
                "terminated_on",
                "call__max_duration_months",
            )
            .get()
        )
        approved = Instalment.objects.filter(reporting_period=OuterRef("pk"))
        periods = tuple(
            PeriodRecord(
                number=row["number"],
                start_month=row["start_month"],
                end_month=row["end_month"],
                payment=row["payment"],
                report_status=row["report__status"],
                received=row["report__first_submitted_at"] is not None,
                instalment_approved=row["approved"],
            )
            for row in ReportingPeriod.objects.filter(project_id=project_id)
            .annotate(approved=Exists(approved))
            .order_by("number")
            .values(
                "number",
                "start_month",
                "end_month",
                "payment",
                "report__status",
                "report__first_submitted_at",
                "approved",
            )
        )
        return DurationRecord(
            project_id=project_id,
            start_date=project["start_date"],
            duration_months=project["duration_months"],
            signed_duration_months=project["signed_duration_months"],
            call_max_months=project["call__max_duration_months"],
            terminated_on=project["terminated_on"],
            today=brussels_today(),
            periods=periods,
            deliverables=dict(
                Deliverable.objects.filter(project_id=project_id).values_list("code", "due_month")
            ),
            milestones=dict(
                Milestone.objects.filter(project_id=project_id).values_list("code", "due_month")
            ),
            work_packages=dict(
                WorkPackage.objects.filter(project_id=project_id).values_list("number", "end_month")
            ),
        )

    # -- the checks ---------------------------------------------------------------------------

    def check(self, change, record: DurationRecord, checker, earlier: list[Mapping]):
        details = change.details
        if not isinstance(details, Mapping):
            checker.error("details", _("Expected a mapping of keys to values."))
            return None
        for key in details:
            if key not in DETAILS_KEYS and key not in DERIVED_KEYS:
                checker.error(("details", key), _("Unknown key."))
        if record.terminated_on is not None:
            checker.error(
                "kind",
                _("The grant was terminated on %(date)s; its duration no longer changes.")
                % {"date": record.terminated_on.isoformat()},
            )
            return None
        duration = self._duration(details.get("duration_months"), checker)
        if duration is None:
            return None
        if "reporting_periods" in details:
            periods = _PeriodsCheck(checker, duration).run(details["reporting_periods"])
            given = True
        else:
            periods = self._stretched(record, duration, checker)
            given = False
        if periods is None:
            return None
        if duration == record.duration_months and [p.as_details() for p in periods] == [
            p.as_details() for p in record.periods
        ]:
            checker.error(
                "details", _("The duration and the reporting periods are already as recorded.")
            )
            return None
        self._check_held(record, periods, checker, given=given)
        self._check_end(record, duration, checker, earlier, change.effective_on)
        return {
            "duration_months": duration,
            "reporting_periods": [p.as_details() for p in periods],
            "above_call_maximum": duration > record.call_max_months,
        }

    def _duration(self, value, checker) -> int | None:
        path = ("details", "duration_months")
        if value is None:
            checker.error(path, _("This key is required."))
        elif not _is_int(value):
            checker.error(path, _("Expected a whole number."))
        elif value < 1:
            checker.error(path, _("Expected a number of at least %(minimum)s.") % {"minimum": 1})
        elif value > MAX_DURATION_MONTHS:
            checker.error(
                path,
                _("Expected a number of at most %(maximum)s.") % {"maximum": MAX_DURATION_MONTHS},
            )
        else:
            return value
        return None

    def _stretched(self, record: DurationRecord, duration: int, checker) -> list | None:
        """The recorded periods with the last one ending at the new end."""
        *others, last = record.periods
        if duration < last.start_month:
            checker.error(
                ("details", "duration_months"),
                _(
                    "RP%(number)s starts in month %(start)s: for a duration of %(duration)s "
                    "months, give the reporting periods too."
                )
                % {"number": last.number, "start": last.start_month, "duration": duration},
            )
            return None
        return [*others, replace(last, end_month=duration)]

    def _check_held(
        self, record: DurationRecord, periods: list[PeriodRecord], checker, *, given: bool
    ) -> None:
        """A period whose report was submitted or whose instalment is approved keeps its months
        and payment; a period with a report does not go away."""
        new = {p.number: (index, p) for index, p in enumerate(periods)}
        for old in record.periods:
            index, period = new.get(old.number, (None, None))
            if period is None:
                if old.report_status is not None or old.instalment_approved:
                    checker.error(
                        ("details", "reporting_periods"),
                        _("RP%(number)s has a report already; it cannot be removed.")
                        % {"number": old.number},
                    )
                continue
            held = _held_because(old)
            if held and period.as_details() != old.as_details():
                path = (
                    ("details", "reporting_periods", index)
                    if given
                    else ("details", "duration_months")
                )
                checker.error(
                    path,
                    held
                    % {
                        "number": old.number,
                        "start": old.start_month,
                        "end": old.end_month,
                    },
                )

    def _check_end(
        self,
        record: DurationRecord,
        duration: int,
        checker,
        earlier: list[Mapping],
        effective_on: datetime.date,
    ) -> None:
        """Not before today nor before the change takes effect, nor before the months the work
        plan (as the request's earlier changes leave it) plans."""
        path = ("details", "duration_months")
        end = month_end(record.start_date, duration)
        if record.today <= end < effective_on:
            checker.error(
                path,
                _(
                    "With %(duration)s months the project would end on %(end)s, before the "
                    "change takes effect on %(date)s."
                )
                % {"duration": duration, "end": end.isoformat(), "date": effective_on.isoformat()},
            )
            return
        if end < record.today:
            checker.error(
                path,
                _(
                    "With %(duration)s months the project would end on %(end)s, which has "
                    "passed; the duration cannot end before today."
                )
                % {"duration": duration, "end": end.isoformat()},
            )
            return
        later = [
            label
            for label, month in sorted(_planned_months(record, earlier).items())
            if month is not None and month > duration
        ]
        if later:
            checker.error(
                path,
                _(
                    "The work plan has items after month %(duration)s: %(items)s. Move them "
                    "with a change of the work plan earlier in the same request, or keep a "
                    "longer duration."
                )
                % {"duration": duration, "items": ", ".join(later)},
            )

    # -- what it does -------------------------------------------------------------------------

    def notes(self, values: Mapping, record: DurationRecord) -> list[str]:
        """What the officer should know before deciding: a duration above the call's."""
        details = values["details"] or {}
        if not details.get("above_call_maximum"):
            return []
        return [
            _(
                "The duration of %(months)s months goes above the call's maximum of %(max)s "
                "months: only an approved amendment allows that."
            )
            % {"months": details["duration_months"], "max": record.call_max_months}
        ]

    def consortium_changes(self, values: Mapping, record: DurationRecord) -> list:
        return [ChangeEnd(month_end(record.start_date, values["details"]["duration_months"]))]

    def facts_after(self, facts: GrantFacts, values: Mapping, record: DurationRecord) -> GrantFacts:
        """The new periods, each keeping the report facts of the period of its number."""
        return replace(
            facts,
            periods=periods_after(
                facts.periods, details_periods(values["details"]), facts.start_date
            ),
        )

    def apply(self, *, project, change, user, record: DurationRecord) -> set[int]:
        details = change.details
        periods = details_periods(details)
        before = {
            "duration_months": project.duration_months,
            "reporting_periods": [p.as_details() for p in record.periods],
        }
        if project.signed_duration_months is None:
            project.signed_duration_months = project.duration_months
        project.duration_months = details["duration_months"]
        project.full_clean()
        project.save(update_fields=["duration_months", "signed_duration_months"])
        rows = {row.number: row for row in ReportingPeriod.objects.filter(project=project)}
        wanted = {p.number for p in periods}
        ReportingPeriod.objects.filter(project=project).exclude(number__in=wanted).delete()
        for period in periods:
            row = rows.get(period.number)
            if row is None:
                row = ReportingPeriod(project=project, number=period.number)
            elif (row.start_month, row.end_month, row.payment) == (
                period.start_month,
                period.end_month,
                period.payment,
            ):
                continue
            row.start_month = period.start_month
            row.end_month = period.end_month
            row.payment = period.payment
            row.full_clean(exclude=["project"])
            row.save()
        event_record(
            actor=user,
            verb="project.duration_changed",
            obj=project,
            project_id=project.pk,
            before=before,
            after={
                "duration_months": project.duration_months,
                "signed_duration_months": project.signed_duration_months,
                "reporting_periods": [p.as_details() for p in periods],
                "above_call_maximum": details.get("above_call_maximum", False),
            },
        )
        return {project.pk}


def _held_because(period: PeriodRecord) -> str | None:
    """Why a recorded period cannot change (a message with %(number)s), or None."""
    if period.received:
        return _(
            "The report of RP%(number)s was submitted: the period (M%(start)s-M%(end)s) keeps "
            "its months and payment."
        )
    if period.instalment_approved:
        return _(
            "The instalment of RP%(number)s is approved: the period (M%(start)s-M%(end)s) "
            "keeps its months and payment."
        )
    return None


def _planned_months(record: DurationRecord, earlier: list[Mapping]) -> dict[str, int | None]:
    """The last month of each item of the work plan (a deliverable's or milestone's due
    month, a work package's end month), by its label, as the request's earlier changes of the
    work plan leave them (None: removed)."""
    months: dict[str, int | None] = {}
    months.update({f"WP{number}": month for number, month in record.work_packages.items()})
    months.update(dict(record.deliverables.items()))
    months.update(dict(record.milestones.items()))
    workplan = handler_for(ChangeKind.CHANGE_WORK_PLAN)
    planned = getattr(workplan, "planned_months", None)
    for values in earlier:
        if str(values.get("kind")) == ChangeKind.CHANGE_WORK_PLAN and planned is not None:
            months.update(planned(values))
    return months


def periods_after(
    old: tuple[PeriodFacts, ...], periods: list[PeriodRecord], start: datetime.date
) -> tuple[PeriodFacts, ...]:
    """Payment facts of the new periods (months of a project starting on ``start``): each
    keeps the report facts of the old period of its number (a new number starts with none)."""
    by_number = {p.number: p for p in old}
    found = []
    for period in periods:
        start_on = month_start(start, period.start_month)
        end_on = month_end(start, period.end_month)
        known = by_number.get(period.number)
        if known is None:
            found.append(PeriodFacts(period.number, start_on, end_on, period.payment))
        else:
            found.append(replace(known, start_on=start_on, end_on=end_on, payment=period.payment))
    return tuple(found)


class _PeriodsCheck:
    """The given reporting periods, checked like a grant file's (the same messages), at
    ``details.reporting_periods[i]``."""

    def __init__(self, checker, duration: int):
        self.checker = checker
        self.duration = duration
        self.section = ("details", "reporting_periods")
        self.ok = True

    def error(self, path: tuple, message: str) -> None:
        self.ok = False
        self.checker.error(path, message)

    def run(self, value) -> list[PeriodRecord] | None:
        if not isinstance(value, list):
            self.error(self.section, _("Expected a list."))
            return None
        if not value:
            self.error(self.section, _("A grant has at least one reporting period."))
            return None
        periods = [self._period((*self.section, index), entry) for index, entry in enumerate(value)]
        if not self.ok:
            return None
        self._sequence(periods)
        return sorted(periods, key=lambda p: p.number) if self.ok else None

    def _period(self, path: tuple, entry) -> PeriodRecord | None:
        if not isinstance(entry, Mapping):
            self.error(path, _("Expected a mapping of keys to values."))
            return None
        for key in entry:
            if key not in PERIOD_KEYS:
                self.error((*path, key), _("Unknown key."))
        values = {}
        for key in PERIOD_KEYS:
            value = entry.get(key)
            if value is None:
                self.error((*path, key), _("This key is required."))
            elif key == "payment":
                if value not in PeriodPayment.values:
                    self.error(
                        (*path, key),
                        _("%(value)s is not one of: %(choices)s.")
                        % {"value": f'"{value}"', "choices": ", ".join(PeriodPayment.values)},
                    )
            elif not _is_int(value):
                self.error((*path, key), _("Expected a whole number."))
            elif key != "number" and not 1 <= value <= self.duration:
                self.error(
                    (*path, key),
                    _("Month %(month)s is outside the project's months 1..%(duration)s.")
                    % {"month": value, "duration": self.duration},
                )
            values[key] = value
        if not self.ok:
            return None
        if values["start_month"] > values["end_month"]:
            self.error((*path, "end_month"), _("The end month comes before the start month."))
            return None
        return PeriodRecord(**values)

    def _sequence(self, periods: list[PeriodRecord]) -> None:
        """In the order of their months: consecutive from month 1 to the duration, numbered
        1, 2, 3..., only the last paid as the balance."""
        order = sorted(range(len(periods)), key=lambda index: periods[index].start_month)
        expected = 1
        for place, index in enumerate(order):
            period, path = periods[index], (*self.section, index)
            if period.start_month > expected:
                self.error(
                    (*path, "start_month"),
                    _("Months %(first)s..%(last)s belong to no reporting period.")
                    % {"first": expected, "last": period.start_month - 1},
                )
            elif period.start_month < expected:
                self.error(
                    (*path, "start_month"),
                    _("This period overlaps the previous one (months up to %(last)s are taken).")
                    % {"last": expected - 1},
                )
            if period.number != place + 1:
                self.error(
                    (*path, "number"),
                    _(
                        "Reporting periods are numbered 1, 2, 3... in the order of their "
                        "months; expected %(expected)s here."
                    )
                    % {"expected": place + 1},
                )
            last = place == len(order) - 1
            if last and period.payment != BALANCE:
                self.error(
                    (*path, "payment"),
                    _("The last reporting period is always paid as the balance."),
                )
            if not last and period.payment == BALANCE:
                self.error(
                    (*path, "payment"), _("Only the last reporting period is paid as the balance.")
                )
            expected = max(expected, period.end_month + 1)
        if expected <= self.duration:
            self.error(
                self.section,
                _("Months %(first)s..%(last)s belong to no reporting period.")
                % {"first": expected, "last": self.duration},
            )


register(DurationHandler())
