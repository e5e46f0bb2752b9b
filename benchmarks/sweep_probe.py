"""Measurements that need Django, run by benchmarks/run.py in the benchmark's environment.

``queries``: the queries one sweep batch takes (in a transaction rolled back afterwards);
``ping``: wait until a worker answers on the queue;
``sweep``: send the sweep to the workers and wait until its last batch is done;
``users``: the benchmark's users (a superuser, and an officer holding the portfolio of the
BENCH_PORTFOLIO lowest project ids), with the password in BENCH_PASSWORD;
``rawread``: the rows a sweep reads, read with psycopg alone (PostgreSQL);
``latency``: start a sweep, make a change to one project while it runs, and time its flag;
``newday``: sweep batches checked again the same day, and the next day, in process, with the
CPU time each took in this process (Python) and in its PostgreSQL backend.

Each prints its figures as one ``RESULT {json}`` line (the last line of its output).
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

RESULT = "RESULT "
BREACH = "eligibility_breach:min_full_partners"
SUPERUSER = "bench-admin"
OFFICER = "bench-officer"


def _result(**figures) -> None:
    print(RESULT + json.dumps(figures), flush=True)


def queries() -> None:
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from backend.common.dates import brussels_today
    from backend.grants.selectors import active_project_ids
    from monitoring.checks import check_projects

    size = settings.GRANTWATCH_SWEEP_BATCH_SIZE
    batch = active_project_ids(brussels_today())[:size]
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        check_projects(batch, now=timezone.now())
        transaction.set_rollback(True)
    # The transaction's own savepoint statements are not the check's.
    count = sum(1 for query in captured if not query["sql"].upper().startswith("SAVEPOINT"))
    print(f"queries per sweep batch of {len(batch)} projects: {count}")
    _result(queries=count, projects=len(batch))


def newday() -> None:
    """What a sweep batch costs on the day after the last sweep, beside the same batch
    checked again the same day (as the refresh sweeps are): the daily sweep finds every
    project on a new day, when a late payment's days and interest have changed since. The
    first BENCH_NEWDAY_BATCHES (default 6) batches of the sweep, each checked now and then a
    day later, in one transaction rolled back afterwards (the database is left as it was);
    the medians in milliseconds per batch, and their ratio."""
    import datetime

    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from backend.common.dates import brussels_today
    from backend.grants.selectors import active_project_ids
    from monitoring.checks import check_projects

    size = settings.GRANTWATCH_SWEEP_BATCH_SIZE
    ids = active_project_ids(brussels_today())
    count = int(os.environ.get("BENCH_NEWDAY_BATCHES", "6"))
    batches = [ids[start : start + size] for start in range(0, len(ids), size)][:count]
    backend = _backend_stat()
    same, next_day, python, database = [], [], [], []
    for batch in batches:
        now = timezone.now()
        with transaction.atomic():
            started = time.perf_counter()
            check_projects(batch, now=now)
            same.append(time.perf_counter() - started)
            database_started = _cpu_seconds(backend) if backend else 0.0
            started, python_started = time.perf_counter(), time.process_time()
            check_projects(batch, now=now + datetime.timedelta(days=1))
            next_day.append(time.perf_counter() - started)
            python.append(time.process_time() - python_started)
            if backend:
                database.append(_cpu_seconds(backend) - database_started)
            transaction.set_rollback(True)
    same_ms, next_ms = 1000 * statistics.median(same), 1000 * statistics.median(next_day)
    python_ms = 1000 * statistics.median(python)
    database_ms = 1000 * statistics.median(database) if database else None
    print(
        f"a sweep batch of {size} projects in process, median of {len(batches)}: "
        f"{same_ms:.0f} ms checked again the same day, {next_ms:.0f} ms the next day "
        f"(ratio {next_ms / same_ms:.2f}); CPU the next day: {python_ms:.0f} ms Python, "
        + (
            "PostgreSQL not on this machine"
            if database_ms is None
            else f"{database_ms:.0f} ms PostgreSQL"
        )
    )
    _result(
        same_day_ms=same_ms,
        next_day_ms=next_ms,
        batches=len(batches),
        next_day_python_cpu_ms=python_ms,
        next_day_postgresql_cpu_ms=database_ms,
    )


def _backend_stat() -> Path | None:
    """The /proc stat file of the connection's PostgreSQL backend: None when the server is not
    a process of this machine (or not PostgreSQL). A server in a container of its own numbers
    its processes apart, so the pid must be a PostgreSQL process here."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    process = Path(f"/proc/{pid}")
    try:
        if b"postgres" not in (process / "cmdline").read_bytes():
            return None
    except OSError:
        return None
    return process / "stat"


def _cpu_seconds(stat: Path) -> float:
    """The CPU time (user and system) a process has used so far, from its /proc stat file. The
    kernel counts it in clock ticks (10 ms by default), so one reading is coarse; a batch takes
    tens of them."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    # After the command's name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sweep_send(timeout: float = 120):
    """Send the sweep task; return its record once a worker has made it (the task keeps no
    result: its record is what tells how it goes)."""
    from django.db.models import Max

    from monitoring.models import SweepRun
    from monitoring.tasks import sweep_task

    before = SweepRun.objects.aggregate(last=Max("id"))["last"] or 0
    sweep_task.delay()
    deadline = time.monotonic() + timeout
    while (run := SweepRun.objects.filter(pk__gt=before).order_by("pk").first()) is None:
        if time.monotonic() > deadline:
            raise SystemExit(f"no worker started the sweep within {timeout:.0f} s")
        time.sleep(0.01)
    return run


def _sweep_wait(run, timeout: float = 1800) -> None:
    from monitoring.models import SweepRun

    deadline = time.monotonic() + timeout
    # The sweep's record is finished once every batch has (monitoring.sweeps).
    while not SweepRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"the sweep did not finish within {timeout:.0f} s")
        time.sleep(0.02)


def sweep() -> None:
    started = time.perf_counter()
    run = _sweep_send()
    _sweep_wait(run)
    seconds = time.perf_counter() - started
    print(
        f"sweep of {run.projects:,} projects in {run.batches} batches: {seconds:.2f} s end to end"
    )
    _result(seconds=seconds, projects=run.projects, batches=run.batches)


def ping() -> None:
    """Wait until a worker answers on the benchmark's queue (its processes are up)."""
    from monitoring.tasks import ping as ping_task

    started = time.perf_counter()
    token = os.urandom(8).hex()
    answer = ping_task.delay(token).get(timeout=120)
    if answer.get("token") != token:
        raise SystemExit(f"the worker answered something else: {answer}")
    _result(seconds=time.perf_counter() - started)


def users() -> None:
    from django.contrib.auth import get_user_model

    from backend.accounts.models import ProjectRole, ProjectRoleKind
    from backend.common.dates import brussels_today
    from backend.grants.models import Project

    password = os.environ["BENCH_PASSWORD"]
    size = int(os.environ.get("BENCH_PORTFOLIO", "500"))
    user_model = get_user_model()
    people = {}
    for username, fields in (
        (SUPERUSER, {"is_superuser": True, "is_staff": True}),
        (OFFICER, {"is_agency_officer": True}),
    ):
        user = user_model.objects.filter(username=username).first() or user_model(
            username=username, email=f"{username}@example.org", **fields
        )
        user.set_password(password)
        user.save()
        people[username] = user
    officer = people[OFFICER]
    # The lowest ids: the same portfolio at every size of the database.
    ids = list(Project.objects.order_by("id").values_list("id", flat=True)[:size])
    held = set(
        ProjectRole.objects.filter(user=officer, role=ProjectRoleKind.OFFICER).values_list(
            "project_id", flat=True
        )
    )
    ProjectRole.objects.bulk_create(
        ProjectRole(user=officer, project_id=project_id, role=ProjectRoleKind.OFFICER)
        for project_id in ids
        if project_id not in held
    )
    # The project whose detail and eligibility are read: the officer's first one running today.
    today = brussels_today()
    project = next(
        (p for p in Project.objects.filter(pk__in=ids).order_by("id") if p.last_day >= today),
        None,
    )
    if project is None:
        raise SystemExit("no project of the officer's portfolio is running today")
    print(f"users: {SUPERUSER} (superuser), {OFFICER} (officer of {len(ids):,} projects)")
    _result(portfolio=len(ids), project=project.pk, superuser=SUPERUSER, officer=OFFICER)


def _raw_statements() -> list[tuple[str, str]]:
    """(what, SELECT) of the rows a sweep batch needs, each for the batch's projects (%s)."""
    from backend.grants.models import Organisation, OrganisationType, Participation, Project
    from backend.payments.models import Instalment, Payment
    from backend.reporting.models import PeriodicReport, WorkPackageDeclaration
    from backend.workplan.models import Deliverable, Milestone, ReportingPeriod, WorkPackage
    from monitoring.models import Flag

    def table(model) -> str:
        return f'"{model._meta.db_table}"'

    def of_projects(model) -> tuple[str, str]:
        return (
            model._meta.verbose_name_plural,
            f"SELECT * FROM {table(model)} WHERE project_id = ANY(%s)",
        )

    return [
        ("projects", f"SELECT * FROM {table(Project)} WHERE id = ANY(%s)"),
        (
            "participations and organisations",
            f"SELECT pa.*, o.* FROM {table(Participation)} pa "
            f"JOIN {table(Organisation)} o ON o.id = pa.organisation_id "
            "WHERE pa.project_id = ANY(%s)",
        ),
        (
            "organisation types",
            f"SELECT t.* FROM {table(OrganisationType)} t WHERE t.organisation_id IN "
            f"(SELECT organisation_id FROM {table(Participation)} WHERE project_id = ANY(%s))",
        ),
        of_projects(WorkPackage),
        of_projects(Deliverable),
        of_projects(Milestone),
        of_projects(ReportingPeriod),
        of_projects(PeriodicReport),
        (
            "declarations",
            f"SELECT d.* FROM {table(WorkPackageDeclaration)} d "
            f"JOIN {table(WorkPackage)} wp ON wp.id = d.work_package_id "
            "WHERE wp.project_id = ANY(%s)",
        ),
        of_projects(Instalment),
        of_projects(Payment),
        (
            "open flags",
            f"SELECT * FROM {table(Flag)} WHERE project_id = ANY(%s) "
            "AND (resolved_at IS NULL OR suppressed)",
        ),
    ]


def rawread() -> None:
    """The SELECTs of the rows the sweep needs, batch by batch as the sweep takes them, through
    psycopg with server-side cursors (each fetched whole); the median of three reads."""
    import psycopg
    from django.conf import settings

    from backend.common.dates import brussels_today
    from backend.grants.selectors import active_project_ids
    from backend.reporting.models import REPORT_DUE_DAYS

    ids = active_project_ids(brussels_today(), days_after_end=REPORT_DUE_DAYS + 1)
    size = settings.GRANTWATCH_SWEEP_BATCH_SIZE
    batches = [ids[start : start + size] for start in range(0, len(ids), size)]
    statements = _raw_statements()
    timings, rows = [], 0
    for _attempt in range(3):
        with psycopg.connect(os.environ["DATABASE_URL"]) as database:
            rows = 0
            started = time.perf_counter()
            for batch in batches:
                for number, (_what, sql) in enumerate(statements):
                    with database.cursor(name=f"raw_{number}") as cursor:
                        cursor.execute(sql, [batch])
                        rows += len(cursor.fetchall())
            timings.append(time.perf_counter() - started)
            database.rollback()
    seconds = statistics.median(timings)
    print(
        f"raw read of {rows:,} rows of {len(ids):,} projects in {len(batches)} batches "
        f"({len(statements)} SELECTs each): {seconds:.2f} s (median of {len(timings)})"
    )
    _result(seconds=seconds, rows=rows, projects=len(ids), batches=len(batches))


def _latency_project(today):
    """A project running today, with beneficiaries and no breach flag open: the last such one,
    so that the sweep reaches it last (a sweep's batch does not flag it first)."""
    import datetime

    from backend.grants.models import Project
    from backend.grants.selectors import active_project_ids
    from monitoring.models import Flag

    breached = set(
        Flag.objects.filter(fingerprint=BREACH, resolved_at__isnull=True).values_list(
            "project_id", flat=True
        )
    )
    margin = datetime.timedelta(days=90)
    for project_id in reversed(active_project_ids(today)):
        if project_id in breached:
            continue
        project = Project.objects.get(pk=project_id)
        if project.start_date + margin <= today <= project.last_day - margin:
            leavers = list(
                project.participations.filter(role="beneficiary", left_on__isnull=True)
                .filter(joined_on__lt=today - datetime.timedelta(days=1))
                .values_list("short_name", flat=True)
            )
            if leavers:
                return project, leavers
    raise SystemExit("no running project without a breach flag to change")


def latency() -> None:
    """Time from a change's commit to its flag, while a sweep runs: every beneficiary of one
    project leaves (an approved amendment), which breaches the minimum of full partners."""
    import datetime

    from django.contrib.auth import get_user_model

    from backend.amendments.services import (
        amendment_approve,
        amendment_create,
        amendment_submit,
    )
    from backend.amendments.validation import ChangeInput
    from backend.common.dates import brussels_today
    from monitoring.models import Flag, SweepRun

    today = brussels_today()
    admin = get_user_model().objects.get(username=SUPERUSER)
    project, leavers = _latency_project(today)
    yesterday = today - datetime.timedelta(days=1)
    request = amendment_create(
        project=project,
        user=admin,
        justification="Benchmark: the beneficiaries leave.",
        changes=[
            ChangeInput(kind="terminate_participation", participant=name, effective_on=yesterday)
            for name in leavers
        ],
    )
    amendment_submit(request=request, user=admin)
    # Let the submission's own check pass before the sweep starts.
    time.sleep(1)

    sweep_started = time.perf_counter()
    run = _sweep_send()
    # The batches are on the queue; give the worker's processes a moment to take them.
    time.sleep(float(os.environ.get("BENCH_LATENCY_DELAY", "0.3")))
    approve_started = time.perf_counter()
    amendment_approve(
        request=request,
        user=admin,
        note="Benchmark.",
        override_justification="Benchmark: the breach is the point.",
    )
    committed = time.perf_counter()
    flagged = Flag.objects.filter(project=project, fingerprint=BREACH, resolved_at__isnull=True)
    while not flagged.exists():
        if time.perf_counter() - committed > 300:
            raise SystemExit("no breach flag within 300 s of the change")
        time.sleep(0.005)
    seconds = time.perf_counter() - committed
    unfinished = SweepRun.objects.filter(pk=run.pk, finished_at__isnull=True).exists()
    _sweep_wait(run)
    sweep_seconds = time.perf_counter() - sweep_started
    print(
        f"flag of a change during a sweep: {seconds * 1000:.0f} ms after the change committed "
        f"(approval {1000 * (committed - approve_started):.0f} ms); the sweep was "
        f"{'still running' if unfinished else 'ALREADY FINISHED'} then (sweep of "
        f"{run.projects:,} projects: {sweep_seconds:.2f} s)"
    )
    _result(
        seconds=seconds,
        during_sweep=unfinished,
        approval_seconds=committed - approve_started,
        sweep_seconds=sweep_seconds,
        project=project.pk,
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    django.setup()
    {
        "queries": queries,
        "ping": ping,
        "sweep": sweep,
        "users": users,
        "rawread": rawread,
        "latency": latency,
        "newday": newday,
    }[sys.argv[1]]()
