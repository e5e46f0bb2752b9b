"""Web latency for ``make bench``: gunicorn as the production stack runs it (docker-compose.yml's
web command: backend/config/gunicorn.py, 2 workers here, DEBUG=false, the static files
collected), measured with a real HTTP client over the loopback interface.

Each user signs in twice, as a browser does (the sign-in form, for the pages) and as an API
client does (a token from POST /api/v1/auth/token). The endpoints are requested in turns (one of
each, N times) so that the machine's noise falls on all of them alike, beside the framework's
floor (GET /api/v1/auth/tokens: token authentication, one small query) of the same user in the
same turns; /api/v1/me is measured beside it.
"""

import re
import secrets
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
GRANTWATCH = [sys.executable, "-m", "backend.cli"]
# The framework's floor: an authenticated API request that reads next to nothing (the user's own
# tokens). /api/v1/me is no floor for an officer: it lists a role per project of the portfolio.
FLOOR = "floor /api/v1/auth/tokens"
# A request that takes longer than this is a failure (gunicorn's own timeout is 30 s).
REQUEST_TIMEOUT = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def web_environment(env: dict[str, str], var_dir: Path) -> dict[str, str]:
    """The production settings that matter here, for plain HTTP on the loopback interface."""
    multiproc = Path("/dev/shm") if Path("/dev/shm").is_dir() else var_dir
    metrics = multiproc / f"grantwatch-bench-metrics-{secrets.token_hex(4)}"
    return env | {
        "DEBUG": "false",
        "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        # No TLS proxy in front: no redirect to HTTPS, cookies over plain HTTP.
        "SECURE_SSL": "false",
        "CONN_MAX_AGE": "60",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "WARNING",
        "STATIC_ROOT": str(var_dir / "static"),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        # The API's per-user rate would cut the measurement short; the throttle still runs.
        "GRANTWATCH_API_USER_RATE": "1000000/minute",
    }


def collectstatic(env: dict[str, str]) -> None:
    done = subprocess.run(
        [*GRANTWATCH, "collectstatic", "--noinput", "--verbosity", "0"],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"collectstatic failed:\n{done.stdout}{done.stderr}")


class Gunicorn:
    """gunicorn with 2 workers on a free loopback port; its log goes to a file."""

    def __init__(self, env: dict[str, str], log: Path, workers: int = 2):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._log = log.open("w")
        self.process = subprocess.Popen(
            [GUNICORN, "--config", "python:backend.config.gunicorn",
             "backend.config.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--worker-tmp-dir", "/dev/shm"],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.tail()}")
            try:
                if requests.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn did not answer /healthz within {seconds:.0f} s:\n{self.tail()}")

    def tail(self) -> str:
        self._log.flush()
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def signed_in(base: str, username: str, password: str) -> requests.Session:
    """A browser's session: the sign-in form with its CSRF token."""
    browser = requests.Session()
    form = browser.get(f"{base}/login/", timeout=REQUEST_TIMEOUT)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
    if form.status_code != 200 or token is None:
        raise SystemExit(f"the sign-in form did not load ({form.status_code})")
    answer = browser.post(
        f"{base}/login/",
        data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    if answer.status_code != 302 or "sessionid" not in browser.cookies:
        raise SystemExit(f"{username} could not sign in ({answer.status_code})")
    return browser


def api_client(base: str, username: str, password: str) -> requests.Session:
    """An API client with a token of its own."""
    client = requests.Session()
    answer = client.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": password},
        timeout=REQUEST_TIMEOUT,
    )
    if answer.status_code != 200:
        raise SystemExit(f"no API token for {username} ({answer.status_code}): {answer.text[:300]}")
    client.headers["Authorization"] = f"Token {answer.json()['token']}"
    return client


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    failure: str = ""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.seconds)
        if not ordered:
            return float("nan")
        # Nearest rank: p95 of 30 requests is the 29th fastest.
        rank = max(1, min(len(ordered), round(share * len(ordered) + 0.4999)))
        return ordered[rank - 1]


def measure(
    base: str,
    endpoints: list[tuple[str, requests.Session, str]],
    requests_each: int,
    budget_seconds: float,
) -> dict[str, Timings]:
    """Each endpoint (label, client, path) requested in turns: 2 warm-up turns, then N measured.
    An endpoint that does not answer 200 is marked failed and left out of the later turns; one
    whose measured requests took ``budget_seconds`` in all is measured no further."""
    timings = {label: Timings() for label, _client, _path in endpoints}
    for turn in range(requests_each + 2):
        for label, client, path in endpoints:
            figure = timings[label]
            if figure.failure or sum(figure.seconds) > budget_seconds:
                continue
            started = time.perf_counter()
            try:
                answer = client.get(f"{base}{path}", timeout=REQUEST_TIMEOUT)
                status = answer.status_code
            except requests.RequestException as error:
                status = type(error).__name__
            seconds = time.perf_counter() - started
            if status != 200:
                figure.failure = f"{path} answered {status} after {seconds:.1f} s"
                continue
            if turn >= 2:
                figure.seconds.append(seconds)
    return timings


def latency_figures(timings: dict[str, Timings], floor_of: dict[str, str]) -> dict[str, dict]:
    """p50 and p95 in ms of each endpoint, with the ratio of its p50 to its user's floor's."""
    figures = {}
    for label, timing in timings.items():
        if timing.failure:
            figures[label] = {"failure": timing.failure}
            continue
        p50, p95 = timing.percentile(0.5), timing.percentile(0.95)
        entry = {"p50_ms": p50 * 1000, "p95_ms": p95 * 1000, "n": len(timing.seconds)}
        floor = timings.get(floor_of.get(label, ""))
        if floor is not None and floor is not timing and floor.seconds:
            entry["p50_floor_ratio"] = p50 / floor.percentile(0.5)
            entry["p95_floor_ratio"] = p95 / floor.percentile(0.95)
        figures[label] = entry
    return figures


def web_latency(
    base: str,
    users: dict[str, str],
    password: str,
    project: int,
    requests_each: int,
    budget_seconds: float,
) -> dict[str, dict]:
    """users: label -> username, e.g. {"superuser": "bench-admin", "officer": ...}."""
    # Below the floor, for reference: the process alone (no sign-in, no database).
    endpoints: list[tuple[str, requests.Session, str]] = [
        ("no sign-in /healthz", requests.Session(), "/healthz")
    ]
    floor_of: dict[str, str] = {}
    for who, username in users.items():
        browser = signed_in(base, username, password)
        api = api_client(base, username, password)
        floor = f"{who} {FLOOR}"
        mine = [
            (f"{who} {FLOOR}", api, "/api/v1/auth/tokens"),
            (f"{who} /api/v1/me", api, "/api/v1/me"),
            (f"{who} /portfolio/", browser, "/portfolio/"),
            (f"{who} /api/v1/projects/", api, "/api/v1/projects/"),
            (f"{who} /api/v1/flags/", api, "/api/v1/flags/"),
            (f"{who} /api/v1/portfolio/progress", api, "/api/v1/portfolio/progress"),
            (f"{who} project detail", api, f"/api/v1/projects/{project}/"),
            (f"{who} eligibility", api, f"/api/v1/projects/{project}/eligibility"),
        ]
        endpoints += mine
        floor_of.update({label: floor for label, _client, _path in mine})
    return latency_figures(measure(base, endpoints, requests_each, budget_seconds), floor_of)
