"""The pages need the front-end packages; say so when they are not installed."""

from django.conf import settings
from django.core.checks import Warning, register

PACKAGES = {"vendor/htmx": "htmx.org", "vendor/chart.js": "chart.js"}


@register()
def frontend_packages_installed(app_configs, **kwargs):
    served = {prefix for prefix, _folder in settings.STATICFILES_DIRS}
    missing = [package for prefix, package in PACKAGES.items() if prefix not in served]
    if not missing:
        return []
    return [
        Warning(
            f"The front-end packages {', '.join(missing)} are not installed; pages will load "
            "without them.",
            hint="Run `make install` (npm ci --prefix frontend).",
            id="frontend.W001",
        )
    ]
