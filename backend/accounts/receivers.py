"""Audit events for sign-ins: each sign-in, failed sign-in, lockout and password change is an
event with the user (or the name tried) and the client's IP address and user agent
(``backend.accounts.security``). Connected when the accounts app is ready."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_save

from backend.accounts.security import (
    current_request,
    password_changing,
    security_event,
    signed_in_user,
)

SIGNIN_SUCCEEDED = "signin.succeeded"
SIGNIN_FAILED = "signin.failed"
SIGNIN_LOCKED_OUT = "signin.locked_out"
PASSWORD_CHANGED = "password.changed"


def _known_user(username: str):
    if not username:
        return None
    return (
        get_user_model()
        ._default_manager.filter(**{get_user_model().USERNAME_FIELD: username})
        .first()
    )


def _path(request) -> str:
    return getattr(request, "path", "") if request is not None else ""


def signin_succeeded(sender, request, user, **kwargs) -> None:
    """A sign-in through a page or the admin. A sign-in that came over no HTTP request (the test
    client's ``force_login`` makes an empty one, with no method) is no client's and not recorded."""
    if request is None or not request.META.get("REQUEST_METHOD"):
        return
    security_event(
        request=request, user=user, verb=SIGNIN_SUCCEEDED, extra={"path": _path(request)}
    )


def _refused_for_lockout(request) -> bool:
    """Refused by the lockout before the password was checked. The failure that begins a lockout
    was counted (axes set its count), and its password was wrong."""
    return bool(getattr(request, "axes_locked_out", False)) and (
        getattr(request, "axes_failures_since_start", None) is None
    )


def signin_failed(sender, credentials, request=None, **kwargs) -> None:
    """A wrong password, an unknown name, or any attempt while the name and address are locked
    out (``locked_out`` true: the password was not even checked)."""
    username = str(
        credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or ""
    )
    security_event(
        request=request,
        user=_known_user(username),
        verb=SIGNIN_FAILED,
        username=username,
        actor=None,
        extra={
            "path": _path(request),
            "locked_out": _refused_for_lockout(request),
        },
    )


def _tell_the_wrapped_request(request) -> None:
    """An API view hands django-axes DRF's request, which wraps Django's: axes marks the wrapper,
    and its middleware, which answers a lockout, sees only Django's. Mark that one too."""
    wrapped = getattr(request, "_request", None)
    if wrapped is not None and wrapped is not request:
        wrapped.axes_locked_out = True
        wrapped.axes_credentials = getattr(request, "axes_credentials", None)


def signin_locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    """Axes tells of a lockout when a failure reaches the limit and again at every attempt while
    it lasts; the event is recorded once, when the lockout begins (the attempts after it are
    failed sign-ins with ``locked_out`` true)."""
    if request is None:
        return
    _tell_the_wrapped_request(request)
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    security_event(
        request=request,
        user=_known_user(username or ""),
        verb=SIGNIN_LOCKED_OUT,
        username=username or "",
        actor=None,
        extra={"path": _path(request), "failures": request.axes_failures_since_start},
    )


def password_changed(sender, instance, created, update_fields=None, **kwargs) -> None:
    """A new user's first password is not a change. The actor is whoever is signed in (an
    administrator may set another user's password), else the user."""
    if created or not password_changing(instance, update_fields):
        return
    request = current_request()
    by = signed_in_user(request)
    if by is not None:
        security_event(request=request, user=instance, verb=PASSWORD_CHANGED, actor=by)
    else:
        security_event(request=request, user=instance, verb=PASSWORD_CHANGED)


def connect() -> None:
    user_logged_in.connect(signin_succeeded, dispatch_uid="grantwatch.signin_succeeded")
    user_login_failed.connect(signin_failed, dispatch_uid="grantwatch.signin_failed")
    user_locked_out.connect(signin_locked_out, dispatch_uid="grantwatch.signin_locked_out")
    post_save.connect(
        password_changed, sender=get_user_model(), dispatch_uid="grantwatch.password_changed"
    )
