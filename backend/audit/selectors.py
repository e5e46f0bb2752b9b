"""Reads of the audit trail, scoped to the requesting user."""

import datetime

from django.db.models import Q, QuerySet

from backend.audit.models import Audience, Event
from backend.common.dates import BRUSSELS


def brussels_day_start(day: datetime.date) -> datetime.datetime:
    """The first instant of a day in Brussels."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=BRUSSELS)


def audience_filter(access) -> Q:
    """Which events of a project a user reads, by each event's audience. ``access`` is the
    user's standing on the project (``backend.accounts.permissions.project_access``: admin,
    officer, manager, partner_for); the caller has checked that the user sees the project.

    Everyone who sees the project reads the project's events; the consortium (managers and
    partner contacts) also those about a draft deliverable's files; a partner contact also
    those about its own organisation's draft contribution; the officers also the agency's own
    (a reduction before its pre-information letter); the managers read every event but the
    agency's, the admins every event. This is the one rule for every read of the trail.
    """
    if access.admin or (access.manager and access.officer):
        return Q()
    if access.manager:
        return ~Q(audience=Audience.AGENCY)
    visible = Q(audience=Audience.PROJECT)
    if access.officer:
        visible |= Q(audience=Audience.AGENCY)
    if access.partner_for:
        visible |= Q(audience=Audience.CONSORTIUM) | Q(
            audience=Audience.PARTICIPATION,
            audience_participation_id__in=sorted(access.partner_for),
        )
    return visible


def events_visible(events: QuerySet[Event], *, access) -> QuerySet[Event]:
    """The events the user may read (``audience_filter``), filtered in the same query."""
    return events.filter(audience_filter(access))


def project_activity(
    *,
    project,
    access,
    verb: str | None = None,
    object_type: str | None = None,
    actor: str | None = None,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
) -> QuerySet[Event]:
    """The project's events the user may read, newest first. The project is one the user can
    see (``backend.grants.selectors.project_get``) and ``access`` the user's standing on it:
    whoever sees a project sees its trail, except the events about drafts the user may not
    read (``audience_filter``).

    ``verb`` matches exactly, or as a prefix when it ends with a dot ("deliverable." gives every
    deliverable event); ``actor`` is a user name as recorded; ``since`` and ``until`` are days in
    Brussels, both included. A filter left at None does not filter. The events are read from
    their own row only (the actor's and object's names are recorded with them), so a page
    takes one query whatever its size.
    """
    events = events_visible(Event.objects.filter(project_id=project.pk), access=access)
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
