"""The two pages of a sign-in through the organisation's OpenID Connect provider, under
``/oidc/`` (both 404 while it is off): ``authenticate/`` sends the browser to the provider (with
a state, a nonce and a PKCE challenge kept in the session) and ``callback/`` takes it back,
signs the person in and goes on to ``next`` when that is a local address. A refusal goes back
to the sign-in page with its reason; the backend (``backend.accounts.oidc``) decides."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext, gettext_lazy
from django.views.generic import View
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from backend.accounts import oidc_rules
from backend.accounts.oidc import (
    BACKEND,
    OidcRefused,
    OrganisationSigninBackend,
    ProviderUnavailable,
    oidc_enabled,
    provider_endpoints,
    provider_name,
    signin_refused,
)

REFUSALS = {
    oidc_rules.STATE: gettext_lazy(
        "Signing in with %(name)s did not finish: it was not started from this browser or it "
        "took too long. Please try again."
    ),
    oidc_rules.DENIED: gettext_lazy("%(name)s did not sign you in."),
    oidc_rules.PROVIDER: gettext_lazy(
        "%(name)s cannot be reached just now. Try again later, or sign in with your user name "
        "and password."
    ),
    oidc_rules.TOKEN: gettext_lazy(
        "Signing in with %(name)s was refused: its answer could not be verified."
    ),
    oidc_rules.ISSUER: gettext_lazy(
        "Signing in with %(name)s was refused: the answer did not come from the identity "
        "provider Grantwatch trusts."
    ),
    oidc_rules.NO_EMAIL: gettext_lazy(
        "Signing in with %(name)s was refused: it gave no e-mail address."
    ),
    oidc_rules.UNVERIFIED: gettext_lazy(
        "Signing in with %(name)s was refused: it has not verified your e-mail address."
    ),
    oidc_rules.AMBIGUOUS: gettext_lazy(
        "Signing in with %(name)s was refused: more than one Grantwatch account has your "
        "e-mail address. Ask an administrator to sort it out."
    ),
    oidc_rules.INACTIVE: gettext_lazy(
        "Signing in with %(name)s was refused: your Grantwatch account is deactivated."
    ),
    oidc_rules.UNKNOWN: gettext_lazy(
        "Signing in with %(name)s was refused: no Grantwatch account has your e-mail address. "
        "Ask an administrator for one."
    ),
}
# An ID token for another client or expired reads as one that could not be verified.
REFUSALS[oidc_rules.AUDIENCE] = REFUSALS[oidc_rules.TOKEN]
REFUSALS[oidc_rules.EXPIRED] = REFUSALS[oidc_rules.TOKEN]


def display_name() -> str:
    return provider_name() or gettext("your organisation")


def signin_link() -> dict | None:
    """What the sign-in page shows of the provider: None while it is off."""
    if not oidc_enabled():
        return None
    return {"name": display_name()}


def refusal_message(reason: str) -> str:
    return REFUSALS[reason] % {"name": display_name()}


def _refused(request, refusal: OidcRefused):
    signin_refused(request, refusal)
    messages.error(request, refusal_message(refusal.reason))
    return redirect("frontend:login")


class _OnlyWhenEnabled:
    def dispatch(self, request, *args, **kwargs):
        if not oidc_enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class SigninStart(_OnlyWhenEnabled, OIDCAuthenticationRequestView):
    """To the provider's authorization endpoint, found in its discovery document."""

    def __init__(self, **kwargs):
        # mozilla-django-oidc reads fixed endpoints here; they are discovered at the request.
        View.__init__(self, **kwargs)

    def get(self, request):
        try:
            self.OIDC_OP_AUTH_ENDPOINT = provider_endpoints().authorization
        except ProviderUnavailable:
            return _refused(request, OidcRefused(oidc_rules.PROVIDER))
        self.OIDC_RP_CLIENT_ID = self.get_settings("GRANTWATCH_OIDC_CLIENT_ID")
        return super().get(request)


def _take_state(request) -> dict | None:
    """The nonce and PKCE verifier kept for the callback's state, removed from the session
    (a state serves once); None when the session never started this state."""
    state = request.GET.get("state")
    states = request.session.get("oidc_states")
    if not state or not isinstance(states, dict) or state not in states:
        return None
    kept = states.pop(state)
    request.session["oidc_states"] = states
    return kept if isinstance(kept, dict) else None


class SigninCallback(_OnlyWhenEnabled, View):
    """Back from the provider: the state must be one this session started; the backend
    verifies the rest and finds the account. (mozilla-django-oidc's callback view answers every
    refusal alike, and a state it does not know with a 400; this one says why, on the sign-in
    page.)"""

    http_method_names = ["get"]

    def get(self, request):
        kept = _take_state(request)
        if request.GET.get("error"):
            return _refused(request, OidcRefused(oidc_rules.DENIED))
        if kept is None or not request.GET.get("code"):
            return _refused(request, OidcRefused(oidc_rules.STATE))
        try:
            user = OrganisationSigninBackend().authenticate(
                request, nonce=kept.get("nonce"), code_verifier=kept.get("code_verifier")
            )
        except OidcRefused as refusal:
            return _refused(request, refusal)
        if user is None or not user.is_active:
            return _refused(request, OidcRefused(oidc_rules.INACTIVE))
        # Checked when the sign-in started (mozilla-django-oidc's get_next_url): a local address.
        next_url = request.session.pop("oidc_login_next", None)
        login(request, user, backend=BACKEND)
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)


app_name = "oidc"
urlpatterns = [
    path("authenticate/", SigninStart.as_view(), name="authenticate"),
    path("callback/", SigninCallback.as_view(), name="callback"),
]
