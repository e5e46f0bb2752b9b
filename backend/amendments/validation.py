"""Checking the changes of an amendment request, for the API, the web pages and the services.

Changes come parsed, as ``ChangeInput`` values (the API's serializers and the pages' forms read
what is sent: kinds, dates, PICs, types from the vocabulary). Two checks follow, one list of
errors, each naming its field path (``changes[1].effective_on``, lists count from 0):
``shape_errors`` says which fields a change's kind needs and does not use (the readers run it
on each change); ``check_changes`` then checks the changes against the record (the participant
named takes part on the effective date, the date falls in the project's life, short names are
free, countries are known, a known PIC is described as recorded). Pure: what the record holds
comes in as an ``AmendmentContext``.

A new coordinator outside the EU Member States and associated countries, or a consortium left in
breach, is no input error: the what-if verdict says so and the officer decides.
"""

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from backend.grants.eligibility.changes import apply_changes
from backend.grants.eligibility.facts import BENEFICIARY, FULL_PARTNER_ROLES, Participant
from backend.grants.rules import differences_from_record

from .errors import AmendmentInvalid, FieldError
from .kinds import handler_for
from .models import PROJECT_LEVEL, TARGETED, ChangeKind, Initiator
from .whatif import AmendmentContext, planned_changes

PIC_PATTERN = r"^[0-9]{9}$"

# The fields each kind of change uses; any other field given is an error.
KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # kind: (required, optional)
    ChangeKind.ADD_BENEFICIARY: ({"pic", "short_name"}, {"legal_name", "country", "types"}),
    ChangeKind.ADD_AFFILIATED_ENTITY: (
        {"pic", "short_name", "affiliated_to"},
        {"legal_name", "country", "types"},
    ),
    ChangeKind.ADD_ASSOCIATED_PARTNER: ({"pic", "short_name"}, {"legal_name", "country", "types"}),
    ChangeKind.TERMINATE_PARTICIPATION: ({"participant"}, {"initiated_by"}),
    ChangeKind.CHANGE_COORDINATOR: ({"participant"}, set()),
    ChangeKind.CHANGE_ORGANISATION_COUNTRY: ({"participant", "country"}, set()),
    ChangeKind.CHANGE_ORGANISATION_TYPES: ({"participant", "types"}, set()),
}
OPTIONAL_FIELDS = (
    "participant",
    "pic",
    "legal_name",
    "short_name",
    "country",
    "types",
    "affiliated_to",
    "initiated_by",
    "details",
)


def kind_fields(kind: str) -> tuple[set[str], set[str]]:
    """The fields a kind of change needs and may take: (required, optional)."""
    if kind in KIND_FIELDS:
        return KIND_FIELDS[kind]
    handler = handler_for(kind)
    if handler is None:
        return set(), set()
    return set(handler.required), set(handler.optional)


@dataclass(frozen=True)
class ChangeInput:
    """One change of a consortium as a request gives it, read but not yet checked. A field
    left blank is None; types are sorted, each once."""

    kind: str
    effective_on: datetime.date
    participant: str | None = None
    pic: str | None = None
    legal_name: str | None = None
    short_name: str | None = None
    country: str | None = None
    types: tuple[str, ...] | None = None
    affiliated_to: str | None = None
    initiated_by: str | None = None
    details: dict | None = None  # changes of the grant as a whole: what they change

    def __post_init__(self):
        for name in OPTIONAL_FIELDS:
            if not getattr(self, name):
                object.__setattr__(self, name, None)
        if self.types is not None:
            object.__setattr__(self, "types", tuple(sorted(set(self.types))))

    def given(self) -> set[str]:
        return {name for name in OPTIONAL_FIELDS if getattr(self, name) is not None}


def shape_errors(change: ChangeInput) -> dict[str, str]:
    """A PIC not of 9 digits, the fields the change's kind needs but lacks, and those it gives
    but the kind does not use: {field: message}."""
    required, optional = kind_fields(change.kind)
    given = change.given()
    errors = {}
    if change.pic is not None and not re.match(PIC_PATTERN, change.pic):
        errors["pic"] = _("A PIC is exactly 9 digits.")
    for name in sorted(required - given, key=OPTIONAL_FIELDS.index):
        errors[name] = _("This field is required for a change of this kind.")
    for name in sorted(given - required - optional, key=OPTIONAL_FIELDS.index):
        errors[name] = _("A change of this kind does not use this field.")
    return errors


def mentioned_pics(changes: Iterable[ChangeInput]) -> set[str]:
    """The PICs the changes mention (to load what the record knows of them)."""
    return {change.pic for change in changes if change.pic}


def mentioned_kinds(changes: Iterable[ChangeInput]) -> set[str]:
    """The kinds of change of the grant as a whole among the changes (to load what their
    handlers need from the record)."""
    return {str(change.kind) for change in changes if change.kind in PROJECT_LEVEL}


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def check_changes(changes: Iterable[ChangeInput], context: AmendmentContext) -> list[dict]:
    """Changes checked against the record, in order: each change is checked against the
    consortium as the earlier changes of the request leave it. Returns them as dicts of
    AmendmentChange values; raises AmendmentInvalid with every error."""
    return _Checker(context).run(changes)


class _Checker:
    def __init__(self, context: AmendmentContext):
        self.context = context
        self.consortium = context.consortium
        # The consortium as the changes checked so far leave it. An undated change (coordinator,
        # organisation) counts here from its date's start on, which is what later checks need.
        self.working = context.consortium
        self.errors: list[FieldError] = []
        self.ended: dict[str, int] = {}  # participant key: index of the change ending it
        self.coordinator_change: int | None = None
        self.organisation_changes: dict[tuple[str, str], int] = {}  # (pic, kind): index
        # Short names taken: by the record (None) or by an earlier addition (its index).
        self.short_names: dict[str, int | None] = {
            p.key: None for p in context.consortium.participants
        }

    def run(self, changes: Iterable[ChangeInput]) -> list[dict]:
        validated = []
        self.validated = validated
        for index, change in enumerate(changes):
            values = self.check(index, change)
            if values is not None:
                validated.append(values)
                planned = planned_changes(
                    [values], self.working, self.context.organisations, self.context.records
                )
                self.working = apply_changes(self.working, [p.change for p in planned])
        if self.errors:
            raise AmendmentInvalid(self.errors)
        return validated

    def check(self, index: int, change: ChangeInput) -> dict | None:
        """One change's errors recorded; its values if it has none."""
        self.index = index
        self.found: list[FieldError] = []
        self.effective_on = change.effective_on
        self.check_in_life()
        self.in_life = not self.found
        self.participants = {p.key: p for p in self.working.participants}
        values = {
            "kind": change.kind,
            "effective_on": self.effective_on,
            "participation_id": None,
            "pic": "",
            "legal_name": "",
            "short_name": "",
            "country_id": None,
            "types": None,
            "affiliated_to_id": None,
            "new_country_id": None,
            "new_types": None,
            "initiated_by": change.initiated_by or Initiator.CONSORTIUM,
            "details": None,
        }
        if change.initiated_by is not None and change.initiated_by not in Initiator.values:
            self.error(
                "initiated_by",
                _("Give %(values)s.") % {"values": ", ".join(Initiator.values)},
            )
        if change.kind in PROJECT_LEVEL:
            handler = handler_for(change.kind)
            values["details"] = handler.check(
                change, self.context.records.get(str(change.kind)), self, list(self.validated)
            )
        elif change.kind in TARGETED:
            self.check_targeted(change, values)
        else:
            self.check_addition(change, values)
        self.errors.extend(self.found)
        return None if self.found else values

    def error(self, field: str | tuple, message: str) -> None:
        """An error on a field of the change, or on a path under it (a tuple)."""
        path = field if isinstance(field, tuple) else (field,)
        self.found.append(FieldError.at(("changes", self.index, *path), message))

    def check_in_life(self) -> None:
        start, end = self.consortium.start_date, self.consortium.end_date
        if self.effective_on < start:
            self.error(
                "effective_on",
                _("The project starts on %(start)s; a change cannot take effect before.")
                % {"start": start.isoformat()},
            )
        elif self.effective_on > end:
            self.error(
                "effective_on",
                _("The project ends on %(end)s; a change cannot take effect after.")
                % {"end": end.isoformat()},
            )

    def taking_part(self, field: str, key: str) -> Participant | None:
        """The recorded participant of the project named ``key``, if it takes part on the
        change's date; else an error on ``field``."""
        participant = self.participants.get(key)
        if participant is None:
            self.error(
                field,
                _("No participant of this project has the short name %(value)s.")
                % {"value": _quoted(key)},
            )
            return None
        if participant.id is None:
            self.error(
                field,
                _(
                    "%(value)s only joins with this request; a later request can change it once "
                    "this one is approved."
                )
                % {"value": _quoted(key)},
            )
            return None
        if self.in_life and not participant.active_on(self.effective_on):
            self.error(
                field,
                _("%(value)s does not take part in the project on %(date)s.")
                % {"value": _quoted(key), "date": self.effective_on.isoformat()},
            )
            return None
        return participant

    # -- changes about a participant --------------------------------------------------------

    def check_targeted(self, change: ChangeInput, values: dict) -> None:
        target = self.taking_part("participant", change.participant)
        if target is not None:
            values["participation_id"] = target.id
        if change.kind == ChangeKind.CHANGE_COORDINATOR:
            self.check_coordinator(target)
        elif target is None:
            return
        elif change.kind == ChangeKind.TERMINATE_PARTICIPATION:
            self.check_termination(target)
        else:
            self.check_organisation_change(change, target, values)

    def check_coordinator(self, target: Participant | None) -> None:
        if self.coordinator_change is not None:
            self.error(
                "kind",
                _("%(change)s already changes the coordinator; a request changes it once.")
                % {"change": f"changes[{self.coordinator_change}]"},
            )
        elif target is not None and target.role != BENEFICIARY:
            self.error(
                "participant",
                _("The new coordinator must be a beneficiary (full partner); %(value)s is not.")
                % {"value": _quoted(target.key)},
            )
        if self.coordinator_change is None:
            self.coordinator_change = self.index

    def check_termination(self, target: Participant) -> None:
        if target.key in self.ended:
            self.error(
                "participant",
                _("%(change)s already ends this participation.")
                % {"change": f"changes[{self.ended[target.key]}]"},
            )
        else:
            self.ended[target.key] = self.index

    def check_organisation_change(
        self, change: ChangeInput, target: Participant, values: dict
    ) -> None:
        earlier = self.organisation_changes.setdefault((target.pic, change.kind), self.index)
        if earlier != self.index:
            self.error(
                "participant",
                _("%(change)s already makes this change to the organisation.")
                % {"change": f"changes[{earlier}]"},
            )
        if change.kind == ChangeKind.CHANGE_ORGANISATION_COUNTRY:
            new_country = change.country
            if new_country not in self.context.countries:
                self.error("country", _unknown_country(new_country))
            elif new_country == target.country:
                self.error(
                    "country",
                    _("The organisation is already recorded in %(country)s.")
                    % {"country": new_country},
                )
            values["new_country_id"] = new_country
        else:
            if frozenset(change.types) == target.types:
                self.error("types", _("The organisation is already recorded with these types."))
            values["new_types"] = list(change.types)

    # -- additions ----------------------------------------------------------------------------

    def check_addition(self, change: ChangeInput, values: dict) -> None:
        self.check_short_name(change.short_name)
        known = self.context.organisations.get(change.pic)
        if known is not None:
            self.check_known_organisation(change, known)
        else:
            for field in ("legal_name", "country", "types"):
                if getattr(change, field) is None:
                    self.error(
                        field,
                        _(
                            "The system does not know the organisation with PIC %(pic)s yet: "
                            "give its legal name, country and types."
                        )
                        % {"pic": change.pic},
                    )
        if change.country is not None and change.country not in self.context.countries:
            self.error("country", _unknown_country(change.country))
        if self.in_life:
            self.check_not_taking_part(change.pic)
        if change.kind == ChangeKind.ADD_AFFILIATED_ENTITY:
            self.check_affiliation(change, values)
        values.update(
            pic=change.pic,
            legal_name=change.legal_name or "",
            short_name=change.short_name,
            country_id=change.country,
            types=None if change.types is None else list(change.types),
        )

    def check_short_name(self, short_name: str) -> None:
        if short_name in self.short_names:
            earlier = self.short_names[short_name]
            self.error(
                "short_name",
                _("The short name %(value)s is already taken in this project.")
                % {"value": _quoted(short_name)}
                if earlier is None
                else _("%(change)s already adds a participant with this short name.")
                % {"change": f"changes[{earlier}]"},
            )
        else:
            self.short_names[short_name] = self.index

    def check_not_taking_part(self, pic: str) -> None:
        already = next(
            (
                p
                for p in self.working.participants
                if p.pic == pic and (p.left_on is None or p.left_on >= self.effective_on)
            ),
            None,
        )
        if already is not None:
            self.error(
                "pic",
                _(
                    "The organisation with PIC %(pic)s already takes part in the project as "
                    "%(value)s on or after %(date)s."
                )
                % {
                    "pic": pic,
                    "value": _quoted(already.key),
                    "date": self.effective_on.isoformat(),
                },
            )

    def check_affiliation(self, change: ChangeInput, values: dict) -> None:
        parent = self.taking_part("affiliated_to", change.affiliated_to)
        if parent is not None and parent.role not in FULL_PARTNER_ROLES:
            self.error(
                "affiliated_to",
                _("%(value)s is not a beneficiary or the coordinator.")
                % {"value": _quoted(parent.key)},
            )
        elif parent is not None:
            values["affiliated_to_id"] = parent.id

    def check_known_organisation(self, change: ChangeInput, known) -> None:
        """An organisation the system knows must be described as recorded, as in a grant file."""
        for field, shown in differences_from_record(
            known,
            legal_name=change.legal_name,
            country=change.country,
            types=change.types,
        ):
            self.error(
                field,
                _(
                    "The organisation with PIC %(pic)s is recorded with %(key)s %(recorded)s. "
                    "Leave it out, or change the organisation first."
                )
                % {"pic": known.pic, "key": field, "recorded": _quoted(shown)},
            )


def _unknown_country(code: str) -> str:
    return _("Unknown country code %(value)s; give an ISO 3166-1 alpha-2 code, e.g. PT.") % {
        "value": _quoted(code)
    }
