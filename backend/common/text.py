"""Which characters a text from outside may hold.

PostgreSQL cannot store a NUL byte, and no field of the record means to hold any other control
character (a terminal escape, a bell, a form feed) or half of a UTF-16 surrogate pair. The
readers of outside input (the API's parsers, the pages' forms, the query strings and paths of
both) refuse such a text at its field with one message, before anything reads it further;
tab, line feed and carriage return are allowed, the line breaks of multi-line text.
"""

import re
from collections.abc import Iterator, Mapping

from django.utils.translation import gettext as _

from backend.common.errors import PathError, PathPart

# C0 controls but tab, line feed and carriage return; DEL and the C1 controls; lone surrogates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def forbidden_character(text: str) -> str | None:
    """The first character ``text`` may not hold, or None."""
    found = _FORBIDDEN.search(text)
    return found.group() if found else None


def control_character_message(character: str) -> str:
    """Why a text holding ``character`` is refused."""
    return _(
        "The text holds a control character (U+%(code)04X), which is not allowed: write "
        "plain text (tabs and line breaks are fine)."
    ) % {"code": ord(character)}


def control_character_errors(data, parts: tuple[PathPart, ...] = ()) -> Iterator[PathError]:
    """An error for each text in ``data`` (nested mappings and lists, their keys included)
    that holds a character it may not, each at its path (``changes[0].justification``)."""
    stack = [(parts, data)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, str):
            if (character := forbidden_character(value)) is not None:
                yield PathError.at(here, control_character_message(character))
        elif isinstance(value, Mapping):
            for key, item in reversed(list(value.items())):
                if isinstance(key, str) and (character := forbidden_character(key)) is not None:
                    yield PathError.at(here, control_character_message(character))
                    continue
                stack.append(((*here, key), item))
        elif isinstance(value, list | tuple):
            stack.extend(((*here, index), item) for index, item in reversed(list(enumerate(value))))
