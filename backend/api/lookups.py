"""What every API view starts with: the project the user may see (else 404), the permission
to act (else 403 with the reason), the input as its serializer reads it (else 400, see
``backend/api/errors.py``), the language to answer in."""

from collections.abc import Mapping

from django.utils.translation import get_language
from rest_framework.exceptions import PermissionDenied

from backend.api.parsers import plain_text
from backend.grants.models import Project
from backend.grants.selectors import project_get_or_404


def visible_project(request, project_id: int) -> Project:
    """The project, or 404 when it does not exist or the user may not see it (the two are
    not told apart)."""
    return project_get_or_404(user=request.user, project_id=project_id)


def check_permission(check, request, obj) -> None:
    """403 with the reason unless ``check(user, obj)`` allows; views call it before reading
    the input, so that its errors are not shown to someone who may not act anyway."""
    allowed, reason = check(request.user, obj)
    if not allowed:
        raise PermissionDenied(reason)


def request_language(request) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or get_language() or "en"


def request_body(request) -> Mapping:
    """The body as a mapping (a JSON object or a form); any other body (a JSON list, a bare
    value) counts as empty, so that each field it lacks is named."""
    return request.data if isinstance(request.data, Mapping) else {}


def parsed(serializer_class, data, **context) -> dict:
    """The input as ``serializer_class`` reads it (with ``context``); else a ValidationError,
    which the API answers with a 400 naming each field. A text holding a control character is
    refused first, as the parsers refuse it in a body: the query's filters come this way."""
    plain_text(data)
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
