"""The largest request the site reads, refused from its stated length before its body is read.

Django's CSRF check reads a posted form, files and all, before any view runs, and DRF's session
authentication does the same for the API; a view's own check of the size comes too late to
spare the parsing. This middleware, ahead of both, answers a request whose Content-Length is
over ``GRANTWATCH_MAX_REQUEST_BYTES`` with 413 at once: the API's error shape on /api/, a line
of text elsewhere. A body sent without a length is not read by Django at all. The proxy in
front of the site caps the body as well (nginx: ``client_max_body_size``), so that a client
that states no length, or lies about it, is stopped there.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _


def _stated_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.GRANTWATCH_MAX_REQUEST_BYTES
        if limit and _stated_length(request) > limit:
            return self._refused(request, limit)
        return self.get_response(request)

    def _refused(self, request, limit: int):
        message = _(
            "The request is larger than %(limit)s (%(bytes)s bytes), the most this site accepts."
        ) % {"limit": filesizeformat(limit), "bytes": limit}
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": message, "errors": [{"path": "", "message": message}]}, status=413
            )
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
