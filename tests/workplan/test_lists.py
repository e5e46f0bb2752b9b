"""The deliverable and milestone lists: filters (overdue as of today in Brussels), malformed
filters refused naming the parameter, visibility, and a constant number of queries."""

import datetime

import pytest

from backend.workplan.models import Deliverable, Milestone
from backend.workplan.services import deliverable_submit, milestone_achieve
from tests.workplan.helpers import at, make_draft, make_submitted

pytestmark = pytest.mark.django_db

day = datetime.date.fromisoformat


# The lists are read over the demo's whole work plan (47 deliverables, 12 milestones), not the
# small grant the other work-plan tests build.


@pytest.fixture
def d11(demo) -> Deliverable:
    return demo.deliverables.get(code="D1.1")


@pytest.fixture
def d54(demo) -> Deliverable:
    return demo.deliverables.get(code="D5.4")


@pytest.fixture
def ms1(demo) -> Milestone:
    return demo.milestones.get(code="MS1")


def _deliverables(api_client, project, **params):
    return api_client.get(f"/api/v1/projects/{project.pk}/deliverables/", params)


def _milestones(api_client, project, **params):
    return api_client.get(f"/api/v1/projects/{project.pk}/milestones/", params)


def _codes(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["code"] for item in response.json()["results"]]


def _all(queryset) -> list[str]:
    return list(queryset.order_by("position", "id").values_list("code", flat=True))


# -- deliverables --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", ["admin", "officer", "manager", "partner_contact", "other_partner"]
)
def test_everyone_on_the_project_lists_its_deliverables(api_client, users, demo, today, role):
    api_client.force_authenticate(users[role])

    response = _deliverables(api_client, demo)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 47
    assert len(body["results"]) == 25
    first = body["results"][0]
    assert (first["code"], first["work_package"], first["lead"], first["status"]) == (
        "D1.1",
        1,
        "GAUJA",
        "pending",
    )
    assert (first["due_on"], first["planned_due_on"], first["overdue"]) == (
        "2024-05-31",
        "2024-05-31",
        True,
    )
    assert first["clusters"] == ["governance_funding"]
    assert first["evidence"] is None


@pytest.mark.parametrize(("role", "code"), [("other_officer", 404), ("stranger", 404)])
def test_a_project_out_of_sight_is_not_found(api_client, users, demo, role, code):
    api_client.force_authenticate(users[role])
    assert _deliverables(api_client, demo).status_code == code
    assert _milestones(api_client, demo).status_code == code


def test_anonymous_users_must_sign_in(api_client, demo):
    assert _deliverables(api_client, demo).status_code == 401
    assert _milestones(api_client, demo).status_code == 401


def test_filter_by_status(api_client, users, demo, d11, d54, today):
    make_draft(d54, users["partner_contact"])
    make_submitted(d11, users["manager"])
    api_client.force_authenticate(users["officer"])

    assert _codes(_deliverables(api_client, demo, status="draft")) == ["D5.4"]
    assert _codes(_deliverables(api_client, demo, status="submitted")) == ["D1.1"]
    assert _codes(_deliverables(api_client, demo, status="accepted")) == []
    assert _deliverables(api_client, demo, status="pending").json()["count"] == 45
    # A draft's file is the consortium's own: the officer's list does not name it, the
    # partner's does.
    draft = _deliverables(api_client, demo, status="draft").json()["results"][0]
    assert draft["evidence"] is None
    api_client.force_authenticate(users["partner_contact"])
    draft = _deliverables(api_client, demo, status="draft").json()["results"][0]
    assert draft["evidence"]["name"] == "report.pdf"


def test_filter_by_work_package_cluster_and_lead(api_client, users, demo, today):
    api_client.force_authenticate(users["manager"])

    assert _codes(_deliverables(api_client, demo, work_package=5, page_size=100)) == _all(
        demo.deliverables.filter(work_package__number=5)
    )
    teaching = _codes(_deliverables(api_client, demo, cluster="teaching_learning", page_size=100))
    assert teaching == _all(demo.deliverables.filter(work_package__number__in=[3, 4, 5]))
    assert _codes(_deliverables(api_client, demo, lead="ZILEMED")) == ["D5.4"]
    assert _codes(_deliverables(api_client, demo, lead="LVTDA")) == [
        "D2.2",
        "D2.6",
        "D7.1",
        "D7.3",
        "D7.4",
        "D7.5",
    ]
    assert _codes(_deliverables(api_client, demo, lead="NOBODY")) == []
    assert _codes(_deliverables(api_client, demo, work_package=5, lead="ZILEMED")) == ["D5.4"]


def test_overdue_is_as_of_today_in_brussels(api_client, users, demo, d11):
    api_client.force_authenticate(users["officer"])
    # D1.1 and D8.1 are due on 2024-05-31 (M3), D8.2 on 2024-07-31 (M5).
    with at(day("2024-05-31"), hour=23):
        assert _codes(_deliverables(api_client, demo, overdue="true")) == []
    with at(day("2024-06-01"), hour=0):
        assert _codes(_deliverables(api_client, demo, overdue="true")) == ["D1.1", "D8.1"]
        not_overdue = _deliverables(api_client, demo, overdue="false").json()
        assert not_overdue["count"] == 45
        assert "D1.1" not in [item["code"] for item in not_overdue["results"]]
    with at(day("2024-08-01")):
        assert _codes(_deliverables(api_client, demo, overdue="true")) == ["D1.1", "D8.1", "D8.2"]
        make_draft(d11, users["manager"])  # a draft is still overdue
        assert _codes(_deliverables(api_client, demo, overdue="true")) == ["D1.1", "D8.1", "D8.2"]
        deliverable_submit(deliverable=d11, user=users["manager"])
        assert _codes(_deliverables(api_client, demo, overdue="true")) == ["D8.1", "D8.2"]
        submitted = _deliverables(api_client, demo, status="submitted").json()["results"][0]
        assert (submitted["code"], submitted["overdue"]) == ("D1.1", False)


def test_filter_by_due_dates_includes_the_days_named(api_client, users, demo, today):
    api_client.force_authenticate(users["manager"])

    assert _codes(_deliverables(api_client, demo, due_before="2024-05-31")) == ["D1.1", "D8.1"]
    assert _codes(_deliverables(api_client, demo, due_before="2024-05-30")) == []
    assert _codes(
        _deliverables(api_client, demo, due_after="2024-06-01", due_before="2024-07-31")
    ) == ["D8.2"]
    assert _codes(
        _deliverables(api_client, demo, due_after="2024-08-31", due_before="2024-08-31")
    ) == [
        "D1.2",
        "D2.1",
        "D5.1",
    ]


@pytest.mark.parametrize(
    ("params", "path", "message"),
    [
        ({"due_before": "2026-02-30"}, "due_before", None),
        ({"due_after": "yesterday"}, "due_after", None),
        (
            {"status": "closed"},
            "status",
            '"closed" is not allowed; use one of: pending, draft, submitted, accepted.',
        ),
        (
            {"cluster": "research"},
            "cluster",
            '"research" is not allowed; use one of: teaching_learning, cooperation_partnership, '
            "governance_funding.",
        ),
        ({"work_package": "five"}, "work_package", "A valid integer is required."),
        ({"overdue": "perhaps"}, "overdue", "Must be a valid boolean."),
    ],
)
def test_malformed_filters_are_refused_naming_the_parameter(
    api_client, users, demo, params, path, message
):
    api_client.force_authenticate(users["manager"])

    response = _deliverables(api_client, demo, **params)

    assert response.status_code == 400
    body = response.json()
    assert body["detail"] == "The filters are not valid."
    assert [error["path"] for error in body["errors"]] == [path]
    if message is None:
        assert body["errors"][0]["message"].startswith("Date has wrong format.")
    else:
        assert body["errors"][0]["message"] == message


def test_the_deliverable_list_takes_the_same_queries_whatever_the_page_size(
    api_client, users, demo, today, django_assert_max_num_queries
):
    for deliverable in Deliverable.objects.filter(project=demo).order_by("id")[:30]:
        make_draft(deliverable, users["manager"])
    api_client.force_authenticate(users["officer"])

    # One more than the list's own queries: the user's standing, for which files they read.
    with django_assert_max_num_queries(6) as small:
        assert len(_codes(_deliverables(api_client, demo, page_size=2))) == 2
    with django_assert_max_num_queries(6) as large:
        assert len(_codes(_deliverables(api_client, demo, page_size=47))) == 47
    with django_assert_max_num_queries(6) as filtered:
        _codes(_deliverables(api_client, demo, page_size=47, cluster="teaching_learning"))
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(filtered.captured_queries) == len(large.captured_queries)


# -- milestones ----------------------------------------------------------------------------------


def test_the_milestone_list(api_client, users, demo, today):
    api_client.force_authenticate(users["partner_contact"])

    response = _milestones(api_client, demo)

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12
    first = body["results"][0]
    assert first == {
        "id": demo.milestones.get(code="MS1").pk,
        "code": "MS1",
        "title": "Kick-off meeting held",
        "work_packages": [1],
        "lead": "GAUJA",
        "due_month": 2,
        "due_date": "2024-04-30",
        "verification": "Minutes and attendance list of the kick-off meeting",
        "achieved": False,
        "overdue": True,
        "achieved_on": None,
        "achievement_evidence": "",
        "achieved_recorded_at": None,
        "achieved_recorded_by": None,
    }
    assert [item["work_packages"] for item in body["results"] if item["code"] == "MS6"] == [[3, 4]]


def test_milestone_filters(api_client, users, demo, ms1):
    api_client.force_authenticate(users["officer"])
    # MS1 is due on 2024-04-30 (M2), MS2 on 2024-06-30 (M4), MS3 on 2024-08-31 (M6).
    with at(day("2024-04-30"), hour=23):
        assert _codes(_milestones(api_client, demo, overdue="true")) == []
    with at(day("2024-05-01"), hour=0):
        assert _codes(_milestones(api_client, demo, overdue="true")) == ["MS1"]
    with at(day("2024-07-01")):
        assert _codes(_milestones(api_client, demo, overdue="true")) == ["MS1", "MS2"]
        milestone_achieve(
            milestone=ms1,
            user=users["manager"],
            achieved_on=day("2024-04-15"),
            verification="Minutes signed by all partners.",
        )
        assert _codes(_milestones(api_client, demo, overdue="true")) == ["MS2"]
        assert _codes(_milestones(api_client, demo, achieved="true")) == ["MS1"]
        assert len(_codes(_milestones(api_client, demo, achieved="false"))) == 11
        not_overdue = _codes(_milestones(api_client, demo, overdue="false"))
        assert "MS2" not in not_overdue
        assert "MS1" in not_overdue
        assert len(not_overdue) == 11
    assert _codes(_milestones(api_client, demo, work_package=7)) == ["MS8", "MS10", "MS12"]
    assert _codes(_milestones(api_client, demo, work_package=3, achieved="false")) == [
        "MS4",
        "MS6",
        "MS10",
    ]


@pytest.mark.parametrize(
    ("params", "path", "message"),
    [
        ({"achieved": "yes please"}, "achieved", "Must be a valid boolean."),
        ({"overdue": "2"}, "overdue", "Must be a valid boolean."),
        ({"work_package": "0"}, "work_package", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_malformed_milestone_filters_are_refused(api_client, users, demo, params, path, message):
    api_client.force_authenticate(users["manager"])

    response = _milestones(api_client, demo, **params)

    assert response.status_code == 400
    assert response.json()["errors"] == [{"path": path, "message": message}]


def test_the_milestone_list_takes_the_same_queries_whatever_the_page_size(
    api_client, users, demo, today, django_assert_max_num_queries
):
    api_client.force_authenticate(users["manager"])
    for milestone in demo.milestones.order_by("id")[:6]:
        milestone_achieve(
            milestone=milestone,
            user=users["manager"],
            achieved_on=day("2026-01-15"),
            verification="Done.",
        )

    with django_assert_max_num_queries(4) as small:
        assert len(_codes(_milestones(api_client, demo, page_size=1))) == 1
    with django_assert_max_num_queries(4) as large:
        assert len(_codes(_milestones(api_client, demo, page_size=12))) == 12
    with django_assert_max_num_queries(4) as filtered:
        # As of 2026-05-04 months 1-26 are over: of MS1-MS7 (due by M24) only MS7 is left.
        assert _codes(_milestones(api_client, demo, overdue="true")) == ["MS7"]
    assert len(small.captured_queries) == len(large.captured_queries)
    assert len(filtered.captured_queries) == len(large.captured_queries)
