"""The two queues, with a real Celery worker on Redis and PostgreSQL: the check a change asks for
goes to the checks queue, which the worker serves before the sweep's, so a change made during a
sweep has its flag within seconds, long before the sweep ends.

The checks are made slow on purpose (GRANTWATCH_CHECK_DELAY_SECONDS) and the sweep takes one
project per batch, so that it keeps both of the worker's processes busy for several seconds."""

import datetime
import os
import re
import time

import pytest
from django.utils import timezone

from backend.common.dates import brussels_today
from backend.config.celery import app as celery_app
from backend.workplan.services import deliverable_due_date_revise
from monitoring.checks import check_projects
from monitoring.models import Flag, SweepBatch, SweepRun
from tests import factories
from tests.conftest import redis_url
from tests.workers import client_app, database_url, running_worker, wait_for

pytestmark = pytest.mark.worker

CHECK_DELAY = 1.0  # seconds each check sleeps first, the change's own check too
PROJECTS = 16  # one per sweep batch: 16 batches on 2 processes, 8 s of sleep at least
# The change's check waits at most for one of the batches running to finish, then runs.
FLAG_WITHIN = 3 * CHECK_DELAY + 1.5


@pytest.fixture
def worker(tmp_path, settings, monkeypatch):
    """A worker of 2 processes on Redis, reading the test database, on queues of its own (the
    sweep's and its checks queue, named after GRANTWATCH_TASK_QUEUE as in production), with
    slow checks and sweeps of one project per batch. The test process relays the changes'
    checks to the same checks queue; a bare client starts the sweep."""
    url = redis_url()
    queue = f"test-queues-{os.getpid()}-{time.monotonic_ns()}"
    settings.GRANTWATCH_CHECKS_QUEUE = f"{queue}.checks"
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", url)
    celery_app.close()  # no connection left over from before the broker was set
    celery_app.conf.task_always_eager = False
    environment = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        # The queued-check marks live in the cache: the worker clears them in the test's.
        "CACHE_URL": url,
        "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
        "GRANTWATCH_TASK_QUEUE": queue,
        "GRANTWATCH_CHECK_DELAY_SECONDS": str(CHECK_DELAY),
        "GRANTWATCH_SWEEP_BATCH_SIZE": "1",
    }
    log = tmp_path / "worker.log"
    client = client_app(url, url)
    try:
        # Started with --queues naming the sweep's queue only, as an older command line would:
        # the worker adds the checks queue, first (backend/config/celery.py).
        with running_worker(environment, log, queue=queue, pool="prefork", concurrency=2):
            yield client, queue, log
    finally:
        client.close()
        celery_app.close()
        print(log.read_text(errors="replace")[-5000:])


def _overdue(deliverable) -> Flag | None:
    return Flag.objects.filter(
        project=deliverable.project_id,
        resolved_at__isnull=True,
        fingerprint=f"deliverable_overdue:{deliverable.pk}",
    ).first()


@pytest.mark.redis
@pytest.mark.postgres
# The worker reads what the test commits; the reference data the migrations loaded is put back
# for the tests after this one.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_change_made_during_a_sweep_has_its_flag_before_the_sweep_ends(worker):
    client, queue, log = worker
    projects = [
        factories.consortium(
            acronym=f"QUEUE{number:02}",
            coordinator=f"COORD{number:02}",
            beneficiaries=(f"BENEF{number:02}",),
            associated_partners=(),
            work_packages=1,
        )
        for number in range(PROJECTS)
    ]
    # The changed project is the sweep's last batch (the sweep takes the projects by id): if
    # the sweep's batch of it ran first, the flag would tell nothing of the change's check.
    changed = projects[-1]
    check_projects([project.pk for project in projects], now=timezone.now())
    d11 = changed.deliverables.get(code="D1.1")
    overdue = _overdue(d11)
    assert overdue is not None, "D1.1, due in month 3 of a project in its month 7, is overdue"
    officer = factories.officer_of(changed)
    ready = wait_for(lambda: "ready." in log.read_text(errors="replace"), 30)
    assert ready is not None, "the worker did not start"

    client.send_task("monitoring.sweep", queue=queue)
    # Both processes are busy with the sweep's batches, the others wait in its queue.
    running = wait_for(
        lambda: SweepBatch.objects.filter(finished_at__isnull=False).count() >= 2, 30
    )
    assert running is not None, "the sweep did not start"
    run = SweepRun.objects.get()
    assert run.batches == PROJECTS

    started = time.monotonic()
    deliverable_due_date_revise(
        deliverable=d11,
        user=officer,
        due_on=brussels_today() + datetime.timedelta(days=30),
        reason="The pilot moved.",
    )
    resolved = wait_for(
        lambda: not Flag.objects.filter(pk=overdue.pk, resolved_at__isnull=True).exists(),
        4 * FLAG_WITHIN,
    )
    latency = time.monotonic() - started
    run.refresh_from_db()
    last = run.batch_records.get(number=PROJECTS)
    print(f"the change's flag came {latency:.2f} s after the change")

    assert resolved is not None, "the change's check did not resolve the flag"
    assert run.finished_at is None, "the flag came only once the sweep had finished"
    assert last.finished_at is None, "the sweep's batch of the project resolved the flag"
    assert latency < FLAG_WITHIN, f"the flag came {latency:.2f} s after the change"
    # The sweep finishes afterwards.
    assert wait_for(lambda: SweepRun.objects.filter(finished_at__isnull=False).exists(), 60)


# -- the embedded broker ------------------------------------------------------------------------

EMBEDDED_TASKS = 40
# Before, a worker of 2 processes on the filesystem broker ran about 2 tasks a second.
EMBEDDED_WITHIN = 8.0


def _received(log_path) -> list[str]:
    """The ids of the tasks the worker received, in order."""
    return re.findall(r"Task monitoring\.ping\[([0-9a-f-]+)\] received", log_path.read_text())


def test_the_embedded_worker_takes_the_checks_first_and_many_tasks_a_second(tmp_path, monkeypatch):
    # Celery lets these variables override an app's own configuration, so the client below
    # would talk to CI's Redis instead of the filesystem broker if they stayed set.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    var_dir = tmp_path / "var"
    queue_dir = var_dir / "celery" / "queue"
    queue_dir.mkdir(parents=True)
    (var_dir / "celery" / "results").mkdir()
    queue = f"test-embedded-{time.monotonic_ns()}"
    environment = {
        "GRANTWATCH_VAR_DIR": str(var_dir),
        "GRANTWATCH_TASK_QUEUE": queue,
        "CELERY_BROKER_URL": None,  # the embedded default
        "CELERY_RESULT_BACKEND": None,
    }
    client = client_app(
        "filesystem://",
        f"file://{var_dir / 'celery' / 'results'}",
        {
            "data_folder_in": str(queue_dir),
            "data_folder_out": str(queue_dir),
            "processed_folder": str(var_dir / "celery" / "processed"),
            "control_folder": str(var_dir / "celery" / "control"),
        },
    )

    def send(queue_name: str) -> str:
        return client.send_task(
            "monitoring.ping", args=["token"], queue=queue_name, ignore_result=True
        ).id

    # Waiting before the worker starts: sweep batches, then a check.
    batches = [send(queue) for _ in range(5)]
    check = send(f"{queue}.checks")
    log_path = tmp_path / "worker.log"
    with running_worker(
        environment, log_path, queue=queue, pool="prefork", concurrency=2
    ) as _running:
        first = wait_for(lambda: len(_received(log_path)) >= len(batches) + 1, 60)
        assert first is not None, log_path.read_text()[-3000:]
        received = _received(log_path)
        started = time.monotonic()
        burst = {send(queue) for _ in range(EMBEDDED_TASKS)}
        done = wait_for(lambda: burst <= set(_received(log_path)), 60)
        took = time.monotonic() - started
        finished = wait_for(
            lambda: log_path.read_text().count("succeeded in") >= len(batches) + 1 + len(burst),
            30,
        )
    client.close()

    assert received[0] == check, "the worker took the check before the sweep's batches"
    assert set(received[1:]) == set(batches)  # (sent in the same instant, in any order)
    assert done is not None, log_path.read_text()[-3000:]
    assert finished is not None, log_path.read_text()[-3000:]
    print(f"{EMBEDDED_TASKS} tasks in {took:.2f} s: {EMBEDDED_TASKS / took:.1f} tasks a second")
    assert took < EMBEDDED_WITHIN
