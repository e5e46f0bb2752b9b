"""What a check stores of a message's parameters: JSON's own shapes, equal to what it reads back."""

import datetime
import json
from decimal import Decimal
from typing import NamedTuple

from backend.grants.eligibility.messages import jsonable, stored_message
from backend.grants.models import ParticipationRole
from backend.payments.rules import RuleNames


class _Pair(NamedTuple):
    first: object
    second: object


def test_every_shape_comes_out_as_json_gives_it_back():
    value = {
        "date": datetime.date(2027, 3, 31),
        "moment": datetime.datetime(2027, 3, 31, 12, 30, tzinfo=datetime.UTC),
        "amount": Decimal("1421.01"),
        "count": 3,
        "share": 0.5,
        "flag": True,
        "nothing": None,
        "tuple": (1, (datetime.date(2027, 1, 1), Decimal("2"))),
        "set": {"LV", "EE", "FI"},
        "frozen": frozenset({3, 1, 2}),
        "pair": _Pair(Decimal("1.50"), [datetime.date(2027, 2, 1)]),
        "role": ParticipationRole.BENEFICIARY,
        "rules": RuleNames(("min_full_partners", "coordinator")),
        7: "a key that is a number",
    }

    found = jsonable(value)

    assert found == {
        "date": "2027-03-31",
        "moment": "2027-03-31T12:30:00+00:00",
        "amount": "1421.01",
        "count": 3,
        "share": 0.5,
        "flag": True,
        "nothing": None,
        "tuple": [1, ["2027-01-01", "2"]],
        "set": ["EE", "FI", "LV"],
        "frozen": [1, 2, 3],
        "pair": ["1.50", ["2027-02-01"]],
        "role": "beneficiary",
        "rules": {"rules": ["min_full_partners", "coordinator"]},
        "7": "a key that is a number",
    }
    # What it stores is what JSON gives back: a check compares its finding with the flag's
    # stored explanation, and a difference would rewrite the flag on every sweep.
    assert json.loads(json.dumps(found)) == found
    stored = stored_message("a message", value, {"when": datetime.date(2027, 3, 31)})
    assert json.loads(json.dumps(stored)) == stored


def test_a_value_of_a_kind_json_has_no_shape_for_is_left_as_it_is():
    marker = object()

    assert jsonable(marker) is marker
    assert jsonable([marker]) == [marker]
