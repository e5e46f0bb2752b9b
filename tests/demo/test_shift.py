"""The demo grant's dates move with the day it is loaded: whole months, so that the project is
always in its 33rd month with the file's due months and M-numbers as written."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from backend.common.dates import BRUSSELS, add_months, project_month
from backend.demo.loading import (
    DEMO_GRANT_FILE,
    DEMO_MONTH,
    demo_load,
    demo_shift_months,
    grant_file_shifted,
    month_shifted,
)
from backend.grantfile.loading import load_grant_file
from backend.grants.models import Project
from backend.workplan.models import Deliverable

FILE = load_grant_file(DEMO_GRANT_FILE.read_bytes())
FILE_START = datetime.date.fromisoformat(FILE["start_date"])


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2025, 6, 30), 1, datetime.date(2025, 7, 31)),  # a month's end stays one
        (datetime.date(2025, 6, 30), 8, datetime.date(2026, 2, 28)),
        (datetime.date(2024, 1, 31), 1, datetime.date(2024, 2, 29)),
        (datetime.date(2024, 2, 29), 12, datetime.date(2025, 2, 28)),
        (datetime.date(2024, 2, 14), 5, datetime.date(2024, 7, 14)),
        (datetime.date(2024, 3, 1), -3, datetime.date(2023, 12, 1)),
        (datetime.date(2024, 9, 1), 0, datetime.date(2024, 9, 1)),
    ],
)
def test_a_date_moves_by_whole_months(day, months, expected):
    assert month_shifted(day, months) == expected


@pytest.mark.parametrize(
    "today",
    [
        datetime.date(2026, 11, 1),
        datetime.date(2026, 11, 30),
        datetime.date(2026, 12, 6),
        datetime.date(2028, 2, 29),
        datetime.date(2031, 12, 31),
        datetime.date(2023, 1, 15),
    ],
)
def test_the_shift_puts_today_in_month_33(today):
    months = demo_shift_months(FILE_START, today)
    shifted = grant_file_shifted(FILE, months)
    start = datetime.date.fromisoformat(shifted["start_date"])

    assert start.day == 1
    assert project_month(start, today) == DEMO_MONTH
    assert add_months(FILE_START, months) == start
    # Everything else of the file stays as written.
    assert shifted["work_packages"] == FILE["work_packages"]
    assert shifted["deliverables"] == FILE["deliverables"]
    assert shifted["milestones"] == FILE["milestones"]
    assert shifted["payment_schedule"] == FILE["payment_schedule"]
    assert FILE["start_date"] == FILE_START.isoformat()  # the file's data is not changed


def test_every_date_of_the_file_moves_with_the_start():
    shifted = grant_file_shifted(FILE, 7)

    assert shifted["signed_on"] == "2024-09-14"
    assert shifted["start_date"] == "2024-10-01"
    left = {p["short_name"]: p["left_on"] for p in shifted["participants"] if p.get("left_on")}
    joined = {
        p["short_name"]: p["joined_on"] for p in shifted["participants"] if p.get("joined_on")
    }
    assert left == {"LINDENAU": "2026-01-31"}  # 2025-06-30, a month's end
    assert joined == {"VESTFJORD": "2025-04-01"}  # 2024-09-01


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.mark.django_db
def test_a_demo_loaded_months_ago_is_left_alone_and_said_so(debug):
    loaded = datetime.datetime(2027, 3, 10, 9, 0, tzinfo=BRUSSELS)
    with time_machine.travel(loaded, tick=False):
        call_command("load-demo", stdout=StringIO())
    project = Project.objects.get(acronym="CARETECH")
    start = project.start_date
    projects = Project.objects.count()
    statuses = dict(Deliverable.objects.values_list("code", "status"))
    out = StringIO()

    with time_machine.travel(loaded + datetime.timedelta(days=120), tick=False):
        call_command("load-demo", stdout=out)

    text = out.getvalue()
    assert "already exists; not imported again. It is in month 37 today" in text
    assert "loaded on an earlier day and is left as it is" in text
    assert Project.objects.get(pk=project.pk).start_date == start
    assert Project.objects.count() == projects
    assert dict(Deliverable.objects.values_list("code", "status")) == statuses


@pytest.mark.django_db
def test_load_demo_without_the_shift_keeps_the_files_dates(debug):
    with time_machine.travel(datetime.datetime(2030, 5, 2, 9, 0, tzinfo=BRUSSELS), tick=False):
        call_command("load-demo", "--no-shift", stdout=StringIO())

    project = Project.objects.get(acronym="CARETECH")
    assert project.start_date == FILE_START
    assert project.signed_on.isoformat() == FILE["signed_on"]


@pytest.mark.django_db
def test_the_result_says_which_month_the_demo_is_in(debug):
    with time_machine.travel(datetime.datetime(2029, 7, 31, 23, 30, tzinfo=BRUSSELS)):
        result = demo_load()

    # 23:30 in Brussels on 31 July: still July there, so month 33 starts on 1 November 2026.
    assert result.today == datetime.date(2029, 7, 31)
    assert result.current_month == DEMO_MONTH
    assert result.project.start_date == datetime.date(2026, 11, 1)


@pytest.mark.django_db
def test_load_demo_without_the_portfolio_loads_the_demo_grant_alone(debug):
    out = StringIO()

    call_command("load-demo", "--without-portfolio", stdout=out)

    assert list(Project.objects.values_list("acronym", flat=True)) == ["CARETECH"]
    assert "portfolio project" not in out.getvalue()
    assert "Checked 1 project(s)" in out.getvalue()
