"""Checking the changes of an amendment request, for the API and the services alike.

Two passes, one list of errors, each naming its field path (``changes[1].effective_on``, lists
count from 0): the serializers below check each value's shape (kinds, dates, PICs, types from the
vocabulary, which fields a kind needs); ``check_changes`` then checks them against the record
(the participant named takes part on the effective date, the date falls in the project's life,
short names are free, countries are known, a known PIC is described as recorded). Pure: what the
record holds comes in as an ``AmendmentContext``.

A new coordinator outside the EU Member States and associated countries, or a consortium left in
breach, is no input error: the what-if verdict says so and the officer decides.
"""

import json
from collections.abc import Iterable, Mapping

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers
from rest_framework.settings import api_settings

from backend.grants.eligibility.changes import apply_changes
from backend.grants.eligibility.facts import BENEFICIARY, FULL_PARTNER_ROLES, Participant
from backend.grants.models import OrgType
from backend.grants.rules import differences_from_record

from .errors import AmendmentInvalid, FieldError
from .models import TARGETED, ChangeKind
from .whatif import AmendmentContext, planned_change

PIC_PATTERN = r"^[0-9]{9}$"

# The fields each kind of change uses; any other field given is an error.
KIND_FIELDS: dict[str, tuple[set[str], set[str]]] = {  # kind: (required, optional)
    ChangeKind.ADD_BENEFICIARY: ({"pic", "short_name"}, {"legal_name", "country", "types"}),
    ChangeKind.ADD_AFFILIATED_ENTITY: (
        {"pic", "short_name", "affiliated_to"},
        {"legal_name", "country", "types"},
    ),
    ChangeKind.ADD_ASSOCIATED_PARTNER: ({"pic", "short_name"}, {"legal_name", "country", "types"}),
    ChangeKind.TERMINATE_PARTICIPATION: ({"participant"}, set()),
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
)


def _types_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=OrgType.choices),
        required=False,
        allow_null=True,
        allow_empty=False,
        help_text=help_text,
    )


class ChangeInputSerializer(serializers.Serializer):
    """One change of a consortium, taking effect on ``effective_on``. The fields by kind:

    - add_beneficiary, add_associated_partner: pic, short_name; legal_name, country and types
      when the system does not know the PIC (if given for a known PIC they must match it);
    - add_affiliated_entity: the same, and affiliated_to;
    - terminate_participation, change_coordinator: participant;
    - change_organisation_country: participant, country;
    - change_organisation_types: participant, types.
    """

    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    effective_on = serializers.DateField(
        help_text="The date the change takes effect (YYYY-MM-DD), within the project's life. "
        "For a termination it is the last day of the participation."
    )
    participant = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="The short name of the participant a termination, a change of coordinator (the "
        "new coordinator) or an organisation change is about.",
    )
    pic = serializers.RegexField(
        PIC_PATTERN,
        required=False,
        allow_null=True,
        allow_blank=True,
        error_messages={"invalid": gettext_lazy("A PIC is exactly 9 digits.")},
        help_text="Additions: the organisation's PIC (9 digits).",
    )
    legal_name = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=300,
        help_text="Additions: needed when the system does not know the PIC yet.",
    )
    short_name = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=50,
        help_text="Additions: the newcomer's short name in the project (unique in it).",
    )
    country = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Additions: the organisation's country (ISO 3166-1 alpha-2), needed when the "
        "PIC is new; change_organisation_country: its new country.",
    )
    types = _types_field(
        "Additions: the organisation's types, needed when the PIC is new; "
        "change_organisation_types: its new types."
    )
    affiliated_to = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Affiliated entities: the short name of the beneficiary or coordinator.",
    )

    def validate(self, attrs):
        required, optional = KIND_FIELDS[attrs["kind"]]
        given = {name for name in OPTIONAL_FIELDS if attrs.get(name) not in (None, "")}
        errors = {}
        for name in sorted(required - given, key=OPTIONAL_FIELDS.index):
            errors[name] = _("This field is required for a change of this kind.")
        for name in sorted(given - required - optional, key=OPTIONAL_FIELDS.index):
            errors[name] = _("A change of this kind does not use this field.")
        if errors:
            raise serializers.ValidationError(errors)
        values = {name: attrs.get(name) or None for name in OPTIONAL_FIELDS}
        if values["types"] is not None:
            values["types"] = sorted(set(values["types"]))
        return {"kind": attrs["kind"], "effective_on": attrs["effective_on"], **values}


class AmendmentInputSerializer(serializers.Serializer):
    justification = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the consortium asks for the changes; needed to submit.",
    )
    changes = ChangeInputSerializer(many=True)


def flatten_errors(detail, prefix: tuple = ()) -> list[FieldError]:
    """DRF's nested error detail as a flat list of errors with paths."""
    if isinstance(detail, Mapping):
        errors = []
        for key, value in detail.items():
            path = prefix if key == api_settings.NON_FIELD_ERRORS_KEY else (*prefix, key)
            errors.extend(flatten_errors(value, path))
        return errors
    if isinstance(detail, list | tuple):
        if all(isinstance(item, str) for item in detail):
            return [FieldError.at(prefix, item) for item in detail]
        errors = []
        for index, item in enumerate(detail):
            errors.extend(flatten_errors(item, (*prefix, index)))
        return errors
    return [FieldError.at(prefix, str(detail))]


def parse_changes(changes) -> list[dict]:
    if changes is None:
        raise AmendmentInvalid([FieldError("changes", _("This field is required."))])
    serializer = ChangeInputSerializer(data=changes, many=True)
    if not serializer.is_valid():
        raise AmendmentInvalid(flatten_errors(serializer.errors, ("changes",)))
    return list(serializer.validated_data)


def mentioned_pics(changes) -> set[str]:
    """The PICs raw input mentions (to load what the record knows of them)."""
    if not isinstance(changes, list):
        return set()
    return {
        change["pic"]
        for change in changes
        if isinstance(change, Mapping) and isinstance(change.get("pic"), str)
    }


def validate_changes(changes, context: AmendmentContext) -> list[dict]:
    """Raw changes checked in both passes; returns them as dicts of AmendmentChange values
    (participation_id, country_id, ...). Raises AmendmentInvalid with every error."""
    return check_changes(parse_changes(changes), context)


def _quoted(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def check_changes(changes: Iterable[dict], context: AmendmentContext) -> list[dict]:
    """Parsed changes checked against the record, in order: each change is checked against the
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

    def run(self, changes: Iterable[dict]) -> list[dict]:
        validated = []
        for index, change in enumerate(changes):
            values = self.check(index, change)
            if values is not None:
                validated.append(values)
                planned = planned_change(values, self.working, self.context.organisations)
                self.working = apply_changes(self.working, [planned.change])
        if self.errors:
            raise AmendmentInvalid(self.errors)
        return validated

    def check(self, index: int, change: dict) -> dict | None:
        """One change's errors recorded; its values if it has none."""
        self.index = index
        self.found: list[FieldError] = []
        self.effective_on = change["effective_on"]
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
        self.in_life = not self.found
        self.participants = {p.key: p for p in self.working.participants}
        values = {
            "kind": change["kind"],
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
        }
        if change["kind"] in TARGETED:
            self.check_targeted(change, values)
        else:
            self.check_addition(change, values)
        self.errors.extend(self.found)
        return None if self.found else values

    def error(self, field: str, message: str) -> None:
        self.found.append(FieldError.at(("changes", self.index, field), message))

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

    def check_targeted(self, change: dict, values: dict) -> None:
        kind = change["kind"]
        target = self.taking_part("participant", change["participant"])
        if target is not None:
            values["participation_id"] = target.id
        if kind == ChangeKind.CHANGE_COORDINATOR:
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
            return
        if target is None:
            return
        if kind == ChangeKind.TERMINATE_PARTICIPATION:
            if target.key in self.ended:
                self.error(
                    "participant",
                    _("%(change)s already ends this participation.")
                    % {"change": f"changes[{self.ended[target.key]}]"},
                )
            else:
                self.ended[target.key] = self.index
            return
        earlier = self.organisation_changes.setdefault((target.pic, kind), self.index)
        if earlier != self.index:
            self.error(
                "participant",
                _("%(change)s already makes this change to the organisation.")
                % {"change": f"changes[{earlier}]"},
            )
        if kind == ChangeKind.CHANGE_ORGANISATION_COUNTRY:
            new_country = change["country"]
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
            if frozenset(change["types"]) == target.types:
                self.error("types", _("The organisation is already recorded with these types."))
            values["new_types"] = change["types"]

    def check_addition(self, change: dict, values: dict) -> None:
        pic, short_name, country = change["pic"], change["short_name"], change["country"]
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
        known = self.context.organisations.get(pic)
        if known is not None:
            self.check_known_organisation(change, known)
        else:
            for field in ("legal_name", "country", "types"):
                if change[field] is None:
                    self.error(
                        field,
                        _(
                            "The system does not know the organisation with PIC %(pic)s yet: "
                            "give its legal name, country and types."
                        )
                        % {"pic": pic},
                    )
        if country is not None and country not in self.context.countries:
            self.error("country", _unknown_country(country))
        if self.in_life:
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
        if change["kind"] == ChangeKind.ADD_AFFILIATED_ENTITY:
            parent = self.taking_part("affiliated_to", change["affiliated_to"])
            if parent is not None and parent.role not in FULL_PARTNER_ROLES:
                self.error(
                    "affiliated_to",
                    _("%(value)s is not a beneficiary or the coordinator.")
                    % {"value": _quoted(parent.key)},
                )
            elif parent is not None:
                values["affiliated_to_id"] = parent.id
        values.update(
            pic=pic,
            legal_name=change["legal_name"] or "",
            short_name=short_name,
            country_id=country,
            types=change["types"],
        )

    def check_known_organisation(self, change: dict, known) -> None:
        """An organisation the system knows must be described as recorded, as in a grant file."""
        for field, shown in differences_from_record(
            known,
            legal_name=change["legal_name"],
            country=change["country"],
            types=change["types"],
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
