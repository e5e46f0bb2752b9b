"""Runs the test provider in a second process on a free loopback port: a fresh SQLite database
in a temporary folder, seeded (``seed.py``), a new RSA key, then ``runserver`` until the tests
are done."""

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests
import time_machine
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.oidc_provider.seed import CLIENT_ID, CLIENT_SECRET

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60


@dataclass(frozen=True)
class Provider:
    url: str  # where it answers
    issuer: str  # what its ID tokens carry as ``iss``
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    @property
    def discovery_issuer(self) -> str:
        """Where its discovery document is: <this>/.well-known/openid-configuration."""
        return f"{self.url}/o"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _environment(folder: Path, issuer: str) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "GRANTWATCH_"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="tests.oidc_provider.settings",
        OIDC_PROVIDER_DB=str(folder / "provider.sqlite3"),
        OIDC_PROVIDER_RSA_KEY=rsa_private_key_pem(),
        OIDC_PROVIDER_ISSUER=issuer,
        PYTHONPATH=str(ROOT),
    )
    # A suite run as if today were another day (GRANTWATCH_TEST_TODAY) travels in time: the
    # provider reads the same clock, or its ID tokens would look expired or not yet valid.
    if time_machine.escape_hatch.is_travelling():
        offset = time.time() - time_machine.escape_hatch.time.time()
        environment["OIDC_PROVIDER_CLOCK_OFFSET"] = repr(offset)
    return environment


def _wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the test provider stopped:\n{log.read_text()}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the test provider did not answer at {url}:\n{log.read_text()}")


@contextmanager
def running_provider(folder: Path, redirect_uri: str, issuer_path: str = "/o"):
    """A provider whose client redirects to ``redirect_uri``; its tokens carry the issuer
    <url><issuer_path> (by default its own address, <url>/o, where its discovery document is;
    django-oauth-toolkit puts its endpoints on the issuer's host, so only the path may
    differ)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    provider = Provider(url=url, issuer=f"{url}{issuer_path}")
    environment = _environment(folder, provider.issuer)
    subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.seed", redirect_uri],
        env=environment,
        cwd=ROOT,
        check=True,
        timeout=STARTUP_SECONDS,
    )
    log = folder / "provider.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=environment,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, f"{url}/o/.well-known/openid-configuration", log)
        yield provider
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
