"""The progress endpoints: one project's summary and a portfolio's, who may see them, and
their queries. On a small grant built with factories (``grant`` below) and tests/conftest.py's
``other_grant`` and ``grant_users``."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backend.accounts.models import ProjectRole
from backend.reporting.models import PeriodicReport, WorkPackageDeclaration
from backend.workplan.models import ActivityCluster, Deliverable, Milestone, WorkPackage
from monitoring.checks import check_projects
from tests import factories

pytestmark = pytest.mark.django_db

# Month 19 of the grant (RP1 ended on 2025-08-31): deliverables due in M1-M18 are past due.
NOW = datetime.datetime(2025, 9, 15, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
PORTFOLIO_URL = reverse("portfolio-progress")

# The grant's work plan: work package -> (clusters, due months of its deliverables, milestones
# as (code, due month, the other work packages it belongs to)).
WORK_PLAN = {
    1: (["governance_funding"], [3, 6, 18, 24], [("MS1", 2, []), ("MS2", 24, [])]),
    2: (["cooperation_partnership"], [6, 30], [("MS3", 12, [])]),
    3: (["teaching_learning"], [18, 40], [("MS4", 10, [4])]),
    4: (["teaching_learning", "cooperation_partnership"], [20], []),
    5: (["cooperation_partnership", "governance_funding"], [12], []),
}


@pytest.fixture
def grant(db):
    """A grant on the demo's calendar (2024-03-01, 48 months; RP1 M1-18, RP2 M19-36, RP3
    M37-48) with WORK_PLAN: five work packages, ten deliverables, four milestones (MS4 shared by
    WP3 and WP4)."""
    project = factories.consortium(
        acronym="MINICOVE",
        start_date=datetime.date(2024, 3, 1),
        duration_months=48,
        work_packages=0,
        period_ends=(18, 36),
    )
    lead = project.participations.get(role="coordinator")
    packages = {
        wp.number: wp
        for wp in factories.bulk(
            factories.WorkPackageFactory,
            [{"number": number} for number in WORK_PLAN],
            project=project,
            lead=lead,
        )
    }
    clusters = dict(ActivityCluster.objects.values_list("code", "pk"))
    WorkPackage.clusters.through.objects.bulk_create(
        WorkPackage.clusters.through(
            workpackage=packages[number], activitycluster_id=clusters[code]
        )
        for number, (codes, _, _) in WORK_PLAN.items()
        for code in codes
    )
    deliverables = [
        (number, index, month)
        for number, (_, due_months, _) in WORK_PLAN.items()
        for index, month in enumerate(due_months, start=1)
    ]
    factories.bulk(
        factories.DeliverableFactory,
        [
            {
                "work_package": packages[number],
                "code": f"D{number}.{index}",
                "due_month": month,
                "position": position,
            }
            for position, (number, index, month) in enumerate(deliverables, start=1)
        ],
    )
    plan = [(number, *milestone) for number, (_, _, ms) in WORK_PLAN.items() for milestone in ms]
    milestones = factories.bulk(
        factories.MilestoneFactory,
        [
            {"code": code, "due_month": month, "position": position}
            for position, (_, code, month, _) in enumerate(plan, start=1)
        ],
        project=project,
        lead=lead,
    )
    Milestone.work_packages.through.objects.bulk_create(
        Milestone.work_packages.through(milestone=milestone, workpackage=packages[wp])
        for milestone, (number, _, _, others) in zip(milestones, plan, strict=True)
        for wp in (number, *others)
    )
    return project


def _deliverable(project, wp_number: int, due_month: int) -> Deliverable:
    return project.deliverables.get(work_package__number=wp_number, due_month=due_month)


def _declare(project, wp_number: int, period_number: int, report_status: str, completed=True):
    period = project.reporting_periods.get(number=period_number)
    PeriodicReport.objects.get_or_create(
        project=project,
        reporting_period=period,
        defaults={
            "status": report_status,
            "approved_at": timezone.now() if report_status == "approved" else None,
        },
    )
    WorkPackageDeclaration.objects.create(
        work_package=project.work_packages.get(number=wp_number),
        reporting_period=period,
        completed=completed,
        completed_on=datetime.date(2025, 8, 31) if completed else None,
        declared_at=timezone.now(),
    )


@pytest.fixture
def progressed(grant):
    """WP1's M3 deliverable accepted, M6 submitted, M18 a draft; MS1 achieved; WP1 declared
    completed in RP1's submitted report (with WP3 not completed), WP2 in RP2's approved report,
    WP4 in RP3's draft report (which does not count)."""
    Deliverable.objects.filter(pk=_deliverable(grant, 1, 3).pk).update(
        status="accepted",
        delivered_on=datetime.date(2024, 5, 20),
        approved_on=datetime.date(2024, 6, 3),
    )
    Deliverable.objects.filter(pk=_deliverable(grant, 1, 6).pk).update(
        status="submitted", delivered_on=datetime.date(2024, 8, 30)
    )
    Deliverable.objects.filter(pk=_deliverable(grant, 1, 18).pk).update(status="draft")
    Milestone.objects.filter(project=grant, code="MS1").update(
        achieved_on=datetime.date(2024, 4, 20), achievement_evidence="Kick-off minutes."
    )
    _declare(grant, 1, 1, "submitted")
    _declare(grant, 3, 1, "submitted", completed=False)
    _declare(grant, 2, 2, "approved")
    _declare(grant, 4, 3, "draft")
    return grant


def _summary(deliverables, milestones, work_packages) -> dict:
    keys = ("pending", "draft", "submitted", "accepted", "total", "overdue")
    return {
        "deliverables": dict(zip(keys, deliverables, strict=True)),
        "milestones": dict(zip(("achieved", "total", "overdue"), milestones, strict=True)),
        "work_packages": dict(
            zip(("total", "completed_declared", "completed_approved"), work_packages, strict=True)
        ),
    }


# The grant on 2025-09-15 with the states above: overdue are D1.3 (M18, a draft), D2.1 (M6),
# D3.1 (M18) and D5.1 (M12); MS3 (M12) and MS4 (M10).
TOTALS = _summary((7, 1, 1, 1, 10, 4), (1, 4, 2), (5, 2, 1))
CLUSTERS = [
    {
        "code": "teaching_learning",
        "name": "Teaching and learning",
        # WP3, WP4; MS4 is shared by WP3 and WP4 and counts once.
        "summary": _summary((3, 0, 0, 0, 3, 1), (0, 1, 1), (2, 0, 0)),
    },
    {
        "code": "cooperation_partnership",
        "name": "Cooperation and partnerships",
        # WP2, WP4, WP5: WP4 also counts in teaching, WP5 in governance.
        "summary": _summary((4, 0, 0, 0, 4, 2), (0, 2, 2), (3, 1, 1)),
    },
    {
        "code": "governance_funding",
        "name": "Governance and funding",
        # WP1, WP5.
        "summary": _summary((2, 1, 1, 1, 5, 2), (1, 2, 0), (2, 1, 0)),
    },
]


def _project_url(project) -> str:
    return reverse("project-progress", args=[project.pk])


def _get(api_client, user, url, query=None, **headers):
    api_client.force_authenticate(user)
    with time_machine.travel(NOW, tick=False):
        return api_client.get(url, query or {}, **headers)


def test_a_projects_progress_per_cluster_per_work_package_and_in_total(
    api_client, progressed, grant_users
):
    response = _get(api_client, grant_users["officer"], _project_url(progressed))

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["project"] == {"id": progressed.pk, "acronym": progressed.acronym}
    assert data["as_of"] == "2025-09-15"
    assert data["totals"] == TOTALS
    assert data["clusters"] == CLUSTERS
    wp1, wp2, wp3 = data["work_packages"][:3]
    assert wp1["work_package"] == {
        "id": progressed.work_packages.get(number=1).pk,
        "number": 1,
        "title": progressed.work_packages.get(number=1).title,
        "clusters": ["governance_funding"],
    }
    assert wp1["summary"] == _summary((1, 1, 1, 1, 4, 1), (1, 2, 0), (1, 1, 0))
    assert wp2["summary"] == _summary((2, 0, 0, 0, 2, 1), (0, 1, 1), (1, 1, 1))
    # Declared "not completed": not counted.
    assert wp3["summary"]["work_packages"] == {
        "total": 1,
        "completed_declared": 0,
        "completed_approved": 0,
    }
    assert [wp["work_package"]["number"] for wp in data["work_packages"]] == list(range(1, 6))
    assert data["work_packages"][4]["work_package"]["clusters"] == [
        "cooperation_partnership",
        "governance_funding",
    ]


def test_the_overdue_counts_move_with_the_day(api_client, progressed, grant_users):
    api_client.force_authenticate(grant_users["officer"])
    # 2025-08-31 is the last day of M18: its deliverables are not overdue yet.
    with time_machine.travel(datetime.datetime(2025, 8, 31, 23, 30, tzinfo=NOW.tzinfo), tick=False):
        on_the_day = api_client.get(_project_url(progressed)).json()["totals"]
    with time_machine.travel(datetime.datetime(2025, 9, 1, 0, 30, tzinfo=NOW.tzinfo), tick=False):
        next_day = api_client.get(_project_url(progressed)).json()["totals"]

    # M18: WP1's draft, WP3's pending one.
    assert (on_the_day["deliverables"]["overdue"], next_day["deliverables"]["overdue"]) == (2, 4)


def test_an_approval_of_the_report_moves_a_work_package_to_approved(
    api_client, progressed, grant_users
):
    PeriodicReport.objects.filter(reporting_period__number=1, project=progressed).update(
        status="approved", approved_at=timezone.now()
    )

    totals = _get(api_client, grant_users["officer"], _project_url(progressed)).json()["totals"]

    assert totals["work_packages"] == {"total": 5, "completed_declared": 2, "completed_approved": 2}


def test_a_report_sent_back_for_changes_no_longer_counts(api_client, progressed, grant_users):
    PeriodicReport.objects.filter(reporting_period__number=1, project=progressed).update(
        status="changes_requested"
    )

    totals = _get(api_client, grant_users["officer"], _project_url(progressed)).json()["totals"]

    assert totals["work_packages"] == {"total": 5, "completed_declared": 1, "completed_approved": 1}


@pytest.mark.parametrize("who", ["admin", "officer", "manager", "partner_contact", "other_partner"])
def test_whoever_sees_the_project_sees_its_progress(api_client, progressed, grant_users, who):
    response = _get(api_client, grant_users[who], _project_url(progressed))

    assert (response.status_code, response.json()["totals"]) == (200, TOTALS)


@pytest.mark.parametrize("who", ["other_officer", "other_manager", "stranger"])
def test_others_get_404(api_client, progressed, grant_users, who):
    response = _get(api_client, grant_users[who], _project_url(progressed))

    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})


def test_anonymous_gets_401(api_client, progressed):
    assert api_client.get(_project_url(progressed)).status_code == 401
    assert api_client.get(PORTFOLIO_URL).status_code == 401


def test_the_project_summary_takes_the_same_queries_whatever_its_size(
    api_client, grant, other_grant, grant_users, django_assert_max_num_queries
):
    # The other grant is smaller.
    assert other_grant.deliverables.count() < grant.deliverables.count()
    api_client.force_authenticate(grant_users["admin"])
    with django_assert_max_num_queries(12) as small:
        assert api_client.get(_project_url(other_grant)).status_code == 200
    with django_assert_max_num_queries(len(small)):
        assert api_client.get(_project_url(grant)).status_code == 200


# -- the portfolio -----------------------------------------------------------------------------


@pytest.fixture
def checked(progressed, other_grant):
    """The checks ran over both grants on NOW: the portfolio reads the summaries they wrote."""
    check_projects([progressed.pk, other_grant.pk], now=NOW)


def _other_totals(other_grant) -> dict:
    """The other grant on 2025-09-15, all pending (its start date decides what is overdue)."""
    today = NOW.date()
    deliverables = other_grant.deliverables.all()
    milestones = list(other_grant.milestones.all())
    return _summary(
        (
            deliverables.count(),
            0,
            0,
            0,
            deliverables.count(),
            deliverables.filter(due_on__lt=today).count(),
        ),
        (0, len(milestones), sum(1 for m in milestones if m.due_date < today)),
        (other_grant.work_packages.count(), 0, 0),
    )


def _add(one: dict, other: dict) -> dict:
    return {
        group: {key: value + other[group][key] for key, value in counts.items()}
        for group, counts in one.items()
    }


def test_the_portfolio_sums_every_visible_project_with_a_line_each(
    api_client, checked, progressed, other_grant, grant_users
):
    response = _get(api_client, grant_users["admin"], PORTFOLIO_URL)

    assert response.status_code == 200, response.content
    data = response.json()
    other = _other_totals(other_grant)
    assert data["as_of"] == "2025-09-15"
    assert data["totals"] == _add(TOTALS, other)
    assert [cluster["code"] for cluster in data["clusters"]] == [
        "teaching_learning",
        "cooperation_partnership",
        "governance_funding",
    ]
    other_clusters = _get(api_client, grant_users["admin"], _project_url(other_grant)).json()[
        "clusters"
    ]
    assert data["clusters"] == [
        {**mine, "summary": _add(mine["summary"], theirs["summary"])}
        for mine, theirs in zip(CLUSTERS, other_clusters, strict=True)
    ]
    assert (data["count"], data["next"], data["previous"]) == (2, None, None)
    assert data["results"] == [
        {"project": {"id": progressed.pk, "acronym": progressed.acronym}, "summary": TOTALS},
        {"project": {"id": other_grant.pk, "acronym": other_grant.acronym}, "summary": other},
    ]


def test_the_portfolio_of_an_officer_holds_only_their_projects(
    api_client, checked, progressed, other_grant, grant_users
):
    data = _get(api_client, grant_users["officer"], PORTFOLIO_URL).json()

    assert data["count"] == 1
    assert data["totals"] == TOTALS
    assert data["clusters"] == CLUSTERS
    assert [line["project"]["acronym"] for line in data["results"]] == [progressed.acronym]


def test_the_portfolio_of_someone_with_no_role_is_empty(api_client, progressed, grant_users):
    data = _get(api_client, grant_users["stranger"], PORTFOLIO_URL).json()

    assert (data["count"], data["results"]) == (0, [])
    assert data["totals"] == _summary((0,) * 6, (0,) * 3, (0,) * 3)


def test_the_portfolio_filters_by_project_ids(
    api_client, checked, progressed, other_grant, grant_users
):
    data = _get(
        api_client, grant_users["admin"], PORTFOLIO_URL, {"project": [other_grant.pk]}
    ).json()

    assert data["count"] == 1
    assert data["totals"] == _other_totals(other_grant)
    assert [line["project"]["acronym"] for line in data["results"]] == [other_grant.acronym]


def test_the_totals_cover_every_project_while_the_lines_are_paged(
    api_client, checked, progressed, other_grant, grant_users
):
    data = _get(api_client, grant_users["admin"], PORTFOLIO_URL, {"page_size": 1, "page": 2}).json()

    assert data["totals"] == _add(TOTALS, _other_totals(other_grant))
    assert (data["count"], len(data["results"])) == (2, 1)
    assert data["results"][0]["project"]["acronym"] == other_grant.acronym
    assert data["previous"].endswith("page_size=1")
    assert data["next"] is None


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"project": "abc"}, [("project[0]", "A valid integer is required.")]),
        ({"project": "0"}, [("project[0]", "Ensure this value is greater than or equal to 1.")]),
    ],
    ids=["not-a-number", "zero"],
)
def test_a_malformed_project_filter_is_400_naming_it(
    api_client, progressed, grant_users, query, errors
):
    response = _get(api_client, grant_users["admin"], PORTFOLIO_URL, query)

    assert (response.status_code, response.json()) == (
        400,
        {
            "detail": "The filters are not valid.",
            "errors": [{"path": path, "message": message} for path, message in errors],
        },
    )


def test_a_project_the_user_cannot_see_is_400_naming_it(
    api_client, progressed, other_grant, grant_users
):
    response = _get(
        api_client,
        grant_users["officer"],
        PORTFOLIO_URL,
        {"project": [progressed.pk, other_grant.pk, 999999]},
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The filters are not valid.",
        "errors": [
            {
                "path": "project",
                "message": f"No project you can see has the id {other_grant.pk}.",
            },
            {"path": "project", "message": "No project you can see has the id 999999."},
        ],
    }


def test_the_portfolio_takes_the_same_queries_whatever_the_number_of_projects(
    api_client, grant, other_grant, grant_users, django_assert_max_num_queries
):
    officer = grant_users["officer"]
    check_projects([grant.pk, other_grant.pk], now=timezone.now())
    api_client.force_authenticate(officer)
    with django_assert_max_num_queries(8) as one_project:
        assert api_client.get(PORTFOLIO_URL).json()["count"] == 1
    ProjectRole.objects.create(user=officer, project=other_grant, role="officer")
    with django_assert_max_num_queries(len(one_project)):
        assert api_client.get(PORTFOLIO_URL).json()["count"] == 2
    with django_assert_max_num_queries(len(one_project)):
        assert len(api_client.get(PORTFOLIO_URL, {"page_size": 1}).json()["results"]) == 1


def test_an_administrators_totals_are_kept_until_a_summary_changes(
    api_client, checked, progressed, grant_users, django_assert_max_num_queries
):
    admin = grant_users["admin"]
    with CaptureQueriesContext(connection) as summing:
        first = _get(api_client, admin, PORTFOLIO_URL).json()
    # The clusters and the sums over every project are kept; the page's lines are read again.
    with django_assert_max_num_queries(len(summing) - 2):
        again = _get(api_client, admin, PORTFOLIO_URL).json()
    assert again == first

    # A check that finds a deliverable submitted changes the kept totals at once.
    deliverable = progressed.deliverables.filter(status="pending").order_by("id").first()
    Deliverable.objects.filter(pk=deliverable.pk).update(
        status="submitted", delivered_on=NOW.date()
    )
    check_projects([progressed.pk], now=NOW)
    after = _get(api_client, admin, PORTFOLIO_URL).json()
    assert after["totals"]["deliverables"]["pending"] == (
        first["totals"]["deliverables"]["pending"] - 1
    )
    assert after["totals"]["deliverables"]["submitted"] == (
        first["totals"]["deliverables"]["submitted"] + 1
    )


def test_an_administrators_kept_totals_name_the_clusters_in_each_readers_language(
    api_client, checked, grant_users
):
    admin = grant_users["admin"]
    english = _get(api_client, admin, PORTFOLIO_URL).json()
    latvian = _get(api_client, admin, PORTFOLIO_URL, HTTP_ACCEPT_LANGUAGE="lv").json()

    assert english["clusters"][0]["name"] == "Teaching and learning"
    assert latvian["clusters"][0]["name"] == "Mācīšana un mācīšanās"
    assert latvian["totals"] == english["totals"]
