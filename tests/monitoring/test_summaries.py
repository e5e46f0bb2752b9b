"""Per-project summaries (issue 17): every check writes what the dashboards read (open flags
summed up, next instalment, the schedule's tallies, progress), an officer's resolution
refreshes the flag part, and the portfolio's page, charts and progress API read those rows
instead of recomputing, in the same number of queries whatever the portfolio's size."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from backend.accounts.models import ProjectRole
from backend.common.dates import brussels_today
from backend.demo.seeding import seed_portfolio
from backend.grants.models import Project
from backend.payments import rules as payment_rules
from backend.payments.selectors import grant_facts
from backend.reporting.progress import cluster_rows, progress_of_projects
from backend.workplan.models import Deliverable
from monitoring.checks import check_projects
from monitoring.dashboard import (
    PortfolioFilters,
    deliverables_by_cluster,
    portfolio_charts,
    portfolio_export,
    portfolio_page,
)
from monitoring.flags import flag_resolve
from monitoring.models import Flag, ProgressSummary, ProjectSummary, ProjectTally
from monitoring.rag import OpenFlag, compliance
from monitoring.summaries import (
    due_by_month,
    next_instalment,
    progress_summaries,
    projects_without_summary,
    status_counts,
    summaries_missing_fill,
    summaries_recompute,
    summary_next_instalment,
)
from monitoring.tasks import sweep_task
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 27, 9, 0, tzinfo=datetime.UTC)
TODAY = NOW.date()
PORTFOLIO_PROGRESS = reverse("portfolio-progress")


def _summary_fields(summary: ProjectSummary) -> dict:
    return {
        "status": summary.status,
        "eligibility": summary.eligibility,
        "overdue": summary.overdue,
        "critical": summary.flags_critical,
        "high": summary.flags_high,
        "medium": summary.flags_medium,
        "low": summary.flags_low,
        "total": summary.flags_total,
    }


def _recomputed_flags(project_id: int) -> dict:
    found = compliance(
        OpenFlag(kind, severity)
        for kind, severity in Flag.objects.filter(
            project_id=project_id, resolved_at__isnull=True
        ).values_list("kind", "severity")
    )
    return {
        "status": found.status,
        "eligibility": found.eligibility,
        "overdue": found.overdue,
        "critical": found.flags.critical,
        "high": found.flags.high,
        "medium": found.flags.medium,
        "low": found.flags.low,
        "total": found.flags.total,
    }


def _progress_row(project_id: int, cluster: str) -> tuple:
    row = ProgressSummary.objects.get(project_id=project_id, cluster=cluster)
    return (
        row.deliverables_pending,
        row.deliverables_draft,
        row.deliverables_submitted,
        row.deliverables_accepted,
        row.deliverables_total,
        row.deliverables_overdue,
        row.milestones_achieved,
        row.milestones_total,
        row.milestones_overdue,
        row.work_packages_total,
        row.work_packages_completed_declared,
        row.work_packages_completed_approved,
    )


def _as_tuple(summary) -> tuple:
    d, m, w = summary.deliverables, summary.milestones, summary.work_packages
    return (
        d.pending,
        d.draft,
        d.submitted,
        d.accepted,
        d.total,
        d.overdue,
        m.achieved,
        m.total,
        m.overdue,
        w.total,
        w.completed_declared,
        w.completed_approved,
    )


# -- what a check writes -------------------------------------------------------------------------


def test_a_check_writes_what_recomputing_the_projects_gives(demo, other_project):
    ids = [demo.pk, other_project.pk]

    check_projects(ids, now=NOW)

    facts = grant_facts(ids, today=TODAY, with_shares=False)
    clusters = cluster_rows()
    progress = progress_of_projects(ids, TODAY, clusters)
    for project_id in ids:
        summary = ProjectSummary.objects.get(project_id=project_id)
        assert (summary.checked_at, summary.checked_on) == (NOW, TODAY)
        assert _summary_fields(summary) == _recomputed_flags(project_id)
        assert summary.flags_total > 0
        schedule = payment_rules.schedule(facts[project_id], TODAY)
        assert summary_next_instalment(
            key=summary.next_key,
            kind=summary.next_kind,
            period=summary.next_period,
            status=summary.next_status,
            due_on=summary.next_due_on,
            amount=summary.next_amount,
        ) == next_instalment(schedule)
        statuses = dict(
            ProjectTally.objects.filter(
                project_id=project_id, figure=ProjectTally.INSTALMENT_STATUS
            ).values_list("key", "count")
        )
        assert statuses == status_counts(schedule)
        assert sum(statuses.values()) == len(schedule)
        due = dict(
            ProjectTally.objects.filter(
                project_id=project_id, figure=ProjectTally.DUE_MONTH
            ).values_list("key", "amount")
        )
        assert due == {
            month.strftime("%Y-%m"): amount for month, amount in due_by_month(schedule).items()
        }
        assert _progress_row(project_id, "") == _as_tuple(progress[project_id].totals)
        assert _progress_row(project_id, "1") == _as_tuple(progress[project_id].clusters[0].summary)
        assert ProgressSummary.objects.filter(project_id=project_id).count() == 1 + len(clusters)
    assert ProjectSummary.objects.get(project_id=demo.pk).participants == (
        demo.participations.count()
    )


def test_a_second_check_replaces_the_rows_instead_of_adding_to_them(demo):
    check_projects([demo.pk], now=NOW)
    tallies = ProjectTally.objects.filter(project=demo).count()

    check_projects([demo.pk], now=NOW + datetime.timedelta(days=1))

    assert ProjectTally.objects.filter(project=demo).count() == tallies
    assert ProgressSummary.objects.filter(project=demo, cluster="").count() == 1
    assert ProjectSummary.objects.get(project=demo).checked_on == TODAY + datetime.timedelta(days=1)


def test_a_check_that_finds_nothing_new_leaves_the_tallies_and_progress_rows_unwritten(
    demo, other_project
):
    check_projects([demo.pk, other_project.pk], now=NOW)
    rows = {
        model: dict(model.objects.values_list("pk", "project_id"))
        for model in (ProjectTally, ProgressSummary)
    }

    # The same day again: nothing changed, nothing rewritten (the same rows, not copies), and
    # the summaries only get the check's time.
    with CaptureQueriesContext(connection) as queries:
        check_projects([demo.pk, other_project.pk], now=NOW + datetime.timedelta(hours=1))
    for model, before in rows.items():
        assert dict(model.objects.values_list("pk", "project_id")) == before
    written = [q["sql"] for q in queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert [sql.split(" SET ")[0] for sql in written] == ['UPDATE "monitoring_projectsummary"']
    assert set(ProjectSummary.objects.values_list("checked_at", flat=True)) == {
        NOW + datetime.timedelta(hours=1)
    }

    # One project's deliverables submitted: only its progress rows are written again.
    Deliverable.objects.filter(project=demo).update(
        status="submitted", delivered_on=datetime.date(2024, 5, 1)
    )
    check_projects([demo.pk, other_project.pk], now=NOW + datetime.timedelta(hours=2))
    after = dict(ProgressSummary.objects.values_list("pk", "project_id"))
    kept = {
        pk for pk, project_id in rows[ProgressSummary].items() if project_id == other_project.pk
    }
    assert kept <= set(after)
    assert not {
        pk for pk, project_id in rows[ProgressSummary].items() if project_id == demo.pk
    } & set(after)
    assert ProgressSummary.objects.get(project=demo, cluster="").deliverables_submitted == (
        Deliverable.objects.filter(project=demo).count()
    )


def test_resolving_a_flag_by_hand_refreshes_the_summary_at_once(users, demo):
    check_projects([demo.pk], now=NOW)
    before = ProjectSummary.objects.get(project=demo)
    flag = Flag.objects.filter(project=demo, resolved_at__isnull=True, severity="medium").first()
    assert flag is not None

    flag_resolve(flag=flag, user=users["officer"], note="Checked with the coordinator.")

    after = ProjectSummary.objects.get(project=demo)
    assert after.flags_total == before.flags_total - 1
    assert after.flags_medium == before.flags_medium - 1
    assert _summary_fields(after) == _recomputed_flags(demo.pk)


# -- what the dashboards read ---------------------------------------------------------------------


def test_the_charts_and_the_progress_api_move_only_when_the_project_is_checked(
    users, demo, api_client
):
    check_projects([demo.pk], now=NOW)
    officer = users["officer"]
    before = deliverables_by_cluster(user=officer, today=TODAY)
    api_client.force_authenticate(officer)
    api_before = api_client.get(PORTFOLIO_PROGRESS).json()

    # A change that bypasses the checks: the dashboards do not recompute it on their own.
    Deliverable.objects.filter(project=demo).update(
        status="submitted", delivered_on=datetime.date(2024, 5, 1)
    )

    assert deliverables_by_cluster(user=officer, today=TODAY) == before
    assert api_client.get(PORTFOLIO_PROGRESS).json() == api_before

    check_projects([demo.pk], now=NOW)

    after = deliverables_by_cluster(user=officer, today=TODAY)
    total = Deliverable.objects.filter(project=demo).count()
    assert after != before
    assert [cluster.summary.deliverables.submitted for cluster in after] == [
        cluster.summary.deliverables.total for cluster in after
    ]
    assert sum(cluster.summary.deliverables.submitted for cluster in after) >= total > 0
    api_after = api_client.get(PORTFOLIO_PROGRESS).json()
    assert api_before["totals"]["deliverables"]["submitted"] < total
    assert api_after["totals"]["deliverables"]["submitted"] == total
    assert api_after["results"][0]["summary"]["deliverables"]["submitted"] == total


def test_a_project_never_checked_reads_green_with_no_flag_and_no_next_instalment(
    users, demo, other_project
):
    check_projects([demo.pk], now=NOW)
    ProjectSummary.objects.filter(project=other_project).delete()
    admin = users["admin"]

    page = portfolio_page(user=admin, today=TODAY, filters=PortfolioFilters(sort="-due"))
    rows = {row.acronym: row for row in page.object_list}

    unchecked = rows["SECOVE"]
    assert (unchecked.status, unchecked.compliance.flags.total) == ("green", 0)
    assert unchecked.compliance.eligibility == "pass"
    assert unchecked.next_instalment is None
    # with no next instalment it sorts last, either way round
    assert [row.acronym for row in page.object_list] == ["CARETECH", "SECOVE"]
    green = portfolio_page(user=admin, today=TODAY, filters=PortfolioFilters(status="green"))
    assert "SECOVE" in [row.acronym for row in green.object_list]
    assert portfolio_charts(user=admin, now=NOW).open_flags


def test_the_table_filters_sorts_and_pages_in_the_database(users, demo, other_project):
    check_projects([demo.pk, other_project.pk], now=NOW)
    admin = users["admin"]
    summaries = {s.project_id: s for s in ProjectSummary.objects.all()}
    demo_summary = summaries[demo.pk]

    red = portfolio_page(user=admin, today=TODAY, filters=PortfolioFilters(status="red"))
    assert {row.project_id for row in red.object_list} == {
        pk for pk, summary in summaries.items() if summary.status == "red"
    }
    critical = portfolio_page(
        user=admin, today=TODAY, filters=PortfolioFilters(severity="critical")
    )
    assert {row.project_id for row in critical.object_list} == {
        pk for pk, summary in summaries.items() if summary.flags_critical
    }
    by_flags = portfolio_page(user=admin, today=TODAY, filters=PortfolioFilters(sort="-flags"))
    totals = [row.compliance.flags.total for row in by_flags.object_list]
    assert totals == sorted(totals, reverse=True)
    row = next(row for row in by_flags.object_list if row.project_id == demo.pk)
    assert row.compliance.flags.total == demo_summary.flags_total
    assert row.next_instalment.key == demo_summary.next_key
    assert row.next_instalment.amount == demo_summary.next_amount
    assert isinstance(row.next_instalment.amount, Decimal)
    one = portfolio_page(
        user=admin, today=TODAY, filters=PortfolioFilters(sort="acronym"), per_page=1, page=2
    )
    assert (one.paginator.count, [row.acronym for row in one.object_list]) == (2, ["SECOVE"])
    exported = list(
        portfolio_export(user=admin, today=TODAY, filters=PortfolioFilters(sort="acronym"))
    )
    assert [row.acronym for row in exported] == ["CARETECH", "SECOVE"]


# -- the same queries whatever the portfolio ---------------------------------------------------


def _portfolio_of(officer, projects: int, seed: int) -> list[int]:
    """``projects`` more seeded projects, the officer's, checked; the ids of them all."""
    seed_portfolio(projects=projects, seed=seed)
    ProjectRole.objects.bulk_create(
        ProjectRole(user=officer, project=project, role="officer")
        for project in Project.objects.exclude(roles__user=officer)
    )
    ids = list(Project.objects.values_list("pk", flat=True))
    check_projects(ids, now=NOW)
    return ids


def _reads(officer, admin, api_client) -> dict:
    """The portfolio's reads for the officer and the administrator."""
    answers = {}
    for who, user in (("officer", officer), ("admin", admin)):
        for sort in ("status", "due"):
            page = portfolio_page(user=user, today=TODAY, filters=PortfolioFilters(sort=sort))
            answers[f"{who} page {sort}"] = page.paginator.count
        answers[f"{who} charts"] = portfolio_charts(user=user, now=NOW)
        api_client.force_authenticate(user)
        answers[f"{who} api"] = api_client.get(PORTFOLIO_PROGRESS).json()["count"]
    return answers


def test_the_portfolio_reads_take_the_same_queries_for_3_and_for_12_projects(
    officer, admin_user, api_client, django_assert_max_num_queries
):
    _portfolio_of(officer, 3, seed=31)
    with django_assert_max_num_queries(40) as small:
        found = _reads(officer, admin_user, api_client)
    assert found["officer page status"] == found["admin api"] == 3

    _portfolio_of(officer, 9, seed=32)
    with django_assert_max_num_queries(len(small.captured_queries)):
        found = _reads(officer, admin_user, api_client)
    assert found["officer page due"] == found["officer api"] == found["admin api"] == 12
    assert found["admin charts"].instalments


def test_an_administrators_reads_are_not_filtered_by_project(
    officer, admin_user, api_client, django_assert_max_num_queries
):
    _portfolio_of(officer, 3, seed=33)

    with django_assert_max_num_queries(40) as queries:
        portfolio_charts(user=admin_user, now=NOW)
        api_client.force_authenticate(admin_user)
        assert api_client.get(PORTFOLIO_PROGRESS).status_code == 200

    sums = [
        query["sql"]
        for query in queries.captured_queries
        if "monitoring_projecttally" in query["sql"]
        or "monitoring_progresssummary" in query["sql"]
        or 'FROM "monitoring_flag"' in query["sql"]
        or 'FROM "payments_payment"' in query["sql"]
    ]
    assert len(sums) >= 5
    for sql in sums:
        assert "grants_project" not in sql, sql
        assert "accounts_projectrole" not in sql, sql


def test_summaries_are_written_in_the_same_queries_for_3_and_for_12_projects(
    officer, django_assert_max_num_queries
):
    small = _portfolio_of(officer, 3, seed=34)
    with django_assert_max_num_queries(60) as few:
        summaries_recompute(small, now=NOW)

    big = _portfolio_of(officer, 9, seed=35)
    with django_assert_max_num_queries(len(few.captured_queries)):
        summaries_recompute(big, now=NOW)
    assert ProjectSummary.objects.count() == 12
    assert progress_summaries(big)[big[-1]].deliverables.total > 0


def test_the_projects_without_a_summary_get_one_in_batches(
    demo, other_project, django_assert_max_num_queries
):
    check_projects([demo.pk], now=NOW)
    checked_at = ProjectSummary.objects.get(project=demo).checked_at

    assert summaries_missing_fill(now=NOW + datetime.timedelta(hours=1), batch_size=1) == 1

    assert ProjectSummary.objects.get(project=demo).checked_at == checked_at  # left alone
    filled = ProjectSummary.objects.get(project=other_project)
    assert _summary_fields(filled) == _recomputed_flags(other_project.pk)
    assert filled.next_key
    assert ProgressSummary.objects.filter(project=other_project, cluster="").exists()
    with django_assert_max_num_queries(1):
        assert summaries_missing_fill(now=NOW) == 0


def test_the_fill_summaries_command_writes_the_missing_ones_and_says_how_many(demo, other_project):
    check_projects([demo.pk], now=NOW)
    out = io.StringIO()

    call_command("fill-summaries", "--batch-size", "1", stdout=out)

    assert out.getvalue().strip() == "Wrote the summaries of 1 projects."
    assert ProjectSummary.objects.filter(project=other_project).exists()
    out = io.StringIO()
    call_command("fill-summaries", stdout=out)
    assert out.getvalue().strip() == "Wrote the summaries of 0 projects."


def test_the_fill_summaries_command_refuses_a_batch_of_nothing(demo, capsys):
    before = ProjectSummary.objects.count()
    with pytest.raises(SystemExit) as exit_:
        call_command("fill-summaries", "--batch-size", "0")

    assert exit_.value.code == 2
    assert "--batch-size must be at least 1" in capsys.readouterr().err
    assert ProjectSummary.objects.count() == before


def test_the_sweep_writes_the_summaries_of_projects_it_does_not_check(demo):
    """A project that ended long ago is no longer checked, yet the portfolio still lists it:
    one with no summary (written before the summaries existed) gets one, without a check."""
    long_ended = ProjectFactory(start_date=datetime.date(2015, 1, 1), duration_months=24)
    ProjectSummary.objects.filter(project=long_ended).delete()
    check_projects([demo.pk], now=NOW)
    flags_before = Flag.objects.filter(project=long_ended).count()

    outcome = sweep_task.delay().get()

    assert outcome["summaries_filled"] == 1
    summary = ProjectSummary.objects.get(project=long_ended)
    assert summary.checked_at is not None
    assert Flag.objects.filter(project=long_ended).count() == flags_before  # not checked
    assert sweep_task.delay().get()["summaries_filled"] == 0


def test_the_sweep_leaves_the_summaries_of_the_projects_it_checks_to_their_checks(db):
    """A project the sweep checks gets its summary from its batch's check (flags summed, though
    none changed), and is not among those whose summaries are written without a check."""
    running = ProjectFactory(
        start_date=brussels_today() - datetime.timedelta(days=200), duration_months=48
    )
    long_ended = ProjectFactory(start_date=datetime.date(2015, 1, 1), duration_months=24)
    check_projects([running.pk], now=timezone.now())
    open_flags = Flag.objects.filter(project=running, resolved_at=None).count()
    assert open_flags > 0  # flags that the sweep finds again as they were
    ProjectSummary.objects.filter(project__in=[running, long_ended]).delete()

    assert projects_without_summary(besides=[running.pk]) == [long_ended.pk]
    outcome = sweep_task.delay().get()

    assert outcome["projects"] == 1
    assert outcome["summaries_filled"] == 1  # the project that ended long ago
    summary = ProjectSummary.objects.get(project=running)
    assert summary.checked_at is not None  # written by its check
    assert summary.flags_total == open_flags
