"""Pure rules over plain data for the grant record. No ORM, no settings, no clock."""

import datetime
from collections.abc import Iterable

EU_MEMBER = "eu_member"
ASSOCIATED = "associated"
NOT_ASSOCIATED = "not_associated"
ELIGIBLE_STATUSES = frozenset({EU_MEMBER, ASSOCIATED})

# (status, valid_from, valid_to or None); valid_to is inclusive.
StatusPeriod = tuple[str, datetime.date, datetime.date | None]


def country_status_on(periods: Iterable[StatusPeriod], day: datetime.date) -> str:
    """A country's programme status on a day; a day no period covers means not associated."""
    for status, valid_from, valid_to in periods:
        if valid_from <= day and (valid_to is None or day <= valid_to):
            return status
    return NOT_ASSOCIATED
