"""Checking a parsed grant file against the specification (format ``grantwatch/grant@1``).

Two passes, one list of errors: the JSON Schema (``grant-file.schema.json``) checks keys and
types; the checks below cover what a schema cannot say (dates, amounts, references between
entries, sums, periods, and what the system already holds). Each check looks only at values of
the right type, so a value broken in the first pass is reported once, not twice. Pure: what the
database knows comes in as an ``ImportContext``.
"""

import datetime
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator

from backend.common.dates import month_end
from backend.grants.rules import (
    ELIGIBLE_STATUSES,
    StatusPeriod,
    country_status_on,
    differences_from_record,
)

from .errors import GrantFileError, GrantFileInvalid, format_path

FORMAT = "grantwatch/grant@1"
SCHEMA_PATH = Path(__file__).with_name("grant-file.schema.json")
FUNDED_ROLES = ("coordinator", "beneficiary", "affiliated_entity")
LEAD_ROLES = ("coordinator", "beneficiary")
MAX_AMOUNT = Decimal("9999999999.99")  # what the database's amount columns hold
# The kinds of payment whose deadline a grant file may set (payment_schedule.payment_days).
PAYMENT_DAYS_KINDS = ("prefinancing", "additional_prefinancing", "interim", "balance")
# The longest duration an amendment may give a grant (signed_duration_months): a bound on what
# the record and its deadlines are computed for, far beyond any real extension.
MAX_AMENDED_MONTHS = 600
# The values a participant's dated history gives: its organisation's own data, and its role.
ORGANISATION_HISTORY_KEYS = ("country", "types", "legal_name")
HISTORY_KEYS = (*ORGANISATION_HISTORY_KEYS, "role")
# An accession not (yet) given: without the key, the participant acceded.
NOT_ACCEDED = ("pending", "not_acceded")

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_AMOUNT = re.compile(r"^\d+(\.\d+)?$")
_SIGNED_NUMBER = re.compile(r"^[+-]\d+(\.\d+)?$")


# What the database knows, handed to the pure checks.
@dataclass(frozen=True)
class CallInfo:
    identifier: str
    max_grant_eur: Decimal
    max_duration_months: int
    country_reference_date: datetime.date


@dataclass(frozen=True)
class HistoryData:
    """Values a participant held up to ``until`` (inclusive), before a dated change: those of
    its organisation (an update of the organisation) and its role (a change of role). A value
    not given (None) did not change the day after."""

    until: datetime.date
    country: str | None = None
    types: tuple[str, ...] | None = None
    legal_name: str | None = None
    role: str | None = None
    source: str = ""

    @property
    def of_organisation(self) -> bool:
        return any(getattr(self, key) is not None for key in ORGANISATION_HISTORY_KEYS)

    def organisation_values(self) -> tuple:
        """The organisation's values, to compare with its record (the source aside)."""
        return (self.until, self.country, self.types, self.legal_name)


@dataclass(frozen=True)
class OrganisationInfo:
    pic: str
    legal_name: str
    country: str
    types: frozenset[str]
    # Its recorded updates, as history entries of its own data, oldest first.
    history: tuple[HistoryData, ...] = ()


@dataclass(frozen=True)
class ImportContext:
    calls: dict[str, CallInfo]
    countries: dict[str, list[StatusPeriod]]  # every known country code, with its statuses
    taken_grant_numbers: frozenset[str]
    organisations: dict[str, OrganisationInfo]  # by PIC


# What a valid file says, with typed values.
@dataclass
class ParticipantData:
    short_name: str
    legal_name: str
    pic: str
    country: str
    types: list[str]
    role: str
    joined_on: datetime.date
    left_on: datetime.date | None
    affiliated_to: str | None
    accession: str = "acceded"  # or one of NOT_ACCEDED
    accession_due_on: datetime.date | None = None
    acceded_on: datetime.date | None = None
    history: list[HistoryData] = field(default_factory=list)


@dataclass
class SuspensionData:
    started_on: datetime.date
    ended_on: datetime.date | None  # the day it resumed
    reason: str


@dataclass
class ThirdPartyData:
    pic: str
    legal_name: str
    country: str
    types: list[str]
    kind: str
    started_on: datetime.date
    ended_on: datetime.date | None
    description: str


@dataclass
class ReportingPeriodData:
    number: int
    start_month: int
    end_month: int
    payment: str


@dataclass
class WorkPackageData:
    number: int
    title: str
    clusters: list[str]
    lead: str
    start_month: int
    end_month: int
    lump_sum_eur: Decimal
    shares_eur: dict[str, Decimal]


@dataclass
class DeliverableData:
    code: str
    title: str
    work_package: int
    lead: str
    type: str
    dissemination: str
    due_month: int


@dataclass
class MilestoneData:
    code: str
    title: str
    work_packages: list[int]
    lead: str
    due_month: int
    verification: str


@dataclass
class GrantData:
    call: str
    grant_agreement_number: str
    acronym: str
    title: str
    signed_on: datetime.date
    start_date: datetime.date
    duration_months: int
    max_grant_eur: Decimal
    prefinancing_percent: Decimal
    payments_cap_percent: Decimal
    # The agency's payment deadlines the file sets, by kind of payment (PAYMENT_DAYS_KINDS);
    # a kind it leaves out keeps the call's value.
    payment_days: dict[str, int] = field(default_factory=dict)
    reporting_periods: list[ReportingPeriodData] = field(default_factory=list)
    participants: list[ParticipantData] = field(default_factory=list)
    work_packages: list[WorkPackageData] = field(default_factory=list)
    deliverables: list[DeliverableData] = field(default_factory=list)
    milestones: list[MilestoneData] = field(default_factory=list)
    # What amendments and the grant's life added to the signed agreement (optional keys).
    signed_duration_months: int | None = None
    terminated_on: datetime.date | None = None
    suspensions: list[SuspensionData] = field(default_factory=list)
    third_parties: list[ThirdPartyData] = field(default_factory=list)


def grant_number_taken(number: str) -> GrantFileError:
    return GrantFileError(
        "grant_agreement_number",
        _("A grant with agreement number %(number)s already exists; it cannot be imported again.")
        % {"number": number},
    )


@cache
def grant_file_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


def validate_grant_file(data: dict[str, Any], context: ImportContext) -> GrantData:
    """Return the typed content of a valid file; raise GrantFileInvalid with every error."""
    checker = _Checker(data, context)
    checker.check_structure()
    grant = checker.check_content()
    if checker.errors:
        raise GrantFileInvalid(checker.errors)
    return grant


def _items(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The (index, entry) pairs of a list of mappings, skipping what is not a mapping."""
    if not isinstance(value, list):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, dict)]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _payment_days(value: Any) -> dict[str, int]:
    """The payment deadlines a file sets, by kind. The schema checks the keys and the numbers
    (a whole number of days, 1 to 3650); a file with an error there is refused whole."""
    if not isinstance(value, dict):
        return {}
    return {kind: value[kind] for kind in PAYMENT_DAYS_KINDS if _is_int(value.get(kind))}


def _eur(amount: Decimal) -> str:
    return f"{amount:.2f}"


class _Checker:
    def __init__(self, data: dict[str, Any], context: ImportContext):
        self.data = data
        self.context = context
        self.errors: list[GrantFileError] = []

    def error(self, path: tuple, message: str) -> None:
        self.errors.append(GrantFileError(format_path(path), message))

    # -- first pass: keys and types -------------------------------------------------------

    def check_structure(self) -> None:
        validator = Draft202012Validator(grant_file_schema())
        for problem in validator.iter_errors(self.data):
            self._report_schema_error(problem)

    def _report_schema_error(self, problem) -> None:
        path = tuple(problem.absolute_path)
        instance = problem.instance
        if problem.validator == "required":
            for key in problem.validator_value:
                if isinstance(instance, dict) and key not in instance:
                    self.error((*path, key), _("This key is required."))
        elif problem.validator == "additionalProperties":
            known = problem.schema.get("properties", {})
            for key in instance:
                if key not in known:
                    self.error((*path, key), _("Unknown key."))
        else:
            self.error(path, self._schema_message(problem, path))

    @classmethod
    def _schema_message(cls, problem, path: tuple) -> str:
        """The message for a value the schema rejects, in the words of a grant file's writer."""
        kind = problem.validator
        if kind in ("type", "anyOf"):
            return cls._expected_type(problem.schema, path)
        if kind == "enum":
            return _("%(value)s is not one of: %(choices)s.") % {
                "value": json.dumps(problem.instance),
                "choices": ", ".join(problem.validator_value),
            }
        if kind == "pattern":
            if path and path[-1] == "pic":
                return _("A PIC is exactly 9 digits, written as a string.")
            return _("Expected digits only, written as a string.")
        # A limit; or a schema keyword this mapping does not know, worded as the library words it.
        return cls._limit_message(kind, problem.validator_value) or problem.message

    @staticmethod
    def _limit_message(kind: str, limit: Any) -> str | None:
        """The message for a value below or above a limit the schema sets."""
        if kind == "minLength":
            return _("This value must not be empty.")
        if kind == "maxLength":
            return _("At most %(limit)s characters are allowed.") % {"limit": limit}
        if kind == "minItems":
            return _("List at least one value.")
        if kind == "minimum":
            return _("Expected a number of at least %(minimum)s.") % {"minimum": limit}
        if kind == "maximum":
            return _("Expected a number of at most %(maximum)s.") % {"maximum": limit}
        return None

    @staticmethod
    def _expected_type(schema: dict[str, Any], path: tuple) -> str:
        key = next((part for part in reversed(path) if isinstance(part, str)), "")
        if key in (
            "signed_on",
            "start_date",
            "terminated_on",
            "from",
            "accession_due_on",
            "acceded_on",
        ) or (key == "until" and "history" in path):
            return _("Expected a date written as YYYY-MM-DD, e.g. 2022-05-20.")
        if key in ("joined_on", "left_on", "until"):
            return _("Expected a date written as YYYY-MM-DD, or null.")
        if key == "affiliated_to":
            return _("Expected the short name of a participant, or null.")
        if (
            key.endswith("_eur")
            or key.endswith("_percent")
            or (path and path[-2:-1] == ("shares_eur",))
        ):
            return _('Expected a decimal amount written as a string, e.g. "400000.00".')
        expected = schema.get("type")
        messages = {
            "string": _("Expected text (a string)."),
            "integer": _("Expected a whole number."),
            "object": _("Expected a mapping of keys to values."),
            "array": _("Expected a list."),
        }
        return messages.get(expected, _("This value has the wrong type."))

    # -- second pass: values, references, sums ---------------------------------------------

    def date(self, path: tuple, value: Any) -> datetime.date | None:
        if not isinstance(value, str):
            return None
        if not _DATE.match(value):
            self.error(
                path,
                _("%(value)s is not a date written as YYYY-MM-DD.") % {"value": json.dumps(value)},
            )
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.error(path, _("%(value)s is not a valid calendar date.") % {"value": value})
            return None

    def amount(self, path: tuple, value: Any) -> Decimal | None:
        if not isinstance(value, str):
            return None
        text = value.strip()
        if _AMOUNT.match(text):
            amount = Decimal(text)
            if amount.as_tuple().exponent < -2:
                self.error(path, _("At most 2 decimal places are allowed."))
            elif amount > MAX_AMOUNT:
                self.error(path, _("This amount is too large."))
            else:
                return amount.quantize(Decimal("0.01"))
        elif _SIGNED_NUMBER.match(text) and text.startswith("-"):
            self.error(path, _("This value must not be negative."))
        else:
            self.error(
                path,
                _('%(value)s is not a decimal amount; write it like "1250.00".')
                % {"value": json.dumps(value)},
            )
        return None

    def percent(self, path: tuple, value: Any) -> Decimal | None:
        percent = self.amount(path, value)
        if percent is not None and percent > 100:
            self.error(path, _("A percentage must be between 0 and 100."))
            return None
        return percent

    def month(self, path: tuple, value: Any, duration: int | None) -> int | None:
        if not _is_int(value):
            return None
        if value < 1 or (duration is not None and value > duration):
            if duration is not None:
                self.error(
                    path,
                    _("Month %(month)s is outside the project's months 1..%(duration)s.")
                    % {"month": value, "duration": duration},
                )
            else:
                self.error(path, _("Months are counted from 1."))
            return None
        return value

    def check_content(self) -> GrantData | None:
        data = self.data
        self._check_format(data.get("format"))
        call = self._check_call(data.get("call"))
        number = data.get("grant_agreement_number")
        if isinstance(number, str) and number in self.context.taken_grant_numbers:
            self.errors.append(grant_number_taken(number))
        signed_on = self.date(("signed_on",), data.get("signed_on"))
        start_date = self.date(("start_date",), data.get("start_date"))
        signed_duration = self._check_signed_duration(data.get("signed_duration_months"), call)
        duration = self._check_duration(
            data.get("duration_months"), call, amended="signed_duration_months" in data
        )
        max_grant = self._check_max_grant(data.get("max_grant_eur"), call)
        end = month_end(start_date, duration) if start_date and duration else None
        terminated_on = self._check_terminated_on(data.get("terminated_on"), signed_on, end)
        suspensions = self.check_suspensions(data.get("suspensions"), start_date, end)

        schedule = data.get("payment_schedule")
        schedule = schedule if isinstance(schedule, dict) else {}
        prefinancing = self.percent(
            ("payment_schedule", "prefinancing_percent"), schedule.get("prefinancing_percent")
        )
        cap = self.percent(
            ("payment_schedule", "payments_cap_percent"), schedule.get("payments_cap_percent")
        )
        periods = self.check_reporting_periods(schedule.get("reporting_periods"), duration)
        payment_days = _payment_days(schedule.get("payment_days"))

        participants = self.check_participants(data.get("participants"), start_date, call)
        by_name = {p.short_name: p for p in participants}
        work_packages = self.check_work_packages(
            data.get("work_packages"), duration, by_name, max_grant
        )
        wp_numbers = {wp.number for wp in work_packages} | self._all_wp_numbers()
        deliverables = self.check_deliverables(
            data.get("deliverables"), duration, by_name, wp_numbers
        )
        milestones = self.check_milestones(data.get("milestones"), duration, by_name, wp_numbers)
        third_parties = self.check_third_parties(data.get("third_parties"))

        if self.errors:
            return None
        return GrantData(
            call=data["call"],
            grant_agreement_number=number,
            acronym=data["acronym"],
            title=data["title"],
            signed_on=signed_on,
            start_date=start_date,
            duration_months=duration,
            max_grant_eur=max_grant,
            prefinancing_percent=prefinancing,
            payments_cap_percent=cap,
            payment_days=payment_days,
            reporting_periods=periods,
            participants=participants,
            work_packages=work_packages,
            deliverables=deliverables,
            milestones=milestones,
            signed_duration_months=signed_duration,
            terminated_on=terminated_on,
            suspensions=suspensions,
            third_parties=third_parties,
        )

    def _check_format(self, file_format: Any) -> None:
        if isinstance(file_format, str) and file_format != FORMAT:
            self.error(
                ("format",),
                _("Unsupported format %(value)s; this system reads %(expected)s.")
                % {"value": json.dumps(file_format), "expected": FORMAT},
            )

    def _check_call(self, call_id: Any) -> CallInfo | None:
        """The call the grant was awarded under, if the system knows it."""
        if not isinstance(call_id, str):
            return None
        call = self.context.calls.get(call_id)
        if call is None:
            self.error(
                ("call",),
                _("Unknown call %(value)s. Known calls: %(known)s.")
                % {"value": json.dumps(call_id), "known": ", ".join(sorted(self.context.calls))},
            )
        return call

    def _check_duration(self, duration: Any, call: CallInfo | None, *, amended: bool) -> int | None:
        """The duration in months, within the call's maximum; or, where an approved amendment
        changed it (the file gives the signed duration), within MAX_AMENDED_MONTHS."""
        if not _is_int(duration):
            return None
        if amended:
            if not 1 <= duration <= MAX_AMENDED_MONTHS:
                self.error(
                    ("duration_months",),
                    _("An amended duration must be between 1 and %(maximum)s months.")
                    % {"maximum": MAX_AMENDED_MONTHS},
                )
                return None
            return duration
        maximum = call.max_duration_months if call else None
        if duration < 1 or (maximum is not None and duration > maximum):
            self.error(
                ("duration_months",),
                _("The duration must be between 1 and %(maximum)s months (the call's maximum).")
                % {"maximum": maximum}
                if maximum is not None
                else _("The duration must be at least 1 month."),
            )
            return None
        return duration

    def _check_signed_duration(self, signed: Any, call: CallInfo | None) -> int | None:
        """The duration the agreement was signed with, before an amendment changed it: within
        the call's maximum, as any signed duration."""
        if not _is_int(signed):
            return None
        maximum = call.max_duration_months if call else None
        if signed < 1 or (maximum is not None and signed > maximum):
            self.error(
                ("signed_duration_months",),
                _(
                    "The signed duration must be between 1 and %(maximum)s months (the call's "
                    "maximum); only an amendment extends a grant beyond it."
                )
                % {"maximum": maximum}
                if maximum is not None
                else _("The duration must be at least 1 month."),
            )
            return None
        return signed

    def _check_terminated_on(
        self, value: Any, signed_on: datetime.date | None, end: datetime.date | None
    ) -> datetime.date | None:
        """The last day of a grant terminated early: after its signature, before its end."""
        if value is None:
            return None
        terminated_on = self.date(("terminated_on",), value)
        if terminated_on is None:
            return None
        if signed_on is not None and terminated_on < signed_on:
            self.error(
                ("terminated_on",),
                _("A grant cannot end before it was signed (signed_on %(signed_on)s).")
                % {"signed_on": signed_on},
            )
        elif end is not None and terminated_on > end:
            self.error(
                ("terminated_on",),
                _(
                    "%(date)s is after the project's end (%(end)s); terminated_on is the last "
                    "day of a grant terminated early."
                )
                % {"date": terminated_on, "end": end},
            )
        return terminated_on

    def _check_max_grant(self, value: Any, call: CallInfo | None) -> Decimal | None:
        """The maximum grant amount; one above the call's maximum is reported (and kept)."""
        max_grant = self.amount(("max_grant_eur",), value)
        if max_grant is not None and call is not None and max_grant > call.max_grant_eur:
            self.error(
                ("max_grant_eur",),
                _("EUR %(amount)s is above the call's maximum grant of EUR %(maximum)s.")
                % {"amount": _eur(max_grant), "maximum": _eur(call.max_grant_eur)},
            )
        return max_grant

    def _all_wp_numbers(self) -> set[int]:
        """Work package numbers as written, so a reference to a broken WP is not reported too."""
        return {
            entry["number"]
            for _index, entry in _items(self.data.get("work_packages"))
            if _is_int(entry.get("number"))
        }

    def check_reporting_periods(
        self, value: Any, duration: int | None
    ) -> list[ReportingPeriodData]:
        section = ("payment_schedule", "reporting_periods")
        entries = _items(value)
        self.unique_in(section, "number", entries)
        periods = []
        for index, entry in entries:
            period = self._reporting_period((*section, index), entry, duration)
            if period is not None:
                periods.append(period)
        if isinstance(value, list) and len(periods) == len(value) and duration is not None:
            self._check_period_sequence(section, periods, duration)
        return periods

    def _reporting_period(
        self, path: tuple, entry: dict[str, Any], duration: int | None
    ) -> ReportingPeriodData | None:
        start = self.month((*path, "start_month"), entry.get("start_month"), duration)
        end = self.month((*path, "end_month"), entry.get("end_month"), duration)
        if start is not None and end is not None and start > end:
            self.error((*path, "end_month"), _("The end month comes before the start month."))
            return None
        if None in (start, end) or not _is_int(entry.get("number")):
            return None
        if not isinstance(entry.get("payment"), str):
            return None
        return ReportingPeriodData(entry["number"], start, end, entry["payment"])

    def _check_period_sequence(
        self, section: tuple, periods: list[ReportingPeriodData], duration: int
    ) -> None:
        """Every valid period, in the order of their months: they cover the project's months
        without gaps or overlaps, are numbered in that order, and only the last is the
        balance. Each error names the period where it is written."""
        ordered = sorted(periods, key=lambda period: period.start_month)
        position = {id(period): index for index, period in enumerate(periods)}
        expected_start = 1
        for order, period in enumerate(ordered):
            path = (*section, position[id(period)])
            self._check_period_start((*path, "start_month"), period.start_month, expected_start)
            self._check_period_place(path, period, order, is_last=order == len(ordered) - 1)
            expected_start = max(expected_start, period.end_month + 1)
        if ordered and expected_start <= duration:
            self.error(
                section,
                _("Months %(first)s..%(last)s belong to no reporting period.")
                % {"first": expected_start, "last": duration},
            )
        if not ordered:
            self.error(section, _("A grant has at least one reporting period."))

    def _check_period_start(self, path: tuple, start: int, expected_start: int) -> None:
        """A period starts right after the months the periods before it took."""
        if start > expected_start:
            self.error(
                path,
                _("Months %(first)s..%(last)s belong to no reporting period.")
                % {"first": expected_start, "last": start - 1},
            )
        elif start < expected_start:
            self.error(
                path,
                _("This period overlaps the previous one (months up to %(last)s are taken).")
                % {"last": expected_start - 1},
            )

    def _check_period_place(
        self, path: tuple, period: ReportingPeriodData, order: int, *, is_last: bool
    ) -> None:
        """A period's number and payment fit its place in the order of the periods."""
        if period.number != order + 1:
            self.error(
                (*path, "number"),
                _(
                    "Reporting periods are numbered 1, 2, 3... in the order of their months; "
                    "expected %(expected)s here."
                )
                % {"expected": order + 1},
            )
        if is_last and period.payment != "balance":
            self.error(
                (*path, "payment"),
                _("The last reporting period is always paid as the balance."),
            )
        if not is_last and period.payment == "balance":
            self.error(
                (*path, "payment"),
                _("Only the last reporting period is paid as the balance."),
            )

    def unique_in(self, section: tuple, key: str, entries) -> None:
        first: dict[Any, int] = {}
        for index, entry in entries:
            value = entry.get(key)
            if isinstance(value, bool) or not isinstance(value, str | int):
                continue
            if value in first:
                self.error(
                    (*section, index, key),
                    _("%(value)s is already used by %(other)s.")
                    % {"value": json.dumps(value), "other": format_path((*section, first[value]))},
                )
            else:
                first[value] = index

    def check_participants(
        self, value: Any, start_date: datetime.date | None, call: CallInfo | None
    ) -> list[ParticipantData]:
        section = ("participants",)
        entries = _items(value)
        self.unique_in(section, "short_name", entries)
        self._check_pics_once_at_a_time(section, entries, start_date)
        # Short names of the wrong type (reported by the first pass) may not even be hashable.
        roles = {
            entry["short_name"]: entry.get("role")
            for _index, entry in entries
            if isinstance(entry.get("short_name"), str)
        }
        participants = []
        coordinators = []
        for index, entry in entries:
            if entry.get("role") == "coordinator":
                coordinators.append(index)
            participant = self._participant((*section, index), entry, start_date, roles)
            if participant is not None:
                participants.append(participant)
        if isinstance(value, list) and not coordinators:
            self.error(
                section, _("Exactly one participant must have the coordinator role; none does.")
            )
        for index in coordinators[1:]:
            self.error(
                (*section, index, "role"),
                _("Exactly one participant may be the coordinator; %(first)s already is.")
                % {"first": format_path((*section, coordinators[0]))},
            )
        if coordinators and call is not None:
            first = coordinators[0]
            self._check_coordinator_country((*section, first, "country"), value[first], call)
        return participants

    def _check_pics_once_at_a_time(
        self, section: tuple, entries: list, start_date: datetime.date | None
    ) -> None:
        """An organisation takes part once at a time: its PIC appears again only for a
        participation after the earlier one ended (it left and was added again by amendment),
        described the same way, with the same history of its own data."""
        earlier: dict[str, list[tuple[int, dict]]] = {}
        for index, entry in entries:
            pic = entry.get("pic")
            if not isinstance(pic, str):
                continue
            for other_index, other in earlier.get(pic, []):
                if _overlap(entry, other, start_date):
                    self.error(
                        (*section, index, "pic"),
                        _("%(value)s is already used by %(other)s.")
                        % {
                            "value": json.dumps(pic),
                            "other": format_path((*section, other_index)),
                        },
                    )
                    break
            else:
                # An organisation the system knows is compared with its record instead.
                if pic in earlier and pic not in self.context.organisations:
                    first_index, first = earlier[pic][0]
                    where = (*section, first_index)
                    self._check_same_description(
                        (*section, index), entry, where, _description(pic, first)
                    )
                    if _organisation_history(entry) != _organisation_history(first):
                        self.error(
                            (*section, index, "history"),
                            _(
                                "%(where)s gives the organisation with PIC %(pic)s another "
                                "history of its own data; an organisation has one history."
                            )
                            % {"where": format_path(where), "pic": pic},
                        )
            earlier.setdefault(pic, []).append((index, entry))

    def _participant(
        self,
        path: tuple,
        entry: dict[str, Any],
        start_date: datetime.date | None,
        roles: dict[Any, Any],
    ) -> ParticipantData | None:
        """One participant's checks; its data if they pass and its values have their types."""
        country_ok = self._check_country((*path, "country"), entry.get("country"))
        joined_on, left_on, dates_ok = self._participation_dates(path, entry, start_date)
        affiliation_ok = self._check_affiliation(path, entry, roles)
        pic = entry.get("pic")
        known = self.context.organisations.get(pic) if isinstance(pic, str) else None
        if known is not None:
            self.check_known_organisation(path, entry, known)
        accession, due_on, acceded_on, accession_ok = self._accession(path, entry)
        history, history_ok = self.check_history(path, entry, known)

        if not (
            country_ok and dates_ok and affiliation_ok and accession_ok and history_ok
        ) or not all(
            isinstance(entry.get(key), str)
            for key in ("short_name", "legal_name", "pic", "country", "role")
        ):
            return None
        types = entry.get("types")
        if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
            return None
        role = entry["role"]
        return ParticipantData(
            short_name=entry["short_name"],
            legal_name=entry["legal_name"],
            pic=pic,
            country=entry["country"],
            types=sorted(set(types)),
            role=role,
            joined_on=joined_on,
            left_on=left_on,
            affiliated_to=entry.get("affiliated_to") if role == "affiliated_entity" else None,
            accession=accession,
            accession_due_on=due_on,
            acceded_on=acceded_on,
            history=history,
        )

    def _check_country(self, path: tuple, country: Any) -> bool:
        if isinstance(country, str) and country not in self.context.countries:
            self.error(
                path,
                _("Unknown country code %(value)s; expected an ISO 3166-1 alpha-2 code such as PT.")
                % {"value": json.dumps(country)},
            )
            return False
        return True

    def _participation_dates(
        self, path: tuple, entry: dict[str, Any], start_date: datetime.date | None
    ) -> tuple[datetime.date | None, datetime.date | None, bool]:
        """When the participant joined (by default the project's start) and left, and whether
        the two are in order."""
        joined_on = start_date
        if entry.get("joined_on") is not None:
            joined_on = self.date((*path, "joined_on"), entry["joined_on"])
        left_on = None
        if entry.get("left_on") is not None:
            left_on = self.date((*path, "left_on"), entry["left_on"])
        if joined_on and left_on and left_on < joined_on:
            self.error(
                (*path, "left_on"),
                _("left_on (%(left)s) is before joined_on (%(joined)s).")
                % {"left": left_on, "joined": joined_on},
            )
            return joined_on, left_on, False
        return joined_on, left_on, True

    def _check_affiliation(self, path: tuple, entry: dict[str, Any], roles: dict) -> bool:
        """An affiliated entity, and only one, names the beneficiary or coordinator it is
        affiliated to."""
        role, affiliated_to = entry.get("role"), entry.get("affiliated_to")
        path = (*path, "affiliated_to")
        if role != "affiliated_entity":
            if affiliated_to is not None and isinstance(role, str):
                self.error(
                    path, _("Only affiliated entities are affiliated to another participant.")
                )
                return False
            return True
        if affiliated_to is None:
            self.error(
                path,
                _("An affiliated entity names the beneficiary or coordinator it is affiliated to."),
            )
            return False
        if not isinstance(affiliated_to, str):
            return True
        if affiliated_to not in roles:
            self.error(
                path,
                _("No participant has the short name %(value)s.")
                % {"value": json.dumps(affiliated_to)},
            )
            return False
        if roles[affiliated_to] not in LEAD_ROLES:
            self.error(
                path,
                _("%(value)s is not a beneficiary or the coordinator.")
                % {"value": json.dumps(affiliated_to)},
            )
            return False
        return True

    def _check_coordinator_country(self, path: tuple, coordinator: dict, call: CallInfo) -> None:
        """The coordinator is established in an eligible country on the call's reference date."""
        country = coordinator.get("country")
        if not isinstance(country, str) or country not in self.context.countries:
            return
        status = country_status_on(self.context.countries[country], call.country_reference_date)
        if status not in ELIGIBLE_STATUSES:
            self.error(
                path,
                _(
                    "The coordinator must be established in an EU Member State or a third "
                    "country associated to the programme; %(country)s is not one "
                    "(status on %(date)s)."
                )
                % {"country": country, "date": call.country_reference_date},
            )

    def check_known_organisation(self, path: tuple, entry: dict, known: OrganisationInfo) -> None:
        """An organisation already in the system must be described as the system records it."""

        def text(key):  # values of the wrong type were reported by the first pass
            return entry.get(key) if isinstance(entry.get(key), str) else None

        types = entry.get("types")
        well_typed = isinstance(types, list) and all(isinstance(t, str) for t in types)
        differences = differences_from_record(
            known,
            legal_name=text("legal_name"),
            country=text("country"),
            types=types if well_typed else None,
        )
        for key, recorded in differences:
            self.error(
                (*path, key),
                _(
                    "The organisation with PIC %(pic)s is recorded with %(key)s %(recorded)s. "
                    "Correct the file, or update the organisation first."
                )
                % {"pic": known.pic, "key": key, "recorded": json.dumps(recorded)},
            )

    def check_lead(self, path: tuple, lead: Any, participants: dict[str, ParticipantData]) -> bool:
        if not isinstance(lead, str):
            return False
        if lead not in participants:
            if lead not in self._written_short_names():
                self.error(
                    path,
                    _("No participant has the short name %(value)s.") % {"value": json.dumps(lead)},
                )
            return False
        if participants[lead].role not in LEAD_ROLES:
            self.error(
                path,
                _("A lead must be the coordinator or a beneficiary; %(value)s is not.")
                % {"value": json.dumps(lead)},
            )
            return False
        return True

    def _written_short_names(self) -> set[str]:
        return {
            entry["short_name"]
            for _index, entry in _items(self.data.get("participants"))
            if isinstance(entry.get("short_name"), str)
        }

    def check_work_packages(
        self,
        value: Any,
        duration: int | None,
        participants: dict[str, ParticipantData],
        max_grant: Decimal | None,
    ) -> list[WorkPackageData]:
        section = ("work_packages",)
        entries = _items(value)
        self.unique_in(section, "number", entries)
        work_packages = []
        lump_sums: list[Decimal | None] = []
        for index, entry in entries:
            path = (*section, index)
            ok = self.check_lead((*path, "lead"), entry.get("lead"), participants)
            start = self.month((*path, "start_month"), entry.get("start_month"), duration)
            end = self.month((*path, "end_month"), entry.get("end_month"), duration)
            if start is not None and end is not None and start > end:
                self.error((*path, "end_month"), _("The end month comes before the start month."))
                ok = False
            lump_sum = self.amount((*path, "lump_sum_eur"), entry.get("lump_sum_eur"))
            lump_sums.append(lump_sum)
            shares = self.check_shares((*path, "shares_eur"), entry.get("shares_eur"), participants)
            if lump_sum is not None and shares is not None:
                total = sum(shares.values(), Decimal("0.00"))
                if total != lump_sum:
                    self.error(
                        (*path, "shares_eur"),
                        _("The shares add up to EUR %(total)s; lump_sum_eur is EUR %(lump_sum)s.")
                        % {"total": _eur(total), "lump_sum": _eur(lump_sum)},
                    )
                    ok = False
            if not ok or None in (start, end, lump_sum, shares) or not _is_int(entry.get("number")):
                continue
            clusters = entry.get("clusters")
            if not isinstance(clusters, list) or not all(isinstance(c, str) for c in clusters):
                continue
            if not isinstance(entry.get("title"), str):
                continue
            work_packages.append(
                WorkPackageData(
                    number=entry["number"],
                    title=entry["title"],
                    clusters=list(dict.fromkeys(clusters)),
                    lead=entry["lead"],
                    start_month=start,
                    end_month=end,
                    lump_sum_eur=lump_sum,
                    shares_eur=shares,
                )
            )
        if (
            isinstance(value, list)
            and max_grant is not None
            and len(lump_sums) == len(value)
            and None not in lump_sums
        ):
            total = sum(lump_sums, Decimal("0.00"))
            if total != max_grant:
                self.error(
                    section,
                    _(
                        "The work packages' lump sums add up to EUR %(total)s; max_grant_eur is "
                        "EUR %(max_grant)s."
                    )
                    % {"total": _eur(total), "max_grant": _eur(max_grant)},
                )
        return work_packages

    def check_shares(
        self, path: tuple, value: Any, participants: dict[str, ParticipantData]
    ) -> dict[str, Decimal] | None:
        if not isinstance(value, dict):
            return None
        shares: dict[str, Decimal] = {}
        complete = True
        written = self._written_short_names()
        for name, raw in value.items():
            amount = self.amount((*path, name), raw)
            if name not in participants:
                if name not in written:
                    self.error(
                        (*path, name),
                        _("No participant has the short name %(value)s.")
                        % {"value": json.dumps(name)},
                    )
                complete = False
            elif participants[name].role not in FUNDED_ROLES:
                self.error(
                    (*path, name),
                    _(
                        "%(value)s is an associated partner; associated partners receive no EU "
                        "funding and hold no share."
                    )
                    % {"value": json.dumps(name)},
                )
                complete = False
            if amount is None:
                complete = False
            else:
                shares[name] = amount
        return shares if complete else None

    def check_deliverables(
        self,
        value: Any,
        duration: int | None,
        participants: dict[str, ParticipantData],
        wp_numbers: set[int],
    ) -> list[DeliverableData]:
        section = ("deliverables",)
        entries = _items(value)
        self.unique_in(section, "code", entries)
        deliverables = []
        for index, entry in entries:
            path = (*section, index)
            ok = self.check_lead((*path, "lead"), entry.get("lead"), participants)
            ok = (
                self.check_wp_reference(
                    (*path, "work_package"), entry.get("work_package"), wp_numbers
                )
                and ok
            )
            due = self.month((*path, "due_month"), entry.get("due_month"), duration)
            if not ok or due is None:
                continue
            if not all(
                isinstance(entry.get(k), str) for k in ("code", "title", "type", "dissemination")
            ):
                continue
            deliverables.append(
                DeliverableData(
                    code=entry["code"],
                    title=entry["title"],
                    work_package=entry["work_package"],
                    lead=entry["lead"],
                    type=entry["type"],
                    dissemination=entry["dissemination"],
                    due_month=due,
                )
            )
        return deliverables

    def check_wp_reference(self, path: tuple, number: Any, wp_numbers: set[int]) -> bool:
        if not _is_int(number):
            return False
        if number not in wp_numbers:
            self.error(path, _("There is no work package %(number)s.") % {"number": number})
            return False
        return True

    def check_milestones(
        self,
        value: Any,
        duration: int | None,
        participants: dict[str, ParticipantData],
        wp_numbers: set[int],
    ) -> list[MilestoneData]:
        section = ("milestones",)
        entries = _items(value)
        self.unique_in(section, "code", entries)
        milestones = []
        for index, entry in entries:
            path = (*section, index)
            ok = self.check_lead((*path, "lead"), entry.get("lead"), participants)
            numbers = entry.get("work_packages")
            if isinstance(numbers, list):
                for position, number in enumerate(numbers):
                    ok = (
                        self.check_wp_reference(
                            (*path, "work_packages", position), number, wp_numbers
                        )
                        and ok
                    )
            due = self.month((*path, "due_month"), entry.get("due_month"), duration)
            if not ok or due is None or not isinstance(numbers, list):
                continue
            if not all(isinstance(entry.get(k), str) for k in ("code", "title", "verification")):
                continue
            milestones.append(
                MilestoneData(
                    code=entry["code"],
                    title=entry["title"],
                    work_packages=list(dict.fromkeys(numbers)),
                    lead=entry["lead"],
                    due_month=due,
                    verification=entry["verification"],
                )
            )
        return milestones

    # -- the grant's life: suspensions, third parties, accession, dated history ----------

    def check_suspensions(
        self, value: Any, start_date: datetime.date | None, end: datetime.date | None
    ) -> list[SuspensionData]:
        """The project's suspensions: each within the project's dates, resumed after it
        started, in date order without overlaps, and only the last one still open."""
        section = ("suspensions",)
        suspensions: list[SuspensionData] = []
        previous: tuple[int, SuspensionData] | None = None
        for index, entry in _items(value):
            path = (*section, index)
            started_on = self.date((*path, "from"), entry.get("from"))
            ended_on = None
            if entry.get("until") is not None:
                ended_on = self.date((*path, "until"), entry["until"])
                if ended_on is None:
                    continue
            if started_on is None:
                continue
            if ended_on is not None and ended_on <= started_on:
                self.error(
                    (*path, "until"),
                    _(
                        "until is the day the project resumed: after the day its suspension "
                        "started (%(from)s)."
                    )
                    % {"from": started_on},
                )
                continue
            if start_date is not None and end is not None and not start_date <= started_on <= end:
                self.error(
                    (*path, "from"),
                    _("A suspension starts within the project's dates (%(start)s to %(end)s).")
                    % {"start": start_date, "end": end},
                )
            if previous is not None:
                previous_index, earlier = previous
                if earlier.ended_on is None:
                    self.error(
                        (*section, previous_index, "until"),
                        _("Only the last suspension may still be open (without until)."),
                    )
                elif started_on < earlier.ended_on:
                    self.error(
                        (*path, "from"),
                        _(
                            "This suspension starts before the previous one ended (the project "
                            "resumed on %(until)s); suspensions are in date order without "
                            "overlaps."
                        )
                        % {"until": earlier.ended_on},
                    )
            reason = entry.get("reason")
            suspension = SuspensionData(
                started_on, ended_on, reason if isinstance(reason, str) else ""
            )
            suspensions.append(suspension)
            previous = (index, suspension)
        return suspensions

    def check_third_parties(self, value: Any) -> list[ThirdPartyData]:
        """Subcontractors and recipients of financial support: known countries, ordered dates,
        and an organisation described as the system records it and as the file's other
        entries describe it."""
        section = ("third_parties",)
        described = self._participant_descriptions()
        third_parties = []
        for index, entry in _items(value):
            path = (*section, index)
            ok = self._check_country((*path, "country"), entry.get("country"))
            started_on = self.date((*path, "from"), entry.get("from"))
            ended_on = None
            if entry.get("until") is not None:
                ended_on = self.date((*path, "until"), entry["until"])
                ok = ok and ended_on is not None
            if started_on and ended_on and ended_on < started_on:
                self.error(
                    (*path, "until"),
                    _("until (%(until)s) is before from (%(from)s).")
                    % {"until": ended_on, "from": started_on},
                )
                ok = False
            pic = entry.get("pic")
            known = self.context.organisations.get(pic) if isinstance(pic, str) else None
            if known is not None:
                self.check_known_organisation(path, entry, known)
            elif isinstance(pic, str) and pic in described:
                self._check_same_description(path, entry, *described[pic])
            elif isinstance(pic, str):
                described[pic] = (path, _description(pic, entry))
            types = entry.get("types")
            if (
                not ok
                or started_on is None
                or not all(
                    isinstance(entry.get(key), str) for key in ("pic", "legal_name", "country")
                )
                or entry.get("kind") not in ("subcontractor", "financial_support")
                or not isinstance(types, list)
                or not all(isinstance(t, str) for t in types)
            ):
                continue
            description = entry.get("description")
            third_parties.append(
                ThirdPartyData(
                    pic=pic,
                    legal_name=entry["legal_name"],
                    country=entry["country"],
                    types=sorted(set(types)),
                    kind=entry["kind"],
                    started_on=started_on,
                    ended_on=ended_on,
                    description=description if isinstance(description, str) else "",
                )
            )
        return third_parties

    def _participant_descriptions(self) -> dict[str, tuple[tuple, OrganisationInfo | None]]:
        """The organisations the participants describe, by PIC: where, and how (None where a
        value has the wrong type)."""
        return {
            entry["pic"]: (("participants", index), _description(entry["pic"], entry))
            for index, entry in _items(self.data.get("participants"))
            if isinstance(entry.get("pic"), str)
        }

    def _check_same_description(
        self, path: tuple, entry: dict, where: tuple, first: OrganisationInfo | None
    ) -> None:
        """An organisation the file names twice is described the same both times."""
        if first is None:
            return
        mine = _description(first.pic, entry)
        if mine is None:
            return
        for key, written in differences_from_record(
            first, legal_name=mine.legal_name, country=mine.country, types=mine.types
        ):
            self.error(
                (*path, key),
                _(
                    "%(where)s describes the organisation with PIC %(pic)s with %(key)s "
                    "%(written)s; an organisation has one description."
                )
                % {
                    "where": format_path(where),
                    "pic": first.pic,
                    "key": key,
                    "written": json.dumps(written),
                },
            )

    def _accession(
        self, path: tuple, entry: dict[str, Any]
    ) -> tuple[str, datetime.date | None, datetime.date | None, bool]:
        """A participant's accession (``acceded`` without the key), the day it is due by and
        the day it acceded, and whether they fit together."""
        accession = entry.get("accession", "acceded")
        due_on = acceded_on = None
        ok = True
        if entry.get("accession_due_on") is not None:
            due_on = self.date((*path, "accession_due_on"), entry["accession_due_on"])
            ok = due_on is not None
        if entry.get("acceded_on") is not None:
            acceded_on = self.date((*path, "acceded_on"), entry["acceded_on"])
            ok = ok and acceded_on is not None
        if accession == "pending" and "accession_due_on" not in entry:
            self.error(
                (*path, "accession_due_on"),
                _("A pending accession has the day it is due by (accession_due_on)."),
            )
            ok = False
        if accession in NOT_ACCEDED and "acceded_on" in entry:
            self.error(
                (*path, "acceded_on"),
                _(
                    "Only a participant that acceded has an accession date; this one's "
                    "accession is %(accession)s."
                )
                % {"accession": accession},
            )
            ok = False
        return accession, due_on, acceded_on, ok and accession in ("acceded", *NOT_ACCEDED)

    def check_history(
        self, path: tuple, entry: dict[str, Any], known: OrganisationInfo | None
    ) -> tuple[list[HistoryData], bool]:
        """A participant's dated history: entries in date order, each giving known earlier
        values that changed the day after its ``until`` (at most one change of the
        organisation and one of the role a day), the participant's own keys being the newest
        values. An organisation the system knows keeps its recorded history."""
        value = entry.get("history")
        if value is None:
            return [], True
        if not isinstance(value, list):
            return [], False
        history: list[HistoryData] = []
        ok = True
        last: dict[str, datetime.date] = {}  # the last until of each kind of change
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                ok = False
                continue
            found = self._history_entry((*path, "history", index), item, entry, last)
            if found is None:
                ok = False
            else:
                history.append(found)
        if not ok:
            return history, False
        ok = self._check_changes(path, entry, history)
        if known is not None and any(item.of_organisation for item in history):
            ok = self._check_known_history(path, history, known) and ok
        return history, ok

    def _history_entry(
        self, path: tuple, item: dict, entry: dict, last: dict[str, datetime.date]
    ) -> HistoryData | None:
        until = self.date((*path, "until"), item.get("until"))
        given = [key for key in HISTORY_KEYS if item.get(key) is not None]
        ok = until is not None
        if not given:
            self.error(
                path,
                _(
                    "A history entry gives at least one earlier value: country, types, "
                    "legal_name or role."
                ),
            )
            ok = False
        if "country" in given:
            ok = self._check_country((*path, "country"), item["country"]) and ok
        if "role" in given and entry.get("role") == "affiliated_entity":
            self.error(
                (*path, "role"),
                _("An affiliated entity's role is not dated: it has no earlier role."),
            )
            ok = False
        types = item.get("types")
        source = item.get("source", "")
        if (
            not ok
            or not all(isinstance(item.get(key), str) for key in given if key != "types")
            or (types is not None and not (isinstance(types, list) and types))
            or (types is not None and not all(isinstance(t, str) for t in types))
            or not isinstance(source, str)
        ):
            return None
        latest = max(last.values(), default=None)
        if latest is not None and until < latest:
            self.error(
                (*path, "until"),
                _(
                    "The history is in date order: this entry's until (%(until)s) comes before "
                    "the previous entry's (%(previous)s)."
                )
                % {"until": until, "previous": latest},
            )
            return None
        kinds = ["organisation"] if set(given) & set(ORGANISATION_HISTORY_KEYS) else []
        kinds += ["role"] if "role" in given else []
        for kind in kinds:
            if last.get(kind) == until:
                self.error(
                    (*path, "until"),
                    _(
                        "The organisation's data already changes after %(until)s in an earlier "
                        "entry."
                    )
                    % {"until": until}
                    if kind == "organisation"
                    else _("The role already changes after %(until)s in an earlier entry.")
                    % {"until": until},
                )
                return None
            last[kind] = until
        return HistoryData(
            until=until,
            country=item.get("country"),
            types=None if types is None else tuple(sorted(set(types))),
            legal_name=item.get("legal_name"),
            role=item.get("role"),
            source=source,
        )

    def _check_changes(self, path: tuple, entry: dict, history: list[HistoryData]) -> bool:
        """Each earlier value differs from the one that followed it: the next entry's for that
        key, or the participant's own."""
        ok = True
        for key in HISTORY_KEYS:
            current = entry.get(key)
            if key == "types":
                if not isinstance(current, list) or not all(isinstance(t, str) for t in current):
                    continue
                current = tuple(sorted(set(current)))
            elif not isinstance(current, str):
                continue
            positions = [i for i, item in enumerate(history) if getattr(item, key) is not None]
            if not positions:
                continue
            following = [getattr(history[i], key) for i in positions[1:]] + [current]
            for position, after in zip(positions, following, strict=True):
                if getattr(history[position], key) == after:
                    self.error(
                        (*path, "history", position, key),
                        _(
                            "The same %(key)s holds after %(until)s: a history entry gives a "
                            "value that changed the day after."
                        )
                        % {"key": key, "until": history[position].until},
                    )
                    ok = False
        return ok

    def _check_known_history(
        self, path: tuple, history: list[HistoryData], known: OrganisationInfo
    ) -> bool:
        """An organisation the system knows keeps its recorded history of its own data: a file
        that gives that history gives the recorded one."""
        written = [item.organisation_values() for item in history if item.of_organisation]
        recorded = [item.organisation_values() for item in known.history]
        if written == recorded:
            return True
        if recorded:
            message = _(
                "The organisation with PIC %(pic)s is recorded with another history of its "
                "own data: %(recorded)s. Correct the file, or leave the organisation's entries "
                "out (the record's are kept)."
            ) % {"pic": known.pic, "recorded": "; ".join(_shown(item) for item in known.history)}
        else:
            message = _(
                "The organisation with PIC %(pic)s has no recorded history of its own data. "
                "Leave the organisation's entries out, or update the organisation first."
            ) % {"pic": known.pic}
        self.error((*path, "history"), message)
        return False


def _description(pic: str, entry: dict[str, Any]) -> OrganisationInfo | None:
    """How an entry describes an organisation, or None where a value has the wrong type."""
    types = entry.get("types")
    if (
        not isinstance(entry.get("legal_name"), str)
        or not isinstance(entry.get("country"), str)
        or not isinstance(types, list)
        or not all(isinstance(t, str) for t in types)
    ):
        return None
    return OrganisationInfo(
        pic=pic,
        legal_name=entry["legal_name"],
        country=entry["country"],
        types=frozenset(types),
    )


def _shown(item: HistoryData) -> str:
    """A recorded history entry of an organisation as the file writes it."""
    values = [f"until {item.until}"]
    if item.country is not None:
        values.append(f"country {item.country}")
    if item.types is not None:
        values.append(f"types [{', '.join(item.types)}]")
    if item.legal_name is not None:
        values.append(f"legal_name {json.dumps(item.legal_name, ensure_ascii=False)}")
    return ", ".join(values)


def _day(value: Any) -> datetime.date | None:
    """An ISO date, or None (a bad date is reported where it is checked)."""
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


def _overlap(entry: dict, other: dict, start_date: datetime.date | None) -> bool:
    """Whether two participations' periods share a day (taken as sharing one when a date is
    missing or broken)."""
    periods = []
    for participation in (entry, other):
        joined_on = (
            _day(participation["joined_on"])
            if participation.get("joined_on") is not None
            else start_date
        )
        left_on = participation.get("left_on")
        if joined_on is None or (left_on is not None and _day(left_on) is None):
            return True
        periods.append((joined_on, _day(left_on) if left_on is not None else None))
    (first_start, first_end), (second_start, second_end) = periods
    return not (
        (first_end is not None and first_end < second_start)
        or (second_end is not None and second_end < first_start)
    )


def _organisation_history(entry: dict) -> list:
    """The entries of a participant's history that give its organisation's values, as
    written (for comparing two descriptions of one organisation)."""
    history = entry.get("history")
    if not isinstance(history, list):
        return []
    return [
        {
            key: sorted(set(value)) if key == "types" and _texts(value) else value
            for key in ("until", *ORGANISATION_HISTORY_KEYS)
            if (value := item.get(key)) is not None
        }
        for item in history
        if isinstance(item, dict)
        and any(item.get(key) is not None for key in ORGANISATION_HISTORY_KEYS)
    ]


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
