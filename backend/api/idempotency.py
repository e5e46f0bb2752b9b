"""Idempotent creation: a create request sent with an ``Idempotency-Key`` header can be retried
safely after a lost answer.

The first request with a key runs as usual; its answer (a 2xx) is kept with the key, in the
same transaction as what it wrote, so that a crash after the commit cannot lose one without the
other. A retry by the same user with the same key and the same request (method, path and body as
the view reads them: a multipart form by its fields and its files' contents) gets that answer
again, the same status and the same bytes, marked ``Idempotent-Replayed: true``, and writes
nothing. The same key with another request is a 422 naming the header; a retry while the first
is still running waits for it (on PostgreSQL at most ``IN_PROGRESS_WAIT_MS``, then a 409). A
refusal (4xx) keeps no key: it wrote nothing, so its retry simply runs again. Keys are kept
GRANTWATCH_IDEMPOTENCY_KEY_HOURS (24 by default); an older key counts as new. Without the
header nothing changes.

Apply ``@idempotent`` above a view method's ``@extend_schema``: it documents the header and the
answers it adds (400, 409, 422) in the OpenAPI schema.
"""

import datetime
import functools
import hashlib
import json
import re
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.http import HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException

from backend.api.errors import PathErrorsSerializer
from backend.api.models import IdempotencyKey
from backend.common.errors import Conflict, InvalidInput, PathError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
_KEY = re.compile(r"[\x20-\x7e]+")
# How long a retry waits for the first request with its key to finish (PostgreSQL's
# lock_timeout on the key's row), before it is answered 409.
IN_PROGRESS_WAIT_MS = 10_000
_LOCK_NOT_AVAILABLE = "55P03"


class IdempotencyKeyReused(APIException):
    """The key was used before for another request: 422, in the 400 shape naming the header."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY

    def __init__(self):
        super().__init__(
            {
                "detail": _("Nothing was done: this Idempotency-Key was used for another request."),
                "errors": [
                    {
                        "path": HEADER,
                        "message": _(
                            "This key was sent before with another method, address or body; "
                            "send a new key for a new request."
                        ),
                    }
                ],
            }
        )


class IdempotencyKeyInProgress(Conflict):
    """The first request with the key is still running: 409."""


def lifetime() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.GRANTWATCH_IDEMPOTENCY_KEY_HOURS)


def idempotent(handler):
    """A view method (``post``) made safe to retry with an ``Idempotency-Key`` header."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None or not request.user.is_authenticated:
            return handler(view, request, *args, **kwargs)
        key = _checked(key)
        with transaction.atomic():
            record, created = _claim(request.user, key)
            if not created:
                return _replay(record, _fingerprint(request))
            response = handler(view, request, *args, **kwargs)
            return _keep(view, request, record, response, *args, **kwargs)

    return _documented(wrapper)


# -- the key's life ----------------------------------------------------------------------------


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key) or not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            [
                PathError(
                    HEADER,
                    _(
                        "Give at most %(limit)s printable ASCII characters (a UUID, for "
                        "example), not all spaces."
                    )
                    % {"limit": MAX_KEY_LENGTH},
                )
            ],
            detail=_("Nothing was done: the Idempotency-Key header is not valid."),
        )
    return key


def _claim(user, key: str) -> tuple[IdempotencyKey, bool]:
    """The key's record, and whether this request made it (then it runs the operation): a
    row inserted now, locked until this transaction ends, so that a retry made meanwhile waits
    at its own insert. The user's keys past their lifetime go first."""
    now = timezone.now()
    IdempotencyKey.objects.filter(user=user, created_at__lt=now - lifetime()).delete()
    found = IdempotencyKey.objects.filter(user=user, key=key).first()
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            previous = _set_lock_timeout(f"{IN_PROGRESS_WAIT_MS}ms")
            record = IdempotencyKey.objects.create(user=user, key=key, created_at=now)
            _set_lock_timeout(previous)
            return record, True
    except IntegrityError:
        # The first request with the key committed while this one waited.
        found = IdempotencyKey.objects.filter(user=user, key=key).first()
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != _LOCK_NOT_AVAILABLE:
            raise
        found = None
    if found is None:
        raise IdempotencyKeyInProgress(
            _(
                "A request with this Idempotency-Key is still being processed: try again in a "
                "moment."
            )
        )
    return found, False


def _set_lock_timeout(value: str | None) -> str | None:
    """Set PostgreSQL's lock_timeout for the rest of the transaction; the value it had (None
    elsewhere: SQLite takes one writer at a time anyway)."""
    if connection.vendor != "postgresql" or value is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)", [value]
        )
        return cursor.fetchone()[0]


def _keep(view, request, record: IdempotencyKey, response, *args, **kwargs):
    """Keep a 2xx answer with its key, rendered as it will be sent; forget the key otherwise."""
    if not status.is_success(response.status_code):
        record.delete()
        return response
    response = view.finalize_response(request, response, *args, **kwargs)
    response.render()
    record.fingerprint = _fingerprint(request)
    record.status_code = response.status_code
    record.content_type = response.get("Content-Type", "")
    record.body = response.content
    record.save(update_fields=["fingerprint", "status_code", "content_type", "body"])
    return response


def _replay(record: IdempotencyKey, fingerprint: str) -> HttpResponse:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    response = HttpResponse(
        bytes(record.body), status=record.status_code, content_type=record.content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


def _fingerprint(request) -> str:
    """SHA-256 of the method, the path and the body as the view reads it: raw bytes as they
    are, JSON and form fields in a canonical form, files by name and content."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    data = request.data
    if isinstance(data, bytes):
        digest.update(b"bytes\n" + data)
    else:
        if isinstance(data, QueryDict):
            data = {name: data.getlist(name) for name in data}
        elif not isinstance(data, Mapping | list):
            data = {"": data}
        digest.update(json.dumps(data, sort_keys=True, default=str).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"\nfile {name} {upload.name} {upload.size}\n".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
    return digest.hexdigest()


# -- the schema --------------------------------------------------------------------------------


KEY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    # Printable ASCII, not all spaces: exactly what _checked accepts.
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_KEY_LENGTH,
        "pattern": "^[ -~]*[!-~][ -~]*$",
    },
    description="Makes the request safe to retry: a unique value (a UUID, for example) for "
    "this request. A retry by the same user with the same key and the same request within "
    "GRANTWATCH_IDEMPOTENCY_KEY_HOURS (24 by default) is answered with the first answer "
    "(status and body, with the header Idempotent-Replayed: true) and writes nothing; the "
    "same key with another request is a 422; a retry while the first still runs waits for it, "
    "or is a 409 after 10 seconds. Refusals (4xx) keep no key.",
)
_ADDED_RESPONSES = {
    400: PathErrorsSerializer,
    409: OpenApiResponse(
        description="The step is not allowed now, or the first request with this "
        "Idempotency-Key is still being processed"
    ),
    422: OpenApiResponse(
        PathErrorsSerializer, description="The Idempotency-Key was used for another request"
    ),
}


def _documented(wrapper):
    """The header among the operation's parameters, and its answers among its responses."""
    wrapper = extend_schema(parameters=[KEY_PARAMETER])(wrapper)
    base = wrapper.kwargs["schema"]

    class IdempotentSchema(base):
        def get_response_serializers(self):
            responses = super().get_response_serializers()
            if isinstance(responses, dict):
                added = _ADDED_RESPONSES.items()
                responses = {**responses, **{k: v for k, v in added if k not in responses}}
            return responses

    wrapper.kwargs["schema"] = IdempotentSchema
    return wrapper
