"""How deeply a JSON text nests, measured without parsing it.

Python's JSON reader recurses once per level, so a text nested ten thousand levels deep ends in
a RecursionError instead of an answer. The readers of outside input (the API's JSON parser,
the grant-file reader) measure the text first, in one pass without recursion, and refuse it by
name when it nests deeper than they allow.
"""

import re
from itertools import accumulate

# A JSON string (its escapes included): brackets inside one do not nest anything.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth(text: str) -> int:
    """The deepest nesting of arrays and objects in ``text`` (0 for a bare value, 1 for
    ``{"a": 1}``), counted over its brackets outside strings. A text that is not JSON gets a
    number all the same; the parser that reads it afterwards says what is wrong with it."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(0, max(accumulate(map(_STEP.__getitem__, brackets)), default=0))
