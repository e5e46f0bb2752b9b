"""Every list and page an officer or an administrator opens takes the same number of queries
whatever the number of projects behind it: measured on a portfolio of 2 projects, then again
once it has grown to 8 (each with its consortium, work packages, deliverables, a milestone,
reporting periods, a paid pre-financing and the flags and summaries its check writes), under
one budget per endpoint."""

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from monitoring.checks import check_projects
from monitoring.models import Flag
from tests import factories

pytestmark = pytest.mark.django_db

SMALL, LARGE = 2, 8

# What each endpoint may cost: (who asks, the url ({project}: the first project's id), a page
# of the browser (else the API), its budget of queries, at both sizes).
ENDPOINTS = {
    # The figures are summed on the first load (the cache is empty): 12 queries, and one more
    # for the key of the portfolio they are kept under.
    "portfolio page, officer": ("officer", "/portfolio/", True, 13),
    "portfolio page, administrator": ("admin", "/portfolio/", True, 12),
    "projects page, officer": ("officer", "/projects/", True, 6),
    "compliance page (a project's flags), officer": (
        "officer",
        "/projects/{project}/compliance/",
        True,
        48,  # the user's roles, for the compliance report's download link
    ),
    "projects list, officer": ("officer", "/api/v1/projects/", False, 3),
    "projects list, administrator": ("admin", "/api/v1/projects/", False, 3),
    "flags list, officer": ("officer", "/api/v1/flags/", False, 2),
    "flags list, administrator": ("admin", "/api/v1/flags/", False, 2),
    "flags list of a project, officer": ("officer", "/api/v1/flags/?project={project}", False, 2),
    "flags list by severity and kind, administrator": (
        "admin",
        "/api/v1/flags/?severity=high&kind=deliverable_overdue&status=all",
        False,
        2,
    ),
    "portfolio progress, officer": ("officer", "/api/v1/portfolio/progress", False, 5),
    "portfolio progress, administrator": ("admin", "/api/v1/portfolio/progress", False, 5),
    "project detail, officer": ("officer", "/api/v1/projects/{project}/", False, 14),
    "eligibility, officer": ("officer", "/api/v1/projects/{project}/eligibility", False, 11),
    "eligibility timeline, officer": (
        "officer",
        "/api/v1/projects/{project}/eligibility/timeline",
        False,
        11,
    ),
}


def _grow(portfolio: list[int], officer, *, to: int) -> None:
    """Add projects to the officer's portfolio until it holds ``to``, then check them all, so
    that their flags and summaries are there as after a sweep."""
    for _ in range(to - len(portfolio)):
        project = factories.consortium()
        factories.ProjectRoleFactory(user=officer, project=project)
        factories.PaymentFactory(instalment=factories.InstalmentFactory(project=project))
        portfolio.append(project.pk)
    check_projects(portfolio, now=timezone.now())


def _client(user, *, browser: bool):
    if browser:
        client = Client()
        client.force_login(user)
    else:
        client = APIClient()
        client.force_authenticate(user)
    return client


def _get(client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_the_queries_do_not_grow_with_the_portfolio(
    endpoint, admin_user, django_assert_max_num_queries
):
    who, url, browser, budget = ENDPOINTS[endpoint]
    officer = factories.UserFactory(username="portfolio-officer", is_agency_officer=True)
    client = _client(officer if who == "officer" else admin_user, browser=browser)
    portfolio: list[int] = []
    _grow(portfolio, officer, to=SMALL)
    url = url.format(project=portfolio[0])
    flags_when_small = Flag.objects.count()

    with django_assert_max_num_queries(budget) as small:
        _get(client, url)
    _grow(portfolio, officer, to=LARGE)
    with django_assert_max_num_queries(budget) as large:
        _get(client, url)

    assert Flag.objects.count() > flags_when_small  # there is more to list
    assert len(large) == len(small), [query["sql"][:300] for query in large.captured_queries]
