"""Security events: who signed in, failed to, was locked out or changed a password, and from where.

Each is an audit event with no project; ``after`` holds the client's IP address and user agent.
The client's address is the connection's own unless ``GRANTWATCH_TRUSTED_PROXY_COUNT`` says how
many reverse proxies stand in front of the application: only then is the address taken from the
configured header (``GRANTWATCH_CLIENT_IP_HEADER``, by default X-Forwarded-For), counting that many
hops from its right end, so a client cannot name its own address by sending the header itself.
"""

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from django.conf import settings

from backend.audit.services import event_record

USER_AGENT_MAX = 300

# ``security_event``'s actor when none is named: the user the event is about.
THE_USER = object()

# The request being served, for events recorded where no request is at hand (a password saved by
# a form or the admin: the user model's save knows nothing of the request).
_current_request: ContextVar = ContextVar("grantwatch_security_request", default=None)


class CurrentRequestMiddleware:
    """Makes the request being served known to ``current_request()`` until its response is
    ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            _current_request.reset(token)


def current_request():
    """The request being served by this thread, or None (a command, a task)."""
    return _current_request.get()


def signed_in_user(request):
    """The user signed in on ``request``, or None (no request, or nobody signed in)."""
    user = getattr(request, "user", None) if request is not None else None
    return user if getattr(user, "is_authenticated", False) else None


def password_changing(user, update_fields=None) -> bool:
    """Whether saving ``user`` stores a new password: one given through ``set_password`` (the
    settings page, the admin's form, a command), which Django keeps on the user until it is
    saved. A hash upgraded at sign-in is not a change, as Django itself counts it."""
    if getattr(user, "_password", None) is None:
        return False
    return update_fields is None or "password" in update_fields


def _meta_key(header: str) -> str:
    """The request.META key of an HTTP header name (X-Forwarded-For -> HTTP_X_FORWARDED_FOR)."""
    key = header.upper().replace("-", "_")
    return key if key.startswith("HTTP_") else f"HTTP_{key}"


def client_ip(request) -> str:
    """The client's IP address; empty when there is no request."""
    if request is None:
        return ""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "GRANTWATCH_TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    header = getattr(settings, "GRANTWATCH_CLIENT_IP_HEADER", "X-Forwarded-For")
    hops = [hop.strip() for hop in meta.get(_meta_key(header), "").split(",") if hop.strip()]
    if not hops:
        return remote
    # The last trusted proxy appended the address it saw; each proxy before it did the same.
    return hops[-proxies] if len(hops) >= proxies else hops[0]


def user_agent(request) -> str:
    if request is None:
        return ""
    return (getattr(request, "META", {}).get("HTTP_USER_AGENT", "") or "")[:USER_AGENT_MAX]


def security_event(
    *,
    request,
    user,
    verb: str,
    username: str = "",
    extra: Mapping[str, Any] | None = None,
    actor=THE_USER,
):
    """Record one security event (e.g. ``signin.succeeded``) with the client's IP and user agent.

    ``user`` may be None (a failed sign-in for an unknown name); ``username`` is then the name that
    was tried. The event is about the user account: its type is ``user`` and its id the user's.
    The actor is ``user`` unless ``actor`` says otherwise: someone else (an administrator who set
    another user's password) or None (a failed sign-in: whoever tried is not known).
    """
    known = user is not None and getattr(user, "pk", None) is not None
    name = username or (user.get_username() if known else "")
    after: dict[str, Any] = {
        "ip": client_ip(request),
        "user_agent": user_agent(request),
        "username": name,
    }
    if extra:
        after.update(extra)
    return event_record(
        actor=(user if known else None) if actor is THE_USER else actor,
        verb=verb,
        object_type="user",
        object_id=user.pk if known else "",
        object_repr=name,
        after=after,
    )
