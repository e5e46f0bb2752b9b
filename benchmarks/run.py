"""Benchmarks that print figures (``make bench``); nothing here asserts a time.

seed-portfolio: seeds BENCH_PROJECTS projects (default 10,000) into a throwaway SQLite database
and, when a PostgreSQL server answers (BENCH_POSTGRES_URL, default the local one), into a
throwaway PostgreSQL database; prints the wall time, rows per second and the peak memory of the
seeding process.
"""

import os
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import urlparse, urlunparse

PROJECTS = int(os.environ.get("BENCH_PROJECTS", "10000"))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def _grantwatch(*args: str, env: dict[str, str]) -> tuple[float, int, str]:
    """Run a grantwatch command; return (seconds, peak memory in MiB, output)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "backend.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"grantwatch {' '.join(args)} failed:\n{output}")
    return seconds, usage.ru_maxrss // 1024, output


def _seed(label: str, env: dict[str, str]) -> None:
    _grantwatch("migrate", "--noinput", env=env)
    seconds, peak_mib, output = _grantwatch(
        "seed-portfolio", "--projects", str(PROJECTS), "--seed", "1", env=env
    )
    rows = next((line for line in output.splitlines() if line.startswith("Seeded ")), output[-300:])
    print(
        f"seed-portfolio {PROJECTS:,} projects on {label}: "
        f"{seconds:.1f} s wall, peak {peak_mib} MiB"
    )
    print(f"    {rows}")


def _postgres_reachable(url: str) -> bool:
    import socket

    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 5432), timeout=1):
            return True
    except OSError:
        return False


def main() -> None:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    }
    with tempfile.TemporaryDirectory(prefix="grantwatch-bench-") as var_dir:
        _seed("SQLite", base | {"GRANTWATCH_VAR_DIR": var_dir})

        if not _postgres_reachable(POSTGRES_URL):
            print(f"PostgreSQL at {POSTGRES_URL} does not answer; skipped")
            return
        import psycopg

        name = f"grantwatch_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = urlunparse(urlparse(POSTGRES_URL)._replace(path=f"/{name}"))
            _seed("PostgreSQL", base | {"GRANTWATCH_VAR_DIR": var_dir, "DATABASE_URL": url})
        finally:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
