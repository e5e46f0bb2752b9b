"""Lump-sum shares of participants that left, not yet reallocated by an Annex 2 amendment.

A participant that left keeps only its shares of the work packages already paid; the remaining
beneficiaries carry out its part (brief 4.5), so its shares of the work packages not yet paid
must go to them through an Annex 2 amendment. Until one does, the project has one flag naming
each such participant and its amounts. Severity high: an interim payment or the balance that
pays one of those work packages would be split by the shares recorded, sending part of it to
an organisation no longer in the grant; it is not critical, since nothing is paid until the
officer approves the instalment. The flag clears itself once the shares are reallocated (the
next check finds none) or the work packages are paid.
"""

import datetime
from collections import defaultdict
from collections.abc import Collection
from decimal import Decimal

from django.db.models import F
from django.utils.translation import gettext_noop

from backend.amendments.kinds.breakdown import paid_work_packages
from backend.grants.eligibility.messages import stored_message
from backend.grants.selectors import AnyOf
from backend.workplan.models import WorkPackageShare
from monitoring.flags import Finding
from monitoring.models import FlagKind, Severity

MESSAGE = gettext_noop(
    "Participants that left still hold lump-sum shares of work packages not yet paid: "
    "%(holdings)s. An Annex 2 amendment should reallocate them to the remaining beneficiaries."
)


def unallocated_share_findings(project_ids: Collection[int], today: datetime.date) -> list[Finding]:
    """One finding per project whose participants that left before ``today`` hold shares of
    work packages not yet paid. Three queries whatever the number of projects."""
    ids = list(project_ids)
    rows = list(
        WorkPackageShare.objects.filter(
            # Both sides of the joins restricted to the batch, so that either leads by index.
            AnyOf(F("work_package__project_id"), ids),
            AnyOf(F("participation__project_id"), ids),
            participation__left_on__lt=today,
            amount_eur__gt=0,
        )
        .order_by("work_package__project_id", "participation__position", "work_package__number")
        .values_list(
            "work_package__project_id",
            "participation__short_name",
            "participation__left_on",
            "work_package__number",
            "amount_eur",
        )
    )
    if not rows:
        return []
    paid = paid_work_packages({row[0] for row in rows})
    held: dict[int, dict[str, dict]] = defaultdict(dict)
    for project_id, name, left_on, number, amount in rows:
        if number in paid[project_id]:
            continue
        holder = held[project_id].setdefault(
            name, {"participant": name, "left_on": left_on.isoformat(), "work_packages": {}}
        )
        holder["work_packages"][str(number)] = f"{amount:.2f}"
    findings = []
    for project_id, holders in held.items():
        participants = list(holders.values())
        for holder in participants:
            holder["total"] = f"{sum(map(Decimal, holder['work_packages'].values())):.2f}"
        holdings = "; ".join(
            "{name} ({left_on}): {packages} (EUR {total})".format(
                name=holder["participant"],
                left_on=holder["left_on"],
                total=holder["total"],
                packages=", ".join(
                    f"WP{number} EUR {amount}" for number, amount in holder["work_packages"].items()
                ),
            )
            for holder in participants
        )
        findings.append(
            Finding(
                project_id=project_id,
                kind=FlagKind.UNALLOCATED_SHARES,
                severity=Severity.HIGH,
                fingerprint=f"{FlagKind.UNALLOCATED_SHARES}:{project_id}",
                explanation=stored_message(
                    MESSAGE, {"holdings": holdings}, {"participants": participants}
                ),
            )
        )
    return findings
