"""Every metric the alert rules and the Grafana dashboard query is one the application exports:
a renamed metric must not leave an alert that can never fire or a panel that stays empty."""

import datetime
import json
import re
from pathlib import Path

import pytest
import time_machine
import yaml

from backend.common.dates import BRUSSELS
from backend.demo.loading import demo_load
from monitoring.tasks import sweep_task

ROOT = Path(__file__).resolve().parents[2]
RULES = sorted((ROOT / "monitoring" / "prometheus" / "rules").glob("*.yml"))
RULE_TESTS = sorted((ROOT / "monitoring" / "prometheus" / "tests").glob("*.yml"))
DASHBOARDS = sorted((ROOT / "monitoring" / "grafana" / "dashboards").glob("*.json"))

# Series Prometheus makes itself for every scrape, not the application.
PROMETHEUS_OWN = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "offset",
    "inf",
    "nan",
}
# Suffixes of the samples of each metric type in the text format.
SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "unknown": ("",),
}


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (good enough for the expressions kept
    here: no subqueries over recording rules, no label_replace tricks)."""
    expr = re.sub(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'', '""', expr)  # strings
    expr = re.sub(r"\{[^}]*\}", " ", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", " ", expr)  # ranges
    expr = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", expr
    )  # label lists
    names = set()
    for match in re.finditer(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?", expr):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in PROMQL_KEYWORDS:
            continue  # a function, an aggregation, a keyword
        names.add(name)
    return names


def _panel_exprs(panels: list) -> list[str]:
    exprs = []
    for panel in panels:
        exprs += [target["expr"] for target in panel.get("targets", []) if target.get("expr")]
        exprs += _panel_exprs(panel.get("panels", []))  # collapsed rows
    return exprs


def queried_metrics() -> dict[str, set[str]]:
    """Metric name -> the files whose expressions select it."""
    used: dict[str, set[str]] = {}
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                for name in promql_metric_names(rule["expr"]):
                    used.setdefault(name, set()).add(path.name)
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        exprs = _panel_exprs(dashboard["panels"])
        for variable in dashboard.get("templating", {}).get("list", []):
            query = variable.get("query")
            exprs += [query["query"] if isinstance(query, dict) else query] if query else []
        for expr in exprs:
            for name in promql_metric_names(expr):
                used.setdefault(name, set()).add(path.name)
    return used


def exported_names(families: dict) -> set[str]:
    names = set()
    for family in families.values():
        names |= {sample.name for sample in family.samples}
        names |= {family.name + suffix for suffix in SAMPLE_SUFFIXES[family.type]}
    return names


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        (
            'sum(rate(django_http_responses_total_by_status_total{status=~"5.."}[5m])) '
            "/ sum(rate(django_http_responses_total_by_status_total[5m])) > 0.05",
            {"django_http_responses_total_by_status_total"},
        ),
        (
            "histogram_quantile(0.95, sum by (le, view) (rate(x_seconds_bucket[5m])))",
            {"x_seconds_bucket"},
        ),
        ("time() - a_timestamp_seconds > 26 * 3600", {"a_timestamp_seconds"}),
        ("b < 1 or absent(b)", {"b"}),
        ('up{job="grantwatch"} == 0', {"up"}),
        ("max by (queue) (q) > 1e3", {"q"}),
    ],
)
def test_the_expression_parser_finds_the_metric_names(expr, names):
    assert promql_metric_names(expr) == names


def test_the_rules_and_the_dashboard_query_something():
    assert RULES
    assert DASHBOARDS
    assert len(queried_metrics()) > 10


@pytest.mark.django_db
def test_every_queried_metric_is_exported(client, scrape):
    """After the kinds of traffic that make every metric appear: pages, an error, database
    statements, a sweep with flags."""
    with time_machine.travel(datetime.datetime(2026, 3, 2, 3, 15, tzinfo=BRUSSELS), tick=True):
        demo_load(allow_production=True, portfolio=False)
        sweep_task.delay().get()
    client.get("/healthz")
    client.get("/no-such-page/")
    families = scrape()

    exported = exported_names(families)
    missing = {
        name: sorted(files)
        for name, files in queried_metrics().items()
        if name not in exported and name not in PROMETHEUS_OWN
    }
    assert missing == {}, f"queried but not exported: {missing}"


def test_every_alert_has_a_firing_and_a_quiet_unit_test():
    alerts = {
        rule["alert"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    cases: dict[str, set[str]] = {}
    for path in RULE_TESTS:
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                outcome = "fires" if case.get("exp_alerts") else "quiet"
                cases.setdefault(case["alertname"], set()).add(outcome)
    assert {"SweepStale", "ProjectInBreach", "NoWorkerAlive", "HighErrorRate", "QueueBacklog"} <= (
        alerts
    )
    assert {alert: cases.get(alert, set()) for alert in alerts} == {
        alert: {"fires", "quiet"} for alert in alerts
    }
