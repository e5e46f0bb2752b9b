"""The forms of the periodic-report pages: they only parse what people type; the services say
what is allowed (``frontend.forms.add_service_errors`` maps their InvalidInput back onto the
fields).
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.common.errors import InvalidInput
from backend.reporting.rules import (
    ACCEPTED,
    COMMENT_MAX_LENGTH,
    DECISION_FIELDS,
    ENTRY_TEXT_FIELDS,
    ENTRY_TEXT_MAX_LENGTH,
    JUSTIFICATION_MAX_LENGTH,
    REJECTED,
    TECHNICAL_PART_MAX_LENGTH,
)
from frontend.forms import add_service_errors

YES, NO = "yes", "no"


def _textarea(rows: int = 6) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def version_field() -> forms.IntegerField:
    """The version of the document the form was filled from (hidden): the service refuses the
    save if the document changed since (``backend/common/concurrency.py``)."""
    return forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)


def with_version(data, version: int, name: str = "version"):
    """Posted ``data`` as typed, with the document's current ``version`` (in the field
    ``name``): the form shown again after a stale save, whose next save replaces the current
    version knowingly."""
    data = data.copy()
    data[name] = str(version)
    return data


class TechnicalPartForm(forms.Form):
    technical_part = forms.CharField(
        label=_("Technical part"),
        required=False,
        max_length=TECHNICAL_PART_MAX_LENGTH,
        widget=_textarea(12),
        help_text=_("The coordinator's account of the period's work, composed for the report."),
    )
    version = version_field()


class DeclarationForm(forms.Form):
    """The status of one work package at the end of the period (prefix ``wp<number>``)."""

    completed = forms.ChoiceField(
        label=_("Completed?"),
        choices=[(YES, _("Completed")), (NO, _("Not completed"))],
        widget=forms.RadioSelect,
    )
    completed_on = forms.DateField(
        label=_("Completed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        help_text=_("Only for a completed work package."),
    )
    completion_percent = forms.DecimalField(
        label=_("Completion (percent)"),
        required=False,
        localize=True,
        help_text=_(
            "Only for a work package not completed in the final period, where the call pays "
            "partial completion."
        ),
    )
    comment = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=_textarea(2),
    )
    version = version_field()

    def service_input(self) -> dict:
        data = self.cleaned_data
        return {
            "completed": data["completed"] == YES,
            "completed_on": data["completed_on"],
            "completion_percent": data["completion_percent"],
            "comment": data["comment"],
            "expected_version": data.get("version"),
        }

    @staticmethod
    def initial_from(declaration) -> dict:
        if declaration is None:
            return {"version": 0}
        return {
            "completed": YES if declaration.completed else NO,
            "completed_on": declaration.completed_on,
            "completion_percent": declaration.completion_percent,
            "comment": declaration.comment,
            "version": declaration.version,
        }


class JustificationForm(forms.Form):
    """Why a deliverable due in the period is late (prefix ``d<deliverable id>``). The service
    says when the text is missing."""

    text = forms.CharField(
        label=_("Justification of the delay"),
        required=False,
        max_length=JUSTIFICATION_MAX_LENGTH,
        widget=_textarea(3),
    )


class ReviewForm(forms.Form):
    """The officer's comments with a decision; requesting changes needs them (the service
    says so)."""

    comments = forms.CharField(
        label=_("Comments to the consortium"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=_textarea(4),
    )


class ApprovalForm(ReviewForm):
    """The officer's review with a decision on each work package the report declares completed
    (or done to a percentage): accepted (the default) or rejected with a reason, and in the
    final period, where the call pays partial completion, the completion accepted. Requesting
    changes posts the same form; the decisions are then not read."""

    def __init__(self, *args, work_packages=(), percent_allowed: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.numbers = list(work_packages)
        self.percent_allowed = percent_allowed
        for number in self.numbers:
            self.fields[decision_field(number, "decision")] = forms.ChoiceField(
                label=_("Decision on WP%(number)s") % {"number": number},
                choices=[(ACCEPTED, _("Accept")), (REJECTED, _("Reject"))],
                required=False,
                initial=ACCEPTED,
                widget=forms.RadioSelect,
            )
            self.fields[decision_field(number, "reason")] = forms.CharField(
                label=_("Reason"),
                required=False,
                max_length=COMMENT_MAX_LENGTH,
                widget=_textarea(2),
                help_text=_("Required when the work package is rejected."),
            )
            if percent_allowed:
                self.fields[decision_field(number, "accepted_percent")] = forms.DecimalField(
                    label=_("Accepted completion (percent)"),
                    required=False,
                    localize=True,
                    help_text=_("Empty: the completion declared."),
                )

    def groups(self) -> list[tuple[int, list]]:
        """(work package number, its bound decision fields) for the template."""
        return [(number, [self[name] for name in self._names(number)]) for number in self.numbers]

    def _names(self, number: int) -> list[str]:
        names = ["decision", "reason"] + (["accepted_percent"] if self.percent_allowed else [])
        return [decision_field(number, name) for name in names]

    def decisions(self) -> dict[str, dict]:
        """The decisions as ``report_approve`` takes them; a work package left without one is
        accepted."""
        data = self.cleaned_data
        decisions = {}
        for number in self.numbers:
            decision = {
                "decision": data.get(decision_field(number, "decision")) or ACCEPTED,
                "reason": data.get(decision_field(number, "reason"), ""),
            }
            if self.percent_allowed:
                decision["accepted_percent"] = data.get(decision_field(number, "accepted_percent"))
            decisions[str(number)] = decision
        return decisions

    def place_errors(self, errors) -> list:
        """The service's errors (``decisions.3.reason``) at the fields they name; those naming
        none are returned."""
        paths = {}
        for number in self.numbers:
            paths[f"decisions.{number}"] = decision_field(number, "decision")
            for name in DECISION_FIELDS:
                paths[f"decisions.{number}.{name}"] = decision_field(number, name)
        return add_service_errors(self, InvalidInput(errors), paths)


def decision_field(number: int, name: str) -> str:
    return f"wp{number}_{name}"


class InformationRequestForm(forms.Form):
    """The officer's request for information on a submitted report."""

    message = forms.CharField(
        label=_("What information is needed"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=_textarea(3),
        help_text=_(
            "The report stays submitted; the agency's payment deadline is suspended until the "
            "consortium answers."
        ),
    )


class InformationAnswerForm(forms.Form):
    """The project managers' answer to the officer's request for information."""

    answer = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=_textarea(4),
    )


def entry_field(number: int, name: str) -> str:
    return f"wp{number}_{name}"


ENTRY_LABELS = {
    "activities": _("Activities carried out"),
    "outputs": _("Outputs"),
    "narrative": _("Narrative"),
}


class ContributionForm(forms.Form):
    """An organisation's contribution: for each work package, its activities, outputs and
    narrative. Work packages left empty get no entry."""

    version = version_field()

    def __init__(self, *args, work_packages, entries=None, version=None, **kwargs):
        entries = entries or {}
        initial = kwargs.pop("initial", None) or {}
        for number, entry in entries.items():
            for name in ENTRY_TEXT_FIELDS:
                initial.setdefault(entry_field(number, name), getattr(entry, name))
        if version is not None:
            initial["version"] = version
        super().__init__(*args, initial=initial, **kwargs)
        self.work_packages = list(work_packages)
        for work_package in self.work_packages:
            for name in ENTRY_TEXT_FIELDS:
                self.fields[entry_field(work_package.number, name)] = forms.CharField(
                    label=ENTRY_LABELS[name],
                    required=False,
                    max_length=ENTRY_TEXT_MAX_LENGTH,
                    widget=_textarea(3),
                )

    def groups(self):
        """(work package, its three bound fields) for the template."""
        return [
            (
                work_package,
                [self[entry_field(work_package.number, name)] for name in ENTRY_TEXT_FIELDS],
            )
            for work_package in self.work_packages
        ]

    def entries(self) -> list[dict]:
        """The entries as ``contribution_save`` takes them: one per work package with text."""
        found = []
        for work_package in self.work_packages:
            texts = {
                name: self.cleaned_data[entry_field(work_package.number, name)]
                for name in ENTRY_TEXT_FIELDS
            }
            if any(text.strip() for text in texts.values()):
                found.append({"work_package": work_package.number, **texts})
        return found

    def place_errors(self, errors) -> list:
        """The service's errors at the fields of the entries they name; those naming none are
        returned (they are the form's own)."""
        return add_service_errors(self, InvalidInput(errors), self.entry_paths())

    def entry_paths(self) -> dict[str, str]:
        """The service's error paths (``entries[1].outputs``) -> this form's field names, for
        the entries ``entries()`` gave."""
        paths = {}
        for index, entry in enumerate(self.entries()):
            number = entry["work_package"]
            paths[f"entries[{index}]"] = entry_field(number, "activities")
            paths[f"entries[{index}].work_package"] = entry_field(number, "activities")
            for name in ENTRY_TEXT_FIELDS:
                paths[f"entries[{index}].{name}"] = entry_field(number, name)
        return paths
