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


def differences_from_record(
    known,
    *,
    legal_name: str | None = None,
    country: str | None = None,
    types: Iterable[str] | None = None,
) -> list[tuple[str, str]]:
    """Where a description of an organisation the system knows differs from its record, as
    (field, recorded value as shown) pairs; a value not given (None) is not compared. ``known``
    has ``legal_name``, ``country`` and ``types``. A grant file or an amendment must describe a
    known organisation as recorded: its country and types decide eligibility in every project
    it takes part in."""
    differences = []
    if legal_name is not None and legal_name != known.legal_name:
        differences.append(("legal_name", known.legal_name))
    if country is not None and country != known.country:
        differences.append(("country", known.country))
    if types is not None and frozenset(types) != frozenset(known.types):
        differences.append(("types", ", ".join(sorted(known.types))))
    return differences
