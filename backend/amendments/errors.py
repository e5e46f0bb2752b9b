"""Why an amendment request was refused: invalid input (each error names its field) or a step
taken out of order."""

from dataclasses import dataclass

from backend.grants.grantfile.errors import PathPart, format_path


@dataclass(frozen=True)
class FieldError:
    path: str  # e.g. changes[1].effective_on (lists count from 0)
    message: str

    @classmethod
    def at(cls, parts: tuple[PathPart, ...], message: str) -> "FieldError":
        return cls(format_path(parts), str(message))

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class AmendmentInvalid(Exception):
    """Input that cannot be accepted, with every error found (in input order)."""

    def __init__(self, errors: list[FieldError]):
        self.errors = list(dict.fromkeys(errors))
        super().__init__("; ".join(str(error) for error in self.errors))


class AmendmentConflict(Exception):
    """A step the request's status does not allow now (approving a draft, editing a submitted
    request, approving after the decision period)."""

    def __init__(self, message: str):
        self.message = str(message)
        super().__init__(self.message)
