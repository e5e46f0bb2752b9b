"""The outbox of checks (monitoring.outbox): a change records its check in its own transaction,
coalesced per project; the relay hands the rows to the broker and deletes them only once the
broker took them; with the broker down nothing fails and nothing is lost."""

import datetime
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from django.db import connection, transaction
from django_celery_beat.models import PeriodicTask
from kombu.exceptions import OperationalError

from backend.common.seam import all_projects_changed, projects_changed
from backend.config.celery import app as celery_app
from backend.grants.models import Project
from monitoring import outbox
from monitoring.metrics import ComplianceCollector
from monitoring.models import PendingCheck
from monitoring.tasks import check_projects_task
from tests.conftest import DATA_DIR

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    """The tasks the relay publishes, instead of running them: (task name, args, kwargs)."""
    sent = []

    def recorder(name):
        def apply_async(args=None, kwargs=None, **options):
            sent.append((name, args, kwargs))

        return apply_async

    monkeypatch.setattr(
        "monitoring.tasks.check_projects_task.apply_async", recorder("monitoring.check_projects")
    )
    monkeypatch.setattr("monitoring.tasks.sweep_task.apply_async", recorder("monitoring.sweep"))
    return sent


def _rows() -> dict[str, PendingCheck]:
    return {row.key: row for row in PendingCheck.objects.all()}


def _closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- recording ----------------------------------------------------------------------------------


def test_the_check_is_recorded_in_the_changes_transaction_and_rolled_back_with_it(
    grant, django_capture_on_commit_callbacks
):
    def failing_change():
        with transaction.atomic():
            projects_changed([grant.pk], reason="report saved")
            assert set(_rows()) == {f"project:{grant.pk}"}  # there, inside the transaction
            raise RuntimeError("the change fails")

    with django_capture_on_commit_callbacks(execute=False), pytest.raises(RuntimeError):
        failing_change()
    assert _rows() == {}

    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        projects_changed([grant.pk], reason="report saved")
    row = _rows()[f"project:{grant.pk}"]
    assert (row.project_id, row.reason, row.requests, row.attempts) == (
        grant.pk,
        "report saved",
        1,
        0,
    )
    assert len(callbacks) == 1  # the attempt to relay, once committed


def test_a_burst_of_changes_to_one_project_is_one_row_and_one_check(
    grant, other_grant, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for ids, reason in [
            ([grant.pk], "evidence uploaded"),
            ([grant.pk, other_grant.pk], "organisation changed"),
            ([grant.pk], "deliverable submitted"),
        ]:
            with transaction.atomic():
                projects_changed(ids, reason=reason)

    rows = _rows()
    assert set(rows) == {f"project:{grant.pk}", f"project:{other_grant.pk}"}
    assert (rows[f"project:{grant.pk}"].requests, rows[f"project:{grant.pk}"].reason) == (
        3,
        "deliverable submitted",
    )
    assert rows[f"project:{other_grant.pk}"].requests == 1

    result = outbox.outbox_relay()

    assert (result.sent, result.tasks, result.failed) == (2, 1, 0)
    [(name, args, kwargs)] = published
    assert name == "monitoring.check_projects"
    assert sorted(args[0]) == sorted([grant.pk, other_grant.pk])
    assert kwargs == {"reason": "deliverable submitted; organisation changed"}
    assert _rows() == {}
    # The attempts after each commit find nothing left to send: still one check.
    for callback in callbacks:
        callback()
    assert len(published) == 1


def test_a_change_to_reference_data_asks_for_one_sweep(
    published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        all_projects_changed()
        all_projects_changed()

    assert published == [("monitoring.sweep", [], {})]
    assert _rows() == {}


def test_a_changes_check_goes_to_the_checks_queue_and_the_sweep_to_the_default_queue(
    grant, settings, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    for name in ("check_projects_task", "sweep_task"):
        monkeypatch.setattr(
            f"monitoring.tasks.{name}.apply_async",
            lambda args=None, kwargs=None, name=name, **options: sent.append((name, options)),
        )

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        projects_changed([grant.pk], reason="report saved")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        all_projects_changed()

    checks = settings.GRANTWATCH_CHECKS_QUEUE
    assert checks == f"{settings.CELERY_TASK_DEFAULT_QUEUE}.checks"
    assert sent == [("check_projects_task", {"queue": checks}), ("sweep_task", {})]
    # A worker started without --queues consumes both, the checks queue first.
    assert list(celery_app.amqp.queues) == [checks, settings.CELERY_TASK_DEFAULT_QUEUE]
    # Beat's relay of what could not be sent at once is a check too; the sweep's resend is not.
    router = celery_app.amqp.router
    assert router.route({}, "monitoring.relay_outbox")["queue"].name == checks
    assert router.route({}, "monitoring.sweep_resend")["queue"].name == (
        settings.CELERY_TASK_DEFAULT_QUEUE
    )


def test_a_change_while_its_projects_check_waits_in_the_queue_needs_no_check_of_its_own(
    grant, other_grant, published, django_capture_on_commit_callbacks
):
    def change(*project_ids):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            projects_changed(list(project_ids), reason="report saved")

    change(grant.pk)
    # The check is queued and has not started: it will read these changes too.
    change(grant.pk)
    change(grant.pk, other_grant.pk)

    assert [args for _, args, _ in published] == [[[grant.pk]], [[other_grant.pk]]]
    assert _rows() == {}
    with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
        projects_changed([grant.pk], reason="evidence uploaded")
    result = outbox.outbox_relay()
    assert (result.sent, result.coalesced, result.tasks) == (1, 1, 0)
    assert _rows() == {}

    # The queued check starts: a change from now on may come after its reads, and is relayed.
    check_projects_task([grant.pk], reason="report saved")
    change(grant.pk)

    assert [args for _, args, _ in published] == [[[grant.pk]], [[other_grant.pk]], [[grant.pk]]]


def test_a_queued_checks_mark_expires(
    grant, published, monkeypatch, django_capture_on_commit_callbacks
):
    """A check lost before it started (its queue purged) holds back the next changes' checks
    for a moment at most."""
    monkeypatch.setattr(outbox, "QUEUED_MARK_SECONDS", 1)

    def change():
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            projects_changed([grant.pk], reason="report saved")

    change()
    change()
    assert len(published) == 1
    time.sleep(1.2)
    change()
    assert len(published) == 2


def test_with_the_cache_down_every_change_is_relayed(
    grant, published, monkeypatch, django_capture_on_commit_callbacks
):
    def down(*args, **kwargs):
        raise ConnectionError("the cache is down")

    monkeypatch.setattr(outbox.cache, "get_many", down)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            projects_changed([grant.pk], reason="report saved")

    assert [args for _, args, _ in published] == [[[grant.pk]], [[grant.pk]]]
    assert _rows() == {}


def test_with_tasks_run_at_once_the_check_runs_after_the_commit(
    grant, monkeypatch, django_capture_on_commit_callbacks
):
    checked = []
    monkeypatch.setattr(
        "monitoring.tasks.check_projects",
        lambda ids, now: checked.append(list(ids)) or type("R", (), {"raised": (), "resolved": ()}),
    )
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        projects_changed([grant.pk], reason="report saved")
        assert checked == []

    assert checked == [[grant.pk]]
    assert _rows() == {}


# -- a publish that fails -----------------------------------------------------------------------


def test_a_failed_publish_keeps_the_row_and_the_change_succeeds(
    grant, published, monkeypatch, django_capture_on_commit_callbacks
):
    def refused(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr("monitoring.tasks.check_projects_task.apply_async", refused)

    # The attempt after the commit fails: the caller sees nothing of it.
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        projects_changed([grant.pk], reason="report saved")

    row = _rows()[f"project:{grant.pk}"]
    assert row.attempts == 1
    assert row.last_attempt_at is not None
    assert "Connection refused" in row.last_error
    assert outbox.outbox_relay().failed == 1
    assert _rows()[f"project:{grant.pk}"].attempts == 2

    monkeypatch.undo()  # the broker is back
    monkeypatch.setattr(
        "monitoring.tasks.check_projects_task.apply_async",
        lambda args=None, kwargs=None, **options: published.append((args, kwargs)),
    )
    result = outbox.outbox_relay()

    assert (result.sent, result.failed) == (1, 0)
    assert published == [([[grant.pk]], {"reason": "report saved"})]
    assert _rows() == {}


def test_with_the_broker_down_the_attempt_after_the_commit_gives_up_at_once(
    grant, settings, django_capture_on_commit_callbacks
):
    """A real publish to a broker nobody listens on: no retries, no wait."""
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{_closed_port()}/0"
    celery_app.conf.task_always_eager = False

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        projects_changed([grant.pk], reason="report saved")
    elapsed = time.monotonic() - started

    assert elapsed < 0.5, f"the change waited {elapsed:.2f} s for the broker"
    row = _rows()[f"project:{grant.pk}"]
    assert row.attempts == 1
    assert row.last_error


# -- what an operator sees ----------------------------------------------------------------------


def test_the_metrics_give_the_outbox_depth_and_its_oldest_rows_age(grant, other_grant, published):
    def metrics() -> dict[str, float]:
        return {
            family.name: family.samples[0].value
            for family in ComplianceCollector()._outbox_metrics()
        }

    assert metrics() == {
        "grantwatch_outbox_pending_checks": 0,
        "grantwatch_outbox_oldest_age_seconds": 0,
    }
    first = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
    with time_machine.travel(first, tick=False):
        outbox.outbox_record([grant.pk], "report saved")
    with time_machine.travel(first + datetime.timedelta(minutes=4), tick=False):
        outbox.outbox_record([other_grant.pk, grant.pk], "organisation changed")
    with time_machine.travel(first + datetime.timedelta(minutes=10), tick=False):
        assert metrics() == {
            "grantwatch_outbox_pending_checks": 2,
            "grantwatch_outbox_oldest_age_seconds": 600.0,
        }


def test_the_relay_is_on_beats_schedule_every_five_seconds():
    task = PeriodicTask.objects.get(task="monitoring.relay_outbox")
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (5, "seconds")
    assert task.expire_seconds == 60


# -- the command line ---------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_cli_import_with_the_broker_down_exits_0_and_leaves_the_check_waiting(tmp_path):
    broker = f"redis://127.0.0.1:{_closed_port()}/0"
    command = Path(sys.executable).with_name("grantwatch")
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
    }

    done = subprocess.run(
        [str(command), "import-grant", str(DATA_DIR / "spec-example.yaml")],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "Imported SECOVE" in done.stdout
    project = Project.objects.get(acronym="SECOVE")
    row = PendingCheck.objects.get(project=project)
    assert row.attempts == 1
    assert row.last_error
