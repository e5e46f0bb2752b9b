"""The checks' reads as the database runs them: a batch's reads of the lifecycle and deadline
tables keep to the batch's own rows, found by index, whatever the rest of the database holds."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.reporting.models import PeriodicReport
from monitoring.accessions import accession_findings
from monitoring.deadlines import reports_not_received
from tests import factories

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OTHER_PROJECTS = 30
DAY = datetime.date(2026, 3, 2)


def _plans(read) -> list[str]:
    """The plans of the SELECTs ``read`` sends, with sequential scans ruled out: what is left
    shows whether a table can be reached by the batch's ids at all, or only whole."""
    with CaptureQueriesContext(connection) as captured:
        read()
    plans = []
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for query in captured.captured_queries:
            if query["sql"].startswith("SELECT"):
                cursor.execute("EXPLAIN " + query["sql"])
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


def test_the_reports_not_received_are_judged_from_the_batchs_own_reports():
    call = factories.CallFactory()
    projects = factories.bulk(factories.ProjectFactory, [{}] * (OTHER_PROJECTS + 1), call=call)
    periods = [factories.reporting_periods(project)[0] for project in projects]
    PeriodicReport.objects.bulk_create(
        PeriodicReport(project=period.project, reporting_period=period, status="submitted")
        for period in periods[1:]
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE reporting_periodicreport")

    [plan] = _plans(lambda: reports_not_received([projects[0].pk]))

    # The reports received are looked for among the project's own (not read whole, for an
    # anti-join against every project's reports).
    scans = [line for line in plan.splitlines() if "on reporting_periodicreport" in line]
    assert scans, plan
    assert any("reporting_periodicreport_project_id" in line for line in scans), plan
    assert [r.number for r in reports_not_received([projects[0].pk])] == [1]


def test_the_accessions_overdue_are_read_from_the_pending_participations_index():
    project = factories.ProjectFactory()

    [plan] = _plans(lambda: accession_findings([project.pk], DAY))

    assert "participation_pending_project" in plan, plan
