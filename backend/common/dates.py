"""Calendar arithmetic for project months and Brussels deadlines. Pure functions."""

import calendar
import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils import timezone

BRUSSELS = ZoneInfo("Europe/Brussels")

# A periodic report is due 60 days after its period ends, for additional pre-financing, interim
# and final reports alike (Funding & Tenders Portal, IT How To "Reporting":
# https://webgate.ec.europa.eu/funding-tenders-opportunities/pages/viewpage.action?pageId=34473279).
REPORT_DUE_DAYS = 60


# Pure and asked again and again with the same few arguments (a sweep batch computes thousands
# of due dates from a few hundred start dates): remembered.
@lru_cache(maxsize=65536)
def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the end of a shorter month."""
    years, month_index = divmod(day.month - 1 + months, 12)
    year = day.year + years
    month = month_index + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@lru_cache(maxsize=65536)
def month_end(start: datetime.date, month: int) -> datetime.date:
    """The last day of a project's n-th month: start date + n months - 1 day."""
    return add_months(start, month) - datetime.timedelta(days=1)


def month_start(start: datetime.date, month: int) -> datetime.date:
    """The first day of a project's n-th month."""
    return add_months(start, month - 1)


def deadline_passed(due: datetime.date, now: datetime.datetime) -> bool:
    """A deadline on ``due`` runs to the end of that day in Brussels."""
    cutoff = datetime.datetime.combine(
        due + datetime.timedelta(days=1), datetime.time.min, tzinfo=BRUSSELS
    )
    return now >= cutoff


def brussels_today(now: datetime.datetime | None = None) -> datetime.date:
    """Today's date in Brussels, where EU deadlines fall (``now`` defaults to the clock)."""

    return (now or timezone.now()).astimezone(BRUSSELS).date()


def report_due_on(period_end: datetime.date) -> datetime.date:
    """A periodic report's deadline: 60 days after its period ends."""
    return period_end + datetime.timedelta(days=REPORT_DUE_DAYS)


def project_month(start: datetime.date, day: datetime.date) -> int:
    """The project month a day falls in: 1 from the start date to the end of the first month,
    and so on; 0 or less before the start, more than the duration after the end."""
    months = (day.year - start.year) * 12 + day.month - start.month
    # Month n+1 starts on add_months(start, n); before that day the day is still in month n.
    return months + 1 if day >= add_months(start, months) else months
