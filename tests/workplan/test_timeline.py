"""A project's timeline: months and calendar years, reporting periods, work packages by activity
cluster with their deliverables, milestones, instalments and today, and the queries it takes."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.demo.loading import demo_load
from backend.reporting.progress import ClusterRow
from backend.workplan.services import deliverable_due_date_revise, milestone_achieve
from frontend.project.timeline import (
    AFTER,
    BEFORE,
    DeliverableRow,
    InstalmentRow,
    MilestoneRow,
    PeriodRow,
    WorkPackageRow,
    project_overview,
    project_timeline,
    timeline_build,
)
from tests.workplan.helpers import at, make_accepted, make_draft

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 5, 4)  # M27 of CARETECH (2024-03-01 + 26 months)


def _timeline(project, day=DAY, **kwargs):
    with at(day):
        return project_timeline(project=project, today=day, **kwargs)


def test_the_demo_has_a_column_per_month_with_the_calendar_years_marked(demo):
    timeline = _timeline(demo)

    assert [month.number for month in timeline.months] == list(range(1, 49))
    assert timeline.months[0].start_on == datetime.date(2024, 3, 1)
    assert timeline.months[17].end_on == datetime.date(2025, 8, 31)
    assert timeline.months[-1].end_on == datetime.date(2028, 2, 29)
    assert [(year.year, year.first_month, year.months) for year in timeline.years] == [
        (2024, 1, 10),
        (2025, 11, 12),
        (2026, 23, 12),
        (2027, 35, 12),
        (2028, 47, 2),
    ]
    assert timeline.year_starts == (11, 23, 35, 47)


def test_the_reporting_periods_are_bars_with_their_report_due_dates(demo):
    timeline = _timeline(demo)

    assert [
        (p.number, p.start_month, p.end_month, p.end_on, p.report_due_on, p.payment)
        for p in timeline.periods
    ] == [
        (1, 1, 18, datetime.date(2025, 8, 31), datetime.date(2025, 10, 30), "interim"),
        (2, 19, 36, datetime.date(2027, 2, 28), datetime.date(2027, 4, 29), "interim"),
        (3, 37, 48, datetime.date(2028, 2, 29), datetime.date(2028, 4, 29), "balance"),
    ]
    assert timeline.periods[0].months == 18


def test_work_packages_are_grouped_by_activity_cluster_and_shown_in_each_of_theirs(demo):
    timeline = _timeline(demo)

    groups = {group.code: [wp.number for wp in group.work_packages] for group in timeline.clusters}
    assert list(groups) == ["teaching_learning", "cooperation_partnership", "governance_funding"]
    assert groups["teaching_learning"] == [3, 4, 5]
    assert groups["cooperation_partnership"] == [2, 5, 6, 7, 8]
    assert groups["governance_funding"] == [1, 7, 8]
    wp3 = next(wp for wp in timeline.work_packages if wp.number == 3)
    assert (wp3.lead, wp3.start_month, wp3.end_month, wp3.months) == ("NEMPOLY", 4, 42, 39)
    assert wp3.start_on == datetime.date(2024, 6, 1)
    assert wp3.end_on == datetime.date(2027, 8, 31)
    assert [mark.code for mark in wp3.deliverables] == [
        "D3.1",
        "D3.2",
        "D3.3",
        "D3.4",
        "D3.5",
        "D3.6",
        "D3.7",
    ]


def test_a_deliverable_is_marked_in_the_month_its_due_date_falls_in_with_its_status(demo, users):
    d11 = demo.deliverables.get(code="D1.1")
    d54 = demo.deliverables.get(code="D5.4")
    with at(DAY):
        make_accepted(d11, users["manager"], users["officer"])
        make_draft(d54, users["partner_contact"])

    timeline = _timeline(demo)

    marks = {mark.code: mark for mark in timeline.deliverables}
    assert (marks["D1.1"].month, marks["D1.1"].status, marks["D1.1"].overdue) == (
        3,
        "accepted",
        False,
    )
    assert (marks["D5.4"].month, marks["D5.4"].status, marks["D5.4"].overdue) == (
        28,
        "draft",
        False,
    )
    # D1.2 (M6, 2024-08-31) is pending and long past its due date
    assert (marks["D1.2"].month, marks["D1.2"].overdue) == (6, True)
    assert str(marks["D1.2"].status_label) == "Pending"
    wp1 = next(wp for wp in timeline.work_packages if wp.number == 1)
    assert [(cell.month, [mark.code for mark in cell.marks]) for cell in wp1.deliverable_months][
        :2
    ] == [(3, ["D1.1"]), (6, ["D1.2"])]


def test_a_revised_due_date_moves_the_mark_to_its_month(demo, users):
    d54 = demo.deliverables.get(code="D5.4")
    with at(DAY):
        deliverable_due_date_revise(
            deliverable=d54, user=users["officer"], due_on=datetime.date(2026, 9, 15)
        )

    mark = next(mark for mark in _timeline(demo).deliverables if mark.code == "D5.4")

    assert (mark.due_month, mark.due_on, mark.month, mark.revised) == (
        28,
        datetime.date(2026, 9, 15),
        31,
        True,
    )


def test_milestones_are_achieved_overdue_or_not_yet_due(demo, users):
    ms1 = demo.milestones.get(code="MS1")
    with at(DAY):
        milestone_achieve(
            milestone=ms1,
            user=users["manager"],
            achieved_on=datetime.date(2024, 5, 20),
            verification="Minutes filed.",
        )

    timeline = _timeline(demo)

    states = {mark.code: mark.state for mark in timeline.milestones}
    assert states["MS1"] == "achieved"
    late = [mark for mark in timeline.milestones if mark.due_on < DAY and mark.code != "MS1"]
    assert late
    assert all(mark.state == "overdue" for mark in late)
    ahead = [mark for mark in timeline.milestones if mark.due_on >= DAY]
    assert ahead
    assert all(mark.state == "upcoming" for mark in ahead)
    assert sum(len(cell.marks) for cell in timeline.milestone_months) == len(timeline.milestones)


def test_instalments_sit_in_the_month_they_are_due_the_balance_after_the_end(demo):
    timeline = _timeline(demo)

    assert [
        (mark.key, mark.kind, mark.due_on, mark.month, mark.outside)
        for mark in timeline.instalments
    ] == [
        ("prefinancing", "prefinancing", datetime.date(2024, 3, 15), 1, None),
        ("rp1", "interim", datetime.date(2025, 10, 30), 20, None),
        ("rp2", "interim", datetime.date(2027, 4, 29), 38, None),
        ("rp3", "balance", datetime.date(2028, 4, 29), 48, AFTER),
    ]
    assert timeline.instalments[0].amount == Decimal("1599500.00")
    assert str(timeline.instalments[0].kind_label) == "Pre-financing"


def test_without_instalments_the_payment_schedule_is_not_read(demo, django_assert_num_queries):
    with django_assert_num_queries(5):
        timeline = project_timeline(project=demo, today=DAY, clusters=[], with_instalments=False)

    assert timeline.instalments == ()


def test_today_is_placed_within_its_month(demo):
    timeline = _timeline(demo)

    # 2026-05-04 is the fourth of 31 days of M27 (2026-05-01 to 2026-05-31)
    assert (timeline.today_month, timeline.today_percent) == (27, 10)


def test_before_the_start_or_after_the_end_there_is_no_today_marker(demo):
    assert _timeline(demo, datetime.date(2024, 2, 1)).today_month is None
    assert _timeline(demo, datetime.date(2028, 3, 1)).today_month is None


def _build(**rows):
    defaults = {
        "start_date": datetime.date(2024, 1, 15),
        "duration": 24,
        "periods": [PeriodRow(1, 1, 24, "balance")],
        "clusters": [ClusterRow("teaching_learning", "Teaching and learning")],
        "work_packages": [],
        "deliverables": [],
        "milestones": [],
        "instalments": [],
        "today": datetime.date(2024, 6, 1),
    }
    return timeline_build(**{**defaults, **rows})


def test_a_work_package_in_no_cluster_gets_a_group_of_its_own():
    timeline = _build(
        work_packages=[
            WorkPackageRow(1, 1, "Management", "COORD", 1, 24, ()),
            WorkPackageRow(2, 2, "Curricula", "VET", 3, 20, ("teaching_learning",)),
        ]
    )

    assert [
        (group.code, [wp.number for wp in group.work_packages]) for group in timeline.clusters
    ] == [
        ("teaching_learning", [2]),
        ("", [1]),
    ]
    assert str(timeline.clusters[1].name) == "No activity cluster"


def test_dates_outside_the_project_are_kept_at_its_edges():
    timeline = _build(
        work_packages=[WorkPackageRow(1, 1, "Management", "COORD", 1, 24, ())],
        deliverables=[
            DeliverableRow(1, "D1.1", "Late", 1, "COORD", 24, datetime.date(2026, 3, 1), "pending"),
        ],
        milestones=[MilestoneRow(1, "MS1", "Kick-off", 1, None)],
        instalments=[
            InstalmentRow(
                "prefinancing",
                "prefinancing",
                None,
                datetime.date(2023, 12, 20),
                Decimal(1),
                "paid",
            )
        ],
    )

    deliverable = timeline.deliverables[0]
    assert (deliverable.month, deliverable.outside, deliverable.revised) == (24, AFTER, True)
    assert (timeline.instalments[0].month, timeline.instalments[0].outside) == (1, BEFORE)
    # a project starting mid-month: month 1 is 2024-01-15 to 2024-02-14
    assert timeline.milestones[0].due_on == datetime.date(2024, 2, 14)
    assert (timeline.months[11].start_on.year, timeline.months[11].year_starts) == (2024, False)
    assert timeline.year_starts == (13,)


def _queries(callable_) -> int:
    with CaptureQueriesContext(connection) as captured:
        callable_()
    return len(captured.captured_queries)


def test_the_overview_takes_the_same_queries_with_the_full_work_record(demo, users):
    manager = users["manager"]

    def overview():
        with at(DAY):
            project_overview(user=manager, project=demo, today=DAY)

    empty = _queries(overview)
    # The work record the demo writes runs up to the day it is loaded: load it on DAY too, or a
    # run on an early day (GRANTWATCH_TEST_TODAY=2025-01-31) finds only a few deliverables done.
    with at(DAY):
        demo_load(allow_production=True, portfolio=False)
    full = _queries(overview)

    assert demo.deliverables.exclude(status="pending").count() > 20
    assert full == empty
