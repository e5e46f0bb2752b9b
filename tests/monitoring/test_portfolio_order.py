"""The portfolio table sorted by status (its default), read status by status: the same rows in
the same order as one sorted query gives, and, on PostgreSQL with a few thousand projects, a
page read along the acronym index instead of a sort of every project."""

import pytest
from django.db import connection
from django.db.models.functions import Lower

from monitoring.dashboard import (
    PortfolioFilters,
    _ByStatus,
    _filtered,
    _matching,
    portfolio_page,
)
from monitoring.models import ProjectSummary
from monitoring.rag import STATUSES
from tests import factories

pytestmark = pytest.mark.django_db

# Acronyms that sort differently by case and by grant number, and statuses of every kind; the
# projects at None have never been checked (no summary: green).
PROJECTS = [
    ("beta", "red"),
    ("Alpha", "green"),
    ("alpha", "red"),
    ("Gamma", "amber"),
    ("delta", None),
    ("Epsilon", "red"),
    ("zeta", "amber"),
    ("Eta", None),
    ("theta", "green"),
]


@pytest.fixture
def portfolio():
    call = factories.CallFactory()
    projects = factories.bulk(
        factories.ProjectFactory,
        [
            {"acronym": acronym, "grant_agreement_number": str(101950000 + 7 * n % 9)}
            for n, (acronym, _status) in enumerate(PROJECTS)
        ],
        call=call,
    )
    ProjectSummary.objects.bulk_create(
        ProjectSummary(project=project, status=status, status_rank=STATUSES.index(status))
        for project, (_acronym, status) in zip(projects, PROJECTS, strict=True)
        if status is not None
    )
    return projects


def _pages(user, filters, per_page):
    rows, number = [], 1
    while True:
        page = portfolio_page(
            user=user, today=None, filters=filters, page=number, per_page=per_page
        )
        rows += [(row.acronym, row.compliance.status) for row in page.object_list]
        if not page.has_next():
            return rows, page.paginator.count
        number += 1


@pytest.mark.parametrize("sort", ["status", "-status"])
@pytest.mark.parametrize("per_page", [1, 2, 4, 25])
@pytest.mark.parametrize("status", [None, "red", "green"])
def test_the_pages_by_status_are_the_sorted_query_cut_in_pages(
    portfolio, admin_user, sort, per_page, status
):
    filters = PortfolioFilters(sort=sort, status=status)
    expected = [(row[1], row[6] or "green") for row in _matching(admin_user, filters)]

    rows, count = _pages(admin_user, filters, per_page)

    assert rows == expected
    assert count == len(expected)
    assert len(expected) == {None: 9, "red": 3, "green": 4}[status]


def test_red_comes_first_then_amber_then_green_each_by_acronym(portfolio, admin_user):
    rows, _count = _pages(admin_user, PortfolioFilters(), per_page=4)

    assert rows == [
        ("alpha", "red"),
        ("beta", "red"),
        ("Epsilon", "red"),
        ("Gamma", "amber"),
        ("zeta", "amber"),
        ("Alpha", "green"),
        ("delta", "green"),
        ("Eta", "green"),
        ("theta", "green"),
    ]


def test_an_officer_sees_only_their_projects_by_status(portfolio, officer):
    factories.ProjectRoleFactory(user=officer, project=portfolio[0])  # beta, red
    factories.ProjectRoleFactory(user=officer, project=portfolio[4])  # delta, never checked

    rows, count = _pages(officer, PortfolioFilters(), per_page=1)

    assert rows == [("beta", "red"), ("delta", "green")]
    assert count == 2


@pytest.mark.postgres
def test_a_page_by_status_reads_the_acronym_index_not_every_project(admin_user):
    """3,000 projects, one in three red: the first page of the red ones walks the acronym index
    and looks each project's summary up, instead of sorting every project."""
    call = factories.CallFactory()
    projects = factories.bulk(
        factories.ProjectFactory,
        [
            {"acronym": f"P{n:05d}", "grant_agreement_number": str(102000000 + n)}
            for n in range(3000)
        ],
        call=call,
    )
    ProjectSummary.objects.bulk_create(
        ProjectSummary(project=project, status=STATUSES[n % 3], status_rank=n % 3)
        for n, project in enumerate(projects)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE grants_project")
        cursor.execute("ANALYZE monitoring_projectsummary")
    by_status = _ByStatus(_filtered(admin_user, PortfolioFilters()), descending=False)

    plan = (
        by_status.of_rank(0)
        .order_by(Lower("acronym"), "grant_agreement_number", "id")[:25]
        .explain()
    )

    assert "project_acronym_order_idx" in plan, plan
    assert "Sort" not in plan, plan
    assert [row[1] for row in by_status[0:3]] == ["P00000", "P00003", "P00006"]
    assert by_status.sizes() == {0: 1000, 1: 1000, 2: 1000}
