"""Errors found in a grant file, each naming the path of the offending value."""

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
class GrantFileError:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(file)'}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class GrantFileInvalid(Exception):
    """A grant file that cannot be imported, with every error found in it (in file order)."""

    def __init__(self, errors: list[GrantFileError]):
        self.errors = list(dict.fromkeys(errors))
        super().__init__("; ".join(str(error) for error in self.errors))
