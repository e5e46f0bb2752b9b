"""Benchmarks that print figures (``make bench``); nothing here asserts a time.

Settings (environment):

- BENCH_PROJECTS (default 10000) and BENCH_PROJECTS_LARGE (default 30000): the two sizes of the
  database; or BENCH_SIZES="10000,30000" (any number of sizes, growing);
- BENCH_DATABASES (default "postgresql"; "sqlite,postgresql" adds a throwaway SQLite file);
- BENCH_POSTGRES_URL (a server where a throwaway database is made and dropped), BENCH_REDIS_URL
  (the broker; both must answer, or the benchmark stops with an error);
- BENCH_REQUESTS (default 30): requests per endpoint, fewer for an endpoint that took
  BENCH_ENDPOINT_SECONDS (default 120) in all; BENCH_PORTFOLIO (default 500): projects of the
  benchmark's officer;
- BENCH_REFRESH_SWEEPS (default 3): the sweeps that refresh the flags, of which the median is
  the figure; BENCH_NEWDAY_BATCHES (default 6): the batches checked on the same day and on the
  next;
- BENCH_OUTPUT (default var/bench/bench-<UTC timestamp>.json): the file the figures go to.

For each database, the smallest size is seeded (seed-portfolio), measured, the database grown to
the next size, measured again, and so on; then every figure is printed side by side with the
ratio of the largest size to the smallest. At each size:

1. queries per sweep batch, in-process;
2. the sweep end to end through a real Celery worker started with the Procfile's worker command
   (on queues of its own, GRANTWATCH_TASK_QUEUE): once after seeding (raising the new projects'
   flags), then BENCH_REFRESH_SWEEPS times more (refreshing them; the median counts); beside
   the refresh, a raw read of the same rows with psycopg (PostgreSQL, the median of three), and
   the ratio of the two. The database is settled (VACUUM ANALYZE, what autovacuum would do)
   after seeding, after the first sweep and before the raw read, so that both read it alike;
3. the flag latency of a change made while a sweep runs (an approved amendment after which one
   project's consortium is in breach), and the peak memory of the worker;
4. a sweep batch in process checked again the same day (as the refresh sweeps are), beside the
   same batch checked the next day (as the daily sweep finds them: a late payment's days and
   interest have changed), rolled back afterwards (BENCH_NEWDAY_BATCHES batches, default 6);
   and the next day's CPU time, split between Python and the PostgreSQL backend (when the
   server runs on this machine): which of the two a faster sweep has to cut;
5. gunicorn as in production (DEBUG off, 2 workers): p50 and p95 of the pages and API lists as
   the superuser and as an officer of BENCH_PORTFOLIO projects, each beside the framework's
   floor of the same user (benchmarks/web.py), and the peak memory of a web worker.

Anything missing or failing (a server that does not answer, a request that is not answered 200)
ends the run with a non-zero exit, after the figures measured so far are written.
"""

import datetime
import json
import math
import os
import secrets
import shlex
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from benchmarks import web
from benchmarks.sweep_probe import OFFICER, RESULT, SUPERUSER

ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
DATABASES = [
    name.strip().lower()
    for name in os.environ.get("BENCH_DATABASES", "postgresql").split(",")
    if name.strip()
]
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
REFRESH_SWEEPS = int(os.environ.get("BENCH_REFRESH_SWEEPS", "3"))
# An endpoint that has taken this long in all is measured no further (fewer requests, said so).
ENDPOINT_SECONDS = float(os.environ.get("BENCH_ENDPOINT_SECONDS", "120"))
PORTFOLIO = int(os.environ.get("BENCH_PORTFOLIO", "500"))
KNOWN_DATABASES = ("sqlite", "postgresql")


def _sizes() -> list[int]:
    if os.environ.get("BENCH_SIZES", "").strip():
        sizes = [int(size) for size in os.environ["BENCH_SIZES"].split(",") if size.strip()]
    else:
        sizes = [
            int(os.environ.get("BENCH_PROJECTS", "10000")),
            int(os.environ.get("BENCH_PROJECTS_LARGE", "30000")),
        ]
    if not sizes or sizes != sorted(set(sizes)) or sizes[0] < 1:
        raise SystemExit(f"the sizes must grow, each at least 1: {sizes}")
    return sizes


class Report:
    """What is printed, kept to be written to the output file with the figures."""

    def __init__(self):
        self.lines: list[str] = []
        self.figures: dict[str, dict[str, dict[str, object]]] = {}
        self.failures: list[str] = []

    def say(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)

    def fail(self, what: str) -> None:
        self.failures.append(what)
        self.say(f"  FAILED: {what}")


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
        raise SystemExit(f"{' '.join(args)} failed:\n{output[-5000:]}")
    return seconds, usage.ru_maxrss // 1024, output


def _grantwatch(*args: str, env: dict[str, str]) -> tuple[float, int, str]:
    return _run([sys.executable, "-m", "backend.cli", *args], env)


def _last_line(output: str, prefix: str) -> str:
    return next((line for line in reversed(output.splitlines()) if line.startswith(prefix)), "")


def _probe(name: str, env: dict[str, str]) -> dict:
    """Run a measurement of benchmarks/sweep_probe.py; return its RESULT figures."""
    _seconds, _peak, output = _run([sys.executable, "-m", "benchmarks.sweep_probe", name], env)
    line = _last_line(output, RESULT)
    if not line:
        raise SystemExit(f"sweep_probe {name} printed no result:\n{output[-3000:]}")
    return json.loads(line[len(RESULT) :])


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

    def finish(self) -> tuple[float, float]:
        """Stop; (peak PSS of the whole tree, peak RSS of its largest process), in MiB."""
        self.stopped.set()
        self.join()
        if self.peak_process == 0:
            raise SystemExit(f"no memory could be read for process {self.pid} from /proc")
        return self.peak_total / 1024, self.peak_process / 1024


def _worker_command(queue: str) -> str:
    """The Procfile's worker command (run as honcho runs it, through the shell), quieter, on
    the benchmark's queues: queue names it spells out for the default base queue ("celery",
    "celery.<name>") become the benchmark's (``queue``, "<queue>.<name>")."""
    procfile = (ROOT / "Procfile").read_text().splitlines()
    line = next((line for line in procfile if line.startswith("worker:")), None)
    if line is None:
        raise SystemExit("the Procfile has no worker command")
    args = shlex.split(line.partition(":")[2])
    if args[:1] != ["celery"] or "worker" not in args:
        raise SystemExit(f"the Procfile's worker command is not a celery worker: {line}")

    def renamed(names: str) -> str:
        return ",".join(
            queue + name[len("celery") :]
            if name == "celery" or name.startswith("celery.")
            else name
            for name in names.split(",")
        )

    for index, arg in enumerate(args):
        if index > 0 and args[index - 1] in ("-Q", "--queues"):
            args[index] = renamed(arg)
        elif arg.startswith(("-Q=", "--queues=")):
            option, _, names = arg.partition("=")
            args[index] = f"{option}={renamed(names)}"
    # Quoted for the shell, except what the Procfile leaves to it (${...}).
    words = [arg if "$" in arg else shlex.quote(arg) for arg in args]
    return "exec " + " ".join([*words, "--loglevel", "WARNING"])


class _Worker:
    """A Celery worker started as production starts it, on the benchmark's own queue."""

    def __init__(self, env: dict[str, str], log: Path, queue: str):
        self.command = _worker_command(queue)
        self.log = log
        self._log = log.open("w")
        path = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        self.process = subprocess.Popen(
            ["sh", "-c", self.command],
            env=env | {"PATH": path},
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.sampler = _MemorySampler(self.process.pid)
        self.sampler.start()

    def stop(self) -> tuple[float, float]:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.sampler.finish()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _seed(count: int, seed: int, env: dict[str, str], report: Report, figures: dict) -> None:
    seconds, peak, output = _grantwatch(
        "seed-portfolio", "--projects", str(count), "--seed", str(seed), env=env
    )
    report.say(f"  seed-portfolio +{count:,} projects: {seconds:.1f} s, peak {peak} MiB")
    report.say(f"      {_last_line(output, 'Seeded ')}")
    figures["seed s (the added projects)"] = seconds


def _settle(env: dict[str, str]) -> None:
    """VACUUM ANALYZE the database: what autovacuum does to a live database in the background
    after millions of new or rewritten rows (fresh statistics, and the visibility map and hint
    bits set), done at once so that every timing after it reads a settled database. A timing
    taken over rows just written reads them more slowly, and by how much depends on what ran
    before it: right after the first sweep, the raw read took half as long again as settled."""
    if "DATABASE_URL" not in env:
        return
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as database:
        database.execute("VACUUM ANALYZE")


def _sweeps(env: dict[str, str], var_dir: Path, report: Report, figures: dict) -> None:
    """Two sweeps and a change during a third, through one worker; its memory."""
    queue = f"bench-{uuid.uuid4().hex[:8]}"
    worker_env = env | {"GRANTWATCH_TASK_QUEUE": queue}
    worker = _Worker(worker_env, var_dir / f"worker-{queue}.log", queue)
    try:
        ready = _probe("ping", worker_env)
        report.say(f"  worker ({worker.command}) answered after {ready['seconds']:.1f} s")
        result = _probe("sweep", worker_env)
        figures["sweep first s"] = result["seconds"]
        report.say(
            "  first sweep after seeding (raises the new projects' flags): "
            f"{result['projects']:,} projects in {result['batches']} batches, "
            f"{result['seconds']:.2f} s"
        )
        # The first sweep wrote every project's flags and summaries: settled, as the raw read's
        # rows are, before the refreshes are timed.
        _settle(env)
        # The refresh is the median of a few sweeps, as the raw read is: one sweep on a shared
        # machine varies by half.
        refreshes = [_probe("sweep", worker_env)["seconds"] for _ in range(REFRESH_SWEEPS)]
        figures["sweep refresh s"] = statistics.median(refreshes)
        report.say(
            f"  sweeps that refresh the flags: {', '.join(f'{s:.2f}' for s in refreshes)} s, "
            f"median {figures['sweep refresh s']:.2f} s"
        )
        result = _probe("latency", worker_env)
        figures["flag latency during a sweep ms"] = result["seconds"] * 1000
        figures["flag came during the sweep"] = result["during_sweep"]
        report.say(
            f"  flag of a change made during a sweep: {result['seconds'] * 1000:.0f} ms after "
            f"the change committed; the sweep ({result['sweep_seconds']:.2f} s) was "
            + ("still running then" if result["during_sweep"] else "ALREADY FINISHED then")
        )
        if not result["during_sweep"]:
            report.say(
                "      (the sweep ended before the flag came: a latency not measured during a "
                "sweep; with this few projects the sweep is too short)"
            )
    except SystemExit:
        report.say(f"  the worker's log ends:\n{worker.tail()}")
        raise
    finally:
        total, largest = worker.stop()
    figures["worker peak MiB (PSS, all processes)"] = total
    figures["worker largest process peak MiB (RSS)"] = largest
    report.say(
        f"  worker memory: peak {total:.0f} MiB for the worker and its children together (PSS), "
        f"{largest:.0f} MiB resident in the largest process"
    )


def _new_day(env: dict[str, str], report: Report, figures: dict) -> None:
    result = _probe("newday", env)
    figures["sweep batch same day ms"] = result["same_day_ms"]
    figures["sweep batch next day ms"] = result["next_day_ms"]
    figures["sweep batch next day/same day"] = result["next_day_ms"] / result["same_day_ms"]
    report.say(
        f"  a sweep batch in process (median of {result['batches']}): "
        f"{result['same_day_ms']:.0f} ms checked again the same day, "
        f"{result['next_day_ms']:.0f} ms the next day, ratio "
        f"{result['next_day_ms'] / result['same_day_ms']:.2f}"
    )
    # Where a batch's time goes: this process's Python, or its PostgreSQL backend (when the
    # server runs on this machine).
    python, database = result["next_day_python_cpu_ms"], result["next_day_postgresql_cpu_ms"]
    figures["sweep batch next day Python CPU ms"] = python
    split = f"      CPU of a batch the next day: {python:.0f} ms Python"
    if database is not None:
        figures["sweep batch next day PostgreSQL CPU ms"] = database
        split += (
            f", {database:.0f} ms PostgreSQL "
            f"(Python {100 * python / (python + database):.0f}% of the two)"
        )
    report.say(split)


def _raw_read(env: dict[str, str], report: Report, figures: dict) -> None:
    if "DATABASE_URL" not in env:
        report.say("  raw read: PostgreSQL only")
        return
    result = _probe("rawread", env)
    figures["raw read s"] = result["seconds"]
    sweep = figures["sweep refresh s"]
    figures["sweep/raw read ratio"] = sweep / result["seconds"]
    report.say(
        f"  sweep {sweep:.2f} s, raw read {result['seconds']:.2f} s "
        f"({result['rows']:,} rows), ratio {sweep / result['seconds']:.2f}"
    )


def _web(
    env: dict[str, str], var_dir: Path, users: dict, password: str, report: Report, figures: dict
) -> None:
    server = web.Gunicorn(env, var_dir / f"gunicorn-{uuid.uuid4().hex[:8]}.log")
    sampler = _MemorySampler(server.process.pid)
    sampler.start()
    try:
        latencies = web.web_latency(
            server.base,
            {"superuser": SUPERUSER, "officer": OFFICER},
            password,
            users["project"],
            REQUESTS,
            ENDPOINT_SECONDS,
        )
    finally:
        server.stop()
        total, largest = sampler.finish()
    report.say(
        f"  web latency, {REQUESTS} requests each (superuser; officer of "
        f"{users['portfolio']:,} projects):"
    )
    report.say(f"    {'':44} {'p50 ms':>8} {'p95 ms':>8} {'p50/floor':>10} {'p95/floor':>10}")
    for label, entry in latencies.items():
        if "failure" in entry:
            report.fail(f"{label}: {entry['failure']}")
            figures[f"{label} failure"] = entry["failure"]
            continue
        figures[f"{label} p50 ms"] = entry["p50_ms"]
        figures[f"{label} p95 ms"] = entry["p95_ms"]
        ratios = ""
        if "p50_floor_ratio" in entry:
            figures[f"{label} p50/floor"] = entry["p50_floor_ratio"]
            figures[f"{label} p95/floor"] = entry["p95_floor_ratio"]
            ratios = f"{entry['p50_floor_ratio']:>10.1f} {entry['p95_floor_ratio']:>10.1f}"
        fewer = f"  (only {entry['n']} requests)" if entry["n"] < REQUESTS else ""
        report.say(
            f"    {label:44} {entry['p50_ms']:>8.1f} {entry['p95_ms']:>8.1f} {ratios}{fewer}"
        )
    figures["web worker peak MiB (RSS, largest gunicorn process)"] = largest
    figures["web peak MiB (PSS, gunicorn and its workers)"] = total
    report.say(
        f"  web memory: {largest:.0f} MiB resident in the largest gunicorn process at its peak, "
        f"{total:.0f} MiB for gunicorn and its workers together (PSS)"
    )


def _benchmark(label: str, env: dict[str, str], var_dir: Path, report: Report) -> None:
    report.say(f"{label}:")
    report.figures[label] = {}
    _grantwatch("migrate", "--noinput", env=env)
    password = secrets.token_urlsafe(16)
    web_env = web.web_environment(env, var_dir)
    try:
        _sizes_measured(label, env, web_env, var_dir, password, report)
    finally:
        # gunicorn's metrics files are outside the var folder (in /dev/shm, as in production).
        shutil.rmtree(web_env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
    _side_by_side(label, report)


def _sizes_measured(
    label: str,
    env: dict[str, str],
    web_env: dict[str, str],
    var_dir: Path,
    password: str,
    report: Report,
) -> None:
    web.collectstatic(web_env)
    seeded = 0
    for number, size in enumerate(_sizes(), start=1):
        report.say(f" {size:,} projects:")
        figures = report.figures[label][str(size)] = {}
        _seed(size - seeded, number, env, report, figures)
        seeded = size
        _settle(env)
        result = _probe("queries", env)
        figures["queries per sweep batch"] = result["queries"]
        report.say(
            f"  queries per sweep batch of {result['projects']} projects: {result['queries']}"
        )
        users = _probe(
            "users", env | {"BENCH_PASSWORD": password, "BENCH_PORTFOLIO": str(PORTFOLIO)}
        )
        _sweeps(env, var_dir, report, figures)
        _new_day(env, report, figures)
        # The probes before it rewrote flags (and rolled some back): the raw read, like the
        # refresh sweeps, reads a settled database.
        _settle(env)
        _raw_read(env, report, figures)
        _web(web_env, var_dir, users, password, report, figures)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return None
    return float(value)


def _side_by_side(label: str, report: Report) -> None:
    by_size = report.figures[label]
    sizes = list(by_size)
    if len(sizes) < 2:
        return
    first, last = sizes[0], sizes[-1]
    report.say(f" {label}, side by side ({last}/{first} = the largest size over the smallest):")
    header = "".join(f"{int(size):>12,}" for size in sizes)
    report.say(f"    {'figure':58}{header}{'ratio':>8}")
    keys = list(dict.fromkeys(key for figures in by_size.values() for key in figures))
    for key in keys:
        values = [by_size[size].get(key) for size in sizes]
        if all(_number(value) is None for value in values):
            continue
        cells = "".join(
            f"{_number(value):>12.2f}" if _number(value) is not None else f"{'-':>12}"
            for value in values
        )
        low, high = _number(values[0]), _number(values[-1])
        ratio = f"{high / low:>8.2f}" if low and high is not None else f"{'-':>8}"
        report.figures[label].setdefault("ratios", {})[key] = high / low if low and high else None
        report.say(f"    {key[:58]:58}{cells}{ratio}")


def _output_path(started: datetime.datetime) -> Path:
    wanted = os.environ.get("BENCH_OUTPUT", "").strip()
    if wanted:
        return Path(wanted)
    return Path("var") / "bench" / f"bench-{started:%Y%m%dT%H%M%SZ}.json"


def main() -> None:
    started = datetime.datetime.now(datetime.UTC)
    clock = time.perf_counter()
    sizes = _sizes()
    unknown = sorted(set(DATABASES) - set(KNOWN_DATABASES))
    if unknown or not DATABASES:
        raise SystemExit(f"BENCH_DATABASES: {unknown or 'none'}; known: {KNOWN_DATABASES}")
    if not _reachable(REDIS_URL, 6379):
        raise SystemExit(f"Redis at {REDIS_URL} does not answer: the benchmark needs it")
    if "postgresql" in DATABASES and not _reachable(POSTGRES_URL, 5432):
        raise SystemExit(f"PostgreSQL at {POSTGRES_URL} does not answer: the benchmark needs it")
    output = _output_path(started)
    report = Report()
    report.say(
        f"broker: {REDIS_URL}; sizes: {', '.join(f'{size:,}' for size in sizes)} projects; "
        f"databases: {', '.join(DATABASES)}; {REQUESTS} requests per endpoint"
    )
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "DEBUG")
    } | {
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        # Production's settings (docker-compose.yml): the worker and the probes too.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # No TLS proxy in front: no redirect to HTTPS, cookies over plain HTTP.
        "SECURE_SSL": "false",
    }
    try:
        with tempfile.TemporaryDirectory(prefix="grantwatch-bench-") as folder:
            var_dir = Path(folder)
            if "sqlite" in DATABASES:
                sqlite_dir = var_dir / "sqlite"
                sqlite_dir.mkdir()
                _benchmark(
                    "SQLite", base | {"GRANTWATCH_VAR_DIR": str(sqlite_dir)}, sqlite_dir, report
                )
            if "postgresql" in DATABASES:
                _postgresql(base, var_dir, report)
    except SystemExit as stop:
        report.fail(str(stop.code))
        raise
    finally:
        seconds = time.perf_counter() - clock
        report.say(f"benchmark took {seconds / 60:.1f} min")
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            json.dumps(
                {
                    "started": started.isoformat(),
                    "seconds": seconds,
                    "sizes": sizes,
                    "databases": DATABASES,
                    "requests_per_endpoint": REQUESTS,
                    "figures": report.figures,
                    "failures": report.failures,
                    "report": report.lines,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"figures written to {output}", flush=True)
    if report.failures:
        raise SystemExit(f"{len(report.failures)} measurement(s) failed: see above")


def _postgresql(base: dict[str, str], var_dir: Path, report: Report) -> None:
    import psycopg

    name = f"grantwatch_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = urlunparse(urlparse(POSTGRES_URL)._replace(path=f"/{name}"))
        pg_dir = var_dir / "postgresql"
        pg_dir.mkdir()
        env = base | {"GRANTWATCH_VAR_DIR": str(pg_dir), "DATABASE_URL": url}
        _benchmark("PostgreSQL", env, pg_dir, report)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
