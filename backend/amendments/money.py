"""What an amendment does to the money: the payment schedule and each beneficiary's lump-sum
shares, before and after its changes of the grant as a whole. Pure: the payment facts come in
(``payments.selectors.grant_facts``), each change's handler says what it makes of them
(``KindHandler.facts_after``), and the schedule is computed on both."""

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from backend.payments.rules import ZERO, GrantFacts, schedule, share_totals

from .kinds import handler_for
from .models import PROJECT_LEVEL


def facts_with(facts: GrantFacts, changes: Iterable[Mapping], records: Mapping[str, Any]):
    """The payment facts with the changes of the grant as a whole, in order."""
    for values in changes:
        kind = str(values["kind"])
        if kind in PROJECT_LEVEL:
            facts = handler_for(kind).facts_after(facts, values, records.get(kind))
    return facts


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _day(value: datetime.date | None) -> str | None:
    return None if value is None else value.isoformat()


def money_what_if(
    before: GrantFacts, after: GrantFacts, today: datetime.date
) -> dict[str, object] | None:
    """The schedule and the shares before and after, side by side; None when the changes touch
    no money. Amounts are decimal strings; ``projected`` is what an instalment pays once its
    period's declarations are approved."""
    if before == after:
        return None
    old = {item.key: item for item in schedule(before, today)}
    new = {item.key: item for item in schedule(after, today)}
    instalments = []
    for key in [*old, *(key for key in new if key not in old)]:
        was, will = old.get(key), new.get(key)
        instalments.append(
            {
                "key": key,
                "kind": (will or was).kind,
                "period": (will or was).period,
                "due_on_before": _day(was.due_on if was else None),
                "due_on_after": _day(will.due_on if will else None),
                "projected_before": _money(was.projected_amount if was else None),
                "projected_after": _money(will.projected_amount if will else None),
                "changed": was is None
                or will is None
                or (was.due_on, was.projected_amount) != (will.due_on, will.projected_amount),
            }
        )
    shares_before, shares_after = share_totals(before), share_totals(after)
    beneficiaries = [
        {
            "participant": participant,
            "before": _money(shares_before.get(participant, ZERO)),
            "after": _money(shares_after.get(participant, ZERO)),
            "difference": _money(
                shares_after.get(participant, ZERO) - shares_before.get(participant, ZERO)
            ),
        }
        for participant in [*shares_before, *(p for p in shares_after if p not in shares_before)]
    ]
    return {
        "max_grant_before": _money(before.max_grant),
        "max_grant_after": _money(after.max_grant),
        # Any increase of the maximum grant is the officer's to review (edge case 27).
        "review": ["max_grant_increase"] if after.max_grant > before.max_grant else [],
        "instalments": instalments,
        "beneficiaries": beneficiaries,
    }
