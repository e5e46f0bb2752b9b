"""The API's request rates (REST_FRAMEWORK's DEFAULT_THROTTLE_RATES): per IP address for
anonymous requests, per user for signed-in ones, counted in the shared cache (CACHES) so that
every web process counts together. Over the rate the API answers 429 with Retry-After and the
error shape ``{"detail", "errors": []}`` (backend/api/errors.py).

DRF's own classes read the rates once, when they are imported, and take the client's address
from X-Forwarded-For whatever sent it; these read the rates when they count and take the address
the way sign-in lockouts and the audit trail do (backend/accounts/security.py: the proxy header
only from trusted proxies)."""

from rest_framework import throttling
from rest_framework.settings import api_settings

from backend.accounts.security import client_ip


class _SettingsRates:
    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request) or "unknown"


class AnonRateThrottle(_SettingsRates, throttling.AnonRateThrottle):
    """Anonymous requests, per client IP address (scope ``anon``)."""


class UserRateThrottle(_SettingsRates, throttling.UserRateThrottle):
    """Signed-in requests, per user (scope ``user``); anonymous ones by address like above."""
