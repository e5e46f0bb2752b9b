"""GET /metrics: only with the token; the compliance gauges are the database's counts."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model

from backend.common.dates import BRUSSELS
from backend.config.celery import app as celery_app
from backend.grantfile.services import grant_file_import
from monitoring.models import Flag, FlagKind, Severity, SweepBatch, SweepRun, TaskFailure
from monitoring.tasks import send_reminders_task, sweep_task
from tests.conftest import DEMO
from tests.ops.conftest import TOKEN, value

# M25 of CARETECH (the demo grant file, as filed), and SECOVE (the spec example, whose consortium
# breaks the rules) still runs: the sweep checks both.
SWEPT_ON = datetime.datetime(2026, 3, 2, 3, 15, tzinfo=BRUSSELS)

pytestmark = pytest.mark.django_db


# -- who may read them --------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, f"Bearer {TOKEN}", "Bearer "])
def test_without_a_configured_token_there_are_no_metrics(client, settings, authorization):
    settings.GRANTWATCH_METRICS_TOKEN = ""
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", **headers)

    assert response.status_code == 404
    assert b"grantwatch_" not in response.content


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Token {TOKEN}", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x"],
)
def test_without_the_token_the_metrics_are_forbidden(client, metrics_token, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = client.get("/metrics", **headers)

    assert response.status_code == 403
    assert b"grantwatch_" not in response.content


def test_a_logged_in_administrator_needs_the_token_too(client, metrics_token):
    client.force_login(get_user_model().objects.create_superuser("root", password="x"))

    assert client.get("/metrics").status_code == 403


def test_with_the_token_prometheus_reads_them(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    assert b"grantwatch_open_flags" in response.content


# -- what they say ------------------------------------------------------------------------------


def test_after_a_sweep_the_compliance_gauges_equal_the_database_counts(scrape, spec_example_bytes):
    with time_machine.travel(SWEPT_ON, tick=True):
        grant_file_import(content=DEMO.read_bytes())
        grant_file_import(content=spec_example_bytes)
        outcome = sweep_task.delay().get()
        families = scrape()

    assert outcome["projects"] == 2
    open_flags = Flag.objects.filter(resolved_at__isnull=True)
    gauges = {
        (sample.labels["kind"], sample.labels["severity"]): sample.value
        for sample in families["grantwatch_open_flags"].samples
    }
    assert gauges == {
        (kind, severity): open_flags.filter(kind=kind, severity=severity).count()
        for kind in FlagKind.values
        for severity in Severity.values
    }
    assert sum(gauges.values()) == open_flags.count() > 0
    in_breach = (
        open_flags.filter(kind=FlagKind.ELIGIBILITY_BREACH).values("project").distinct().count()
    )
    assert value(families, "grantwatch_projects_in_breach") == in_breach == 1
    assert value(families, "grantwatch_instalments_blocked") == (
        open_flags.filter(kind=FlagKind.INSTALMENT_BLOCKED).count()
    )
    assert value(families, "grantwatch_instalments_ready") == (
        open_flags.filter(kind=FlagKind.INSTALMENT_READY).count()
    )
    run = SweepRun.objects.get()
    assert run.finished_at is not None
    assert run.batches == SweepBatch.objects.count() == 1
    assert not SweepBatch.objects.filter(finished_at__isnull=True).exists()
    assert value(families, "grantwatch_sweep_last_success_timestamp_seconds") == (
        run.finished_at.timestamp()
    )
    assert value(families, "grantwatch_sweep_last_success_duration_seconds") == (
        run.duration_seconds
    )
    assert run.duration_seconds == (run.finished_at - run.started_at).total_seconds() > 0
    assert value(families, "grantwatch_sweep_last_success_projects") == run.projects == 2
    assert value(families, "grantwatch_sweep_last_started_timestamp_seconds") == (
        run.started_at.timestamp()
    )
    assert families["grantwatch_task_failures"].samples == [] == list(TaskFailure.objects.all())
    assert value(families, "grantwatch_database_up") == 1


def test_a_sweep_whose_batch_failed_is_not_a_success(scrape, settings, monkeypatch):
    settings.GRANTWATCH_SWEEP_BATCH_SIZE = 1
    with time_machine.travel(SWEPT_ON, tick=True):
        grant_file_import(content=DEMO.read_bytes())
        sweep_task.delay().get()
        first = SweepRun.objects.get()
        monkeypatch.setattr("monitoring.tasks.check_projects", _fail)
        # Eagerly, a batch's error would otherwise end the sweep task at once.
        celery_app.conf.task_eager_propagates = False
        try:
            failed = sweep_task.apply()
        finally:
            celery_app.conf.task_eager_propagates = True
        families = scrape()

    assert failed.state == "SUCCESS"  # the sweep handed out its batches; one failed
    second = SweepRun.objects.exclude(pk=first.pk).get()
    assert second.finished_at is None
    assert value(families, "grantwatch_sweep_last_success_timestamp_seconds") == (
        first.finished_at.timestamp()
    )
    assert value(families, "grantwatch_sweep_last_started_timestamp_seconds") == (
        second.started_at.timestamp()
    )
    assert value(families, "grantwatch_task_failures_total", task="monitoring.check_projects") == 1
    assert [sample.labels for sample in families["grantwatch_task_failures"].samples] == [
        {"task": "monitoring.check_projects"}
    ]


def _fail(*args, **kwargs):
    raise KeyError("a bug in a check")


def test_a_task_that_fails_for_good_is_counted(scrape, monkeypatch):
    def fail(**kwargs):
        raise ValueError("the mail server said no")

    monkeypatch.setattr("monitoring.tasks.reminders_send", fail)

    result = send_reminders_task.apply(throw=False, task_id="reminders-1")

    assert result.state == "FAILURE"
    failure = TaskFailure.objects.get()
    assert (failure.task_name, failure.task_id, failure.exception, failure.message) == (
        "monitoring.send_reminders",
        "reminders-1",
        "ValueError",
        "the mail server said no",
    )
    assert value(scrape(), "grantwatch_task_failures_total", task="monitoring.send_reminders") == 1


def test_no_sweep_yet_reads_as_never(scrape):
    families = scrape()

    assert value(families, "grantwatch_sweep_last_success_timestamp_seconds") == 0
    assert value(families, "grantwatch_sweep_last_started_timestamp_seconds") == 0


def test_the_broker_the_queue_and_the_workers(scrape, settings):
    families = scrape()

    assert value(families, "grantwatch_broker_up") == 1
    for queue in (settings.GRANTWATCH_CHECKS_QUEUE, settings.CELERY_TASK_DEFAULT_QUEUE):
        assert value(families, "grantwatch_broker_queue_length", queue=queue) >= 0
    assert value(families, "grantwatch_workers_alive") >= 0


def test_an_unreachable_broker_reads_as_down_with_no_worker(scrape, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    families = scrape()

    assert value(families, "grantwatch_broker_up") == 0
    assert value(families, "grantwatch_workers_alive") == 0
    assert families.get("grantwatch_broker_queue_length") is None
    assert value(families, "grantwatch_database_up") == 1


def test_requests_and_statements_are_counted(client, scrape):
    before = scrape()
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    list(Flag.objects.all())
    list(Flag.objects.all())
    after = scrape()

    def difference(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    # The three requests, and the first scrape itself.
    assert difference("django_http_responses_total_by_status_total", status="200") == 4
    assert difference("django_http_requests_total_by_method_total", method="GET") == 4
    assert difference("django_db_execute_total", alias="default", vendor=_vendor()) >= 2


def _vendor() -> str:
    from django.db import connection

    return connection.vendor
