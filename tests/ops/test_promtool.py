"""Prometheus's own checks of the scrape configuration and the alert rules, and the rules'
unit tests (monitoring/prometheus/tests). These run Debian's promtool (package prometheus;
.ci/run installs it): skipped without it, failed without it under CI=true."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

PROMETHEUS = Path(__file__).resolve().parents[2] / "monitoring" / "prometheus"

pytestmark = pytest.mark.promtool


def promtool(*arguments: str, cwd: Path = PROMETHEUS) -> subprocess.CompletedProcess:
    return subprocess.run(
        [shutil.which("promtool") or "promtool", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_promtool_check_config(tmp_path):
    """The configuration as the container sees it: the rules beside it, the token file the
    prometheus service's entrypoint writes (here a stand-in at a path of the test's own)."""
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    token_file = tmp_path / "metrics_token"
    token_file.write_text("a-token")
    text = (PROMETHEUS / "prometheus.yml").read_text()
    for job in config["scrape_configs"]:
        credentials = (job.get("authorization") or {}).get("credentials_file")
        if credentials:
            text = text.replace(credentials, str(token_file))
    (tmp_path / "prometheus.yml").write_text(text)
    shutil.copytree(PROMETHEUS / "rules", tmp_path / "rules")

    result = promtool("check", "config", "prometheus.yml", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_promtool_check_config_syntax_of_the_file_as_it_is():
    result = promtool("check", "config", "--syntax-only", "prometheus.yml")

    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_check_rules():
    rules = sorted(str(path.relative_to(PROMETHEUS)) for path in PROMETHEUS.glob("rules/*.yml"))
    assert rules

    result = promtool("check", "rules", *rules)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(rules), result.stdout


def test_promtool_test_rules():
    tests = sorted(str(path.relative_to(PROMETHEUS)) for path in PROMETHEUS.glob("tests/*.yml"))
    assert tests

    result = promtool("test", "rules", *tests)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAILED" not in result.stdout + result.stderr
