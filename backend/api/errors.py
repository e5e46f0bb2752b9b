"""How the API answers invalid input and the domain's refusals (``backend/common/errors.py``):
one 400 shape, ``{"detail": ..., "errors": [{"path", "message"}]}``, and 409 ``{"detail": ...}``.

Invalid input is refused either by an input serializer (views call
``serializer.is_valid(raise_exception=True)``; DRF's ``ValidationError``) or by a service
(``InvalidInput`` and its kinds, e.g. an amendment's or a grant file's errors); both are answered
alike. The ``detail`` says what was not done: the service's own if it gives one, else the view's
``invalid_detail`` (e.g. "The payment was not recorded."), else "Nothing was saved: the input
has errors.". Every ``Conflict`` (a step the object's state does not allow) is a 409. A request
over the API's rate (backend/api/throttling.py) is a 429 with Retry-After and
``{"detail": ..., "errors": []}``.
"""

import math
from collections.abc import Mapping

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import serializers, status
from rest_framework.exceptions import Throttled, ValidationError
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
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
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
