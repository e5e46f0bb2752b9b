"""Helpers for amendment tests: changes as the API takes them, and row counts of every table
that could be written."""

import datetime

from tests.helpers import row_counts  # noqa: F401 - the suite's one row count, used here


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def terminate(participant: str, effective_on: str) -> dict:
    return {
        "kind": "terminate_participation",
        "participant": participant,
        "effective_on": effective_on,
    }


def add(kind: str = "add_beneficiary", *, effective_on: str, **fields) -> dict:
    return {"kind": kind, "effective_on": effective_on, **fields}


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
