"""Serving the static files."""

from pathlib import Path

from django.conf import settings
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    """whitenoise's middleware, serving the files collected into STATIC_ROOT; it first makes
    that folder when it is inside the var folder (a deployment's own is made by
    collectstatic)."""

    def __init__(self, get_response=None, settings=settings):
        static_root = Path(settings.STATIC_ROOT)
        if static_root.is_relative_to(settings.VAR_DIR):
            static_root.mkdir(parents=True, exist_ok=True)
        super().__init__(get_response, settings=settings)
