"""The flag and project lists as the database runs them: with a few thousand flags, and the
table's statistics up to date, a page of flags is read from the index in the lists' order
(not a scan and sort of every flag), an administrator's lists are not filtered through every
project, and the counts under the pages are plain counts, without the listed rows' joins."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from backend.grants.selectors import project_list
from monitoring.models import Flag, FlagKind, Resolution, Severity
from monitoring.selectors import flag_list
from tests import factories

pytestmark = pytest.mark.django_db

PROJECTS, FLAGS_PER_PROJECT = 40, 120
PAGE = 25


@pytest.fixture
def many_flags():
    """40 projects with 120 flags each (4,800), of every kind and severity, one in three
    resolved, then the flag table analysed as autovacuum would."""
    projects = factories.bulk(
        factories.ProjectFactory, [{}] * PROJECTS, call=factories.CallFactory()
    )
    now = timezone.now()
    kinds, severities = FlagKind.values, Severity.values
    rows = []
    for project in projects:
        for n in range(FLAGS_PER_PROJECT):
            resolved = n % 3 == 0
            seen = now - datetime.timedelta(minutes=n * 7 + project.pk)
            rows.append(
                Flag(
                    project=project,
                    kind=kinds[n % len(kinds)],
                    severity=severities[n % len(severities)],
                    fingerprint=f"{kinds[n % len(kinds)]}:{n}",
                    explanation={"en": f"Finding {n}.", "lv": f"Konstatējums {n}."},
                    first_seen_at=seen,
                    last_seen_at=seen,
                    resolved_at=seen if resolved else None,
                    resolution=Resolution.AUTO if resolved else "",
                )
            )
    Flag.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE monitoring_flag")
        cursor.execute("ANALYZE grants_project")
    return projects


def _plan(queryset) -> str:
    return queryset[:PAGE].explain()


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("status", "index"),
    [("open", "flag_open_rank_seen_idx"), ("all", "flag_rank_seen_idx")],
)
def test_a_page_of_an_administrators_flags_is_read_from_the_rank_index(
    many_flags, admin_user, status, index
):
    plan = _plan(flag_list(user=admin_user, status=status))

    assert index in plan, plan
    assert "Sort" not in plan.split(index)[0], plan  # no sort above the index's rows


@pytest.mark.postgres
def test_a_page_of_one_severity_is_a_range_of_the_rank_index(many_flags, admin_user):
    plan = _plan(flag_list(user=admin_user, severity="medium", status="open"))

    assert "flag_open_rank_seen_idx" in plan, plan
    assert "Index Cond: (severity_rank = 2)" in plan, plan


@pytest.mark.postgres
def test_a_page_of_one_projects_flags_is_read_by_its_index(many_flags, admin_user):
    plan = _plan(flag_list(user=admin_user, project_id=many_flags[5].pk, status="all"))

    # By the project's rank index (in the list's order), or, a project's flags being few, by
    # an index on the project and a sort of those few: never a scan of every flag.
    assert "Seq Scan on monitoring_flag" not in plan, plan
    assert "Index Cond: (project_id = " in plan, plan


def test_the_flags_in_the_index_order_are_the_lists_order(many_flags, admin_user):
    listed = list(flag_list(user=admin_user, status="open")[:PAGE])
    expected = sorted(
        Flag.objects.filter(resolved_at__isnull=True),
        key=lambda flag: (
            Severity.values.index(flag.severity),
            -flag.last_seen_at.timestamp(),
            -flag.id,
        ),
    )[:PAGE]

    assert [flag.pk for flag in listed] == [flag.pk for flag in expected]
    assert {flag.severity for flag in listed} == {"critical"}


def test_an_administrators_flags_are_not_filtered_through_the_projects(admin_user, officer):
    everything = str(flag_list(user=admin_user).query)
    assert " WHERE " not in everything
    assert "accounts_projectrole" not in everything
    assert "accounts_projectrole" in str(flag_list(user=officer).query)


def test_a_severity_filter_keeps_to_that_severity(many_flags, admin_user):
    for severity in Severity.values:
        listed = flag_list(user=admin_user, severity=severity, status="all")
        assert set(listed.values_list("severity", flat=True)) == {severity}
        assert listed.count() == PROJECTS * FLAGS_PER_PROJECT // len(Severity.values)


def _count_query(api_client, user, url) -> str:
    api_client.force_authenticate(user)
    with CaptureQueriesContext(connection) as captured:
        assert api_client.get(url).status_code == 200
    counts = [query["sql"] for query in captured if query["sql"].startswith("SELECT COUNT(")]
    assert len(counts) == 1, counts
    return counts[0]


def test_the_flags_lists_count_joins_nothing(many_flags, admin_user):
    count = _count_query(APIClient(), admin_user, "/api/v1/flags/")

    assert " JOIN " not in count
    assert "grants_project" not in count


def test_the_projects_lists_count_is_a_plain_count_of_projects(admin_user):
    factories.consortium()
    count = _count_query(APIClient(), admin_user, "/api/v1/projects/")

    assert count == 'SELECT COUNT(*) AS "__count" FROM "grants_project"'


def test_the_participant_count_is_counted_for_the_pages_rows_only(admin_user):
    big = factories.consortium(beneficiaries=("ZILEMED", "LVTDA", "ACME"))
    alone = factories.ProjectFactory()
    listed = {project.pk: project for project in project_list(user=admin_user)}

    assert listed[big.pk].participant_count == 5  # GAUJA, three beneficiaries, GAUJMALA
    assert listed[alone.pk].participant_count == 0  # no participant: 0, not None
    assert "GROUP BY" not in str(project_list(user=admin_user).query).rsplit(")", 1)[-1]


@pytest.mark.postgres
def test_a_page_of_projects_is_read_in_the_grant_agreement_numbers_index(admin_user):
    factories.bulk(factories.ProjectFactory, [{}] * 2000, call=factories.CallFactory())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE grants_project")

    plan = project_list(user=admin_user)[:PAGE].explain()

    assert "Index Scan using grants_project_grant_agreement_number" in plan, plan
    assert "Sort" not in plan.split("grants_project_grant_agreement_number")[0], plan
    # The participants are counted by their project's index, for the page's rows only.
    assert "Seq Scan on grants_participation" not in plan, plan
