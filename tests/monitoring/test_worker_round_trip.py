"""A task's round trip through a real Celery worker process: sent through the broker, run by
the worker, its result read back from the result backend."""

import os
import uuid

import pytest

from tests.conftest import redis_url
from tests.workers import client_app, running_worker

pytestmark = pytest.mark.worker


def _round_trip(app, queue: str, log_path) -> dict:
    token = uuid.uuid4().hex
    result = app.send_task("monitoring.ping", args=[token], queue=queue)
    try:
        answer = result.get(timeout=90)
    except Exception:
        print(log_path.read_text(errors="replace"))
        raise
    assert answer["token"] == token
    return answer


def test_a_task_round_trips_through_a_worker_on_the_embedded_filesystem_broker(
    tmp_path, monkeypatch
):
    # Celery lets these variables override an app's own configuration, so the client below
    # would talk to CI's Redis instead of the filesystem broker if they stayed set.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    var_dir = tmp_path / "var"
    queue_dir = var_dir / "celery" / "queue"
    results_dir = var_dir / "celery" / "results"
    log_path = tmp_path / "worker.log"
    environment = {
        "GRANTWATCH_VAR_DIR": str(var_dir),
        "CELERY_BROKER_URL": None,  # the embedded default
        "CELERY_RESULT_BACKEND": None,
    }

    with running_worker(environment, log_path) as (queue, worker_pid):
        app = client_app(
            "filesystem://",
            f"file://{results_dir}",
            {
                "data_folder_in": str(queue_dir),
                "data_folder_out": str(queue_dir),
                "processed_folder": str(var_dir / "celery" / "processed"),
                "control_folder": str(var_dir / "celery" / "control"),
            },
        )
        queue_dir.mkdir(parents=True, exist_ok=True)
        results_dir.mkdir(parents=True, exist_ok=True)
        answer = _round_trip(app, queue, log_path)

    assert answer["pid"] == worker_pid != os.getpid()
    assert any(results_dir.iterdir()), "the result went through the file result backend"


@pytest.mark.redis
def test_a_task_round_trips_through_a_worker_on_redis(tmp_path):
    url = redis_url()
    log_path = tmp_path / "worker.log"
    environment = {
        "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
        "CELERY_BROKER_URL": url,
        "CELERY_RESULT_BACKEND": url,
    }

    with running_worker(environment, log_path) as (queue, worker_pid):
        answer = _round_trip(client_app(url, url), queue, log_path)

    assert answer["pid"] == worker_pid != os.getpid()
