"""The user's own settings page: their API tokens (each with when it was made and when it ends,
never its key), revoked one by one or all at once.

Plain forms: a revocation redirects (303) back to the page with a message; a post that names no
token is the page again with the error (400); a token that is not the user's is not found (404).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from backend.accounts.tokens import TOKEN_ID_LENGTH, token_revoke, tokens_revoke_all, user_tokens
from frontend.forms import see_other


class TokenRevokeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Token"),
        max_length=TOKEN_ID_LENGTH,
        error_messages={"required": gettext_lazy("Choose the token to revoke.")},
    )


def _settings_page(request, *, revoke_form=None, status: int = 200):
    tokens = user_tokens(user=request.user, now=timezone.now())
    context = {"tokens": tokens, "revoke_form": revoke_form or TokenRevokeForm()}
    return render(request, "frontend/account/settings.html", context, status=status)


@login_required
@require_GET
def settings_page(request):
    return _settings_page(request)


@login_required
@require_POST
def token_revoke_view(request):
    form = TokenRevokeForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, revoke_form=form, status=400)
    if not token_revoke(request=request, user=request.user, token_id=form.cleaned_data["token"]):
        raise Http404(_("You have no such token."))
    messages.success(request, _("The token was revoked: it no longer opens the API."))
    return see_other(reverse("frontend:settings"))


@login_required
@require_POST
def tokens_revoke_all_view(request):
    revoked = tokens_revoke_all(request=request, user=request.user)
    if revoked:
        messages.success(request, _("All your API tokens were revoked."))
    return see_other(reverse("frontend:settings"))


urlpatterns = [
    path("settings/", settings_page, name="settings"),
    path("settings/tokens/revoke/", token_revoke_view, name="settings_token_revoke"),
    path("settings/tokens/revoke-all/", tokens_revoke_all_view, name="settings_tokens_revoke_all"),
]
