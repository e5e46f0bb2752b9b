"""Reads of the audit trail, scoped to the requesting user."""

import datetime

from django.db.models import QuerySet

from backend.audit.models import Event
from backend.common.dates import BRUSSELS


def brussels_day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of a day in Brussels."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=BRUSSELS)


def project_activity(
    *,
    project,
    verb: str | None = None,
    object_type: str | None = None,
    actor: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[Event]:
    """The project's events, newest first. The project is one the user can see
    (``backend.grants.selectors.project_get``): whoever sees a project sees its trail.

    ``verb`` matches exactly, or as a prefix when it ends with a dot ("deliverable." gives every
    deliverable event); ``actor`` is a user name as recorded; ``since`` and ``until`` are days in
    Brussels, both included. A filter left at None does not filter. The events are read from
    their own row only (the actor's and object's names are recorded with them), so a page
    takes one query whatever its size.
    """
    events = Event.objects.filter(project_id=project.pk)
    if verb:
        events = (
            events.filter(verb__startswith=verb) if verb.endswith(".") else events.filter(verb=verb)
        )
    if object_type:
        events = events.filter(object_type=object_type)
    if actor:
        events = events.filter(actor_name=actor)
    if since is not None:
        events = events.filter(at__gte=brussels_day_start(since))
    if until is not None:
        events = events.filter(at__lt=brussels_day_start(until + datetime.timedelta(days=1)))
    return events.order_by("-at", "-id")
