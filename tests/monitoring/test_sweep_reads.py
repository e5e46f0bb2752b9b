"""A batch of the sweep reads its own projects' rows only, by index.

The first test checks two projects while the database holds two other projects, then eight,
and compares, table by table, the rows the queries return (the cursor's rowcount after each
SELECT) and the rows the database read to answer them (PostgreSQL's per-transaction
statistics, ``pg_stat_xact_user_tables``: tuples read by sequential scans and fetched by index
scans), with sequential scans disabled: a table that a query can only read whole is read
whole all the same and grows with the other projects. The deliverables' index on (status,
due_on) serves a day's reminders across the portfolio; on a few projects and without
statistics the planner would take it for a batch's open deliverables too (on a real
portfolio the project's index is far more selective), so it is dropped within the test's
transaction.

On a few projects the planner answers a join by looking rows up one by one, so a join that a
database of thousands of projects answers by reading a whole table (a hash join: every
organisation for their names, every participation for a lead's name, every declaration of
every work package) reads little here. The second test checks the queries' shape instead:
each table a query reads, its own or joined, is restricted by a list of ids in its WHERE
clause, or looked up by key from a row already found (a correlated subquery).

Small reference tables (countries, rule sets, calls, clusters) do not depend on the number of
projects and are left out of both."""

import datetime
import re
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backend.demo.seeding import seed_portfolio
from backend.grants.models import Participation, Project
from monitoring.checks import check_projects
from monitoring.models import Flag

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

REFERENCE_TABLES = {
    "grants_country",
    "grants_countrystatus",
    "grants_ruleset",
    "grants_call",
    "workplan_activitycluster",
}


class RowCounter:
    """An execute wrapper: the rows each SELECT returned, by the table it reads first."""

    def __init__(self):
        self.rows: Counter[str] = Counter()
        self.queries = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            self.queries += 1
            self.rows[_first_table(sql)] += max(context["cursor"].rowcount, 0)
        return result


def _first_table(sql: str) -> str:
    words = sql.replace('"', " ").split()
    upper = [word.upper() for word in words]
    return words[upper.index("FROM") + 1] if "FROM" in upper else sql[:40]


def _tuples_read() -> Counter[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) "
            "FROM pg_stat_xact_user_tables"
        )
        return Counter(dict(cursor.fetchall()))


def _check(project_ids: list[int], now: datetime.datetime) -> tuple[RowCounter, dict[str, int]]:
    """Check the batch; what its queries returned, and what the database read, by table."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    counter = RowCounter()
    before = _tuples_read()
    with connection.execute_wrapper(counter):
        check_projects(project_ids, now=now)
    after = _tuples_read()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = on")
    read = {
        table: after[table] - before[table]
        for table in after
        if after[table] != before[table] and table not in REFERENCE_TABLES
    }
    return counter, read


def test_a_batch_reads_only_its_own_projects_rows():
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX deliverable_status_due")  # rolled back with the test
    batch = [p.pk for p in _seed(2, seed=101)]
    _seed(2, seed=202)
    now = timezone.now()
    # A first check raises the batch's flags; the measured checks find them as they were.
    check_projects(batch, now=now)
    assert Flag.objects.filter(project_id__in=batch, resolved_at__isnull=True).exists()

    returned_before, read_before = _check(batch, now + datetime.timedelta(minutes=1))
    _seed(6, seed=303)
    assert Project.objects.count() == 10
    assert Participation.objects.exclude(project_id__in=batch).count() > 6 * 8
    returned_after, read_after = _check(batch, now + datetime.timedelta(minutes=2))

    assert returned_after.queries == returned_before.queries
    # Table by table, so that a failure names the table read beyond the batch's rows.
    assert dict(returned_after.rows) == dict(returned_before.rows)
    assert read_after == read_before
    assert read_before["grants_participation"] > 0
    assert read_before["workplan_deliverable"] > 0


def test_every_table_a_batch_reads_is_restricted_to_its_rows(monkeypatch):
    """Each query of the check reads its table, and each table it joins, by a list of the
    batch's ids (its projects', or those of rows read before: organisations, participations,
    work packages, reports) or by a key of a row already found (a correlated lookup). A join
    to a table restricted only through the join (the projects' table joined for an order, the
    organisations joined for a name) lets the database read that table whole, as PostgreSQL
    does with thousands of projects (a hash join), whatever the batch. The summaries a check
    writes at its end (progress, tallies, open flags) are read the same way."""
    batch = [p.pk for p in _seed(2, seed=404)]
    now = timezone.now()
    check_projects(batch, now=now)

    with CaptureQueriesContext(connection) as queries:
        check_projects(batch, now=now + datetime.timedelta(minutes=1))

    reads = [q["sql"] for q in queries if q["sql"].startswith("SELECT")]
    assert len(reads) > 20
    assert {sql[:120]: _unrestricted(sql) for sql in reads if _unrestricted(sql)} == {}


def _nothing(*args, **kwargs) -> None:
    return None


def _outer(sql: str) -> str:
    """The query without its subqueries (each "(SELECT ...)" replaced by "(...)")."""
    out, depth, i = [], 0, 0
    while i < len(sql):
        if sql.startswith("(SELECT", i) or (depth and sql[i] == "("):
            depth += 1
        elif depth and sql[i] == ")":
            depth -= 1
            if not depth:
                out.append("(...)")
        elif not depth:
            out.append(sql[i])
        i += 1
    return "".join(out)


# "IN (%s, ...)", or "= ANY(%s)" with the ids as one array; not "IN (SELECT ...)".
LIST_OF_IDS = r"(?:IN \((?!\.\.\.)|= ANY\()"


def _unrestricted(sql: str) -> list[str]:
    """The tables of the query (its own and those it joins) that its WHERE clause does not
    restrict by a list of ids: "<table>"."<column>" IN (<values>) or = ANY(<array>), not a
    subquery."""
    outer = _outer(sql)
    head, _, where = outer.partition(" WHERE ")
    keyword = "(?!INNER|LEFT|OUTER|ORDER|GROUP|WHERE|FOR|LIMIT|ON)"
    tables = re.findall(rf'(?:FROM|JOIN) "(\w+)"(?: {keyword}(\w+))?', head)
    restricted = [
        bool(re.search(rf'(?:"{alias or table}"|\b{alias}\b)\."\w+" {LIST_OF_IDS}', where))
        for table, alias in tables
    ]
    found = [
        table
        for (table, _alias), ok in zip(tables, restricted, strict=True)
        if not ok and table not in REFERENCE_TABLES
    ]
    # The query's own table may be reached through the tables it joins, by their keys (the
    # shares of the batch's work packages held by the batch's participations), when those
    # are all restricted.
    if found[:1] == [tables[0][0]] and len(tables) > 1 and all(restricted[1:]):
        found = found[1:]
    return found


def _seed(count: int, *, seed: int) -> list[Project]:
    before = set(Project.objects.values_list("pk", flat=True))
    seed_portfolio(projects=count, seed=seed)
    return list(Project.objects.exclude(pk__in=before).order_by("pk"))
