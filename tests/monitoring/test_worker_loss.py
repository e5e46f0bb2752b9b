"""With real Celery workers on Redis and PostgreSQL, a worker dies mid-check:

- its child process is killed (SIGKILL) while it runs a check: the check is rejected back to the
  broker, runs again on a new child, and its flags appear;
- the whole worker is killed (SIGKILL) mid-sweep: a new worker takes the batch the dead one held
  once the broker's visibility timeout has passed, the sweep finishes, and the flags equal a
  clean run's.

The checks are made slow on purpose (GRANTWATCH_CHECK_DELAY_SECONDS), so that the kill lands
while one runs; the visibility timeout is shortened for the workers (GRANTWATCH_VISIBILITY_TIMEOUT).
"""

import os
import re
import signal
import time

import pytest
from django.utils import timezone

from monitoring.checks import check_projects
from monitoring.models import Flag, SweepBatch, SweepRun
from tests import factories
from tests.conftest import redis_url
from tests.workers import child_pids, client_app, database_url, running_worker, wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.redis,
    pytest.mark.postgres,
    # The workers read what the test commits; the reference data the migrations loaded is put
    # back for the tests after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Seconds, for these tests' workers (the default is 11 minutes). Short, so that a batch a dead
# worker held comes back soon; not so short that the sweep task itself, acknowledged only
# when it ends, is handed out a second time while it runs on a loaded machine.
VISIBILITY_TIMEOUT = 10
CHECK_DELAY = 3.0  # seconds each check sleeps first
# A killed worker's sweep finishes within this many seconds on a new worker: the batch the dead
# worker held comes back after the visibility timeout (looked for every VISIBILITY_TIMEOUT
# seconds), then takes one check; the other batches waited in the queue.
SWEEP_RESUMED_WITHIN = 3 * VISIBILITY_TIMEOUT + 3 * CHECK_DELAY + 10


def _open_flags() -> set[tuple[int, str]]:
    return set(
        Flag.objects.filter(resolved_at__isnull=True).values_list("project_id", "fingerprint")
    )


def _clean_run(projects) -> set[tuple[int, str]]:
    """The flags a check of these projects raises, in this process; then none, for the worker
    to raise them again."""
    check_projects([project.pk for project in projects], now=timezone.now())
    clean = _open_flags()
    assert {project_id for project_id, _ in clean} == {project.pk for project in projects}, (
        "every project has something to flag"
    )
    Flag.objects.all().delete()
    return clean


@pytest.fixture
def broker(tmp_path):
    """The Redis the workers use, a client that talks to them only through it, and the
    environment of a worker on the test database with slow checks and a short visibility
    timeout."""
    url = redis_url()
    queue = f"test-loss-{os.getpid()}-{time.monotonic_ns()}"
    environment = {
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
        "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
        "GRANTWATCH_TASK_QUEUE": queue,  # the sweep sends its batches here too
        "GRANTWATCH_CHECK_DELAY_SECONDS": str(CHECK_DELAY),
        "GRANTWATCH_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
    }
    app = client_app(url, url)
    yield app, queue, environment
    app.close()


def _log(path) -> str:
    return path.read_text(errors="replace") if path.exists() else ""


def test_a_check_whose_child_process_is_killed_runs_again_and_completes(grant, broker, tmp_path):
    app, queue, environment = broker
    clean = _clean_run([grant])
    log_path = tmp_path / "worker.log"

    with running_worker(environment, log_path, queue=queue, pool="prefork", concurrency=1) as (
        _queue,
        worker_pid,
    ):
        sent = app.send_task(
            "monitoring.check_projects", args=[[grant.pk]], kwargs={"reason": "test"}, queue=queue
        )
        received = wait_for(lambda: f"[{sent.id}] received" in _log(log_path), 30)
        assert received is not None, _log(log_path)[-3000:]
        time.sleep(1.0)  # inside the check's 3 s sleep
        [child] = child_pids(worker_pid)
        os.kill(child, signal.SIGKILL)
        assert _open_flags() == set(), "the check was cut off before it raised its flags"

        completed = wait_for(lambda: _open_flags() == clean, 30)
        log = _log(log_path)

    assert completed is not None, log[-3000:]
    print(f"the check completed {completed:.1f} s after its process was killed")
    assert "WorkerLostError" in log
    assert log.count(f"[{sent.id}] received") == 2, "the broker handed the check out again"
    assert _open_flags() == clean


def _received_checks(log_path) -> list[str]:
    """The ids of the check tasks the worker received, in order."""
    return re.findall(r"Task monitoring\.check_projects\[([0-9a-f-]+)\] received", _log(log_path))


def _kill(pid: int) -> None:
    """SIGKILL a worker and the processes it started, as a machine that dies would."""
    for child in child_pids(pid):
        os.kill(child, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


def test_a_sweep_whose_worker_is_killed_completes_on_another_worker(
    grant, other_grant, broker, tmp_path
):
    app, queue, environment = broker
    third = factories.consortium(
        acronym="THIRDCOVE",
        coordinator="NORDUNI",
        beneficiaries=("BALTEX",),
        associated_partners=(),
        work_packages=1,
    )
    projects = [grant, other_grant, third]
    clean = _clean_run(projects)
    environment = {**environment, "GRANTWATCH_SWEEP_BATCH_SIZE": "1"}

    first_log, second_log = tmp_path / "first.log", tmp_path / "second.log"
    with running_worker(environment, first_log, queue=queue) as (_q, first_pid):
        app.send_task("monitoring.sweep", queue=queue)
        # The first batch has finished and the worker has taken the second.
        taken = wait_for(
            lambda: (
                len(_received_checks(first_log)) == 2
                and SweepBatch.objects.filter(finished_at__isnull=False).exists()
            ),
            30,
        )
        assert taken is not None, _log(first_log)[-3000:]
        time.sleep(1.0)  # inside the second batch's 3 s sleep
        _kill(first_pid)
        killed_at = time.monotonic()
    held = _received_checks(first_log)[1]
    run = SweepRun.objects.get()
    assert run.finished_at is None
    assert run.batch_records.filter(finished_at__isnull=True).count() == 2
    assert _open_flags() != clean

    with running_worker(environment, second_log, queue=queue):
        finished = wait_for(
            lambda: SweepRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(),
            SWEEP_RESUMED_WITHIN + 10,  # longer than the bound, so that the bound's check says it
        )
        log = _log(second_log)
    took = time.monotonic() - killed_at

    assert finished is not None, log[-3000:]
    print(f"the sweep finished {took:.1f} s after its worker was killed")
    assert took < SWEEP_RESUMED_WITHIN
    assert _open_flags() == clean
    assert held in _received_checks(second_log), "the new worker ran the batch the dead one held"
    assert [batch.sends for batch in run.batch_records.all()] == [1, 1, 1], (
        "the broker handed the batch out again, not the resend"
    )
