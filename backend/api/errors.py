"""How the API answers the domain's refusals (``backend/common/errors.py``): one 400 shape,
``{"detail": ..., "errors": [{"path", "message"}]}``, and 409 ``{"detail": ...}``."""

from django.utils.translation import gettext as _
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from backend.common.errors import Conflict, InvalidInput


class PathErrorSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text="Where the offending value is, e.g. changes[1].effective_on or "
        "work_packages[2].shares_eur.ACME (lists count from 0); empty for the input as a whole."
    )
    message = serializers.CharField()


class PathErrorsSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = PathErrorSerializer(many=True)


def exception_handler(exc, context):
    """DRF's handler, plus the services' own refusals."""
    if isinstance(exc, InvalidInput):
        return Response(
            {
                "detail": exc.detail or _("Nothing was saved: the input has errors."),
                "errors": [error.as_dict() for error in exc.errors],
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Conflict):
        return Response({"detail": exc.message}, status=status.HTTP_409_CONFLICT)
    return drf_exception_handler(exc, context)
