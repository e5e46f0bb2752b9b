"""Benchmarks that print figures (``make bench``); nothing here asserts a time.

BENCH_PROJECTS (default 10000) sets the portfolio size, BENCH_DATABASES (default
"sqlite,postgresql") which databases are measured.

For each database (a throwaway SQLite file, and a throwaway PostgreSQL database when a server
answers at BENCH_POSTGRES_URL):

1. seed-portfolio: seeds BENCH_PROJECTS projects (default 10,000) in two steps (a tenth, then
   the rest) and prints the time, rows per second and peak memory of each step (PostgreSQL's
   statistics are refreshed afterwards, as autovacuum would);
2. queries per sweep batch, measured in-process on the portfolio at a tenth and at full size;
3. the sweep end to end through a real Celery worker (prefork, 2 processes) on Redis when it
   answers at BENCH_REDIS_URL, else on the embedded filesystem broker: the wall time from
   sending the sweep to the last batch done, once with no flags yet (every finding raised) and
   once more (every flag refreshed), with the peak memory of the worker's processes.
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

PROJECTS = int(os.environ.get("BENCH_PROJECTS", "10000"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DATABASES = os.environ.get("BENCH_DATABASES", "sqlite,postgresql").split(",")
CELERY = str(Path(sys.executable).with_name("celery"))


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def _run(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run a command; return (seconds, peak memory in MiB, output)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss // 1024, output


def _grantwatch(*args: str, env: dict[str, str]) -> tuple[float, int, str]:
    return _run([sys.executable, "-m", "backend.cli", *args], env)


def _last_line(output: str, prefix: str) -> str:
    return next((line for line in reversed(output.splitlines()) if line.startswith(prefix)), "")


def _seed(count: int, seed: int, label: str, env: dict[str, str]) -> None:
    seconds, peak, output = _grantwatch(
        "seed-portfolio", "--projects", str(count), "--seed", str(seed), env=env
    )
    print(f"  seed-portfolio +{count:,} projects on {label}: {seconds:.1f} s, peak {peak} MiB")
    print(f"      {_last_line(output, 'Seeded ')}")


def _batch_queries(env: dict[str, str]) -> str:
    _seconds, _peak, output = _run([sys.executable, "-m", "benchmarks.sweep_probe", "queries"], env)
    return _last_line(output, "queries")


class _MemorySampler(threading.Thread):
    """Samples the resident memory of a process and its children (from /proc)."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_total = 0
        self.peak_process = 0
        self.stopped = threading.Event()

    def _tree(self) -> list[int]:
        pids, queue = [], [self.pid]
        while queue:
            pid = queue.pop()
            pids.append(pid)
            try:
                children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            except OSError:
                children = []
            queue.extend(int(child) for child in children)
        return pids

    @staticmethod
    def _kib(pid: int, path: str, field: str) -> int:
        try:
            for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
                if line.startswith(field):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0

    def run(self):
        while not self.stopped.is_set():
            pids = self._tree()
            # Forked children share the parent's pages: their proportional share (PSS) adds up
            # to what the worker really holds; resident size (RSS) counts shared pages twice.
            total = sum(self._kib(pid, "smaps_rollup", "Pss:") for pid in pids)
            largest = max((self._kib(pid, "status", "VmRSS:") for pid in pids), default=0)
            self.peak_total = max(self.peak_total, total)
            self.peak_process = max(self.peak_process, largest)
            time.sleep(0.05)


def _sweeps(label: str, env: dict[str, str], broker: str) -> None:
    worker_env = env | {"CELERY_BROKER_URL": broker, "CELERY_RESULT_BACKEND": broker}
    if broker == "filesystem://":
        worker_env.pop("CELERY_BROKER_URL")
        worker_env.pop("CELERY_RESULT_BACKEND")
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    worker = subprocess.Popen(
        [CELERY, "--app", "backend.config", "worker", "--concurrency", "2", "--queues", queue,
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle"],
        env=worker_env | {"GRANTWATCH_TASK_QUEUE": queue},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    sampler = _MemorySampler(worker.pid)
    sampler.start()
    try:
        for run in ("first sweep (raises every flag)", "second sweep (refreshes them)"):
            _seconds, _peak, output = _run(
                [sys.executable, "-m", "benchmarks.sweep_probe", "sweep", queue],
                worker_env | {"GRANTWATCH_TASK_QUEUE": queue},
            )
            print(f"  {run} on {label}: {_last_line(output, 'sweep')}")
    finally:
        worker.terminate()
        worker.wait(timeout=60)
        sampler.stopped.set()
        sampler.join()
    print(
        f"  worker memory on {label}: peak {sampler.peak_total / 1024:.0f} MiB for the worker "
        f"and its 2 children together (PSS), {sampler.peak_process / 1024:.0f} MiB resident in "
        "the largest process"
    )


def _benchmark(label: str, env: dict[str, str], broker: str) -> None:
    print(f"{label}:")
    _grantwatch("migrate", "--noinput", env=env)
    first = max(PROJECTS // 10, 1)
    _seed(first, 1, label, env)
    print(f"  {_batch_queries(env)} with {first:,} projects in the portfolio")
    _seed(PROJECTS - first, 2, label, env)
    if "DATABASE_URL" in env:
        # What autovacuum does to a live database in the background: fresh statistics after
        # two million new rows, so that the planner does not plan for empty tables.
        import psycopg

        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as database:
            database.execute("ANALYZE")
    print(f"  {_batch_queries(env)} with {PROJECTS:,} projects in the portfolio")
    _sweeps(label, env, broker)


def main() -> None:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    }
    broker = REDIS_URL if _reachable(REDIS_URL, 6379) else "filesystem://"
    print(f"broker: {broker}; projects: {PROJECTS:,}")
    with tempfile.TemporaryDirectory(prefix="grantwatch-bench-") as var_dir:
        if "sqlite" in DATABASES:
            _benchmark("SQLite", base | {"GRANTWATCH_VAR_DIR": var_dir}, broker)
        if "postgresql" not in DATABASES:
            return

        if not _reachable(POSTGRES_URL, 5432):
            print(f"PostgreSQL at {POSTGRES_URL} does not answer; skipped")
            return
        import psycopg

        name = f"grantwatch_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = urlunparse(urlparse(POSTGRES_URL)._replace(path=f"/{name}"))
            env = base | {"GRANTWATCH_VAR_DIR": var_dir, "DATABASE_URL": url}
            _benchmark("PostgreSQL", env, broker)
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
