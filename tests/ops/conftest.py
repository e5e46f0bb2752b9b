"""Fixtures of the operations tests: the metrics token, a scrape, a quick worker ping."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitoring import metrics

TOKEN = "metrics-token-for-the-tests"


@pytest.fixture(autouse=True)
def _quick_worker_ping(monkeypatch):
    """No worker answers in these tests: do not wait a second for answers at every scrape."""
    monkeypatch.setattr(metrics, "PING_TIMEOUT_SECONDS", 0.05)
    metrics.worker_ping.forget()
    yield
    metrics.worker_ping.forget()


@pytest.fixture
def metrics_token(settings) -> str:
    settings.GRANTWATCH_METRICS_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def scrape(client, metrics_token):
    """GET /metrics as Prometheus does; the metric families by name."""

    def scrape() -> dict:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {metrics_token}")
        assert response.status_code == 200, response.content
        text = response.content.decode()
        return {family.name: family for family in text_string_to_metric_families(text)}

    return scrape


def value(families: dict, name: str, **labels) -> float:
    """The one sample of ``name`` (a family name or a sample name) with these labels."""
    family_name = name.removesuffix("_total")
    family = families.get(name) or families[family_name]
    found = [
        sample.value
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    ]
    assert len(found) == 1, f"{name}{labels}: {family.samples}"
    return found[0]
