"""API tokens: each user's list, making one, revoking one or all, and ending all of them when the
user's password changes or the user is deactivated.

A token is django-rest-knox's: only a SHA-512 digest of its key and the key's first characters
are stored, and it ends ``GRANTWATCH_TOKEN_TTL_HOURS`` after it was made. The model is reached by
its label, so this layer imports nothing of the API's framework. A token is named by the first
characters of its digest (``TOKEN_ID_LENGTH``), never by its key; the digest tells nothing of the
key. Making and revoking a token are security events (``token.created``, ``token.revoked``) with
the client's IP address.
"""

import datetime
import re
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_save, pre_save

from backend.accounts.security import (
    current_request,
    password_changing,
    security_event,
    signed_in_user,
)

TOKEN_MODEL = "knox.AuthToken"
TOKEN_ID_LENGTH = 16
_TOKEN_ID = re.compile(rf"^[0-9a-f]{{{TOKEN_ID_LENGTH}}}$")

# Why every token of a user ended (the ``reason`` of the ``token.revoked`` event).
REVOKED = "revoked"
SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"
PASSWORD_CHANGED = "password_changed"
DEACTIVATED = "deactivated"


@dataclass(frozen=True)
class TokenInfo:
    """What a user sees of one of their tokens: never its key."""

    id: str
    created: datetime.datetime
    expiry: datetime.datetime | None
    current: bool  # the token the request was made with


def token_model():
    return apps.get_model(TOKEN_MODEL)


def token_id(token) -> str:
    return token.digest[:TOKEN_ID_LENGTH]


def _info(token, current) -> TokenInfo:
    return TokenInfo(
        id=token_id(token),
        created=token.created,
        expiry=token.expiry,
        current=token.digest == getattr(current, "digest", None),
    )


def user_tokens(*, user, now: datetime.datetime, current=None) -> list[TokenInfo]:
    """The user's tokens that have not ended at ``now``, the newest first, in one query.
    ``current`` is the token the request was made with, if any."""
    live = token_model().objects.filter(Q(expiry__isnull=True) | Q(expiry__gt=now), user=user)
    return [
        _info(token, current)
        for token in live.order_by("-created", "digest").only("digest", "created", "expiry")
    ]


def token_create(*, request, user) -> tuple[str, TokenInfo]:
    """A new token for ``user`` (who has just proved who they are): its key, shown this once,
    and what is kept of it."""
    with transaction.atomic():
        token, key = token_model().objects.create(user=user)
        security_event(
            request=request,
            user=user,
            verb="token.created",
            extra={"token": token_id(token), "expiry": token.expiry},
        )
    return key, _info(token, token)


def token_revoke(*, request, user, token_id: str) -> bool:
    """Revoke the user's token named ``token_id``; False when the user has no such token (a token
    of another user is never found)."""
    if not isinstance(token_id, str) or not _TOKEN_ID.match(token_id):
        return False
    with transaction.atomic():
        found = list(
            token_model()
            .objects.select_for_update()
            .filter(user=user, digest__startswith=token_id)
            .values_list("digest", flat=True)
        )
        if len(found) != 1:
            return False
        token_model().objects.filter(digest=found[0]).delete()
        security_event(
            request=request,
            user=user,
            verb="token.revoked",
            extra={"tokens": [token_id], "reason": REVOKED},
        )
    return True


def tokens_revoke_all(
    *, request, user, reason: str = SIGNED_OUT_EVERYWHERE, only=None, by=None
) -> int:
    """Revoke every token of the user (or those of ``only``, a query of tokens); how many there
    were. ``by`` is who revoked them when not the user (an administrator). Nothing is recorded
    when there were none."""
    with transaction.atomic():
        tokens = (token_model().objects if only is None else only).filter(user=user)
        ids = sorted(digest[:TOKEN_ID_LENGTH] for digest in tokens.values_list("digest", flat=True))
        if not ids:
            return 0
        tokens.delete()
        security_event(
            request=request,
            user=user,
            verb="token.revoked",
            extra={"tokens": ids, "reason": reason},
            # The actor is the user unless someone else revoked them.
            **({"actor": by} if by is not None and by.pk != user.pk else {}),
        )
    return len(ids)


# -- a password change or a deactivation ends every token --------------------------------------

_ENDING = "_tokens_end_because"


def _before_user_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """Notes, before the save, whether it changes the password (``password_changing``, whatever
    path saves it: the settings page, the admin, ``set_password`` and ``save``) or deactivates
    the user. Only a save of an inactive user reads the stored flag, to tell a deactivation from
    a save of someone already inactive."""
    instance.__dict__.pop(_ENDING, None)
    if raw or instance.pk is None:
        return
    if password_changing(instance, update_fields):
        instance.__dict__[_ENDING] = PASSWORD_CHANGED
        return
    if instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    stored = sender._default_manager.filter(pk=instance.pk).values_list("is_active", flat=True)
    if stored.first():
        instance.__dict__[_ENDING] = DEACTIVATED


def _after_user_save(sender, instance, raw=False, **kwargs):
    """The event names whoever is signed in as the one who ended the tokens (an administrator
    who set another user's password), else the user."""
    reason = instance.__dict__.pop(_ENDING, None)
    if not reason or raw:
        return
    request = current_request()
    tokens_revoke_all(request=request, user=instance, reason=reason, by=signed_in_user(request))


def connect_receivers() -> None:
    """Called once when the accounts app is ready."""
    pre_save.connect(
        _before_user_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens_before_user_save"
    )
    post_save.connect(
        _after_user_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="tokens_after_user_save"
    )
