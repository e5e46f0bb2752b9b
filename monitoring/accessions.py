"""New beneficiaries that have not acceded by their deadline.

A beneficiary or affiliated entity added by amendment is "pending accession" until the agency
records its accession (``backend.amendments.accession``): it does not count toward the
composition meanwhile. Once the rule set's accession days after the approval have passed (the
deadline on day D runs to the end of D in Brussels), the watchers flag it, so that the agency
chases the accession or records the non-accession.
"""

import datetime
from collections.abc import Collection

from django.db.models import F
from django.utils.translation import gettext_noop

from backend.grants.eligibility.messages import stored_message
from backend.grants.models import Accession, Participation
from backend.grants.selectors import AnyOf
from monitoring.flags import Finding
from monitoring.models import FlagKind, Severity


def accession_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    """One finding per participation still pending after its accession due date, in one
    query whatever the number of projects."""
    message = gettext_noop(
        "%(participant)s has not acceded to the grant agreement: its accession was due by "
        "%(due)s. It does not count toward the composition until it accedes; if it does not, "
        "the agency can record its non-accession."
    )
    rows = (
        Participation.objects.filter(
            AnyOf(F("project_id"), list(project_ids)),
            accession=Accession.PENDING,
            accession_due_on__lt=today,
        )
        .order_by("project_id", "position", "id")
        .values_list("id", "project_id", "short_name", "role", "joined_on", "accession_due_on")
    )
    findings = []
    for participation_id, project_id, short_name, role, joined_on, due_on in rows:
        params = {"participant": short_name, "due": due_on}
        findings.append(
            Finding(
                project_id=project_id,
                kind=FlagKind.ACCESSION_OVERDUE,
                # A newcomer the composition may rest on; it is at least a request to chase.
                severity=Severity.HIGH,
                fingerprint=f"{FlagKind.ACCESSION_OVERDUE}:{participation_id}",
                explanation=stored_message(
                    message,
                    params,
                    {
                        "participation_id": participation_id,
                        "participant": short_name,
                        "role": role,
                        "joined_on": joined_on.isoformat(),
                        "due_on": due_on.isoformat(),
                    },
                ),
            )
        )
    return findings
