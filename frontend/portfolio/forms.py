"""The officer's forms: the portfolio's filters and the notes of the flags' triage."""

from django import forms
from django.utils.translation import gettext_lazy as _

from monitoring.dashboard import DEFAULT_SORT, SORTS, PortfolioFilters
from monitoring.flags import NOTE_MAX_LENGTH
from monitoring.models import Severity
from monitoring.rag import AMBER, GREEN, RED

STATUS_CHOICES = [("", _("Any status")), (RED, _("Red")), (AMBER, _("Amber")), (GREEN, _("Green"))]
SORT_LABELS = {
    "status": _("Status, red first"),
    "-status": _("Status, green first"),
    "acronym": _("Acronym, A to Z"),
    "-acronym": _("Acronym, Z to A"),
    "-flags": _("Open flags, most first"),
    "flags": _("Open flags, fewest first"),
    "due": _("Next instalment due, earliest first"),
    "-due": _("Next instalment due, latest first"),
}
assert {sort.lstrip("-") for sort in SORT_LABELS} == set(SORTS)
# The order chosen when none is: the select shows its first option then.
assert next(iter(SORT_LABELS)) == DEFAULT_SORT


class PortfolioFilterForm(forms.Form):
    """The portfolio table's filters and order, read from the query string. The call is
    matched by its identifier: one the user has no project of finds nothing."""

    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    severity = forms.ChoiceField(
        label=_("Open flag of severity"),
        choices=[("", _("Any severity")), *Severity.choices],
        required=False,
    )
    call = forms.CharField(label=_("Call"), max_length=64, required=False, widget=forms.Select)
    q = forms.CharField(
        label=_("Acronym or grant agreement number"),
        max_length=100,
        required=False,
        widget=forms.SearchInput,
    )
    sort = forms.ChoiceField(label=_("Sort by"), choices=list(SORT_LABELS.items()), required=False)

    def offer_calls(self, calls) -> None:
        """The calls the select offers: those of the user's projects."""
        widget = self.fields["call"].widget
        widget.choices = [("", _("Any call")), *((call, call) for call in calls)]
        widget.attrs.pop("maxlength", None)  # a text's limit, not a select's

    def filters(self) -> PortfolioFilters:
        data = self.cleaned_data
        return PortfolioFilters(
            status=data["status"] or None,
            severity=data["severity"] or None,
            call=data["call"] or None,
            search=data["q"],
            sort=data["sort"] or DEFAULT_SORT,
        )


class FlagNoteForm(forms.Form):
    """A triage note, for one of a flag's two steps (``action``: "ack" acknowledges it,
    "resolve" resolves it). Whether it is required and how long it may be is the flag services'
    rule (``monitoring.flags``): their errors are shown on this field."""

    LABELS = {"ack": _("Note (optional)"), "resolve": _("Why it is resolved (required)")}

    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": NOTE_MAX_LENGTH}),
    )

    def __init__(self, *args, flag_id: int, action: str, **kwargs):
        # Each row of the page holds both forms of its flag: the ids differ.
        kwargs.setdefault("auto_id", f"flag-{flag_id}-{action}-%s")
        super().__init__(*args, **kwargs)
        self.fields["note"].label = self.LABELS[action]
        if action == "resolve":
            self.fields["note"].widget.attrs["aria-required"] = "true"
