"""What every API view starts with: the project the user may see (else 404), the permission
to act (else 403 with the reason), the language to answer in."""

from django.utils.translation import get_language
from rest_framework.exceptions import PermissionDenied

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
