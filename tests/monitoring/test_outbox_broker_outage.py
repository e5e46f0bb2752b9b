"""A broker outage, for real: a private Redis server and a Celery worker on it. With Redis
stopped, an amendment approval, a grant import, an evidence upload and a deliverable submission
through the API each answer their normal status within a second, save their data and leave their
check in the outbox; once Redis is back, beat's relay hands the checks to the worker, which runs
them, and the flags are those a clean check of the same projects gives."""

import datetime
import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from backend.amendments.services import amendment_create, amendment_submit
from backend.amendments.validation import ChangeInput
from backend.common.dates import brussels_today
from backend.config.celery import app as celery_app
from backend.grants.models import Project
from backend.workplan.models import Deliverable, EvidenceFile
from backend.workplan.services import deliverable_evidence_upload
from monitoring.checks import check_projects
from monitoring.models import Flag, PendingCheck
from tests.conftest import DATA_DIR, IN_CI
from tests.workers import client_app, running_worker
from tests.workplan.files import PDF, upload

pytestmark = [
    pytest.mark.worker,
    pytest.mark.postgres,
    # The worker reads what the test commits; the reference data the migrations loaded is
    # put back for the tests after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RELAY = "monitoring.relay_outbox"  # the task beat sends
ANSWER_WITHIN = 1.0  # seconds a write may take with the broker down
RELAYED_WITHIN = 60.0  # seconds for the relay and the checks once the broker is back


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


class RedisServer:
    """A redis-server of the test's own, on a free port, that the test stops and starts."""

    def __init__(self, tmp_path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = tmp_path
        self.process: subprocess.Popen | None = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--daemonize", "no"]
        command += ["--dir", str(self.directory)]
        self.process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert _wait_for(self._answers, 10), "redis-server did not start"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
        assert not self._answers()


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        reason = "needs redis-server (apt-get install redis-server)"
        if IN_CI:
            pytest.fail(f"CI=true and a service is missing: {reason}", pytrace=False)
        pytest.skip(reason)
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def worker(redis_server, tmp_path, settings, monkeypatch):
    """A worker on the private Redis, reading the test database; the test process publishes
    there too (Celery lets the environment variables override an app's configuration)."""
    settings.CELERY_BROKER_URL = redis_server.url
    monkeypatch.setenv("CELERY_BROKER_URL", redis_server.url)
    monkeypatch.setenv("CELERY_RESULT_BACKEND", redis_server.url)
    celery_app.close()
    celery_app.conf.task_always_eager = False
    environment = {
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": redis_server.url,
        "CELERY_RESULT_BACKEND": redis_server.url,
        "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
        # The marks of the queued checks live in the cache: the worker clears them in the
        # test's (which stays up), as a worker does in the web processes' cache.
        "CACHE_URL": settings.CACHES["default"]["LOCATION"],
    }
    log = tmp_path / "worker.log"
    queue = celery_app.conf.task_default_queue
    try:
        with running_worker(environment, log, queue=queue) as running:
            yield log, running
    finally:
        celery_app.close()
        print(log.read_text(errors="replace")[-5000:])


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _checks_done(log) -> int:
    """The check tasks the worker finished, from its log."""
    return sum(
        1
        for line in log.read_text(errors="replace").splitlines()
        if "monitoring.check_projects[" in line and "succeeded" in line
    )


def _open_flags(project_ids) -> set[tuple[int, str]]:
    return set(
        Flag.objects.filter(project__in=project_ids, resolved_at__isnull=True).values_list(
            "project_id", "fingerprint"
        )
    )


def _prepare(grant, grant_users) -> dict:
    """Before the outage: a submitted amendment and a deliverable with its file, ready for
    approval and submission; their own checks go through while the broker is up."""
    manager = grant_users["manager"]
    yesterday = brussels_today() - datetime.timedelta(days=1)
    amendment = amendment_create(
        project=grant,
        user=manager,
        justification="The Latvian tourism agency leaves the consortium.",
        changes=[
            ChangeInput(kind="terminate_participation", participant="LVTDA", effective_on=yesterday)
        ],
    )
    amendment_submit(request=amendment, user=manager)
    d11, d21 = grant.deliverables.get(code="D1.1"), grant.deliverables.get(code="D2.1")
    deliverable_evidence_upload(deliverable=d21, user=manager, upload=upload("d21.pdf", PDF))
    return {"amendment": amendment, "upload_to": d11, "submit": d21}


def _writes(grant, grant_users, prepared) -> dict:
    """The four writes, through the API, each timed: name -> (response, seconds)."""
    manager, officer = APIClient(), APIClient()
    manager.force_authenticate(grant_users["manager"])
    officer.force_authenticate(grant_users["officer"])
    base = f"/api/v1/projects/{grant.pk}"
    # The first requests of the process load the URLs and views: not what is measured here.
    for client in (manager, officer):
        assert client.get(f"{base}/amendments/").status_code == 200
    amendment = prepared["amendment"]
    d11, d21 = prepared["upload_to"], prepared["submit"]
    return {
        "amendment approval": _timed(
            lambda: officer.post(
                f"{base}/amendments/{amendment.pk}/approve",
                {"note": "Accepted.", "override_justification": "A replacement is recruited."},
                format="json",
            )
        ),
        "grant import": _timed(
            lambda: officer.post(
                "/api/v1/grants/import",
                (DATA_DIR / "spec-example.yaml").read_bytes(),
                content_type="application/yaml",
            )
        ),
        "evidence upload": _timed(
            lambda: manager.post(
                f"{base}/deliverables/{d11.pk}/evidence",
                {"file": upload("d11.pdf", PDF)},
                format="multipart",
            )
        ),
        "deliverable submission": _timed(
            lambda: manager.post(f"{base}/deliverables/{d21.pk}/submit")
        ),
    }


def test_with_the_broker_down_writes_answer_at_once_and_their_checks_run_when_it_is_back(
    grant, grant_users, redis_server, worker
):
    log, (queue, _pid) = worker
    prepared = _prepare(grant, grant_users)
    # The broker is up: the preparation's checks are relayed and run (a task still waiting in
    # Redis when it stops would be lost with it: the test's Redis keeps nothing on disk).
    broker = redis.Redis.from_url(redis_server.url)
    assert _wait_for(
        lambda: (
            not PendingCheck.objects.exists()
            and broker.llen(queue) == broker.llen(f"{queue}.checks") == 0
            and _checks_done(log) >= 1
        ),
        RELAYED_WITHIN,
    )
    time.sleep(1)  # the last check's commit

    redis_server.stop()
    answers = _writes(grant, grant_users, prepared)

    statuses = {
        name: (response.status_code, response.content) for name, (response, _) in answers.items()
    }
    expected = {
        "amendment approval": 200,
        "grant import": 201,
        "evidence upload": 201,
        "deliverable submission": 200,
    }
    assert {name: status for name, (status, _) in statuses.items()} == expected, statuses
    slow = {name: seconds for name, (_, seconds) in answers.items() if seconds >= ANSWER_WITHIN}
    assert slow == {}, f"writes slower than {ANSWER_WITHIN} s with the broker down: {slow}"
    # The data is saved.
    prepared["amendment"].refresh_from_db()
    assert prepared["amendment"].status == "approved"
    imported = Project.objects.get(pk=answers["grant import"][0].json()["id"])
    assert EvidenceFile.objects.filter(deliverable=prepared["upload_to"], current=True).exists()
    assert Deliverable.objects.get(pk=prepared["submit"].pk).status == "submitted"
    # The checks wait in the outbox; none ran for the imported project.
    waiting = PendingCheck.objects.get(project=imported)
    assert waiting.attempts >= 1
    assert waiting.last_error
    assert PendingCheck.objects.get(project=grant).requests >= 3
    assert _open_flags([imported.pk]) == set()

    checks_before = _checks_done(log)
    redis_server.start()
    beat = client_app(redis_server.url, redis_server.url)

    def relayed() -> bool:
        # What beat sends every few seconds. A Redis restarted empty routes nothing to the
        # worker's queue until the worker is back: a relay sent before is not taken, the next is.
        beat.send_task(RELAY, queue=queue, ignore_result=True)
        return _wait_for(lambda: not PendingCheck.objects.exists(), 2)

    assert _wait_for(relayed, RELAYED_WITHIN), "the outbox was not emptied"
    # One check task for the two projects: the burst of changes to the grant is one check.
    assert _wait_for(lambda: _checks_done(log) > checks_before, RELAYED_WITHIN)
    assert _checks_done(log) == checks_before + 1
    after_outage = _open_flags([grant.pk, imported.pk])
    assert {project for project, _ in after_outage} == {grant.pk, imported.pk}
    # A clean run finds nothing to raise or resolve: the flags are what it would leave.
    clean = check_projects([grant.pk, imported.pk], now=timezone.now())
    assert (clean.raised, clean.resolved) == ((), ())
    assert _open_flags([grant.pk, imported.pk]) == after_outage
