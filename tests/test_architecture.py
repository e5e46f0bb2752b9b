"""The shape of the code: functions short enough to read in one screen.

Complexity is ruff's C901 (pyproject.toml, max-complexity 12); ruff has no rule for a function's
length, so this test holds that one.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("backend", "monitoring", "frontend")
MAX_LINES = 80


def _functions(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1


def _sources():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if {"migrations", "node_modules"} & set(path.parts):
                continue
            yield path


def test_the_sources_are_found():
    names = {path.relative_to(ROOT).as_posix() for path in _sources()}
    assert {"backend/reporting/services.py", "monitoring/checks.py", "frontend/urls.py"} <= names


def test_a_long_function_is_caught(tmp_path):
    source = tmp_path / "long.py"
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_LINES))
    source.write_text(f"def long():\n{body}\n\ndef short():\n    return 1\n")
    assert [(name, lines) for name, _, lines in _functions(source)] == [
        ("long", MAX_LINES + 1),
        ("short", 2),
    ]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_function_is_longer_than_80_lines(package):
    too_long = [
        f"{path.relative_to(ROOT)}:{line} {name} ({lines} lines)"
        for path in _sources()
        if path.relative_to(ROOT).parts[0] == package
        for name, line, lines in _functions(path)
        if lines > MAX_LINES
    ]
    assert too_long == []
