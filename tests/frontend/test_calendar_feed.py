"""The calendar feed, parsed back with ``icalendar``: what each role finds in it, against the
database; stable UIDs; the secret address turned on, rotated and turned off on the settings
page; Brussels dates; a fixed number of queries."""

import datetime
import re

import pytest
import time_machine
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from backend.accounts.calendar_feeds import calendar_feed_enable, key_digest
from backend.accounts.calendar_models import CalendarFeed
from backend.accounts.models import ProjectRole
from backend.amendments.services import amendment_create, amendment_submit
from backend.audit.models import Event
from backend.common.dates import BRUSSELS, brussels_today
from backend.payments import rules as payment_rules
from backend.payments import statuses
from backend.payments.selectors import grant_facts
from backend.workplan.models import Deliverable, DeliverableStatus
from tests import factories
from tests.amendments.helpers import add, new_organisation, terminate

pytestmark = pytest.mark.django_db

KEY_IN_PAGE = re.compile(r"/calendar/([A-Za-z0-9_-]{43})\.ics")


def _key(user) -> str:
    return calendar_feed_enable(request=None, user=user, now=timezone.now())


def _events(client, key: str) -> dict[str, tuple]:
    """UID -> (day, summary, url) of the feed, parsed back."""
    response = client.get(f"/calendar/{key}.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    found = {}
    for event in calendar.walk("VEVENT"):
        uid = str(event["UID"])
        assert uid not in found, f"{uid} twice"
        assert "DTSTAMP" in event
        found[uid] = (event.decoded("DTSTART"), str(event["SUMMARY"]), str(event["URL"]))
    return found


@pytest.fixture
def world(grant, other_grant, grant_users):
    """Deadlines of every kind on ``grant`` and one on ``other_grant``, with things done and a
    draft that must not be listed."""
    participations = dict(grant.participations.values_list("short_name", "pk"))
    wp1 = grant.work_packages.get(number=1)
    soon = {"due_month": 9, "due_on": grant.month_end(9)}
    ids = {
        "zilemed_deliverable": factories.DeliverableFactory(
            work_package=wp1, lead_id=participations["ZILEMED"], **soon
        ).pk,
        "lvtda_deliverable": factories.DeliverableFactory(
            work_package=wp1, lead_id=participations["LVTDA"], **soon
        ).pk,
        "zilemed_milestone": factories.MilestoneFactory(
            project=grant, lead_id=participations["ZILEMED"], due_month=10, work_packages=[wp1]
        ).pk,
        "other_deliverable": factories.DeliverableFactory(
            work_package=other_grant.work_packages.get(number=1), **soon
        ).pk,
    }
    # Done: a submitted deliverable drops off.
    done = factories.DeliverableFactory(work_package=wp1, lead_id=participations["ZILEMED"], **soon)
    Deliverable.objects.filter(pk=done.pk).update(
        status=DeliverableStatus.SUBMITTED, delivered_on=brussels_today()
    )
    ids["done_deliverable"] = done.pk
    manager = grant_users["manager"]
    draft = amendment_create(
        project=grant,
        user=manager,
        justification="A draft.",
        changes=[
            add(
                effective_on=grant.month_end(9).isoformat(),
                **new_organisation("NEWCO", "993777111", "LV", ["enterprise"]),
            )
        ],
    )
    submitted = amendment_create(
        project=grant,
        user=manager,
        justification="GAUJMALA leaves.",
        changes=[terminate("GAUJMALA", grant.month_end(20).isoformat())],
    )
    amendment_submit(request=submitted, user=manager)
    ids["draft_amendment"], ids["submitted_amendment"] = draft.pk, submitted.pk
    ids["periods"] = dict(grant.reporting_periods.values_list("number", "pk"))
    ids["participations"] = participations
    return ids


def _expected(world, role: str) -> set[str]:
    d, p = world, world["participations"]
    deliverables = {f"deliverable-{d['zilemed_deliverable']}@grantwatch"}
    milestone = {f"milestone-{d['zilemed_milestone']}@grantwatch"}
    reports = {f"report-{pk}@grantwatch" for pk in d["periods"].values()}
    amendment = {f"amendment-{d['submitted_amendment']}@grantwatch"}
    if role == "partner_contact":
        return deliverables | milestone | {f"contribution-{p['ZILEMED']}-1@grantwatch"}
    lvtda = {f"deliverable-{d['lvtda_deliverable']}@grantwatch"}
    watched = deliverables | lvtda | milestone | reports | amendment
    if role == "manager":
        return watched | {f"contribution-{p['GAUJA']}-1@grantwatch"}
    return watched


@pytest.mark.parametrize("role", ["manager", "partner_contact", "officer"])
def test_each_role_finds_its_deadlines_and_nothing_else(client, world, grant, grant_users, role):
    user = grant_users[role]
    events = _events(client, _key(user))
    # Payments due depend on the schedule: whatever is listed besides must be a payment of
    # the grant, for those who watch it.
    payments = {uid for uid in events if uid.startswith("payment-")}
    assert set(events) - payments == _expected(world, role)
    assert all(uid.startswith(f"payment-{grant.pk}-") for uid in payments)
    if role == "partner_contact":
        assert payments == set()
    for uid, (day, summary, url) in events.items():
        assert summary.startswith("MINICOVE: "), uid
        assert url.startswith("http://testserver/projects/"), uid
        assert isinstance(day, datetime.date)
        assert not isinstance(day, datetime.datetime)
    deliverable = Deliverable.objects.get(pk=world["zilemed_deliverable"])
    day, summary, url = events[f"deliverable-{deliverable.pk}@grantwatch"]
    assert day == deliverable.due_on
    assert summary == f'MINICOVE: deliverable {deliverable.code} "{deliverable.title}" due'
    assert url == f"http://testserver/projects/{grant.pk}/deliverables/{deliverable.pk}/"


def test_the_feed_lists_no_draft_nothing_done_and_no_other_project(client, world, grant_users):
    text = client.get(f"/calendar/{_key(grant_users['manager'])}.ics").content.decode()
    assert f"amendment-{world['draft_amendment']}@" not in text
    assert f"deliverable-{world['done_deliverable']}@" not in text
    assert f"deliverable-{world['other_deliverable']}@" not in text
    assert "OTHERCOVE" not in text
    assert "A draft." not in text


def test_the_other_projects_manager_sees_only_their_project(client, world, grant_users):
    events = _events(client, _key(grant_users["other_manager"]))
    assert events
    assert all(summary.startswith("OTHERCOVE: ") for _day, summary, _url in events.values())
    assert f"deliverable-{world['other_deliverable']}@grantwatch" in events


def test_a_user_without_projects_gets_an_empty_calendar(client, world, grant_users):
    assert _events(client, _key(grant_users["stranger"])) == {}


def test_a_refetch_gives_the_same_events_and_a_moved_deadline_keeps_its_uid(
    client, world, grant_users
):
    key = _key(grant_users["manager"])
    first, again = _events(client, key), _events(client, key)
    assert again == first
    uid = f"deliverable-{world['zilemed_deliverable']}@grantwatch"
    deliverable = Deliverable.objects.get(pk=world["zilemed_deliverable"])
    moved = deliverable.due_on + datetime.timedelta(days=10)
    Deliverable.objects.filter(pk=deliverable.pk).update(due_on=moved)
    after = _events(client, key)
    assert set(after) == set(first)
    assert after[uid][0] == moved
    assert {u: e for u, e in after.items() if u != uid} == {
        u: e for u, e in first.items() if u != uid
    }


# -- dates in Brussels --------------------------------------------------------------------------


@pytest.mark.parametrize("clock", ["23:30", "00:30"])
@pytest.mark.parametrize("server_zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_due_dates_are_brussels_days_whatever_the_time(
    client, grant, grant_users, settings, clock, server_zone
):
    """The window starts 90 days before today in Brussels: at 00:30 Brussels it is still the
    day before in UTC, at 23:30 already the next day east of it; a deadline is its own day."""
    settings.TIME_ZONE = server_zone
    hour, minute = (int(part) for part in clock.split(":"))
    today = grant.month_end(8)
    now = datetime.datetime.combine(today, datetime.time(hour, minute), tzinfo=BRUSSELS)
    wp1 = grant.work_packages.get(number=1)
    due = {
        days: factories.DeliverableFactory(
            work_package=wp1, due_on=today - datetime.timedelta(days=days)
        ).pk
        for days in (0, 90, 91)
    }
    key = _key(grant_users["manager"])
    with time_machine.travel(now, tick=False):
        response = client.get(f"/calendar/{key}.ics")
        events = _events(client, key)
    assert f"DTSTART;VALUE=DATE:{today:%Y%m%d}" in response.content.decode()
    assert events[f"deliverable-{due[0]}@grantwatch"][0] == today
    assert events[f"deliverable-{due[90]}@grantwatch"][0] == today - datetime.timedelta(days=90)
    assert f"deliverable-{due[91]}@grantwatch" not in events


# -- the secret address -------------------------------------------------------------------------


def _settings_post(client, action: str | None):
    return client.post(
        reverse("frontend:settings_calendar"), {} if action is None else {"action": action}
    )


def test_turning_the_feed_on_shows_its_address_once(client, world, grant_users):
    user = grant_users["partner_contact"]
    client.force_login(user)
    assert "Your calendar feed is off." in client.get("/settings/").content.decode()
    response = _settings_post(client, "enable")
    assert (response.status_code, response["Location"]) == (303, "/settings/")
    page = client.get("/settings/").content.decode()
    key = KEY_IN_PAGE.search(page).group(1)
    assert CalendarFeed.objects.get(user=user).digest == key_digest(key)
    assert key not in client.get("/settings/").content.decode()
    assert KEY_IN_PAGE.search(client.get("/settings/").content.decode()) is None
    client.logout()
    assert _events(client, key)
    assert Event.objects.filter(verb="calendar.enabled", object_id=str(user.pk)).count() == 1


def test_a_new_address_stops_the_old_one_at_once(client, world, grant_users):
    user = grant_users["manager"]
    old = _key(user)
    client.force_login(user)
    assert _settings_post(client, "rotate").status_code == 303
    new = KEY_IN_PAGE.search(client.get("/settings/").content.decode()).group(1)
    client.logout()
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert _events(client, new)


def test_turning_the_feed_off_stops_its_address(client, world, grant_users):
    user = grant_users["manager"]
    key = _key(user)
    client.force_login(user)
    assert _settings_post(client, "disable").status_code == 303
    assert not CalendarFeed.objects.filter(user=user).exists()
    client.logout()
    assert client.get(f"/calendar/{key}.ics").status_code == 404


@pytest.mark.parametrize(
    ("feed_on", "action", "status"),
    [
        (False, None, 400),
        (False, "bogus", 400),
        (True, "", 400),
        (True, "enable", 409),
        (False, "rotate", 409),
    ],
)
def test_bad_posts_on_the_settings_page_write_nothing(client, grant_users, feed_on, action, status):
    user = grant_users["manager"]
    if feed_on:
        _key(user)
    before = list(CalendarFeed.objects.values_list("user_id", "digest", "created_at"))
    events = Event.objects.count()
    client.force_login(user)
    response = _settings_post(client, action)
    assert response.status_code == status
    text = response.content.decode()
    if status == 400:
        assert "Choose what to do with your calendar feed." in text
    assert KEY_IN_PAGE.search(text) is None
    assert list(CalendarFeed.objects.values_list("user_id", "digest", "created_at")) == before
    assert Event.objects.count() == events


# -- 404s that say nothing ----------------------------------------------------------------------


def test_keys_that_open_no_feed_are_not_found_and_show_nothing(client, world, grant, grant_users):
    manager = grant_users["manager"]
    real = _key(manager)
    inactive = grant_users["partner_contact"]
    inactive_key = _key(inactive)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    for key in (
        "A" * 43,  # the right shape, nobody's
        real[:-1],  # one character short
        real + "A",  # too long
        "x" * 5000,  # far too long
        "not a key!",
        inactive_key,  # a deactivated user's
    ):
        response = client.get(f"/calendar/{key}.ics")
        assert response.status_code == 404, key
        text = response.content.decode()
        # (Not the user name: the page's random CSRF token may hold a short one.)
        for secret in ("MINICOVE", "BEGIN:VCALENDAR", grant.title, manager.email):
            assert secret not in text, (key, secret)


def test_only_the_digest_is_stored_and_the_admin_shows_neither(client, grant_users):
    user = grant_users["manager"]
    key = _key(user)
    feed = CalendarFeed.objects.get(user=user)
    assert key not in (feed.digest, str(feed.created_at))
    root = grant_users["admin"]
    client.force_login(root)
    for url in (
        reverse("admin:accounts_calendarfeed_changelist"),
        reverse("admin:accounts_calendarfeed_change", args=[feed.pk]),
    ):
        text = client.get(url).content.decode()
        assert user.username in text
        assert feed.digest not in text
        assert key not in text
    model_admin = admin.site._registry[CalendarFeed]
    assert model_admin.has_add_permission(None) is False


# -- queries ------------------------------------------------------------------------------------


def _more_projects(manager, count: int) -> None:
    for number in range(count):
        project = factories.consortium(acronym=f"MORE{number}")
        coordinator = project.participations.get(short_name="GAUJA")
        ProjectRole.objects.create(
            user=manager, project=project, role="manager", participation=coordinator
        )
        factories.DeliverableFactory(
            work_package=project.work_packages.get(number=1),
            due_month=9,
            due_on=project.month_end(9),
        )


def test_the_feed_reads_a_fixed_number_of_queries(
    client, world, grant_users, django_assert_max_num_queries
):
    manager = grant_users["manager"]
    key = _key(manager)
    with CaptureQueriesContext(connection) as small:
        few = _events(client, key)
    _more_projects(manager, 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        many = _events(client, key)
    assert len(many) > len(few)


def test_the_payments_the_agency_owes_are_listed_for_those_who_watch_them(
    client, grant, grant_users
):
    """The grant's pre-financing is ready to pay (the payment schedule says by when): ten
    days after that day it is in the manager's and the officer's feeds, not a partner's."""
    today = brussels_today()
    schedule = payment_rules.schedule(grant_facts([grant.pk], today=today)[grant.pk], today)
    prefinancing = next(item for item in schedule if item.key == "prefinancing")
    assert prefinancing.status == statuses.READY
    due = prefinancing.payment_due_on
    now = datetime.datetime.combine(due + datetime.timedelta(days=10), datetime.time(12), BRUSSELS)
    uid = f"payment-{grant.pk}-prefinancing@grantwatch"
    keys = {role: _key(grant_users[role]) for role in ("manager", "officer", "partner_contact")}
    with time_machine.travel(now, tick=False):
        feeds = {role: _events(client, key) for role, key in keys.items()}
    for role in ("manager", "officer"):
        assert feeds[role][uid][:2] == (due, "MINICOVE: payment due: Pre-financing"), role
        assert feeds[role][uid][2] == f"http://testserver/projects/{grant.pk}/compliance/"
    assert uid not in feeds["partner_contact"]


def test_the_summaries_are_in_the_users_language(client, grant, grant_users):
    """A Latvian user's feed names the instalment in Latvian (the rest of the summary follows
    once its Latvian text is compiled), whatever the language of the request."""
    today = brussels_today()
    schedule = payment_rules.schedule(grant_facts([grant.pk], today=today)[grant.pk], today)
    due = next(item for item in schedule if item.key == "prefinancing").payment_due_on
    manager = grant_users["manager"]
    manager.language = "lv"
    manager.save(update_fields=["language"])
    key = _key(manager)
    now = datetime.datetime.combine(due, datetime.time(12), BRUSSELS)
    with time_machine.travel(now, tick=False):
        events = _events(client, key)
    summary = events[f"payment-{grant.pk}-prefinancing@grantwatch"][1]
    assert "Priekšfinansējums" in summary
    assert "Pre-financing" not in summary


def test_the_key_stays_out_of_the_request_log(client, grant_users, caplog):
    key = _key(grant_users["manager"])
    with caplog.at_level("INFO"):
        assert client.get(f"/calendar/{key}.ics").status_code == 200
        unknown = ("B" if key[0] == "A" else "A") + key[1:]
        assert client.get(f"/calendar/{unknown}.ics").status_code == 404
    logged = [record.getMessage() for record in caplog.records]
    assert any("/calendar/<key>.ics 200" in line for line in logged)
    assert any("/calendar/<key>.ics 404" in line for line in logged)
    assert not any(key[1:] in line for line in logged)


def test_an_officer_role_that_does_not_count_lists_nothing(client, world, grant_users):
    """An officer role held by someone no longer agency staff decides and watches nothing."""
    officer = grant_users["officer"]
    key = _key(officer)
    assert _events(client, key)
    type(officer).objects.filter(pk=officer.pk).update(is_agency_officer=False)
    response = client.get(f"/calendar/{key}.ics")
    assert response["Cache-Control"] == "private, no-store"
    assert list(Calendar.from_ical(response.content).walk("VEVENT")) == []
