"""Sign-in through the organisation's OpenID Connect provider (mozilla-django-oidc).

Off unless ``GRANTWATCH_OIDC_ISSUER`` is set. The provider's endpoints come from its discovery
document (``<issuer>/.well-known/openid-configuration``), fetched when first needed (never while
the settings load) with a short timeout and kept for ``GRANTWATCH_OIDC_DISCOVERY_SECONDS`` in
this process; a failed fetch is not kept, so the next sign-in tries again.

The ID token is verified here beyond what mozilla-django-oidc checks: RS256 with a key of the
provider's JWKS and the nonce (the library), then ``iss`` equal to the configured issuer exactly,
``aud`` naming this client and ``exp`` in the future (``oidc_rules.id_token_refusal``). The
person is then matched by the e-mail address the provider verified (``oidc_rules``); an account
made for a new address is a plain one, and nothing the provider says changes an existing
account's rights or roles: those are given in Grantwatch.

Django makes every backend of ``AUTHENTICATION_BACKENDS`` at every password sign-in: this one
reads nothing and fetches nothing when made, and answers None to anything but the callback of
``frontend.oidc`` (which alone passes a nonce).
"""

import logging
import threading
import time
from dataclasses import dataclass

import jwt
import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend, default_username_algo

from backend.accounts import oidc_rules
from backend.accounts.receivers import SIGNIN_FAILED
from backend.accounts.security import security_event

logger = logging.getLogger(__name__)

BACKEND = "backend.accounts.oidc.OrganisationSigninBackend"
ACCOUNT_CREATED = "signin.account_created"
METHOD = "oidc"
DISCOVERY_PATH = "/.well-known/openid-configuration"
SIGNING_ALGORITHM = "RS256"


def oidc_enabled() -> bool:
    """Read at every request, so that a test (or a settings override) may turn it on."""
    return bool(getattr(settings, "GRANTWATCH_OIDC_ISSUER", ""))


def provider_name() -> str:
    return settings.GRANTWATCH_OIDC_NAME


class ProviderUnavailable(Exception):
    """The discovery document could not be fetched or lacks an endpoint."""


class OidcRefused(Exception):
    """A sign-in through the provider refused; ``reason`` is one of ``oidc_rules.REASONS``."""

    def __init__(self, reason: str, *, email: str = "", user=None):
        super().__init__(reason)
        self.reason = reason
        self.email = email
        self.user = user


@dataclass(frozen=True)
class ProviderEndpoints:
    authorization: str
    token: str
    userinfo: str
    jwks: str


_DOCUMENT_KEYS = {
    "authorization": "authorization_endpoint",
    "token": "token_endpoint",
    "userinfo": "userinfo_endpoint",
    "jwks": "jwks_uri",
}
_discovered: dict[str, tuple[float, ProviderEndpoints]] = {}
_discovered_lock = threading.Lock()


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + DISCOVERY_PATH


def _fetch_document(issuer: str) -> dict:
    url = discovery_url(issuer)
    try:
        response = requests.get(
            url, timeout=settings.GRANTWATCH_OIDC_TIMEOUT, verify=settings.OIDC_VERIFY_SSL
        )
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"the discovery document at {url}: {error}") from error
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"the discovery document at {url} is not a JSON object")
    return document


def _endpoints(document: dict, issuer: str) -> ProviderEndpoints:
    found = {}
    for field, key in _DOCUMENT_KEYS.items():
        value = document.get(key)
        if not isinstance(value, str) or not value.startswith(("https://", "http://")):
            raise ProviderUnavailable(f"the discovery document of {issuer} has no {key}")
        found[field] = value
    return ProviderEndpoints(**found)


def provider_endpoints() -> ProviderEndpoints:
    """The configured provider's endpoints, from its discovery document (kept for a while)."""
    issuer = settings.GRANTWATCH_OIDC_ISSUER
    now = time.monotonic()
    with _discovered_lock:
        kept = _discovered.get(issuer)
    if kept is not None and kept[0] > now:
        return kept[1]
    try:
        endpoints = _endpoints(_fetch_document(issuer), issuer)
    except ProviderUnavailable as error:
        logger.warning("OpenID Connect provider unavailable: %s", error)
        raise
    with _discovered_lock:
        _discovered[issuer] = (now + settings.GRANTWATCH_OIDC_DISCOVERY_SECONDS, endpoints)
    return endpoints


def discovery_forget() -> None:
    """Forget every discovery document kept (the tests start providers on new ports)."""
    with _discovered_lock:
        _discovered.clear()


def _username_for(email: str) -> str:
    users = get_user_model()._default_manager
    username = email.lower()
    if len(username) <= 150 and not users.filter(username__iexact=username).exists():
        return username
    return default_username_algo(email)


def _plain_account(request, email: str):
    """A new account for a verified address nobody has: no staff, administrator or officer
    rights, no organisation, no project roles, no usable password."""
    with transaction.atomic():
        user = get_user_model()._default_manager.create_user(
            _username_for(email),
            email=email,
            password=None,
            is_staff=False,
            is_superuser=False,
            is_agency_officer=False,
            organisation=None,
        )
        security_event(request=request, user=user, verb=ACCOUNT_CREATED, extra={"method": METHOD})
    return user


def account_for_email(request, email: str):
    """The account a verified e-mail address signs in to (``oidc_rules.account_choice``)."""
    users = get_user_model()._default_manager
    matches = list(users.filter(email__iexact=email).values_list("pk", "is_active"))
    choice = oidc_rules.account_choice(matches, may_create=settings.GRANTWATCH_OIDC_CREATE_USERS)
    if choice.refusal is not None:
        only = users.get(pk=matches[0][0]) if len(matches) == 1 else None
        raise OidcRefused(choice.refusal, email=email, user=only)
    if choice.create:
        return _plain_account(request, email)
    return users.get(pk=choice.user_id)


def signin_refused(request, refusal: OidcRefused) -> None:
    """A refused sign-in through the provider is a failed sign-in in the audit trail, with its
    reason."""
    security_event(
        request=request,
        user=refusal.user,
        verb=SIGNIN_FAILED,
        username=refusal.email,
        actor=None,
        extra={
            "path": getattr(request, "path", ""),
            "method": METHOD,
            "reason": refusal.reason,
            "locked_out": False,
        },
    )


class OrganisationSigninBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's authorization-code flow, configured from the discovery document
    and refusing with a reason (``OidcRefused``) rather than answering None."""

    def __init__(self, *args, **kwargs):
        self.UserModel = get_user_model()

    def _configure(self, endpoints: ProviderEndpoints) -> None:
        self.OIDC_OP_TOKEN_ENDPOINT = endpoints.token
        self.OIDC_OP_USER_ENDPOINT = endpoints.userinfo
        self.OIDC_OP_JWKS_ENDPOINT = endpoints.jwks
        self.OIDC_RP_CLIENT_ID = settings.GRANTWATCH_OIDC_CLIENT_ID
        self.OIDC_RP_CLIENT_SECRET = settings.GRANTWATCH_OIDC_CLIENT_SECRET
        self.OIDC_RP_SIGN_ALGO = SIGNING_ALGORITHM
        self.OIDC_RP_IDP_SIGN_KEY = None

    def authenticate(self, request, nonce=None, code_verifier=None, **kwargs):
        if request is None or nonce is None or not oidc_enabled():
            return None
        try:
            self._configure(provider_endpoints())
            return super().authenticate(request, nonce=nonce, code_verifier=code_verifier)
        except ProviderUnavailable as error:
            raise OidcRefused(oidc_rules.PROVIDER) from error
        except requests.HTTPError as error:
            # The token endpoint refused the code (spent, or not this client's).
            raise OidcRefused(oidc_rules.TOKEN) from error
        except requests.RequestException as error:
            raise OidcRefused(oidc_rules.PROVIDER) from error
        except (SuspiciousOperation, jwt.InvalidTokenError) as error:
            logger.warning("OpenID Connect ID token refused: %s", error)
            raise OidcRefused(oidc_rules.TOKEN) from error

    def verify_token(self, token, **kwargs):
        if not token:
            raise OidcRefused(oidc_rules.TOKEN)
        payload = super().verify_token(token, **kwargs)
        refusal = oidc_rules.id_token_refusal(
            payload,
            issuer=settings.GRANTWATCH_OIDC_ISSUER,
            client_id=settings.GRANTWATCH_OIDC_CLIENT_ID,
            now=time.time(),
        )
        if refusal is not None:
            logger.warning("OpenID Connect ID token refused: %s", refusal)
            raise OidcRefused(refusal)
        return payload

    def get_userinfo(self, access_token, id_token, payload):
        claims = super().get_userinfo(access_token, id_token, payload)
        if not isinstance(claims, dict) or claims.get("sub") != payload.get("sub"):
            # The user info must be about the person the ID token names.
            raise OidcRefused(oidc_rules.TOKEN)
        return claims

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        email, refusal = oidc_rules.verified_email(claims)
        if refusal is not None:
            raise OidcRefused(refusal, email=email)
        return account_for_email(self.request, email)

    def update_user(self, user, claims):
        """Claims never change an account."""
        return user
