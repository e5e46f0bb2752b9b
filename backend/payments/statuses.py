"""An instalment's status: its value, its one label and its one colour.

The payment schedule (``backend.payments.rules``) gives each instalment one of these values.
The API, the pages, the exports and the charts all name and colour a status from this table, so
that "nothing due" reads the same grey everywhere and "blocked" the same red.

Colours are the names the stylesheet knows (``status-<colour>``): grey for what asks nothing
of anyone, amber for what waits on someone's action, red for what is held back, green for what
is done.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

SCHEDULED = "scheduled"
NOTHING_DUE = "nothing_due"
BLOCKED = "blocked"
DECISION_NEEDED = "decision_needed"
SUSPENDED = "suspended"
READY = "ready"
APPROVED = "approved"
PAID = "paid"

GREY = "grey"
AMBER = "amber"
RED = "red"
GREEN = "green"


class InstalmentStatus(models.TextChoices):
    """An instalment's place in the payment schedule."""

    # Its period has not ended (or pre-financing: the grant is not in force yet).
    SCHEDULED = SCHEDULED, _("Scheduled")
    # Every condition is met but there is nothing to pay (no work package completed yet).
    NOTHING_DUE = NOTHING_DUE, _("Nothing due")
    # A condition is not met: a report, a declaration, a justification, an earlier report.
    BLOCKED = BLOCKED, _("Blocked")
    # Every condition is met but the consortium breaches the composition rules: the officer
    # suspends the payment or approves it with a justification.
    DECISION_NEEDED = DECISION_NEEDED, _("Decision needed")
    # The officer suspended its payment.
    SUSPENDED = SUSPENDED, _("Suspended")
    # Every condition is met: the officer may approve it.
    READY = READY, _("Ready for approval")
    APPROVED = APPROVED, _("Approved")
    PAID = PAID, _("Paid")


STATUSES = tuple(InstalmentStatus.values)

COLOURS = {
    SCHEDULED: GREY,
    NOTHING_DUE: GREY,
    BLOCKED: RED,
    DECISION_NEEDED: AMBER,
    SUSPENDED: RED,
    READY: AMBER,
    APPROVED: GREEN,
    PAID: GREEN,
}


def status_label(value: str) -> str:
    """The status's words in the active language; an unknown value as it is."""
    try:
        return str(InstalmentStatus(value).label)
    except ValueError:
        return str(value)


def status_colour(value: str) -> str:
    """ "grey", "amber", "red" or "green"; empty for an unknown value."""
    return COLOURS.get(value, "")
