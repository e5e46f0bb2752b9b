"""/healthz says the process is up; /readyz says whether the database and the broker answer."""

import time

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from tests.conftest import redis_url

CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"


def test_healthz_answers_while_the_process_is_up(client, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT_BROKER  # not looked at

    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_answers_200_when_database_and_broker_answer(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok"},
    }


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz_reaches_a_redis_broker(client, settings):
    settings.CELERY_BROKER_URL = redis_url()
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    response = client.get("/readyz")

    assert (response.status_code, response.json()["checks"]["broker"]) == (200, "ok")


@pytest.mark.django_db
def test_readyz_answers_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT_BROKER
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}

    started = time.monotonic()
    response = client.get("/readyz")
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "ok", "broker": "unreachable"},
    }
    assert elapsed < settings.GRANTWATCH_HEALTH_TIMEOUT + 3, f"readyz took {elapsed:.1f}s"


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_is_unreachable(client, monkeypatch):
    """Simulated: every statement fails as it does when the server is gone."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)

    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unreachable", "broker": "ok"},
    }


def test_health_endpoints_need_no_login_and_take_only_get(client):
    assert client.post("/healthz").status_code == 405
    assert client.post("/readyz").status_code == 405
