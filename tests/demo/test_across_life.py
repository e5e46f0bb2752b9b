"""The demo across its life: loaded in each month from three months before the demo grant's
start to a year after its end, once with its dates as the file has them and once moved to the
day of loading. Each month: it loads, loads again without change, every persona's home answers,
and the officer's dashboard counts what the database holds."""

import csv
import datetime
import io
from collections import Counter

import pytest
import time_machine
from django.test import Client

from backend.accounts.models import User
from backend.common.dates import BRUSSELS, add_months
from backend.demo.loading import DEMO_GRANT_FILE, DEMO_USERS, demo_load
from backend.grantfile.loading import load_grant_file
from backend.grants.models import Project
from backend.workplan.models import Deliverable
from monitoring.models import Flag
from monitoring.rag import OVERDUE_KINDS

pytestmark = [pytest.mark.django_db, pytest.mark.life]

FILE = load_grant_file(DEMO_GRANT_FILE.read_bytes())
FILE_START = datetime.date.fromisoformat(FILE["start_date"])
FIRST = add_months(FILE_START, -3)
LAST = add_months(FILE_START, FILE["duration_months"] + 12)
MONTHS = [
    add_months(FIRST, n)
    for n in range((LAST.year - FIRST.year) * 12 + LAST.month - FIRST.month + 1)
]
# A different day of the month each time: the first, the middle, the last and one before it.
DAYS = (1, 15, 31, 28)


def _day(index: int, first_of_month: datetime.date) -> datetime.datetime:
    wanted = DAYS[index % len(DAYS)]
    day = first_of_month
    while day.day < wanted and (day + datetime.timedelta(days=1)).month == day.month:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(9, 0), tzinfo=BRUSSELS)


CASES = [
    pytest.param(
        shift, _day(index, month), id=f"{'shifted' if shift else 'as-filed'}-{month:%Y-%m}"
    )
    for shift in (False, True)
    for index, month in enumerate(MONTHS)
]


def _state() -> tuple:
    return (
        Project.objects.count(),
        User.objects.count(),
        sorted(Deliverable.objects.values_list("pk", "status", "due_on")),
        sorted(Flag.objects.values_list("fingerprint", "project_id", "resolved_at")),
    )


def _homes() -> dict[str, str]:
    """Where each persona's sign-in leads (the same rule as the home view, from the data)."""
    homes = dict.fromkeys(("officer", "officer2", "admin"), "/portfolio/")
    manager = User.objects.get(username="manager")
    managed = list(manager.project_roles.filter(role="manager").values_list("project", flat=True))
    homes["manager"] = f"/projects/{managed[0]}/" if len(managed) == 1 else "/projects/"
    homes.update(partner1="/tasks/", partner2="/tasks/")
    return homes


def _dashboard_counts(client: Client) -> dict[str, tuple]:
    """Per project in the officer's CSV export: open flags by severity and overdue items."""
    response = client.get("/portfolio/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    return {row[0]: (*(int(cell or 0) for cell in row[4:8]), int(row[9])) for row in rows[1:]}


def _database_counts(user: User) -> dict[str, tuple]:
    projects = Project.objects.filter(roles__user=user, roles__role="officer")
    open_flags = Flag.objects.filter(resolved_at__isnull=True, project__in=projects)
    by_severity = Counter(open_flags.values_list("project__acronym", "severity"))
    overdue = Counter(
        open_flags.filter(kind__in=OVERDUE_KINDS).values_list("project__acronym", flat=True)
    )
    return {
        acronym: (
            *(by_severity[acronym, s] for s in ("critical", "high", "medium", "low")),
            overdue[acronym],
        )
        for acronym in projects.values_list("acronym", flat=True)
    }


@pytest.mark.parametrize(("shift", "moment"), CASES)
def test_the_demo_at_every_month_of_its_life(settings, shift, moment):
    settings.DEBUG = True
    with time_machine.travel(moment, tick=False):
        first = demo_load(shift=shift)
        state = _state()
        second = demo_load(shift=shift)

        assert first.project_imported
        assert not second.project_imported
        assert second.portfolio_created == []
        assert _state() == state
        if shift:
            assert first.current_month == 33

        homes = _homes()
        clients = {}
        for spec in DEMO_USERS:
            client = Client()
            client.force_login(User.objects.get(username=spec.username))
            landing = client.get("/")
            assert landing.status_code == 302, spec.username
            assert landing.url == homes[spec.username], spec.username
            page = client.get(landing.url)
            assert page.status_code == 200, (spec.username, landing.url)
            clients[spec.username] = client

        officer = User.objects.get(username="officer")
        shown = _dashboard_counts(clients["officer"])
        assert shown == _database_counts(officer)
        assert Flag.objects.filter(resolved_at__isnull=True).exists()
