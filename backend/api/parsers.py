"""The API's parsers: DRF's, with limits on what a request body may be.

A body larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused from its stated length before it
is read (and, without a stated length, after reading one byte more than the limit); a JSON body
nested deeper than ``MAX_JSON_DEPTH`` arrays and objects is refused before it is parsed, since
Python's JSON reader recurses once per level. Both are answered like any invalid input (400,
``{"detail", "errors": [{"path": "", "message"}]}``, see ``backend/api/errors.py``), the
message naming the limit. A multipart form's limits are Django's own (the size of its fields,
the number of fields and files); a refusal by them is answered the same way.

They are the ``DEFAULT_PARSER_CLASSES``; a view that names its parsers takes them from here.
The JSON and form parsers wrap DRF's rather than extend them: DRF reads ``request.body`` for its
own two before they start, and Django's refusal of a body too large from there would be an
HTML page naming no limit.

Each parser also refuses a text holding a NUL byte or another control character
(``backend/common/text.py``), at the field that holds it (``changes[0].justification``), for
every field of every body in one place, before a view or a service reads it.
"""

import io

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from rest_framework import parsers, renderers

from backend.common.errors import InvalidInput
from backend.common.nesting import json_depth
from backend.common.text import control_character_errors

# A request's JSON never needs more than a few levels; this leaves room and stops a body
# built to exhaust the parser's recursion.
MAX_JSON_DEPTH = 32


def _too_large(limit: int) -> InvalidInput:
    return InvalidInput.at(
        "",
        _("The request body is larger than %(limit)s bytes, the most the API accepts.")
        % {"limit": limit},
    )


def _stated_length(parser_context) -> int:
    request = (parser_context or {}).get("request")
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
    except (TypeError, ValueError):
        return 0


def read_limited(stream, parser_context) -> bytes:
    """The body, refused (InvalidInput) if it is larger than DATA_UPLOAD_MAX_MEMORY_SIZE: by
    its stated length before anything is read, else by what was read."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if stream is None:
        return b""
    if limit is None:
        return stream.read()
    if _stated_length(parser_context) > limit:
        raise _too_large(limit)
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise _too_large(limit)
    return body


def plain_text(data):
    """``data`` (parsed JSON, or a form's fields), refused (InvalidInput naming each field) if
    a text in it holds a control character."""
    fields = data
    if isinstance(data, MultiValueDict):
        fields = {name: texts[0] if len(texts) == 1 else texts for name, texts in data.lists()}
    errors = list(control_character_errors(fields))
    if errors:
        raise InvalidInput(errors)
    return data


class JSONParser(parsers.BaseParser):
    """DRF's JSON parser, after the checks of the body's size and nesting."""

    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_limited(stream, parser_context)
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as error:
            raise parsers.ParseError(
                _("JSON parse error - the body is not %(encoding)s text: %(problem)s")
                % {"encoding": encoding, "problem": error.reason}
            ) from None
        if json_depth(text) > MAX_JSON_DEPTH:
            raise InvalidInput.at(
                "",
                _(
                    "The JSON body is nested more than %(limit)s levels deep (arrays and "
                    "objects); the API accepts at most %(limit)s levels."
                )
                % {"limit": MAX_JSON_DEPTH},
            )
        return plain_text(parsers.JSONParser().parse(io.BytesIO(body), media_type, parser_context))


class FormParser(parsers.BaseParser):
    """DRF's form parser (which reads the whole body), after the check of its size."""

    media_type = "application/x-www-form-urlencoded"

    def parse(self, stream, media_type=None, parser_context=None):
        body = read_limited(stream, parser_context)
        return plain_text(parsers.FormParser().parse(io.BytesIO(body), media_type, parser_context))


class MultiPartParser(parsers.MultiPartParser):
    """DRF's multipart parser; Django's limits on a form's fields and files are answered as
    invalid input naming the limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            parsed = super().parse(stream, media_type, parser_context)
        except RequestDataTooBig:
            raise InvalidInput.at(
                "",
                _(
                    "The form's fields (its files aside) are larger than %(limit)s bytes, the "
                    "most the API accepts."
                )
                % {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE},
            ) from None
        except TooManyFieldsSent:
            raise InvalidInput.at(
                "",
                _("The form has more than %(limit)s fields, the most the API accepts.")
                % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FIELDS},
            ) from None
        except TooManyFilesSent:
            raise InvalidInput.at(
                "",
                _("The form has more than %(limit)s files, the most the API accepts.")
                % {"limit": settings.DATA_UPLOAD_MAX_NUMBER_FILES},
            ) from None
        # Its fields; Django drops the characters of a file's name that are not printable.
        plain_text(parsed.data)
        return parsed
