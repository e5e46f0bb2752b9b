"""Helpers for amendment tests: changes as the services take them (``ChangeInput``) and as the
API takes them (``as_json``), and row counts of every table that could be written."""

import dataclasses
import datetime

from backend.amendments.validation import ChangeInput
from tests.helpers import row_counts  # noqa: F401 - the suite's one row count, used here


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def terminate(participant: str, effective_on: str) -> ChangeInput:
    return ChangeInput(
        kind="terminate_participation", participant=participant, effective_on=day(effective_on)
    )


def add(kind: str = "add_beneficiary", *, effective_on: str, **fields) -> ChangeInput:
    return ChangeInput(kind=kind, effective_on=day(effective_on), **fields)


def as_json(changes: list[ChangeInput | dict]) -> list[dict]:
    """Changes as a client sends them to the API: the fields given, dates as YYYY-MM-DD (a
    dict, e.g. a malformed change, goes as it is)."""
    return [
        change
        if isinstance(change, dict)
        else {
            name: value.isoformat() if isinstance(value, datetime.date) else value
            for name, value in dataclasses.asdict(change).items()
            if value is not None
        }
        for change in changes
    ]


def new_organisation(short_name: str, pic: str, country: str, types: list[str], **fields) -> dict:
    """An addition of an organisation the system does not know yet (as a beneficiary)."""
    return {
        "short_name": short_name,
        "pic": pic,
        "legal_name": f"{short_name} Legal Name",
        "country": country,
        "types": types,
        **fields,
    }


# Terminating these six leaves the demo with exactly 7 countable full partners (GAUJA, ZILEMED,
# NEMPOLY, SESUPE, EMAJOE, POHJATAHT, UKELB) in 4 qualifying countries (LV, LT, EE, DE): only
# the minimum of 8 full partners breaks.
DOWN_TO_SEVEN = ["LVTDA", "PUAS", "HOIVA", "ZSTW", "FJORDVIK", "NORDLYS"]
