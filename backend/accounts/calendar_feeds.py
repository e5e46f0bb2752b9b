"""A user's calendar feed: turning it on (a new secret key, shown once), rotating the key and
turning the feed off, and finding the user a key opens.

The key is 32 random bytes, URL-safe (43 characters); only its SHA-256 digest is stored, one
per user. Rotating replaces the digest in place, so the previous key opens nothing from then
on; turning the feed off deletes the row. Each is a security event (``calendar.enabled``,
``calendar.rotated``, ``calendar.disabled``) with the client's IP address, as the API tokens'
are.
"""

import datetime
import hashlib
import re
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction

from backend.accounts.calendar_models import CalendarFeed
from backend.accounts.security import security_event

KEY_BYTES = 32
KEY_LENGTH = 43  # the URL-safe base64 of KEY_BYTES, unpadded
_KEY = re.compile(rf"^[A-Za-z0-9_-]{{{KEY_LENGTH}}}$")


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def calendar_feed_of(*, user) -> CalendarFeed | None:
    """The user's feed if it is on (never its key, which is not kept). One query."""
    return CalendarFeed.objects.filter(user_id=user.pk).first()


def calendar_feed_enable(*, request, user, now: datetime.datetime) -> str | None:
    """Turn the user's feed on: its key, to show this once; None when it is on already
    (nothing changes: a new key is ``calendar_feed_rotate``'s)."""
    return _new_key(request=request, user=user, now=now, rotate=False)


def calendar_feed_rotate(*, request, user, now: datetime.datetime) -> str | None:
    """Give the user's feed a new key (the old one stops at once): the key, to show this once;
    None when the feed is off (nothing changes)."""
    return _new_key(request=request, user=user, now=now, rotate=True)


def _new_key(*, request, user, now: datetime.datetime, rotate: bool) -> str | None:
    key = secrets.token_urlsafe(KEY_BYTES)
    with transaction.atomic():
        # The user's row, locked: two posts at once make one key each in turn.
        get_user_model().objects.select_for_update().filter(pk=user.pk).exists()
        feed = CalendarFeed.objects.filter(user_id=user.pk).first()
        if (feed is not None) != rotate:
            return None
        if feed is None:
            CalendarFeed.objects.create(user=user, digest=key_digest(key), created_at=now)
        else:
            feed.digest, feed.created_at = key_digest(key), now
            feed.save(update_fields=["digest", "created_at"])
        security_event(
            request=request, user=user, verb="calendar.rotated" if rotate else "calendar.enabled"
        )
    return key


def calendar_feed_disable(*, request, user) -> bool:
    """Turn the user's feed off; False when it was off already (nothing is recorded)."""
    with transaction.atomic():
        deleted, _rows = CalendarFeed.objects.filter(user_id=user.pk).delete()
        if deleted:
            security_event(request=request, user=user, verb="calendar.disabled")
    return bool(deleted)


def calendar_feed_user(key: str):
    """The active user whose feed this key opens, or None: a key of the wrong shape is refused
    without a query; a rotated-away or turned-off key, or a deactivated user's, finds nobody."""
    if not isinstance(key, str) or not _KEY.match(key):
        return None
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(digest=key_digest(key), user__is_active=True)
        .first()
    )
    return None if feed is None else feed.user
