"""Sign-in lockout (django-axes).

Failed sign-ins are counted in the database (axes' database handler) for one user name from one
IP address; after ``AXES_FAILURE_LIMIT`` of them that pair is locked out for ``AXES_COOLOFF_TIME``,
even with the right password. Counting the pair rather than the name alone keeps a stranger from
locking a colleague out from elsewhere; the API's anonymous throttle bounds how many names one
address can try. Lockouts are listed, and reset, in the admin (Axes: access attempts).
"""

import math

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.utils import timezone

from backend.accounts.security import client_ip


class SigninLockoutBackend(AxesStandaloneBackend):
    """Refuses a locked-out user name and address before the password is checked; the next
    backend (Django's ModelBackend) checks the password.

    A sign-in without a request (the test client's ``login``, a management shell) has no address
    to count: it is left to the next backend instead of being refused. Every sign-in page and the
    token endpoint pass their request."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_seconds_left(request, credentials=None) -> int:
    """Seconds until the locked-out user name and address of ``request`` may try again (at least
    1 while the lockout lasts)."""
    cool_off = get_cool_off(request)
    if cool_off is None:
        return 0
    username = get_client_username(request, credentials)
    latest = (
        AccessAttempt.objects.filter(username=username, ip_address=client_ip(request))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    if latest is None:
        return math.ceil(cool_off.total_seconds())
    left = (latest + cool_off - timezone.now()).total_seconds()
    return max(1, math.ceil(left))
