"""Why an amendment request was refused: invalid input (each error names its field) or a step
taken out of order. Kinds of the domain's common refusals, answered alike by the API."""

from backend.common.errors import Conflict, InvalidInput, PathError

# An amendment's errors name the field of the input, e.g. changes[1].effective_on.
FieldError = PathError


class AmendmentInvalid(InvalidInput):
    """Input that cannot be accepted, with every error found (in input order)."""


class AmendmentConflict(Conflict):
    """A step the request's status does not allow now (approving a draft, editing a submitted
    request, approving after the decision period)."""
