"""The amendment builder's forms: a justification and a numbered set of change rows.

The forms parse what the browser sends into the values the amendment services take
(``ChangeInput``), with the check of which fields a kind needs and a PIC's form
(``backend.amendments.validation.shape_errors``); every rule against the record (dates within
the project's life, known participants and PICs) is checked by the services, whose errors
(``changes[1].effective_on``, ...) are put back at the row and field they name
(``place_errors``). A row shows only the fields its kind uses
(``backend.amendments.validation.KIND_FIELDS``); values of other fields are not sent on.
"""

import re
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backend.amendments.kinds.breakdown import HOLDING_ROLES
from backend.amendments.models import ChangeKind
from backend.amendments.validation import KIND_FIELDS, ChangeInput, shape_errors
from backend.grants.eligibility.facts import FULL_PARTNER_ROLES
from backend.grants.models import OrgType, Participation, ParticipationRole
from backend.workplan.models import (
    Deliverable,
    DeliverableType,
    Dissemination,
    Milestone,
    WorkPackage,
)

PREFIX = "changes"
ROW_FIELDS = (
    "participant",
    "pic",
    "legal_name",
    "short_name",
    "country",
    "types",
    "affiliated_to",
)
ADDITION_KINDS = {
    ChangeKind.ADD_BENEFICIARY,
    ChangeKind.ADD_AFFILIATED_ENTITY,
    ChangeKind.ADD_ASSOCIATED_PARTNER,
}
_PATH = re.compile(r"^changes\[(\d+)\](?:\.(\w+))?$")


@dataclass(frozen=True)
class Choices:
    """What the row selects offer: the consortium's participants, its full partners (for an
    affiliation) and the known countries."""

    participants: tuple[tuple[str, str], ...] = ()
    full_partners: tuple[tuple[str, str], ...] = ()
    countries: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_context(cls, context) -> "Choices":
        """From an ``AmendmentContext`` (backend.amendments.selectors.amendment_context)."""
        roles = dict(ParticipationRole.choices)
        participants = sorted(context.consortium.participants, key=lambda p: p.key)
        return cls(
            participants=tuple(
                (p.key, f"{p.key} · {p.name} ({roles.get(p.role, p.role)})") for p in participants
            ),
            full_partners=tuple(
                (p.key, f"{p.key} · {p.name}") for p in participants if p.role in FULL_PARTNER_ROLES
            ),
            countries=tuple((code, code) for code in sorted(context.countries)),
        )


def _with_blank(label, options) -> list[tuple[str, str]]:
    return [("", label), *options]


class AmendmentForm(forms.Form):
    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Why the consortium asks for the changes. A draft may do without; submitting needs it."
        ),
    )
    # The version of the draft the form was filled from (none for a new request): a save over
    # a draft changed since is refused (backend/common/concurrency.py).
    version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


class ApproveForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Decision note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    override_justification = forms.CharField(
        label=gettext_lazy("Override justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Needed, and recorded, when the changes would leave the consortium in breach."
        ),
    )


class RejectForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why the request is rejected"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ChangeRowForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of change"),
        required=False,
        # The consortium's kinds; a change of the grant as a whole has a form of its own.
        choices=[
            ("", gettext_lazy("Choose a kind of change")),
            *((value, label) for value, label in ChangeKind.choices if value in KIND_FIELDS),
        ],
    )
    effective_on = forms.DateField(
        label=gettext_lazy("Takes effect on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    participant = forms.CharField(label=gettext_lazy("Participant"), required=False)
    pic = forms.CharField(label=gettext_lazy("PIC"), required=False, max_length=9)
    legal_name = forms.CharField(label=gettext_lazy("Legal name"), required=False, max_length=300)
    short_name = forms.CharField(label=gettext_lazy("Short name"), required=False, max_length=50)
    country = forms.CharField(label=gettext_lazy("Country"), required=False)
    types = forms.MultipleChoiceField(
        label=gettext_lazy("Organisation types"),
        required=False,
        choices=OrgType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    affiliated_to = forms.CharField(label=gettext_lazy("Affiliated to"), required=False)

    def __init__(self, *args, choices: Choices | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = choices or Choices()
        self.fields["participant"].widget = forms.Select(
            choices=_with_blank(_("Choose a participant"), choices.participants)
        )
        self.fields["affiliated_to"].widget = forms.Select(
            choices=_with_blank(_("Choose a beneficiary"), choices.full_partners)
        )
        self.fields["country"].widget = forms.Select(
            choices=_with_blank(_("Choose a country"), choices.countries)
        )
        if self.kind_value in ADDITION_KINDS:
            for name in ("legal_name", "country", "types"):
                self.fields[name].help_text = _(
                    "Needed only when the system does not know the PIC yet."
                )

    # -- what the row holds ---------------------------------------------------------------------

    def raw(self, name: str):
        """The value as typed (bound) or as given (initial)."""
        return self[name].value()

    @property
    def kind_value(self) -> str:
        value = self.raw("kind") or ""
        return value if value in KIND_FIELDS else ""

    def used_fields(self) -> list[str]:
        """The fields the row's kind uses, in display order (none before a kind is chosen)."""
        kind = self.kind_value
        if not kind:
            return []
        required, optional = KIND_FIELDS[kind]
        return [name for name in ROW_FIELDS if name in required | optional]

    def is_blank(self) -> bool:
        """Nothing chosen or typed: a row added and left empty, which is not sent on."""
        return not any(self.raw(name) for name in ("kind", "effective_on", *ROW_FIELDS))

    def label_for(self, name: str) -> str:
        """The field's label for the row's kind (who a targeted change is about, an addition's
        or a change's country and types)."""
        kind = self.kind_value
        if name == "effective_on" and kind == ChangeKind.TERMINATE_PARTICIPATION:
            return _("Last day of the participation")
        if name == "participant":
            if kind == ChangeKind.CHANGE_COORDINATOR:
                return _("New coordinator")
            if kind == ChangeKind.TERMINATE_PARTICIPATION:
                return _("Participant leaving")
            return _("Participant whose organisation changes")
        if name == "country" and kind == ChangeKind.CHANGE_ORGANISATION_COUNTRY:
            return _("New country")
        if name == "types" and kind == ChangeKind.CHANGE_ORGANISATION_TYPES:
            return _("New organisation types")
        return str(self.fields[name].label)

    def shown(self) -> list[dict]:
        """The row's fields to render after the kind, with their labels for the kind."""
        return [
            {"field": self[name], "label": self.label_for(name)}
            for name in ("effective_on", *self.used_fields())
        ]

    def clean(self):
        data = super().clean()
        if self.is_blank():
            return data
        if not data.get("kind"):
            self.add_error("kind", _("Choose the kind of change."))
        if "effective_on" not in self.errors and not data.get("effective_on"):
            self.add_error("effective_on", _("Give the date the change takes effect."))
        if not self.errors:
            for name, message in shape_errors(self.as_change()).items():
                self.add_error(name, message)
        return data

    def as_change(self) -> ChangeInput:
        """The row as the amendment services take a change: the kind's own fields only."""
        data = self.cleaned_data
        fields = {name: data.get(name) for name in self.used_fields()}
        return ChangeInput(kind=data["kind"], effective_on=data["effective_on"], **fields)

    def row_values(self) -> dict:
        """The row as typed, to show it again (unbound) after adding or removing a row."""
        return {name: self.raw(name) for name in ("kind", "effective_on", *ROW_FIELDS)}


class BaseChangeRowFormSet(forms.BaseFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "choices": self.choices}

    def __init__(self, *args, choices: Choices | None = None, **kwargs):
        self.choices = choices or Choices()
        super().__init__(*args, **kwargs)


ChangeRowFormSet = forms.formset_factory(
    ChangeRowForm, formset=BaseChangeRowFormSet, extra=0, max_num=50, absolute_max=50
)


# -- building the forms -----------------------------------------------------------------------


@dataclass
class Builder:
    """The builder's two forms and where the service's errors go."""

    form: AmendmentForm
    rows: BaseChangeRowFormSet
    sent: list[int]  # the row numbers sent to the services, in order (blank rows are not)

    def is_valid(self) -> bool:
        # Both are checked, so that each shows its own errors.
        return all([self.form.is_valid(), self.rows.is_valid()])

    def changes(self) -> list[ChangeInput]:
        self.sent = [i for i, row in enumerate(self.rows.forms) if not row.is_blank()]
        return [self.rows.forms[i].as_change() for i in self.sent]

    @property
    def justification(self) -> str:
        return self.form.cleaned_data.get("justification", "")

    def place_errors(self, errors) -> None:
        """Put each service error (``PathError``) at its row and field; an error for a field
        the row does not show goes to the row as a whole, one for no row to the form."""
        for error in errors:
            match = _PATH.match(error.path)
            if error.path == "justification":
                self.form.add_error("justification", error.message)
            elif match and int(match.group(1)) < len(self.sent):
                row = self.rows.forms[self.sent[int(match.group(1))]]
                field = match.group(2)
                if field in ("kind", "effective_on", *row.used_fields()):
                    row.add_error(field, error.message)
                elif field:
                    row.add_error(
                        None,
                        _("%(field)s: %(message)s")
                        % {"field": row.label_for(field), "message": error.message},
                    )
                else:
                    row.add_error(None, error.message)
            else:
                self.form.add_error(None, error.message)

    def row_errors(self) -> dict[int, list[str]]:
        """Each row's errors as sentences naming the field (for the live what-if)."""
        found: dict[int, list[str]] = {}
        for index, row in enumerate(self.rows.forms):
            lines = []
            for name, messages in row.errors.items():
                for message in messages:
                    if name == NON_FIELD_ERRORS:
                        lines.append(str(message))
                    else:
                        lines.append(
                            _("%(field)s: %(message)s")
                            % {"field": row.label_for(name), "message": message}
                        )
            if lines:
                found[index] = lines
        return found


def bound_builder(data, choices: Choices | None = None) -> Builder:
    return Builder(
        form=AmendmentForm(data),
        rows=ChangeRowFormSet(data, prefix=PREFIX, choices=choices),
        sent=[],
    )


def initial_builder(
    justification: str = "",
    rows: list[dict] | None = None,
    choices: Choices | None = None,
    version: int | None = None,
) -> Builder:
    """Unbound forms showing these values, without errors."""
    return Builder(
        form=AmendmentForm(initial={"justification": justification, "version": version}),
        rows=ChangeRowFormSet(initial=rows or [], prefix=PREFIX, choices=choices),
        sent=[],
    )


def rearranged_builder(data, choices: Choices | None = None) -> Builder:
    """The builder as typed, with a row added (``add_row``) or removed (``remove_row``), or
    only re-drawn for a new kind (``refresh``): nothing is checked or saved."""
    sent = bound_builder(data, choices)
    rows = [row.row_values() for row in sent.rows.forms]
    if data.get("add_row"):
        rows.append({})
    remove = data.get("remove_row")
    if remove is not None and str(remove).isdigit() and int(remove) < len(rows):
        del rows[int(remove)]
    version = sent.form["version"].value()
    return initial_builder(
        sent.form["justification"].value() or "",
        rows,
        choices,
        int(version) if str(version or "").isdigit() else None,
    )


def rearranging(data) -> bool:
    return any(key in data for key in ("add_row", "remove_row", "refresh"))


def stored_rows(changes) -> list[dict]:
    """A stored request's changes (as ``change_as_input`` gives them) as row values."""
    return [
        {
            "kind": change["kind"],
            "effective_on": change["effective_on"],
            **{name: change.get(name) for name in ROW_FIELDS},
        }
        for change in changes
    ]


# -- Annex 2: the lump-sum breakdown ----------------------------------------------------------

_SHARE_PATH = re.compile(r"^changes\[0\]\.details\.work_packages\.(\d+)(?:\.([A-Za-z0-9_-]+))?$")
_ANNEX2_FIELDS = {
    "justification": "justification",
    "changes[0].effective_on": "effective_on",
    "changes[0].details.max_grant_eur": "max_grant_eur",
}


@dataclass(frozen=True)
class ShareCell:
    """One input of the Annex 2 grid: a participant's share of a work package."""

    name: str  # the form field's name
    work_package: int
    participant: str
    current: Decimal
    paid: bool


@dataclass(frozen=True)
class ShareGrid:
    """The work packages (columns) and the participants who may hold shares (rows), with the
    shares recorded, from the Annex 2 handler's record."""

    work_packages: tuple[int, ...]
    participants: tuple[tuple[str, str], ...]  # (short name, what to say of it: "left on ...")
    cells: tuple[ShareCell, ...]
    paid: frozenset[int]
    max_grant: Decimal

    @classmethod
    def from_record(cls, record) -> "ShareGrid":
        """From ``backend.amendments.kinds.breakdown.BreakdownRecord``: the coordinator, the
        beneficiaries and the affiliated entities, including those that left (their shares are
        what is to move), in the grant's order."""
        holders = [h for h in record.holders.values() if h.role in HOLDING_ROLES]
        numbers = tuple(sorted(record.work_packages))
        cells = tuple(
            ShareCell(
                name=f"share_{number}_{index}",
                work_package=number,
                participant=holder.key,
                current=record.work_packages[number].shares.get(holder.key, Decimal("0.00")),
                paid=number in record.paid,
            )
            for index, holder in enumerate(holders)
            for number in numbers
        )
        return cls(
            work_packages=numbers,
            participants=tuple(
                (
                    holder.key,
                    _("left on %(date)s") % {"date": holder.left_on.isoformat()}
                    if holder.left_on
                    else "",
                )
                for holder in holders
            ),
            cells=cells,
            paid=frozenset(record.paid),
            max_grant=record.max_grant,
        )


class Annex2Form(forms.Form):
    """A new Annex 2 request: each participant's share of each work package, prefilled with
    the shares recorded; only the shares changed are sent. The maximum grant only when it
    changes: each work package's lump sum then becomes the sum of its shares."""

    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Why the consortium asks for the changes. A draft may do without; submitting needs it."
        ),
    )
    effective_on = forms.DateField(
        label=gettext_lazy("Takes effect on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": gettext_lazy("Give the date the change takes effect.")},
    )
    max_grant_eur = forms.DecimalField(
        label=gettext_lazy("New maximum grant (EUR)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        help_text=gettext_lazy(
            "Only to change the maximum grant (or to move amounts between work packages): each "
            "work package's lump sum then becomes the sum of its shares. Leave it empty to move "
            "shares within each work package."
        ),
    )

    def __init__(self, *args, grid: ShareGrid, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        for cell in grid.cells:
            field = forms.DecimalField(
                label=_("WP%(number)s share of %(participant)s")
                % {"number": cell.work_package, "participant": cell.participant},
                max_digits=12,
                decimal_places=2,
                min_value=Decimal("0.00"),
                initial=f"{cell.current:.2f}",
                disabled=cell.paid,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
                error_messages={"required": _("Give an amount, 0.00 for none.")},
            )
            self.fields[cell.name] = field

    def rows(self) -> list[dict]:
        """The grid as the template draws it: one row per participant, a cell per work
        package."""
        by_participant: dict[str, list] = {}
        for cell in self.grid.cells:
            by_participant.setdefault(cell.participant, []).append(self[cell.name])
        return [
            {"participant": key, "note": note, "cells": by_participant.get(key, [])}
            for key, note in self.grid.participants
        ]

    def as_change(self) -> ChangeInput:
        """The shares that differ from those recorded, as one Annex 2 change."""
        data = self.cleaned_data
        packages: dict[str, dict[str, str]] = {}
        for cell in self.grid.cells:
            value = data.get(cell.name)
            if cell.paid or value is None or value == cell.current:
                continue
            packages.setdefault(str(cell.work_package), {})[cell.participant] = f"{value:.2f}"
        details: dict = {"work_packages": packages}
        if data.get("max_grant_eur") is not None:
            details["max_grant_eur"] = f"{data['max_grant_eur']:.2f}"
        return ChangeInput(
            kind=ChangeKind.CHANGE_LUMP_SUM_BREAKDOWN,
            effective_on=data["effective_on"],
            details=details,
        )

    @property
    def justification_text(self) -> str:
        return self.cleaned_data.get("justification", "")

    def place_errors(self, errors) -> list:
        """Each service error at its input: a share at its cell, a work package's total on
        top (naming it), the date and the maximum grant at theirs."""
        cells = {(c.work_package, c.participant): c.name for c in self.grid.cells}
        for error in errors:
            match = _SHARE_PATH.match(error.path)
            if error.path in _ANNEX2_FIELDS:
                self.add_error(_ANNEX2_FIELDS[error.path], error.message)
            elif match and match.group(2) and (int(match.group(1)), match.group(2)) in cells:
                self.add_error(cells[(int(match.group(1)), match.group(2))], error.message)
            elif match:
                self.add_error(
                    None,
                    _("WP%(number)s: %(message)s")
                    % {"number": match.group(1), "message": error.message},
                )
            else:
                self.add_error(None, error.message)
        return []

    def error_lines(self) -> list[str]:
        """The form's errors as sentences naming the input (for the live what-if)."""
        lines = [str(message) for message in self.non_field_errors()]
        for name, messages in self.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            for message in messages:
                lines.append(
                    _("%(field)s: %(message)s") % {"field": self[name].label, "message": message}
                )
        return lines


# -- Annex 1: the work plan -------------------------------------------------------------------

_PLAN_PATH = re.compile(
    r"^changes\[0\]\.details\.(work_packages|deliverables|milestones)\[(\d+)\](?:\.(\w+))?$"
)
_PLAN_FIELDS = {
    "work_packages": ("title", "lead", "start_month", "end_month"),
    "deliverables": ("title", "work_package", "lead", "due_month"),
    "milestones": ("title", "lead", "due_month"),
}
_NEW_DELIVERABLE = ("code", "title", "work_package", "lead", "due_month", "type", "dissemination")


@dataclass(frozen=True)
class PlanGrid:
    """The work plan as recorded, for the Annex 1 form: each work package, deliverable and
    milestone with the fields the form changes, and who may lead."""

    work_packages: tuple[dict, ...]
    deliverables: tuple[dict, ...]
    milestones: tuple[dict, ...]
    leads: tuple[tuple[str, str], ...]

    @classmethod
    def read(cls, project_id: int) -> "PlanGrid":
        """The project's work plan as recorded (four queries)."""
        return cls(
            work_packages=tuple(
                {**row, "lead": row.pop("lead__short_name")}
                for row in WorkPackage.objects.filter(project_id=project_id)
                .order_by("number")
                .values("number", "title", "lead__short_name", "start_month", "end_month")
            ),
            deliverables=tuple(
                {
                    **row,
                    "lead": row.pop("lead__short_name"),
                    "work_package": row.pop("work_package__number"),
                }
                for row in Deliverable.objects.filter(project_id=project_id).values(
                    "code", "title", "work_package__number", "lead__short_name", "due_month"
                )
            ),
            milestones=tuple(
                {**row, "lead": row.pop("lead__short_name")}
                for row in Milestone.objects.filter(project_id=project_id).values(
                    "code", "title", "lead__short_name", "due_month"
                )
            ),
            leads=tuple(
                (key, key)
                for key in Participation.objects.filter(
                    project_id=project_id,
                    left_on__isnull=True,
                    role__in=[ParticipationRole.COORDINATOR, ParticipationRole.BENEFICIARY],
                ).values_list("short_name", flat=True)
            ),
        )


def _section_key(section: str) -> str:
    return "number" if section == "work_packages" else "code"


class Annex1Form(forms.Form):
    """A new Annex 1 request: the work plan's items prefilled as recorded, each removable,
    and one new deliverable; only what differs from the record is sent."""

    justification = forms.CharField(
        label=gettext_lazy("Justification"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    effective_on = forms.DateField(
        label=gettext_lazy("Takes effect on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={"required": gettext_lazy("Give the date the change takes effect.")},
    )

    def __init__(self, *args, grid: PlanGrid, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        self.sent: list[tuple[str, str]] = []  # (section, field prefix) of each entry sent
        leads = [("", _("Choose a lead")), *grid.leads]
        for section in _PLAN_FIELDS:
            for index, item in enumerate(getattr(grid, section)):
                prefix = f"{section}_{index}"
                what = _item_name(section, item)
                for name in _PLAN_FIELDS[section]:
                    self.fields[f"{prefix}_{name}"] = _plan_field(name, what, item.get(name), leads)
                self.fields[f"{prefix}_remove"] = forms.BooleanField(
                    label=_("Remove %(item)s") % {"item": what}, required=False
                )
        for name in _NEW_DELIVERABLE:
            self.fields[f"new_{name}"] = _plan_field(name, _("new deliverable"), None, leads)

    def sections(self) -> list[dict]:
        """The rows the template draws: per section, each item with its fields."""
        titles = {
            "work_packages": _("Work packages"),
            "deliverables": _("Deliverables"),
            "milestones": _("Milestones"),
        }
        return [
            {
                "title": titles[section],
                "rows": [
                    {
                        "name": _item_name(section, item),
                        "fields": [
                            self[f"{section}_{index}_{n}"]
                            for n in (*_PLAN_FIELDS[section], "remove")
                        ],
                    }
                    for index, item in enumerate(getattr(self.grid, section))
                ],
            }
            for section in _PLAN_FIELDS
        ]

    def new_fields(self) -> list:
        return [self[f"new_{name}"] for name in _NEW_DELIVERABLE]

    def as_change(self) -> ChangeInput:
        data = self.cleaned_data
        details: dict[str, list] = {}
        self.sent = []
        for section in _PLAN_FIELDS:
            key = _section_key(section)
            for index, item in enumerate(getattr(self.grid, section)):
                prefix = f"{section}_{index}"
                entry: dict = {key: item[key]}
                if data.get(f"{prefix}_remove"):
                    entry["remove"] = True
                else:
                    for name in _PLAN_FIELDS[section]:
                        value = data.get(f"{prefix}_{name}")
                        if value not in (None, "") and value != item.get(name):
                            entry[name] = value
                if len(entry) > 1:
                    details.setdefault(section, []).append(entry)
                    self.sent.append((section, prefix))
        if data.get("new_code"):
            entry = {
                name: data.get(f"new_{name}")
                for name in _NEW_DELIVERABLE
                if data.get(f"new_{name}") not in (None, "")
            }
            details.setdefault("deliverables", []).append(entry)
            self.sent.append(("deliverables", "new"))
        return ChangeInput(
            kind=ChangeKind.CHANGE_WORK_PLAN, effective_on=data["effective_on"], details=details
        )

    @property
    def justification_text(self) -> str:
        return self.cleaned_data.get("justification", "")

    def place_errors(self, errors) -> list:
        """Each service error at the input of the entry it names."""
        for error in errors:
            match = _PLAN_PATH.match(error.path)
            if error.path == "justification":
                self.add_error("justification", error.message)
            elif error.path == "changes[0].effective_on":
                self.add_error("effective_on", error.message)
            elif match:
                section, index, name = match.group(1), int(match.group(2)), match.group(3)
                placed = [prefix for s, prefix in self.sent if s == section]
                field = f"{placed[index]}_{name}" if index < len(placed) and name else None
                if field in self.fields:
                    self.add_error(field, error.message)
                else:
                    self.add_error(None, error.message)
            else:
                self.add_error(None, error.message)
        return []


def _item_name(section: str, item: dict) -> str:
    return f"WP{item['number']}" if section == "work_packages" else item["code"]


def _plan_field(name: str, what: str, initial, leads) -> forms.Field:
    label = {
        "code": _("Code of the %(item)s"),
        "title": _("Title of %(item)s"),
        "work_package": _("Work package of %(item)s"),
        "lead": _("Lead of %(item)s"),
        "start_month": _("Start month of %(item)s"),
        "end_month": _("End month of %(item)s"),
        "due_month": _("Due month of %(item)s"),
        "type": _("Type of the %(item)s"),
        "dissemination": _("Dissemination of the %(item)s"),
    }[name] % {"item": what}
    if name == "lead":
        return forms.ChoiceField(label=label, required=False, choices=leads, initial=initial)
    if name == "type":
        return forms.ChoiceField(
            label=label, required=False, choices=[("", "—"), *DeliverableType.choices]
        )
    if name == "dissemination":
        return forms.ChoiceField(
            label=label, required=False, choices=[("", "—"), *Dissemination.choices]
        )
    if name in ("start_month", "end_month", "due_month", "work_package"):
        return forms.IntegerField(
            label=label,
            required=False,
            min_value=1,
            initial=initial,
            widget=forms.NumberInput(attrs={"size": 4}),
        )
    return forms.CharField(label=label, required=False, max_length=300, initial=initial)
