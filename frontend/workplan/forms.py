"""The forms of the project manager's pages: the deliverables board's filters, a deliverable's
file, an officer's revision request and a milestone's achievement.

The forms only parse; the services judge (an empty file, a wrong type, a missing reason, a date
in the future); ``frontend.forms.add_service_errors`` puts a service's refusal next to the
fields it names.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from backend.workplan.evidence import ALLOWED_EXTENSIONS
from backend.workplan.models import ClusterCode, DeliverableStatus


class _Form(forms.Form):
    """Labels without a trailing colon."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class DeliverableFilterForm(_Form):
    work_package = forms.TypedChoiceField(
        label=_("Work package"), required=False, coerce=int, empty_value=None
    )
    cluster = forms.ChoiceField(label=_("Activity cluster"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.BooleanField(label=_("Only overdue"), required=False)

    def __init__(self, *args, work_packages: list[tuple[int, str]], **kwargs):
        kwargs.setdefault("auto_id", "filter_%s")
        super().__init__(*args, **kwargs)
        self.fields["work_package"].choices = [("", _("All work packages"))] + [
            (number, _("WP%(number)s %(title)s") % {"number": number, "title": title})
            for number, title in work_packages
        ]
        self.fields["cluster"].choices = [("", _("All activity clusters")), *ClusterCode.choices]
        self.fields["status"].choices = [("", _("All statuses")), *DeliverableStatus.choices]

    def filters(self) -> dict:
        """The filters chosen, as ``deliverable_list`` takes them."""
        data = self.cleaned_data
        chosen = {
            "work_package": data.get("work_package"),
            "cluster": data.get("cluster") or None,
            "status": data.get("status") or None,
            "overdue": True if data.get("overdue") else None,
        }
        return {name: value for name, value in chosen.items() if value is not None}


class EvidenceUploadForm(_Form):
    # Not required here: the service says what is missing, in the same words as the API.
    file = forms.FileField(
        label=_("File"),
        required=False,
        help_text=_(
            "One file: doc, docx, odt, rtf, pdf, csv or zip (several files go into one zip). "
            "Its content must match its extension."
        ),
        widget=forms.FileInput(
            attrs={"accept": ",".join(f".{extension}" for extension in ALLOWED_EXTENSIONS)}
        ),
    )


class RevisionRequestForm(_Form):
    reason = forms.CharField(
        label=_("What has to be revised"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class MilestoneAchieveForm(_Form):
    achieved_on = forms.DateField(
        label=_("Achieved on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    verification = forms.CharField(
        label=_("How the means of verification show it achieved"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, milestone_id: int, **kwargs):
        # One form per milestone on the page: the ids differ, the field names do not.
        kwargs.setdefault("auto_id", f"ms{milestone_id}_%s")
        super().__init__(*args, **kwargs)
