"""How the web pages name and colour the record's statuses: one label and one colour for each
value, wherever it is shown (badges, exports, the timeline's texts).

The labels are the ``TextChoices`` of the models. The verdict statuses of the eligibility
engine and the dashboard's red/amber/green are plain strings in the backend; their choices are
declared here, on the backend's own values. The instalment statuses come with their labels and
colours from the payment schedule's one table (``backend.payments.statuses``). A badge always
shows its words: the colour only repeats them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _

from backend.amendments.models import AmendmentStatus
from backend.grants.eligibility import engine
from backend.payments import statuses as instalment_statuses
from backend.payments.models import InstalmentKind
from backend.payments.statuses import InstalmentStatus
from backend.reporting.models import ContributionStatus, ReportStatus, VersionDecision
from backend.reporting.selectors import NOT_STARTED
from backend.workplan.models import DeliverableStatus
from monitoring import rag
from monitoring.models import FlagKind, Severity

GREEN = "green"
AMBER = "amber"
RED = "red"
GREY = "grey"


class VerdictStatus(models.TextChoices):
    """A composition rule's status, or a whole verdict's (its most serious rule's)."""

    PASS = engine.PASS, _("Pass")
    WARNING = engine.WARNING, _("Warning")
    REVIEW = engine.REVIEW, _("Review")
    BREACH = engine.BREACH, _("Breach")


class RagStatus(models.TextChoices):
    """A project's compliance at a glance (``monitoring.rag``)."""

    RED = rag.RED, _("Red")
    AMBER = rag.AMBER, _("Amber")
    GREEN = rag.GREEN, _("Green")


@dataclass(frozen=True)
class Presenter:
    """The label and the colour of each value of one kind of status."""

    choices: type[models.TextChoices]
    colours: Mapping[str, str] = field(default_factory=dict)
    # Labels of values the choices do not hold (e.g. a report nobody wrote to yet).
    others: Mapping[str, str] = field(default_factory=dict)

    def label(self, value) -> str:
        """The value's words in the active language; a value unknown here as it is."""
        key = value or ""
        if key in self.others:
            return str(self.others[key])
        try:
            return str(self.choices(key).label)
        except ValueError:
            return str(key)

    def colour(self, value) -> str:
        """ "green", "amber", "red" or "grey"; empty for a value shown without a colour."""
        return self.colours.get(value or "", "")

    def css_class(self, value, default: str = "") -> str:
        """The badge's class: "status-green" and so on, ``default`` without a colour."""
        colour = self.colour(value)
        return f"status-{colour}" if colour else default


# Warnings and reviews both call for a look, so both are amber; only a breach is red.
VERDICT = Presenter(
    VerdictStatus,
    {
        VerdictStatus.PASS: GREEN,
        VerdictStatus.WARNING: AMBER,
        VerdictStatus.REVIEW: AMBER,
        VerdictStatus.BREACH: RED,
    },
)
# The payment schedule's own table (backend.payments.statuses): one label and one colour per
# status, the same in the API, the pages, the exports and the charts.
INSTALMENT_STATUS = Presenter(InstalmentStatus, instalment_statuses.COLOURS)
INSTALMENT_KIND = Presenter(InstalmentKind)
RAG = Presenter(RagStatus, {RagStatus.RED: RED, RagStatus.AMBER: AMBER, RagStatus.GREEN: GREEN})
# A flag's badge takes its colour from the stylesheet's severity-<value> classes.
SEVERITY = Presenter(Severity)
FLAG_KIND = Presenter(FlagKind)
NOT_STARTED_LABEL = {NOT_STARTED: _("Not started"), "": _("Not started")}
REPORT_STATUS = Presenter(
    ReportStatus,
    {
        ReportStatus.DRAFT: AMBER,
        ReportStatus.SUBMITTED: AMBER,
        ReportStatus.CHANGES_REQUESTED: RED,
        ReportStatus.APPROVED: GREEN,
    },
    NOT_STARTED_LABEL,
)
CONTRIBUTION_STATUS = Presenter(
    ContributionStatus,
    {ContributionStatus.DRAFT: AMBER, ContributionStatus.LOCKED: GREEN},
    NOT_STARTED_LABEL,
)
DECISION = Presenter(
    VersionDecision,
    {
        VersionDecision.PENDING: AMBER,
        VersionDecision.APPROVED: GREEN,
        VersionDecision.CHANGES_REQUESTED: RED,
    },
)
DELIVERABLE_STATUS = Presenter(
    DeliverableStatus,
    {
        DeliverableStatus.DRAFT: AMBER,
        DeliverableStatus.SUBMITTED: AMBER,
        DeliverableStatus.ACCEPTED: GREEN,
    },
)
AMENDMENT_STATUS = Presenter(
    AmendmentStatus,
    {
        AmendmentStatus.SUBMITTED: AMBER,
        AmendmentStatus.APPROVED: GREEN,
        AmendmentStatus.REJECTED: RED,
    },
)
