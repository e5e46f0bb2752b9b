"""The pure counting of progress: plain rows in, counts out; the date is a parameter."""

import datetime

from backend.reporting.progress import (
    ClusterRow,
    DeclarationRow,
    DeliverableCounts,
    DeliverableRow,
    MilestoneCounts,
    MilestoneRow,
    Summary,
    WorkPackageCounts,
    WorkPackageRow,
    deliverable_counts,
    milestone_counts,
    portfolio_progress,
    project_progress,
    work_package_counts,
)

TODAY = datetime.date(2025, 9, 15)
YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)

CLUSTERS = [
    ClusterRow("teaching_learning", "Teaching and learning"),
    ClusterRow("cooperation_partnership", "Cooperation and partnerships"),
    ClusterRow("governance_funding", "Governance and funding"),
]


def _deliverable(status, due_on, work_package_id=1, count=1):
    return DeliverableRow(
        project_id=1, work_package_id=work_package_id, status=status, due_on=due_on, count=count
    )


def _milestone(milestone_id, due_on, achieved=False, work_package_ids=(1,)):
    return MilestoneRow(
        id=milestone_id,
        project_id=1,
        due_on=due_on,
        achieved_on=due_on if achieved else None,
        work_package_ids=tuple(work_package_ids),
    )


def test_deliverables_are_counted_by_status_and_overdue_only_when_not_submitted_and_past_due():
    rows = [
        _deliverable("pending", YESTERDAY, count=2),  # overdue
        _deliverable("draft", YESTERDAY),  # overdue
        _deliverable("pending", TODAY),  # due today: not yet overdue
        _deliverable("draft", TOMORROW),
        _deliverable("submitted", YESTERDAY),  # late but submitted: not overdue
        _deliverable("accepted", YESTERDAY, count=3),
    ]

    assert deliverable_counts(rows, TODAY) == DeliverableCounts(
        pending=3, draft=2, submitted=1, accepted=3, total=9, overdue=3
    )


def test_the_same_deliverables_are_not_overdue_a_day_earlier():
    rows = [_deliverable("pending", YESTERDAY), _deliverable("draft", YESTERDAY)]

    assert deliverable_counts(rows, YESTERDAY).overdue == 0
    assert deliverable_counts(rows, TODAY).overdue == 2


def test_no_deliverables_count_zero():
    assert deliverable_counts([], TODAY) == DeliverableCounts()


def test_milestones_achieved_total_and_overdue():
    rows = [
        _milestone(1, YESTERDAY, achieved=True),  # achieved: never overdue
        _milestone(2, YESTERDAY),  # overdue
        _milestone(3, TODAY),  # due today: not yet overdue
        _milestone(4, TOMORROW, achieved=True),  # achieved early
    ]

    assert milestone_counts(rows, TODAY) == MilestoneCounts(achieved=2, total=4, overdue=1)


def test_work_packages_declared_in_a_submitted_or_approved_report_count_as_completed():
    declarations = [
        DeclarationRow(1, "submitted"),
        DeclarationRow(2, "approved"),
        DeclarationRow(2, "submitted"),  # declared again in a later report: counted once
        DeclarationRow(3, "draft"),  # a draft report does not count
        DeclarationRow(4, "changes_requested"),  # sent back: does not count
        DeclarationRow(9, "approved"),  # not one of these work packages
    ]

    assert work_package_counts([1, 2, 3, 4, 5], declarations) == WorkPackageCounts(
        total=5, completed_declared=2, completed_approved=1
    )


def _wp(wp_id, number, clusters):
    return WorkPackageRow(
        id=wp_id, project_id=1, number=number, title=f"WP{number}", clusters=tuple(clusters)
    )


def test_a_work_package_in_two_clusters_counts_in_each_and_once_in_the_totals():
    progress = project_progress(
        clusters=CLUSTERS,
        work_packages=[
            _wp(20, 2, ["cooperation_partnership", "governance_funding"]),
            _wp(10, 1, ["teaching_learning"]),
        ],
        deliverables=[
            _deliverable("pending", YESTERDAY, work_package_id=10),
            _deliverable("accepted", YESTERDAY, work_package_id=20, count=2),
        ],
        milestones=[
            _milestone(1, YESTERDAY, work_package_ids=[10, 20]),
            _milestone(2, TOMORROW, achieved=True, work_package_ids=[]),
        ],
        declarations=[DeclarationRow(20, "approved")],
        today=TODAY,
    )

    assert progress.totals == Summary(
        deliverables=DeliverableCounts(pending=1, accepted=2, total=3, overdue=1),
        milestones=MilestoneCounts(achieved=1, total=2, overdue=1),
        work_packages=WorkPackageCounts(total=2, completed_declared=1, completed_approved=1),
    )
    by_code = {cluster.code: cluster.summary for cluster in progress.clusters}
    assert [cluster.code for cluster in progress.clusters] == [
        "teaching_learning",
        "cooperation_partnership",
        "governance_funding",
    ]
    assert by_code["teaching_learning"] == Summary(
        deliverables=DeliverableCounts(pending=1, total=1, overdue=1),
        milestones=MilestoneCounts(total=1, overdue=1),
        work_packages=WorkPackageCounts(total=1),
    )
    shared = Summary(
        deliverables=DeliverableCounts(accepted=2, total=2),
        milestones=MilestoneCounts(total=1, overdue=1),
        work_packages=WorkPackageCounts(total=1, completed_declared=1, completed_approved=1),
    )
    assert by_code["cooperation_partnership"] == shared
    assert by_code["governance_funding"] == shared
    assert [
        (wp.work_package.number, wp.summary.deliverables.total) for wp in progress.work_packages
    ] == [
        (1, 1),
        (2, 2),
    ]


def test_a_milestone_shared_by_two_work_packages_of_a_cluster_counts_once_in_it():
    progress = project_progress(
        clusters=CLUSTERS,
        work_packages=[_wp(1, 1, ["teaching_learning"]), _wp(2, 2, ["teaching_learning"])],
        deliverables=[],
        milestones=[_milestone(7, YESTERDAY, work_package_ids=[1, 2])],
        declarations=[],
        today=TODAY,
    )

    assert progress.clusters[0].summary.milestones == MilestoneCounts(total=1, overdue=1)
    assert [wp.summary.milestones.total for wp in progress.work_packages] == [1, 1]


def test_a_cluster_without_work_packages_is_listed_with_zeros():
    progress = project_progress(
        clusters=CLUSTERS,
        work_packages=[_wp(1, 1, ["teaching_learning"])],
        deliverables=[],
        milestones=[],
        declarations=[],
        today=TODAY,
    )

    assert progress.clusters[2].summary == Summary()


def test_a_portfolio_sums_its_projects_in_total_and_per_cluster():
    def one(status, cluster):
        return project_progress(
            clusters=CLUSTERS,
            work_packages=[_wp(1, 1, [cluster])],
            deliverables=[_deliverable(status, YESTERDAY)],
            milestones=[_milestone(1, YESTERDAY)],
            declarations=[DeclarationRow(1, "submitted")],
            today=TODAY,
        )

    summed = portfolio_progress(
        CLUSTERS, [one("pending", "teaching_learning"), one("submitted", "teaching_learning")]
    )

    assert summed.totals == Summary(
        deliverables=DeliverableCounts(pending=1, submitted=1, total=2, overdue=1),
        milestones=MilestoneCounts(total=2, overdue=2),
        work_packages=WorkPackageCounts(total=2, completed_declared=2),
    )
    assert summed.clusters[0].summary == summed.totals
    assert summed.clusters[1].summary == Summary()
    assert portfolio_progress(CLUSTERS, []).totals == Summary()
