"""The calendar feed: ``GET /calendar/<key>.ics``, an iCalendar (RFC 5545) file of the user's
deadlines (``calendar_events``), opened by the secret key in its address, with no session.

Every event is a whole day, the due date in Europe/Brussels (``DTSTART;VALUE=DATE``, ending the
next day): a date carries no time zone, so a calendar program shows it on that day wherever it
is. Its ``UID`` is the item's kind and id (``deliverable-12@grantwatch``), so a calendar that
fetches the feed again updates its events instead of adding new ones; its ``SUMMARY`` is in the
user's language with the project's acronym, its ``DESCRIPTION`` and ``URL`` the item's page.

An unknown key, one rotated away or turned off, or a deactivated user's, is a 404 that says
nothing more. The key stays out of the request log, and the answer out of shared caches.
"""

import datetime

from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from icalendar import Calendar, Event

from backend.accounts.calendar_feeds import calendar_feed_user
from frontend.account.calendar_events import FeedEvent, feed_events

CONTENT_TYPE = "text/calendar; charset=utf-8"
PRODUCT_ID = "-//Grantwatch//Deadlines//EN"


def feed_calendar(
    events: list[FeedEvent], *, name: str, now: datetime.datetime, absolute
) -> Calendar:
    """The events as an iCalendar; ``absolute`` makes a page's path a full address."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", "Europe/Brussels")
    stamp = now.astimezone(datetime.UTC)
    for item in events:
        url = absolute(item.path)
        event = Event()
        event.add("uid", item.uid)
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.day + datetime.timedelta(days=1))
        event.add("summary", item.summary)
        event.add("description", f"{item.summary}\n{url}")
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar


@require_GET
def calendar_feed(request, key: str):
    # The key opens the feed: the request log (and Django's "Not Found" line) name the path
    # without it.
    request.path = request.path.replace(key, "<key>")
    user = calendar_feed_user(key)
    if user is None:
        raise Http404
    now = timezone.now()
    with translation.override(user.language or settings.LANGUAGE_CODE):
        events = feed_events(user=user, now=now)
        name = _("Grantwatch deadlines")
    calendar = feed_calendar(events, name=name, now=now, absolute=request.build_absolute_uri)
    response = HttpResponse(calendar.to_ical(), content_type=CONTENT_TYPE)
    # A secret address: kept out of shared caches and of the pages' referrers.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
