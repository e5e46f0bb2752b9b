"""Security events: who signed in, failed to, was locked out or changed a password, and from where.

Each is an audit event with no project; ``after`` holds the client's IP address and user agent.
The client's address is the connection's own unless ``GRANTWATCH_TRUSTED_PROXY_COUNT`` says how
many reverse proxies stand in front of the application: only then is the address taken from the
configured header (``GRANTWATCH_CLIENT_IP_HEADER``, by default X-Forwarded-For), counting that many
hops from its right end, so a client cannot name its own address by sending the header itself.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings

from backend.audit.services import event_record

USER_AGENT_MAX = 300


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
):
    """Record one security event (e.g. ``signin.succeeded``) with the client's IP and user agent.

    ``user`` may be None (a failed sign-in for an unknown name); ``username`` is then the name that
    was tried. The event is about the user account: its type is ``user`` and its id the user's.
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
        actor=user if known else None,
        verb=verb,
        object_type="user",
        object_id=user.pk if known else "",
        object_repr=name,
        after=after,
    )
