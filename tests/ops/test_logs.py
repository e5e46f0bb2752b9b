"""Logs are JSON lines carrying the request id, the user id and the task id; the flag store
writes one line per flag raised or resolved."""

import io
import json
import logging
import os
import subprocess
import sys
import uuid

import pytest
from django.utils import timezone
from pythonjsonlogger.json import JsonFormatter

from monitoring.flags import Finding, flags_sync
from monitoring.models import Flag
from monitoring.tasks import check_projects_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_log():
    """What the configured console handler (settings.LOGGING) writes, parsed line by line."""
    root = logging.getLogger()
    (console,) = [handler for handler in root.handlers if handler.get_name() == "console"]
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(console.formatter)
    for log_filter in console.filters:
        handler.addFilter(log_filter)
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)

    def lines(logger: str | None = None) -> list[dict]:
        parsed = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
        return [line for line in parsed if logger is None or line["logger"] == logger]

    yield lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_the_console_writes_json():
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]

    assert isinstance(console.formatter, JsonFormatter)


def test_a_request_writes_one_line_with_its_request_id_and_user(client, officer, json_log):
    client.force_login(officer)

    response = client.get("/api/v1/me")

    assert response.status_code == 200
    (line,) = json_log("grantwatch.request")
    request_id = response["X-Request-ID"]
    assert uuid.UUID(request_id)
    assert line["request_id"] == request_id
    assert line["user_id"] == officer.pk
    assert line["task_id"] is None
    assert (line["event"], line["method"], line["path"], line["status"]) == (
        "request",
        "GET",
        "/api/v1/me",
        200,
    )
    assert line["level"] == "INFO"
    assert line["time"]
    assert line["duration_ms"] >= 0
    assert line["message"].startswith("GET /api/v1/me 200 ")


def test_the_proxys_request_id_is_kept(client, json_log):
    given = str(uuid.uuid4())

    response = client.get("/api/v1/me", HTTP_X_REQUEST_ID=given)

    assert response.status_code == 401
    assert response["X-Request-ID"] == given
    (line,) = json_log("grantwatch.request")
    assert (line["request_id"], line["user_id"], line["status"]) == (given, None, 401)


def test_each_request_gets_its_own_id_and_forgets_it_afterwards(client, json_log):
    first = client.get("/api/v1/me")["X-Request-ID"]
    second = client.get("/api/v1/me")["X-Request-ID"]
    logging.getLogger("tests.after").info("after the requests")

    assert first != second
    assert [line["request_id"] for line in json_log("grantwatch.request")] == [first, second]
    (after,) = json_log("tests.after")
    assert after["request_id"] is None


def test_a_tasks_lines_carry_its_task_id(other_project, json_log):
    check_projects_task.apply_async(args=[[other_project.pk]], task_id="check-task-1")

    lines = json_log("monitoring.flags")
    assert lines, "the check raised no flag"
    assert {line["task_id"] for line in lines} == {"check-task-1"}


def test_one_json_line_per_flag_raised_and_resolved(other_project, json_log):
    def finding(name):
        return Finding(
            project_id=other_project.pk,
            kind="eligibility_breach",
            severity="critical",
            fingerprint=f"eligibility_breach:{name}",
            explanation={"en": name},
        )

    def sync(findings):
        flags_sync(
            project_ids=[other_project.pk],
            kinds=["eligibility_breach"],
            findings=findings,
            now=timezone.now(),
        )

    Flag.objects.filter(project=other_project).delete()
    sync([finding("a"), finding("b")])
    sync([finding("a")])

    lines = json_log("monitoring.flags")
    resolved = Flag.objects.get(fingerprint="eligibility_breach:b")
    fields = ["event", "flag_id", "project_id", "kind", "fingerprint"]
    assert [{name: line[name] for name in fields} for line in lines] == [
        # The insert that raises flags skips conflicts and so learns no ids (flags_sync).
        {
            "event": "flag_raised",
            "flag_id": None,
            "project_id": other_project.pk,
            "kind": "eligibility_breach",
            "fingerprint": "eligibility_breach:a",
        },
        {
            "event": "flag_raised",
            "flag_id": None,
            "project_id": other_project.pk,
            "kind": "eligibility_breach",
            "fingerprint": "eligibility_breach:b",
        },
        {
            "event": "flag_resolved",
            "flag_id": resolved.pk,
            "project_id": other_project.pk,
            "kind": "eligibility_breach",
            "fingerprint": "eligibility_breach:b",
        },
    ]
    assert [line.get("severity") for line in lines[:2]] == ["critical", "critical"]
    assert lines[2]["resolution"] == "auto"


def test_the_worker_and_beat_log_json_too(tmp_path):
    """Celery asks for its logging through setup_logging: backend/config/celery.py answers
    with settings.LOGGING instead of Celery's own format."""
    code = (
        "import logging; from backend.config import celery_app; "
        "celery_app.log.setup(loglevel='INFO'); "
        "logging.getLogger('celery.worker').info('worker ready')"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "backend.config.settings",
        "GRANTWATCH_VAR_DIR": str(tmp_path),
    }
    env.pop("LOG_FORMAT", None)

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("celery.worker", "worker ready")
    ], result.stderr
    assert {"time", "level", "request_id", "user_id", "task_id"} <= set(lines[0])


def test_djangos_line_about_a_refused_request_carries_the_request_id_too(client, officer, json_log):
    client.force_login(officer)

    response = client.get("/api/v1/flags/999999/")

    assert response.status_code == 404
    (line,) = json_log("django.request")
    assert (line["request_id"], line["user_id"]) == (response["X-Request-ID"], officer.pk)
    assert line["message"] == "Not Found: /api/v1/flags/999999/"
