"""A portfolio's figures (an administrator's: every project in the agency; an officer's: the
projects they hold) summed once per change, not on every load.

An administrator's portfolio pages sum the summaries of every project: a few tens of
milliseconds for thirty thousand projects, on every load. Those sums change only when a
summary they read changes: a project's open flags, its schedule's tallies, its progress. The
writers of those (``monitoring.summaries``) say so (``portfolio_changed``), which starts a new
version; the figures are kept in the cache under the version they were computed for (and the
day, for the figures that run to today), so that a load between two changes reads them back
instead of summing again. A change to the record reaches them through the check it asks for:
a payment recorded makes its instalment paid, a new project gets its summaries.

An officer's figures are kept the same way, under their portfolio as well
(``portfolio_key``: a digest of the ids of the projects they see, read on every load), so that
a role given or taken away reads figures of its own at once, and two officers holding the same
projects share theirs.

The version changes at once and again when the writer's transaction commits: the writer's
own reads see its change at once, and a reader that summed the data as it was before the
commit stored it under a version that is already gone. What no writer reports (a project
deleted) is summed again within the hour (``SECONDS``)."""

import datetime
import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

from backend.grants.selectors import projects_visible_to

logger = logging.getLogger("monitoring.everything")

VERSION_KEY = "portfolio:version"
SECONDS = 3600
# The portfolio of an administrator: every project.
EVERY_PROJECT = "all"

T = TypeVar("T")


def kept(keys: list[str]) -> dict:
    """The values the cache holds for these keys (none when it is out of reach)."""
    try:
        return cache.get_many(keys) if keys else {}
    except Exception:
        logger.warning("event=portfolio_cache_unavailable", exc_info=True)
        return {}


def keep(values: dict, *, timeout: int | None) -> bool:
    """Keep these values in the cache (``timeout`` None: until replaced); False when it is
    out of reach. A cache out of reach must fail neither a page nor the check that wrote the
    summaries: the figures kept there are out of reach as well, and summed again within the
    hour once it is back."""
    try:
        if values:
            cache.set_many(values, timeout=timeout)
    except Exception:
        logger.warning("event=portfolio_cache_unavailable", exc_info=True)
        return False
    return True


def portfolio_version_renew() -> None:
    """Start a new version of the administrator's figures (see ``portfolio_changed``)."""
    keep({VERSION_KEY: uuid.uuid4().hex}, timeout=None)


def portfolio_changed() -> None:
    """Something the portfolio's figures read has changed: a new version now, and another
    once the caller's transaction commits."""
    portfolio_version_renew()
    transaction.on_commit(portfolio_version_renew)


def _version() -> str | None:
    """The current version (one started now if none is kept); None when the cache is out of
    reach."""
    version = kept([VERSION_KEY]).get(VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        try:
            if not cache.add(VERSION_KEY, version, timeout=None):
                version = cache.get(VERSION_KEY) or version
        except Exception:
            logger.warning("event=portfolio_cache_unavailable", exc_info=True)
            return None
    return version


def portfolio_key(user) -> str:
    """Which portfolio the user's figures are of: ``EVERY_PROJECT`` for an administrator;
    for anyone else a digest of the ids of the projects they see (one query, of their roles'
    rows), which changes with every role given or taken away."""
    if user.is_superuser:
        return EVERY_PROJECT
    ids = projects_visible_to(user).order_by("pk").values_list("pk", flat=True)
    digest = hashlib.blake2b(",".join(map(str, ids)).encode(), digest_size=16)
    return f"p{digest.hexdigest()}"


def kept_figures(
    name: str, compute: Callable[[], T], *, today: datetime.date, portfolio: str = EVERY_PROJECT
) -> T:
    """The value of ``compute()`` for the projects of ``portfolio`` (``portfolio_key``), as
    kept for the current version, ``today`` and the active language (the figures carry names
    in the reader's language: the activity clusters'), or computed now and kept."""
    version = _version()
    if version is None:
        return compute()
    language = translation.get_language() or ""
    key = f"portfolio:{name}:{portfolio}:{today.isoformat()}:{language}:{version}"
    value = kept([key]).get(key)
    if value is None:
        value = compute()
        keep({key: value}, timeout=SECONDS)
    return value
