"""The pure rules of periodic reporting: which work packages to declare, which deliverables are
late, what blocks a submission, when a report is overdue, and a contribution's entries."""

import datetime
from zoneinfo import ZoneInfo

from backend.common.errors import PathError
from backend.reporting.rules import (
    Blocker,
    DeliverableFact,
    EntryInput,
    SubmissionFacts,
    WorkPackageFact,
    completion_date_error,
    completion_refusal,
    deliverables_not_accepted,
    late_deliverables,
    parse_entries,
    report_overdue,
    submission_blockers,
    work_packages_to_declare,
)

D = datetime.date
BRUSSELS = ZoneInfo("Europe/Brussels")
START, END = D(2024, 3, 1), D(2025, 8, 31)


def _deliverable(pk, due, status="pending", wp=1, code=None):
    return DeliverableFact(id=pk, code=code or f"D{pk}", work_package=wp, due_on=due, status=status)


def test_work_packages_started_by_the_period_end_and_not_completed_before_are_declared():
    wps = [
        WorkPackageFact(1, 1),
        WorkPackageFact(2, 18),
        WorkPackageFact(3, 19),
        WorkPackageFact(4, 2),
    ]

    assert work_packages_to_declare(wps, period_end_month=18, completed_before=[]) == [1, 2, 4]
    assert work_packages_to_declare(wps, period_end_month=36, completed_before={4}) == [1, 2, 3]


def test_late_deliverables_are_due_within_the_period_and_not_submitted():
    deliverables = [
        _deliverable(1, START),  # first day: in
        _deliverable(2, END),  # last day: in
        _deliverable(3, END + datetime.timedelta(days=1)),  # next period
        _deliverable(4, START - datetime.timedelta(days=1)),  # before the period
        _deliverable(5, D(2025, 1, 31), "draft"),  # uploaded, not submitted: late
        _deliverable(6, D(2025, 1, 31), "submitted"),
        _deliverable(7, D(2025, 1, 31), "accepted"),
    ]

    assert [d.id for d in late_deliverables(deliverables, START, END)] == [1, 2, 5]


def test_a_work_package_is_completable_when_every_deliverable_is_accepted_or_it_is_waived():
    deliverables = [
        _deliverable(1, START, "accepted", wp=1, code="D1.1"),
        _deliverable(2, END, "submitted", wp=1, code="D1.2"),
        _deliverable(3, END, "pending", wp=2, code="D2.1"),
    ]

    assert deliverables_not_accepted(deliverables, 1) == ["D1.2"]
    assert completion_refusal(1, ["D1.2"], waived=False) == (
        "WP1 cannot be declared completed: not every deliverable is accepted (D1.2), and no "
        "officer has waived that."
    )
    assert completion_refusal(1, ["D1.2"], waived=True) is None
    assert completion_refusal(3, [], waived=False) is None


def test_the_completion_date_is_required_within_the_project_and_not_after_the_period():
    kwargs = {"period_end": END, "project_start": START}

    assert completion_date_error(None, **kwargs) == "Give the date the work package was completed."
    assert completion_date_error(D(2025, 9, 1), **kwargs) == (
        "The reporting period ends on 2025-08-31; a work package declared in it cannot be "
        "completed later."
    )
    assert completion_date_error(D(2024, 2, 29), **kwargs) == (
        "The project starts on 2024-03-01; a work package cannot be completed before."
    )
    assert completion_date_error(END, **kwargs) is None
    assert completion_date_error(START, **kwargs) is None


def test_every_blocker_is_listed_at_once_in_a_fixed_order():
    facts = SubmissionFacts(
        period_end=END,
        technical_part="  ",
        draft_contributions=("ZILEMED", "LVTDA"),
        to_declare=(1, 2, 3),
        declared=frozenset({2}),
        late={3: "D1.3", 9: "D2.3"},
        justified=frozenset({9}),
    )

    assert submission_blockers(facts, END) == [
        Blocker(
            "period_not_ended",
            "The reporting period ends on 2025-08-31; its report can be submitted from the day "
            "after.",
        ),
        Blocker("technical_part_missing", "The technical part is empty."),
        Blocker(
            "contributions_in_draft",
            "These contributions are still drafts, not locked for review: ZILEMED, LVTDA.",
        ),
        Blocker(
            "work_packages_not_declared",
            "The status of these work packages is not declared: WP1, WP3.",
        ),
        Blocker(
            "late_deliverables_unjustified",
            "These deliverables were due in the period and are not submitted; justify the "
            "delay: D1.3.",
        ),
    ]


def test_nothing_blocks_a_complete_report_the_day_after_its_period():
    facts = SubmissionFacts(
        period_end=END,
        technical_part="Done.",
        to_declare=(1,),
        declared=frozenset({1}),
        late={3: "D1.3"},
        justified=frozenset({3}),
    )

    assert submission_blockers(facts, END + datetime.timedelta(days=1)) == []


def test_a_report_is_overdue_after_the_end_of_its_due_day_in_brussels_until_first_submitted():
    due = D(2025, 10, 30)
    last_minute = datetime.datetime(2025, 10, 30, 23, 59, 59, tzinfo=BRUSSELS)
    next_day = datetime.datetime(2025, 10, 31, 0, 0, tzinfo=BRUSSELS)

    assert report_overdue(due, None, last_minute) is False
    assert report_overdue(due, None, next_day) is True
    assert report_overdue(due, next_day, next_day) is False


def test_entries_are_parsed_sorted_and_stripped():
    entries, errors = parse_entries(
        [
            {"work_package": 3, "activities": " Pilots ", "narrative": None},
            {"work_package": 1, "outputs": "Handbook"},
        ],
        [1, 2, 3],
    )

    assert errors == []
    assert entries == [
        EntryInput(work_package=1, activities="", outputs="Handbook", narrative=""),
        EntryInput(work_package=3, activities="Pilots", outputs="", narrative=""),
    ]
    assert [entry.has_text for entry in entries] == [True, True]


def test_every_entry_error_names_its_path():
    _, errors = parse_entries(
        [
            {"work_package": 9},
            {"work_package": 1},
            {"work_package": 1},
            {"work_package": "1", "activities": 5},
            "WP2",
            {"work_package": 2, "outputs": "x" * 20001, "remarks": ""},
        ],
        [1, 2],
    )

    assert errors == [
        PathError("entries[0].work_package", "The project has no work package 9."),
        PathError("entries[2].work_package", "WP1 already has an entry."),
        PathError("entries[3].work_package", "Give a work package's number."),
        PathError("entries[3].activities", "Not a valid string."),
        PathError("entries[4]", "Give an object with a work_package."),
        PathError("entries[5].remarks", "Unknown field."),
        PathError("entries[5].outputs", "Write at most 20000 characters."),
    ]
    assert parse_entries(None, [1]) == ([], [PathError("entries", "Give a list of entries.")])
