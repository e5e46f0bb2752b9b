"""Optimistic concurrency over HTTP: the ETag a read answers and the ``If-Match`` a write sends
back (``backend/common/concurrency.py`` holds the version and the check, which the services
make inside their transaction).

The ETag of a document is its version as a strong entity tag, ``"7"`` (``"0"`` before anyone
wrote to it). A write with ``If-Match`` is refused with 412 Precondition Failed when the
document changed since (nothing is written; the answer's ETag is the current version); a write
without ``If-Match`` is not checked. ``If-Match: *`` is a write without a check.
"""

import re

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from backend.api.errors import PathErrorSerializer
from backend.common.concurrency import StaleVersion

_ENTITY_TAG = re.compile(r'^(?:W/)?"(\d{1,9})"$')

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description='Optional. The ETag read with the document (e.g. "7"; "0" before anyone wrote '
    "to it): the write is refused with 412 if the document changed since. Without it (or with "
    "*), the write is not checked and overwrites whatever is there.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='The document\'s version (e.g. "7"), raised by every save; send it back as '
    "If-Match to write only over what was read.",
)


class StaleVersionSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = PathErrorSerializer(many=True)
    current_version = serializers.IntegerField(
        help_text="The document's version now (its ETag, without the quotes)."
    )
    changed_by = serializers.CharField(
        allow_null=True, help_text="Who saved the current version, where it is known."
    )
    changed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the current version was saved, where it is known."
    )


PRECONDITION_FAILED = OpenApiResponse(
    StaleVersionSerializer,
    description="The document changed since the If-Match version was read; nothing was written. "
    "Read it again (the ETag of this answer is its current version).",
)


def etag(version: int) -> str:
    return f'"{version}"'


def if_match(request) -> int | None:
    """The version the writer read, from ``If-Match``; None without one (or with ``*``). A
    header that is not one of the document's ETags is a 400 naming it."""
    value = request.headers.get("If-Match", "").strip()
    if not value or value == "*":
        return None
    match = _ENTITY_TAG.match(value)
    if match is None:
        raise ValidationError(
            {"If-Match": [_('Send the ETag the document was read with, e.g. "7".')]}
        )
    return int(match.group(1))


def with_etag(response: Response, version: int) -> Response:
    response["ETag"] = etag(version)
    return response


def precondition_failed(stale: StaleVersion) -> Response:
    """412: the document changed since it was read; who and when if known."""
    body = {
        "detail": stale.message,
        "errors": [{"path": "If-Match", "message": stale.message}],
        "current_version": stale.current,
        "changed_by": stale.changed_by,
        "changed_at": stale.changed_at,
    }
    data = StaleVersionSerializer(body).data
    return with_etag(Response(data, status=status.HTTP_412_PRECONDITION_FAILED), stale.current)
