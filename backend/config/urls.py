from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission

from monitoring import health, metrics


class ApiDocsAccess(BasePermission):
    """The schema for anyone when GRANTWATCH_PUBLIC_API_DOCS is on (development), else only
    for a signed-in caller (a session or an API token)."""

    def has_permission(self, request, view) -> bool:
        return settings.GRANTWATCH_PUBLIC_API_DOCS or bool(request.user.is_authenticated)


_swagger_ui = SpectacularSwaggerSplitView.as_view(
    url_name="api-schema", permission_classes=[ApiDocsAccess]
)


# Swagger UI's page has an inline <style> (its own template); its script comes in a second
# request (the split view), so only style-src needs 'unsafe-inline', on this page alone.
@csp_update({"style-src": [UNSAFE_INLINE]})
def api_docs(request, *args, **kwargs):
    """Swagger UI; a browser that is not signed in is sent to sign in first when the docs are
    not public."""
    if not settings.GRANTWATCH_PUBLIC_API_DOCS and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _swagger_ui(request, *args, **kwargs)


urlpatterns = [
    # Operations: liveness, readiness (database and broker), Prometheus metrics (token).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("backend.api.urls")),
    path(
        "api/schema/",
        SpectacularAPIView.as_view(permission_classes=[ApiDocsAccess]),
        name="api-schema",
    ),
    path("api/docs/", api_docs, name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Sign-in through the organisation's identity provider (404 while it is off).
    path("oidc/", include("frontend.oidc")),
    path("", include("frontend.urls")),
]
