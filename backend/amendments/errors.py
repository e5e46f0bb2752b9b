"""Why an amendment request was refused: invalid input (each error names its field) or a step
taken out of order."""

from backend.common.errors import PathError

# An amendment's errors name the field of the input, e.g. changes[1].effective_on.
FieldError = PathError


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
