"""The watchers of the work record: deliverables, milestones and periodic reports past their
deadline are flagged from the day after it (Brussels), escalate after 30 days, and resolve
themselves once done; idempotently and in a fixed number of queries."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from backend.reporting.models import PeriodicReport
from backend.workplan.models import Deliverable, Milestone
from monitoring.checks import check_projects
from monitoring.deadlines import (
    deliverables_not_submitted,
    milestones_not_achieved,
    reports_not_received,
)
from monitoring.models import Flag
from monitoring.tasks import sweep_task
from tests.monitoring.test_checks import CHECK_QUERIES

pytestmark = pytest.mark.django_db

BRUSSELS = ZoneInfo("Europe/Brussels")


def at(year, month, day, hour=12, minute=0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=BRUSSELS)


def check(project, moment: datetime.datetime):
    with time_machine.travel(moment, tick=False):
        return check_projects([project.pk], now=timezone.now())


def open_flags(project, kind: str) -> dict[str, Flag]:
    return {
        flag.fingerprint: flag
        for flag in Flag.objects.filter(project=project, kind=kind, resolved_at__isnull=True)
    }


def deliverable(project, code: str) -> Deliverable:
    return Deliverable.objects.get(project=project, code=code)


def milestone(project, code: str) -> Milestone:
    return Milestone.objects.get(project=project, code=code)


# -- deliverables ------------------------------------------------------------------------------


def test_a_deliverable_is_not_flagged_on_its_due_day_even_at_midnight_brussels(demo):
    # D1.1 and D8.1 are due in M3: 2024-05-31. 23:59 in Brussels is 21:59 UTC.
    check(demo, at(2024, 5, 31, 23, 59))

    assert open_flags(demo, "deliverable_overdue") == {}


def test_a_deliverable_is_flagged_from_the_day_after_its_due_date(demo):
    d11, d81 = deliverable(demo, "D1.1"), deliverable(demo, "D8.1")

    check(demo, at(2024, 6, 1, 0, 0))  # 2024-05-31 22:00 UTC: already the 1st in Brussels

    flags = open_flags(demo, "deliverable_overdue")
    assert set(flags) == {f"deliverable_overdue:{d11.pk}", f"deliverable_overdue:{d81.pk}"}
    flag = flags[f"deliverable_overdue:{d11.pk}"]
    assert flag.severity == "medium"
    assert flag.message("en") == (
        'Deliverable D1.1 "Project handbook and quality assurance plan" was due on 2024-05-31 '
        "(M3) and has not been submitted."
    )
    assert flag.message("lv")
    assert flag.explanation["details"] == {
        "deliverable_id": d11.pk,
        "code": "D1.1",
        "due_on": "2024-05-31",
        "due_month": 3,
        "lead": "GAUJA",
    }


def test_a_draft_deliverable_is_still_overdue_and_a_revised_due_date_counts(demo):
    Deliverable.objects.filter(pk=deliverable(demo, "D1.1").pk).update(status="draft")
    # The officer moved D8.1's deadline: the date in force is what counts.
    d81 = deliverable(demo, "D8.1")
    Deliverable.objects.filter(pk=d81.pk).update(due_on=datetime.date(2024, 6, 15))

    check(demo, at(2024, 6, 10))

    assert set(open_flags(demo, "deliverable_overdue")) == {
        f"deliverable_overdue:{deliverable(demo, 'D1.1').pk}"
    }


def test_a_deliverable_more_than_30_days_late_escalates_to_high(demo):
    d11 = deliverable(demo, "D1.1")
    fingerprint = f"deliverable_overdue:{d11.pk}"

    check(demo, at(2024, 6, 30))  # 30 days late
    first = open_flags(demo, "deliverable_overdue")[fingerprint]
    assert first.severity == "medium"

    check(demo, at(2024, 7, 1))  # 31 days late

    again = open_flags(demo, "deliverable_overdue")[fingerprint]
    assert (again.pk, again.severity) == (first.pk, "high")


def test_a_submitted_deliverable_resolves_its_flag_at_the_next_check(demo):
    d11 = deliverable(demo, "D1.1")
    check(demo, at(2024, 6, 3))
    flag = open_flags(demo, "deliverable_overdue")[f"deliverable_overdue:{d11.pk}"]

    Deliverable.objects.filter(pk=d11.pk).update(
        status="submitted", delivered_on=datetime.date(2024, 6, 4)
    )
    check(demo, at(2024, 6, 4))

    flag.refresh_from_db()
    assert flag.resolution == "auto"
    assert flag.resolved_at == at(2024, 6, 4)
    assert f"deliverable_overdue:{d11.pk}" not in open_flags(demo, "deliverable_overdue")


def test_an_accepted_deliverable_is_not_flagged_but_one_sent_back_for_revision_is(demo):
    d11, d81 = deliverable(demo, "D1.1"), deliverable(demo, "D8.1")
    Deliverable.objects.filter(pk=d11.pk).update(
        status="accepted",
        delivered_on=datetime.date(2024, 5, 20),
        approved_on=datetime.date(2024, 5, 25),
    )
    Deliverable.objects.filter(pk=d81.pk).update(
        status="pending", revision_reason="The annex is missing."
    )

    check(demo, at(2024, 6, 3))

    assert set(open_flags(demo, "deliverable_overdue")) == {f"deliverable_overdue:{d81.pk}"}


def test_checking_twice_leaves_the_same_flags_one_open_per_fingerprint(demo):
    check(demo, at(2025, 11, 5))
    first = list(
        Flag.objects.order_by("id").values_list("id", "fingerprint", "severity", "resolved_at")
    )

    result = check(demo, at(2025, 11, 5, 18))

    assert (result.raised, result.resolved) == ((), ())
    assert (
        list(
            Flag.objects.order_by("id").values_list("id", "fingerprint", "severity", "resolved_at")
        )
        == first
    )
    fingerprints = [fingerprint for _id, fingerprint, _severity, _resolved in first]
    assert len(fingerprints) == len(set(fingerprints))
    # On 2025-11-05: 22 deliverables (due by M20) and 6 milestones (by M19) are late, and RP1's
    # report (due 2025-10-30).
    assert sum(f.startswith("deliverable_overdue:") for f in fingerprints) == 22
    assert sum(f.startswith("milestone_overdue:") for f in fingerprints) == 6
    assert "report_overdue:1" in fingerprints


# -- milestones --------------------------------------------------------------------------------


def test_a_milestone_is_flagged_from_the_day_after_the_end_of_its_due_month(demo):
    ms1 = milestone(demo, "MS1")  # M2: 2024-04-30
    check(demo, at(2024, 4, 30, 23, 59))
    assert open_flags(demo, "milestone_overdue") == {}

    check(demo, at(2024, 5, 1, 0, 0))

    flags = open_flags(demo, "milestone_overdue")
    assert set(flags) == {f"milestone_overdue:{ms1.pk}"}
    flag = flags[f"milestone_overdue:{ms1.pk}"]
    assert flag.severity == "low"
    assert flag.message("en") == (
        'Milestone MS1 "Kick-off meeting held" was due on 2024-04-30 (M2) and has not been '
        "recorded as achieved."
    )


def test_a_milestone_more_than_30_days_late_escalates_to_medium(demo):
    fingerprint = f"milestone_overdue:{milestone(demo, 'MS1').pk}"
    check(demo, at(2024, 5, 30))  # 30 days late
    assert open_flags(demo, "milestone_overdue")[fingerprint].severity == "low"

    check(demo, at(2024, 5, 31))  # 31 days late

    assert open_flags(demo, "milestone_overdue")[fingerprint].severity == "medium"


def test_an_achieved_milestone_resolves_its_flag(demo):
    ms1 = milestone(demo, "MS1")
    check(demo, at(2024, 5, 2))
    assert f"milestone_overdue:{ms1.pk}" in open_flags(demo, "milestone_overdue")

    Milestone.objects.filter(pk=ms1.pk).update(
        achieved_on=datetime.date(2024, 5, 2), achievement_evidence="Minutes signed."
    )
    check(demo, at(2024, 5, 3))

    flag = Flag.objects.get(project=demo, fingerprint=f"milestone_overdue:{ms1.pk}")
    assert (flag.resolution, flag.resolved_at) == ("auto", at(2024, 5, 3))


# -- periodic reports --------------------------------------------------------------------------


def test_a_periodic_report_is_overdue_from_day_61_after_its_period(demo):
    # RP1 ends 2025-08-31; the report is due 60 days later, on 2025-10-30.
    check(demo, at(2025, 10, 30, 23, 59))
    assert open_flags(demo, "report_overdue") == {}

    check(demo, at(2025, 10, 31, 0, 0))

    flag = open_flags(demo, "report_overdue")["report_overdue:1"]
    assert flag.severity == "high"
    assert flag.message("en") == (
        "The periodic report of reporting period 1 (M1-M18) was due on 2025-10-30, 60 days "
        "after the period ended, and has not been submitted. The following payments wait for it."
    )
    assert flag.explanation["details"] == {
        "reporting_period": 1,
        "period_end": "2025-08-31",
        "due_on": "2025-10-30",
    }


def test_a_draft_report_is_still_overdue_and_a_submitted_one_resolves_the_flag(demo):
    period = demo.reporting_periods.get(number=1)
    report = PeriodicReport.objects.create(project=demo, reporting_period=period, status="draft")
    check(demo, at(2025, 11, 3))
    assert set(open_flags(demo, "report_overdue")) == {"report_overdue:1"}

    received = at(2025, 11, 4, 9)
    PeriodicReport.objects.filter(pk=report.pk).update(
        status="submitted", submitted_at=received, first_submitted_at=received
    )
    check(demo, at(2025, 11, 4, 10))

    assert open_flags(demo, "report_overdue") == {}
    flag = Flag.objects.get(project=demo, fingerprint="report_overdue:1")
    assert (flag.resolution, flag.resolved_at) == ("auto", at(2025, 11, 4, 10))


def test_a_report_sent_back_for_changes_was_received_and_is_not_overdue(demo):
    period = demo.reporting_periods.get(number=1)
    received = at(2025, 10, 20, 9)
    PeriodicReport.objects.create(
        project=demo,
        reporting_period=period,
        status="changes_requested",
        submitted_at=received,
        first_submitted_at=received,
    )

    check(demo, at(2025, 11, 20))

    assert open_flags(demo, "report_overdue") == {}
    assert [r.number for r in reports_not_received([demo.pk])] == [2, 3]


def test_the_deadline_reads_return_what_is_still_due(demo, other_project):
    Deliverable.objects.filter(project=demo, code="D1.1").update(
        status="submitted", delivered_on=datetime.date(2024, 5, 30)
    )
    Milestone.objects.filter(project=demo, code="MS1").update(
        achieved_on=datetime.date(2024, 4, 20), achievement_evidence="Minutes."
    )

    deliverables = deliverables_not_submitted([demo.pk])
    milestones = milestones_not_achieved([demo.pk])
    reports = reports_not_received([demo.pk])

    assert len(deliverables) == 46
    assert "D1.1" not in {d.code for d in deliverables}
    assert {d.project_id for d in deliverables} == {demo.pk}
    d81 = next(d for d in deliverables if d.code == "D8.1")
    assert (d81.lead, d81.due_month, d81.due_on, d81.status) == (
        "EMAJOE",
        3,
        datetime.date(2024, 5, 31),
        "pending",
    )
    assert [m.code for m in milestones][:2] == ["MS2", "MS3"]
    assert milestones[0].due_on == datetime.date(2024, 6, 30)
    assert [(r.number, r.period_end, r.due_on, r.report_id) for r in reports] == [
        (1, datetime.date(2025, 8, 31), datetime.date(2025, 10, 30), None),
        (2, datetime.date(2027, 2, 28), datetime.date(2027, 4, 29), None),
        (3, datetime.date(2028, 2, 29), datetime.date(2028, 4, 29), None),
    ]
    assert [d.code for d in deliverables_not_submitted([demo.pk], due_on=[d81.due_on])] == ["D8.1"]


def test_the_overdue_check_reads_only_the_deliverables_planned_before_today(demo):
    # D1.1 and D8.1 are planned for 2024-05-31, the demo's other open deliverables later. A
    # suspension moves a deadline later, never earlier: a deliverable planned from today on
    # cannot be overdue today, and the overdue check does not read it.
    every = deliverables_not_submitted([demo.pk])
    read = deliverables_not_submitted([demo.pk], due_before=datetime.date(2024, 6, 1))

    assert sorted(d.code for d in read) == ["D1.1", "D8.1"]
    assert deliverables_not_submitted([demo.pk], due_before=datetime.date(2024, 5, 31)) == []
    # After the grant's last deadline nothing is left out.
    assert deliverables_not_submitted([demo.pk], due_before=datetime.date(2030, 1, 1)) == every
    assert len(every) == 47


@pytest.mark.parametrize(
    "cutoff",
    [
        datetime.date(2024, 4, 30),
        datetime.date(2024, 5, 1),
        datetime.date(2024, 6, 30),
        datetime.date(2024, 7, 1),
        datetime.date(2026, 3, 1),
        datetime.date(2028, 12, 31),
    ],
)
def test_the_overdue_check_reads_only_the_milestones_ending_before_today(demo, cutoff):
    every = milestones_not_achieved([demo.pk])

    read = milestones_not_achieved([demo.pk], due_before=cutoff)

    # Exactly those that end before the day (no suspension moved them), whatever the day of
    # the month: the read is cut in the database by the month the milestone ends in.
    assert [m.code for m in read] == [m.code for m in every if m.due_on < cutoff]


# -- the sweep and the query count -------------------------------------------------------------


def test_the_sweep_raises_the_overdue_flags_of_running_projects(demo):
    with time_machine.travel(at(2024, 6, 5, 3, 15), tick=False):
        sweep_task.delay().get()

    assert set(open_flags(demo, "deliverable_overdue")) == {
        f"deliverable_overdue:{deliverable(demo, 'D1.1').pk}",
        f"deliverable_overdue:{deliverable(demo, 'D8.1').pk}",
    }
    assert set(open_flags(demo, "milestone_overdue")) == {
        f"milestone_overdue:{milestone(demo, 'MS1').pk}"
    }


@pytest.mark.parametrize("day", [at(2024, 6, 1), at(2028, 6, 1)])
def test_a_check_takes_the_same_queries_whatever_the_number_of_items_late(
    demo, day, django_assert_max_num_queries
):
    check(demo, day - datetime.timedelta(days=1))  # so that the next check refreshes flags

    # The consortia's dated history and third parties, the watchers of the grant's life and
    # the projects' summary rows (``tests.monitoring.test_checks.CHECK_QUERIES``).
    with django_assert_max_num_queries(CHECK_QUERIES):
        check(demo, day)

    late = Flag.objects.filter(
        project=demo, resolved_at__isnull=True, kind__endswith="_overdue"
    ).count()
    # 2 deliverables and 1 milestone late on 2024-06-01; everything on 2028-06-01.
    assert late == (3 if day.year == 2024 else 47 + 12 + 3)
