"""`pip install .` gives a working `grantwatch` command: the wheel carries the templates, static
files, schema, migrations, catalogues and demo file, and runs outside the repository."""

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Build from a copy, so that the build leaves nothing in the working tree and finds no
    # leftovers of an earlier build there.
    source = tmp_path_factory.mktemp("source") / "grantwatch"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "var", "build", "dist", "*.egg-info", "__pycache__", "node_modules"
        ),
    )
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--quiet", "-w", str(out)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("grantwatch-*.whl")
    return built


def test_the_wheel_carries_every_file_the_system_reads(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())

    expected = {
        "backend/cli.py",
        "backend/grantfile/grant-file.schema.json",
        "backend/demo/data/cove-demo.yaml",
        "backend/demo/data/portfolio.yaml",
        "backend/demo/data/seeding.yaml",
        "backend/grants/migrations/0002_reference_data.py",
        "backend/workplan/migrations/0002_activity_clusters.py",
        "backend/locale/lv/LC_MESSAGES/django.mo",
        "frontend/templates/frontend/login.html",
        "frontend/static/frontend/site.css",
        "monitoring/tasks.py",
    }
    assert expected <= names, expected - names
    entry_points = zipfile.ZipFile(wheel).read(
        next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    )
    assert b"grantwatch = backend.cli:main" in entry_points


def test_the_installed_command_migrates_and_loads_the_demo_outside_the_repository(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    work = tmp_path / "work"
    work.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")
    } | {"PYTHONPATH": str(target), "GRANTWATCH_VAR_DIR": str(work / "var")}

    def grantwatch(*args):
        return subprocess.run(
            [sys.executable, "-m", "backend.cli", *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    located = grantwatch("shell", "-c", "import backend; print(backend.__file__)")
    assert located.stdout.strip().splitlines()[-1].startswith(str(target)), located.stderr
    for command in (("migrate", "--noinput"), ("load-demo",), ("check",)):
        result = grantwatch(*command)
        assert result.returncode == 0, f"{command}: {result.stderr}"
    assert "officer" in grantwatch("load-demo").stdout
    commands = grantwatch("help", "--commands").stdout.split()
    assert {"import-grant", "export-grant", "load-demo", "seed-portfolio", "migrate"} <= set(
        commands
    )
