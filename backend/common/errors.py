"""The domain's refusals, with nothing of HTTP in them: the API (``backend/api/errors.py``) and the
web pages each turn them into their own answer.

Errors name the path of the offending value: a grant file's ``work_packages[2].shares_eur.ACME``
as much as an amendment's ``changes[1].effective_on``.
"""

import re
from dataclasses import dataclass

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]+$")

PathPart = str | int


def format_path(parts: tuple[PathPart, ...] | list[PathPart]) -> str:
    """``("work_packages", 2, "shares_eur", "ACME")`` -> ``work_packages[2].shares_eur.ACME``.

    List indices count from 0. Mapping keys that are not plain words are quoted.
    """
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.match(part):
            text += f".{part}" if text else part
        else:
            text += "[" + repr(part).replace("'", '"') + "]" if part else '[""]'
    return text


@dataclass(frozen=True)
class PathError:
    path: str  # empty for the input as a whole
    message: str

    @classmethod
    def at(cls, parts: tuple[PathPart, ...], message: str) -> "PathError":
        return cls(format_path(parts), str(message))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InvalidInput(Exception):
    """Input that cannot be accepted, with every error found, each naming its field. The API
    answers 400 with ``{"detail": ..., "errors": [{"path", "message"}]}``."""

    def __init__(self, errors: list[PathError], detail: str = ""):
        self.errors = list(dict.fromkeys(errors))
        self.detail = str(detail)
        super().__init__("; ".join(str(error) for error in self.errors))

    @classmethod
    def at(cls, path: str, message: str) -> "InvalidInput":
        return cls([PathError(path, str(message))])


class Conflict(Exception):
    """A step the object's state does not allow now (submitting twice, editing what is locked).
    The API answers 409 with ``{"detail": message}``."""

    def __init__(self, message: str):
        self.message = str(message)
        super().__init__(self.message)
