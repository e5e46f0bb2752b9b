"""How the API answers a request it does not carry out, in the shapes the published schema
declares (``declare_error_responses`` below, a drf-spectacular postprocessing hook):

- 400, invalid input, and 429, too many requests: ``PathErrors``,
  ``{"detail": ..., "errors": [{"path", "message"}]}`` (``errors`` is empty for a 429);
- every other 4xx (401, 403, 404, 405, 406, 409, 415): ``Refusal``, ``{"detail": ...}``, the
  reason in words; an operation whose refusal says more declares its own (a report's
  submission lists its ``blockers``).

Invalid input is refused either by an input serializer (views call
``serializer.is_valid(raise_exception=True)``; DRF's ``ValidationError``), by a service
(``InvalidInput`` and its kinds, e.g. an amendment's or a grant file's errors) or by a parser (a
body that is not valid JSON, or not in the encoding it says: DRF's ``ParseError``, whose one
error is at the path of the input as a whole); all are answered alike. The ``detail`` says what
was not done: the service's own if it gives one, else the view's ``invalid_detail`` (e.g. "The
payment was not recorded."), else "Nothing was saved: the input has errors.". Every
``Conflict`` (a step the object's state does not allow) is a 409, with the fields the view's
``conflict_fields`` adds (the report submission's empty ``blockers``). A request over the API's rate
(backend/api/throttling.py) is a 429 with Retry-After.
"""

import math
from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers, status
from rest_framework.exceptions import ParseError, Throttled, ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from backend.common.errors import Conflict, InvalidInput, PathError, PathPart


class PathErrorSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text="Where the offending value is, e.g. changes[1].effective_on or "
        "work_packages[2].shares_eur.ACME (lists count from 0); empty for the input as a whole."
    )
    message = serializers.CharField()


class PathErrorsSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = PathErrorSerializer(many=True)


def path_errors(detail, parts: tuple[PathPart, ...] = ()) -> list[PathError]:
    """A DRF ``ValidationError``'s detail as a flat list of errors, each naming its path
    (``{"changes": [{}, {"effective_on": ["..."]}]}`` -> ``changes[1].effective_on: ...``).
    Errors about an object as a whole (``non_field_errors``) take the object's path."""
    if isinstance(detail, Mapping):
        found = []
        for key, value in detail.items():
            key_parts = parts if key == api_settings.NON_FIELD_ERRORS_KEY else (*parts, key)
            found += path_errors(value, key_parts)
        return found
    if isinstance(detail, list | tuple):
        found = []
        for index, item in enumerate(detail):
            if isinstance(item, Mapping | list | tuple):
                found += path_errors(item, (*parts, index))
            else:
                found.append(PathError.at(parts, item))
        return found
    return [PathError.at(parts, detail)]


def field_check(check, *args):
    """``check(*args)``, a service's check of one field's value (it raises InvalidInput), run
    by a serializer's ``validate_<field>``: its refusal becomes the field's error."""
    try:
        return check(*args)
    except InvalidInput as invalid:
        raise ValidationError([error.message for error in invalid.errors]) from None


def exception_handler(exc, context):
    """DRF's handler, with invalid input in the one 400 shape and the domain's refusals."""
    if isinstance(exc, ParseError):
        exc = InvalidInput([PathError("", str(exc.detail))])
    if isinstance(exc, ValidationError):
        exc = InvalidInput(path_errors(exc.detail))
    if isinstance(exc, InvalidInput):
        detail = (
            exc.detail
            or str(getattr(context.get("view"), "invalid_detail", ""))
            or _("Nothing was saved: the input has errors.")
        )
        return Response(
            {"detail": detail, "errors": [error.as_dict() for error in exc.errors]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Conflict):
        fields = getattr(context.get("view"), "conflict_fields", {})
        return Response({"detail": exc.message, **fields}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Throttled):
        return _throttled(exc, context)
    return drf_exception_handler(exc, context)


def _throttled(exc: Throttled, context) -> Response:
    """429 in the error shape, with DRF's Retry-After header (whole seconds)."""
    response = drf_exception_handler(exc, context)
    seconds = None if exc.wait is None else max(1, math.ceil(exc.wait))
    if seconds is not None:
        response["Retry-After"] = str(seconds)
        detail = ngettext(
            "Too many requests: try again in %(seconds)d second.",
            "Too many requests: try again in %(seconds)d seconds.",
            seconds,
        ) % {"seconds": seconds}
    else:
        detail = _("Too many requests: try again later.")
    response.data = {"detail": detail, "errors": []}
    return response


# -- the schema's error responses ----------------------------------------------------------------

_PATH_ERRORS = {"$ref": "#/components/schemas/PathErrors"}
_REFUSAL = {"$ref": "#/components/schemas/Refusal"}
_REFUSAL_SCHEMA = {
    "type": "object",
    "description": "Why the request was not carried out: every 4xx but 400 and 429, unless the "
    "operation declares more.",
    "properties": {"detail": {"type": "string", "description": "The reason, in words."}},
    "required": ["detail"],
}
_UNSAFE = {"post", "put", "patch", "delete"}


def _generic_responses(method: str, operation: dict) -> dict[str, str]:
    """The 4xx any request to the operation may meet, whatever it does, with a description."""
    found = {
        "406": "The Accept header names none of the operation's media types",
        "429": "Too many requests: Retry-After says in how many seconds to try again",
    }
    security = operation.get("security")
    if security and {} not in security:
        found["401"] = "Not signed in, or the token has ended or was revoked"
        if method in _UNSAFE:
            found["403"] = "Refused (the reason is given), e.g. a session without its CSRF token"
    if "requestBody" in operation:
        found["400"] = "The body is not valid: each error names its field (the body as a whole "
        "when it cannot be read)"
        found["415"] = "The body is not of one of the operation's media types"
    parameters = operation.get("parameters", [])
    if any(p["in"] == "path" or p["name"] == "page" for p in parameters):
        found["404"] = "No such object, not visible to the user, or no such page"
    return found


def _declare(method: str, operation: dict) -> None:
    responses = operation["responses"]
    for code, description in _generic_responses(method, operation).items():
        responses.setdefault(code, {"description": description})
    for code, response in responses.items():
        if not code.startswith("4") or "content" in response:
            continue
        if response.get("description") in (None, "", "No response body"):
            response["description"] = _generic_responses(method, operation).get(code, code)
        schema = _PATH_ERRORS if code in ("400", "429") else _REFUSAL
        response["content"] = {"application/json": {"schema": schema}}
    operation["responses"] = dict(sorted(responses.items()))


def declare_error_responses(result, generator, request, public):
    """A drf-spectacular postprocessing hook: every 4xx of every operation has the body the
    exception handler gives it (above), and every operation declares the 4xx any request may
    meet (``_generic_responses``)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Refusal"] = _REFUSAL_SCHEMA
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            _declare(method, operation)
    return result
