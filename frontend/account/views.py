"""The user's own settings page: their API tokens (each with when it was made and when it ends,
never its key), revoked one by one or all at once; their calendar feed, turned on (its secret
address shown once), given a new address, or turned off.

Plain forms: a revocation redirects (303) back to the page with a message; a post that names no
token is the page again with the error (400); a token that is not the user's is not found (404).
The calendar's form says what to do (``action``): done, it redirects (303) with a message; an
unknown action is the page again with the error (400); turning on a feed that is on, or giving
a new address to one that is off, is refused (409) with why; none of these writes anything.
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

from backend.accounts.calendar_feeds import (
    calendar_feed_disable,
    calendar_feed_enable,
    calendar_feed_of,
    calendar_feed_rotate,
)
from backend.accounts.tokens import TOKEN_ID_LENGTH, token_revoke, tokens_revoke_all, user_tokens
from frontend.account.calendar_feed import calendar_feed
from frontend.forms import see_other

# The key of a feed just turned on or rotated, kept in the session until the page shows it once.
NEW_CALENDAR_KEY = "calendar_feed_new_key"


class TokenRevokeForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("Token"),
        max_length=TOKEN_ID_LENGTH,
        error_messages={"required": gettext_lazy("Choose the token to revoke.")},
    )


class CalendarForm(forms.Form):
    action = forms.ChoiceField(
        label=gettext_lazy("Calendar feed"),
        choices=[
            ("enable", gettext_lazy("Turn on")),
            ("rotate", gettext_lazy("Make a new address")),
            ("disable", gettext_lazy("Turn off")),
        ],
        error_messages={
            "required": gettext_lazy("Choose what to do with your calendar feed."),
            "invalid_choice": gettext_lazy("Choose what to do with your calendar feed."),
        },
    )


def _settings_page(
    request, *, revoke_form=None, calendar_form=None, calendar_refusal="", status: int = 200
):
    tokens = user_tokens(user=request.user, now=timezone.now())
    new_key = request.session.pop(NEW_CALENDAR_KEY, None) if status == 200 else None
    context = {
        "tokens": tokens,
        "revoke_form": revoke_form or TokenRevokeForm(),
        "calendar": calendar_feed_of(user=request.user),
        "calendar_form": calendar_form or CalendarForm(),
        "calendar_refusal": calendar_refusal,
        "calendar_url": (
            request.build_absolute_uri(reverse("frontend:calendar_feed", args=[new_key]))
            if new_key
            else ""
        ),
    }
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


@login_required
@require_POST
def calendar_view(request):
    form = CalendarForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, calendar_form=form, status=400)
    action, user, now = form.cleaned_data["action"], request.user, timezone.now()
    if action == "disable":
        if calendar_feed_disable(request=request, user=user):
            messages.success(request, _("Your calendar feed is off: its address opens nothing."))
        return see_other(reverse("frontend:settings"))
    if action == "enable":
        key = calendar_feed_enable(request=request, user=user, now=now)
        refusal = _("Your calendar feed is on already; make a new address if you need one.")
        done = _("Your calendar feed is on. Copy its address now: it is shown only this once.")
    else:
        key = calendar_feed_rotate(request=request, user=user, now=now)
        refusal = _("Your calendar feed is off: turn it on first.")
        done = _(
            "Your calendar feed has a new address; the old one opens nothing any more. Copy "
            "the new one now: it is shown only this once."
        )
    if key is None:
        return _settings_page(request, calendar_refusal=refusal, status=409)
    request.session[NEW_CALENDAR_KEY] = key
    messages.success(request, done)
    return see_other(reverse("frontend:settings"))


urlpatterns = [
    path("settings/", settings_page, name="settings"),
    path("settings/tokens/revoke/", token_revoke_view, name="settings_token_revoke"),
    path("settings/tokens/revoke-all/", tokens_revoke_all_view, name="settings_tokens_revoke_all"),
    path("settings/calendar/", calendar_view, name="settings_calendar"),
    # Opened by the secret key in the address, with no session.
    path("calendar/<str:key>.ics", calendar_feed, name="calendar_feed"),
]
