"""Measurements that need Django, run by benchmarks/run.py in the benchmark's environment.

``queries``: the queries one sweep batch takes (in a transaction rolled back afterwards);
``sweep``: send the sweep to the workers and wait until its last batch is done.
"""

import os
import sys
import time

import django


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


def sweep() -> None:
    from backend.config.celery import app
    from monitoring.tasks import sweep_task

    started = time.perf_counter()
    outcome = sweep_task.delay().get(timeout=900)
    batches = app.GroupResult.restore(outcome["group_id"])
    # Polling: a restored group's native join misses results that arrived before it listened.
    while not batches.ready():
        time.sleep(0.02)
    if batches.failed():
        raise SystemExit("a batch of the sweep failed")
    seconds = time.perf_counter() - started
    print(
        f"sweep of {outcome['projects']:,} projects in {outcome['batches']} batches: "
        f"{seconds:.2f} s end to end"
    )


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.config.settings")
    django.setup()
    {"queries": queries, "sweep": sweep}[sys.argv[1]]()
