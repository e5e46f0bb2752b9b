"""gunicorn as the web container runs it (backend/config/gunicorn.py): several worker
processes, one /metrics adding up the request metrics of all of them, JSON logs."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from prometheus_client.parser import text_string_to_metric_families

TOKEN = "gunicorn-test-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    # As the TLS-terminating proxy in front sends it: production redirects plain HTTP.
    request = urllib.request.Request(
        url, headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """gunicorn with two workers on a free port, embedded settings in tmp_path (an empty
    SQLite database: the compliance metrics then report the database as down)."""
    tmp_path = tmp_path_factory.mktemp("gunicorn")
    port = _free_port()
    multiproc = tmp_path / "prometheus"
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "backend.config.settings",
            "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
            "DEBUG": "false",
            "SECRET_KEY": "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1",
            "GRANTWATCH_METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
            "LOG_FORMAT": "json",
        }
    )
    multiproc.mkdir()
    (multiproc / "counter_999999.db").write_bytes(b"stale")  # a previous run's: removed
    log_path = tmp_path / "gunicorn.log"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:backend.config.gunicorn",
        "backend.config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(f"{base}/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield base, multiproc, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_metrics_add_up_every_gunicorn_worker(gunicorn):
    base, multiproc, _ = gunicorn
    for _ in range(30):
        assert _get(f"{base}/healthz")[0] == 200

    status, body = _get(f"{base}/metrics", TOKEN)

    assert status == 200, body
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    ok = [
        sample.value
        for sample in families["django_http_responses_total_by_status"].samples
        if sample.name.endswith("_total") and sample.labels.get("status") == "200"
    ]
    # 30 here, the readiness polls before, summed over the processes that answered them.
    assert sum(ok) >= 30
    pids = {path.stem.rsplit("_", 1)[1] for path in multiproc.glob("counter_*.db")}
    assert "999999" not in pids, "gunicorn should empty the folder when it starts"
    assert pids, "no worker wrote its metrics"
    # The database is empty (not migrated): the compliance part says so instead of failing.
    database_up = families["grantwatch_database_up"].samples[0].value
    assert database_up == 0
    assert _get(f"{base}/metrics")[0] == 403


def test_gunicorn_and_the_application_log_json(gunicorn):
    base, _, log_path = gunicorn
    _get(f"{base}/api/v1/me")
    time.sleep(0.5)

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    loggers = {line["logger"] for line in lines}
    assert "gunicorn.error" in loggers  # "Booting worker with pid ..."
    requests = [line for line in lines if line["logger"] == "grantwatch.request"]
    assert [(line["path"], line["status"]) for line in requests] == [("/api/v1/me", 401)]
    assert requests[0]["request_id"]
    plain = [line for line in log_path.read_text().splitlines() if not line.startswith("{")]
    assert plain == [], plain
