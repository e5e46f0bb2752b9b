"""What makes a task survive its worker, without a worker: the tasks' options, the broker's
visibility timeout, the sweep batches that are sent again, and the metric of unfinished checks.
The tests with a real worker that is killed are in test_worker_loss.py."""

import datetime
import json
import os
import subprocess
import sys

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from prometheus_client.parser import text_string_to_metric_families

from backend.config.celery import app as celery_app
from monitoring import metrics
from monitoring.checks import check_projects
from monitoring.models import Flag, SweepBatch, SweepRun
from monitoring.sweeps import sweep_batch_finish, sweep_start
from monitoring.tasks import sweep_resend_task, sweep_task

pytestmark = pytest.mark.django_db

IDEMPOTENT_TASKS = [
    "monitoring.check_projects",
    "monitoring.sweep",
    "monitoring.sweep_resend",
    "monitoring.send_reminders",
    "monitoring.send_digests",
]
TOKEN = "metrics-token-for-the-tests"


@pytest.mark.parametrize("name", IDEMPOTENT_TASKS)
def test_an_idempotent_task_runs_again_when_its_worker_dies_and_stores_no_result(name, settings):
    task = celery_app.tasks[name]

    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert task.ignore_result is True
    soft, hard = settings.GRANTWATCH_TASK_TIME_LIMITS[name]
    assert (task.soft_time_limit, task.time_limit) == (soft, hard)
    assert 0 < soft < hard < settings.GRANTWATCH_VISIBILITY_TIMEOUT


def test_the_ping_keeps_its_result_for_whoever_sent_it(settings):
    ping = celery_app.tasks["monitoring.ping"]

    assert ping.ignore_result is False
    assert (ping.soft_time_limit, ping.time_limit) == settings.GRANTWATCH_TASK_TIME_LIMITS[
        "monitoring.ping"
    ]


def _settings_with(**environment) -> dict:
    """The broker's transport options and the visibility timeout, as settings read them from
    this environment (in a fresh process)."""
    program = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.CELERY_BROKER_TRANSPORT_OPTIONS, "
        "settings.GRANTWATCH_VISIBILITY_TIMEOUT]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "backend.config.settings", **environment}
    env.pop("GRANTWATCH_VISIBILITY_TIMEOUT", None)
    env.update(environment)
    done = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True
    )
    options, timeout = json.loads(done.stdout.strip().splitlines()[-1])
    return {"options": options, "timeout": timeout}


def test_a_redis_broker_hands_out_a_dead_workers_task_just_after_the_longest_hard_limit(
    settings, tmp_path
):
    longest = max(hard for _soft, hard in settings.GRANTWATCH_TASK_TIME_LIMITS.values())

    on_redis = _settings_with(
        CELERY_BROKER_URL="redis://127.0.0.1:6379/9", GRANTWATCH_VAR_DIR=str(tmp_path)
    )
    shortened = _settings_with(
        CELERY_BROKER_URL="redis://127.0.0.1:6379/9",
        GRANTWATCH_VAR_DIR=str(tmp_path),
        GRANTWATCH_VISIBILITY_TIMEOUT="7",
    )
    embedded = _settings_with(CELERY_BROKER_URL="filesystem://", GRANTWATCH_VAR_DIR=str(tmp_path))

    assert on_redis["options"]["visibility_timeout"] == on_redis["timeout"] == longest + 60
    assert on_redis["options"]["unacked_restore_interval"] == 10
    assert on_redis["options"]["unacked_restore_throttle"] == 1
    assert shortened["options"] == {
        "visibility_timeout": 7,
        "unacked_restore_interval": 7,
        "unacked_restore_throttle": 1,
        "queue_order_strategy": "priority",
    }
    assert "visibility_timeout" not in embedded["options"]
    assert embedded["options"]["data_folder_in"] == str(tmp_path / "celery" / "queue")


# -- the sweep's batches, sent again when they did not finish -----------------------------------


def test_a_sweep_records_each_batchs_projects_and_when_it_was_sent(grant, other_grant, settings):
    settings.GRANTWATCH_SWEEP_BATCH_SIZE = 1

    sweep_task.delay()

    run = SweepRun.objects.get()
    batches = list(run.batch_records.order_by("number"))
    assert sorted(id_ for batch in batches for id_ in batch.project_ids) == sorted(
        [grant.pk, other_grant.pk]
    )
    assert [len(batch.project_ids) for batch in batches] == [1, 1]
    assert all(batch.sent_at == run.started_at and batch.sends == 1 for batch in batches)
    assert all(batch.finished_at is not None for batch in batches)
    assert run.finished_at is not None


def _open_flags(project) -> set[str]:
    return set(
        Flag.objects.filter(project=project, resolved_at__isnull=True).values_list(
            "fingerprint", flat=True
        )
    )


def test_a_batch_not_finished_a_visibility_timeout_after_it_was_sent_is_sent_again(
    grant, other_grant, settings
):
    check_projects([grant.pk, other_grant.pk], now=timezone.now())  # a clean run
    clean = {project.pk: _open_flags(project) for project in (grant, other_grant)}
    assert clean[other_grant.pk], "the grant has something to flag"
    Flag.objects.all().delete()
    sent = timezone.now()
    run = sweep_start(batches=[[grant.pk], [other_grant.pk]], now=sent)
    # The first batch ran (and raised its flags); the second was lost with its worker.
    sweep_batch_finish(sweep_id=run.pk, number=1, now=sent)
    timeout = datetime.timedelta(seconds=settings.GRANTWATCH_VISIBILITY_TIMEOUT)

    with time_machine.travel(sent + timeout - datetime.timedelta(seconds=1), tick=False):
        too_soon = sweep_resend_task.delay().get()
    assert too_soon == {"resent": []}
    assert _open_flags(other_grant) == set()

    with time_machine.travel(sent + timeout + datetime.timedelta(seconds=1), tick=False):
        resent = sweep_resend_task.delay().get()

    assert resent == {"resent": [[run.pk, 2]]}
    assert _open_flags(other_grant) == clean[other_grant.pk]
    second = SweepBatch.objects.get(sweep=run, number=2)
    assert second.sends == 2
    assert second.sent_at == sent + timeout + datetime.timedelta(seconds=1)
    assert second.finished_at is not None
    run.refresh_from_db()
    assert run.finished_at is not None
    assert SweepBatch.objects.get(sweep=run, number=1).sends == 1


def _fail(*args, **kwargs):
    raise KeyError("a bug in a check")


def test_a_batch_that_keeps_failing_is_sent_at_most_the_set_number_of_times(
    grant, settings, monkeypatch, caplog
):
    settings.GRANTWATCH_SWEEP_BATCH_MAX_SENDS = 3
    sent = timezone.now()
    run = sweep_start(batches=[[grant.pk]], now=sent)
    monkeypatch.setattr("monitoring.tasks.check_projects", _fail)
    timeout = datetime.timedelta(seconds=settings.GRANTWATCH_VISIBILITY_TIMEOUT + 1)
    celery_app.conf.task_eager_propagates = False
    answers = []
    try:
        for rounds in range(1, 5):
            with time_machine.travel(sent + rounds * timeout, tick=False):
                answers.append(sweep_resend_task.delay().get())
    finally:
        celery_app.conf.task_eager_propagates = True

    assert answers == [{"resent": [[run.pk, 1]]}] * 2 + [{"resent": []}] * 2
    batch = SweepBatch.objects.get(sweep=run)
    assert (batch.sends, batch.finished_at) == (3, None)
    assert batch.sent_at == sent + 2 * timeout
    run.refresh_from_db()
    assert run.finished_at is None
    resent = [r for r in caplog.records if getattr(r, "event", "") == "sweep_batch_resent"]
    assert [(r.sweep_id, r.batch, r.sends) for r in resent] == [(run.pk, 1, 2), (run.pk, 1, 3)]


# -- the metric of checks handed out and not done -----------------------------------------------


@pytest.fixture
def scrape(client, settings, monkeypatch):
    settings.GRANTWATCH_METRICS_TOKEN = TOKEN
    monkeypatch.setattr(metrics, "PING_TIMEOUT_SECONDS", 0.05)
    metrics.worker_ping.forget()

    def scrape() -> dict[str, float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        families = text_string_to_metric_families(response.content.decode())
        return {
            sample.name: sample.value
            for family in families
            if family.name.startswith("grantwatch_sweep_unfinished")
            for sample in family.samples
        }

    yield scrape
    metrics.worker_ping.forget()


AGE = "grantwatch_sweep_unfinished_batch_age_seconds"
COUNT = "grantwatch_sweep_unfinished_batches"


def test_the_age_of_the_oldest_unfinished_batch_since_the_last_successful_sweep(scrape):
    started = timezone.now()
    with time_machine.travel(started, tick=False):
        assert scrape() == {AGE: 0.0, COUNT: 0.0}, "no sweep yet"
        stuck = sweep_start(batches=[[1], [2], [3]], now=started)
        sweep_batch_finish(sweep_id=stuck.pk, number=2, now=started)

    with time_machine.travel(started + datetime.timedelta(minutes=40), tick=False):
        assert scrape() == {AGE: 40 * 60.0, COUNT: 2.0}

    # A later sweep succeeds: the stuck one is overtaken, its projects checked since.
    later = started + datetime.timedelta(hours=1)
    done = sweep_start(batches=[[1, 2, 3]], now=later)
    sweep_batch_finish(sweep_id=done.pk, number=1, now=later)
    with time_machine.travel(later + datetime.timedelta(minutes=5), tick=False):
        assert scrape() == {AGE: 0.0, COUNT: 0.0}

    # The next one does not finish: counted from its own start.
    next_start = later + datetime.timedelta(hours=1)
    sweep_start(batches=[[1], [2]], now=next_start)
    with time_machine.travel(next_start + datetime.timedelta(minutes=3), tick=False):
        assert scrape() == {AGE: 3 * 60.0, COUNT: 2.0}


def test_beat_sends_unfinished_batches_again_every_five_minutes():
    task = PeriodicTask.objects.select_related("interval").get(task="monitoring.sweep_resend")

    assert task.enabled is True
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    assert task.task in celery_app.tasks
