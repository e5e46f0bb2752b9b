"""Starting a real Celery worker process for a test, on its own queue; and the switch that runs
the suite (and its workers) as if today were another day."""

import datetime
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine
from celery import Celery

CELERY = str(Path(sys.executable).with_name("celery"))
ROOT = Path(__file__).resolve().parents[1]

# GRANTWATCH_TEST_TODAY=YYYY-MM-DD runs the suite as if today were that day (tests/conftest.py).
TODAY_VARIABLE = "GRANTWATCH_TEST_TODAY"
# How far the test process's clock is from the real one, in seconds, so that a worker it starts
# (tests/worker_at_day.py) reads the very same clock rather than starting again at 10:00.
CLOCK_OFFSET_VARIABLE = "GRANTWATCH_TEST_CLOCK_OFFSET"
TRAVEL_HOUR = datetime.time(10, 0)
BRUSSELS = ZoneInfo("Europe/Brussels")


def fixed_today(environ: Mapping[str, str | None] = os.environ) -> datetime.date | None:
    """The day GRANTWATCH_TEST_TODAY names, or None when it is not set (or empty). A value that
    is not a real YYYY-MM-DD day raises ValueError with a message naming the variable."""
    value = (environ.get(TODAY_VARIABLE) or "").strip()
    if not value:
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{TODAY_VARIABLE}={value!r} is not a day: give it as YYYY-MM-DD (e.g. "
            f"{TODAY_VARIABLE}=2027-02-28), or unset it to run on the real date"
        ) from None


def travel_to_day(day: datetime.date) -> time_machine.travel:
    """Time travel to ``day`` at 10:00 in Brussels, the clock ticking from there."""
    return time_machine.travel(datetime.datetime.combine(day, TRAVEL_HOUR, BRUSSELS), tick=True)


@contextmanager
def running_worker(
    environment: dict[str, str],
    log_path: Path,
    queue: str | None = None,
    pool: str = "solo",
    concurrency: int = 1,
):
    """Run ``celery --app backend.config worker`` with these environment variables, consuming a
    queue of its own (or ``queue``); yield the queue name and the worker's process id. The
    worker's output goes to ``log_path``. The pool is ``solo`` (the task runs in the worker's
    own process) unless ``pool`` says otherwise (``prefork``: in ``concurrency`` child
    processes).

    When GRANTWATCH_TEST_TODAY is set (for the whole suite, or in ``environment`` for one test)
    the worker runs through tests/worker_at_day.py, as if today were that day; if this process
    is travelling in time, the worker reads this process's clock exactly."""
    queue = queue or f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, **environment}
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
    # With GRANTWATCH_TEST_TODAY set, the worker runs as if on that day too, on this process's
    # clock (the worker starts its own time travel: tests/worker_at_day.py).
    env.pop(CLOCK_OFFSET_VARIABLE, None)
    if fixed_today(env) is not None:
        program = [sys.executable, "-m", "tests.worker_at_day"]
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        if time_machine.escape_hatch.is_travelling():
            offset = time.time() - time_machine.escape_hatch.time.time()
            env[CLOCK_OFFSET_VARIABLE] = repr(offset)
    else:
        program = [CELERY]
    command = [
        *program,
        "--app",
        "backend.config",
        "worker",
        "--pool",
        pool,
        "--concurrency",
        str(concurrency),
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--without-gossip",
        "--without-mingle",
        "--loglevel",
        "INFO",
    ]
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield queue, worker.pid
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def child_pids(pid: int) -> list[int]:
    """The process ids of a process's children (Linux: read from /proc)."""
    children = []
    for thread in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (thread / "children").read_text().split()]
    return children


def client_app(broker_url: str, result_backend: str, transport_options=None) -> Celery:
    """A bare Celery client that talks to the worker only through the broker and backend."""
    app = Celery("test-client", broker=broker_url, backend=result_backend, set_as_current=False)
    app.conf.broker_transport_options = transport_options or {}
    app.conf.accept_content = ["json"]
    app.conf.task_serializer = "json"
    return app


def database_url() -> str:
    """The URL of the test database (PostgreSQL), for a worker process to connect to."""
    from django.db import connection

    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_for(condition, seconds: float, interval: float = 0.05) -> float | None:
    """Seconds until the condition held, or None if it did not within the time."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(interval)
    return None
