"""English is the source language; the Latvian catalogue is complete, compiled and current."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "backend" / "locale" / "lv" / "LC_MESSAGES" / "django.po"


def _entries(po) -> dict:
    return {(entry.msgctxt, entry.msgid, entry.msgid_plural): entry for entry in po}


def test_every_latvian_entry_is_translated():
    po = polib.pofile(str(CATALOGUE))

    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]

    assert len(po) > 0
    assert untranslated == []
    assert fuzzy == []


def test_the_compiled_catalogue_matches_its_source():
    po = polib.pofile(str(CATALOGUE))
    mo = polib.mofile(str(CATALOGUE.with_suffix(".mo")))

    compiled = {(e.msgctxt, e.msgid): (e.msgstr, e.msgstr_plural) for e in mo if e.msgid}
    source = {
        (e.msgctxt, e.msgid): (e.msgstr, {int(k): v for k, v in e.msgstr_plural.items()})
        for e in po.translated_entries()
    }
    assert {
        key: (msgstr, {int(k): v for k, v in plural.items()})
        for key, (msgstr, plural) in compiled.items()
    } == source


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs GNU gettext (xgettext)")
def test_the_catalogue_holds_every_string_of_the_code(tmp_path):
    """Extract the strings again from a copy of the code and compare with the catalogue."""
    for package in ("backend", "frontend", "monitoring"):
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "node_modules"),
        )
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | {
        "PYTHONPATH": str(tmp_path),
        "GRANTWATCH_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run(
        [
            sys.executable,
            "-m",
            "backend.cli",
            "makemessages",
            "--locale",
            "lv",
            "--no-obsolete",
            "--ignore",
            "var",
            "--ignore",
            "migrations",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = polib.pofile(str(tmp_path / "backend" / "locale" / "lv" / "LC_MESSAGES" / "django.po"))

    missing = set(_entries(fresh)) - set(_entries(polib.pofile(str(CATALOGUE))))
    stale = set(_entries(polib.pofile(str(CATALOGUE)))) - set(_entries(fresh))
    assert missing == set(), "run `make messages` and translate the new strings"
    assert stale == set(), "run `make messages` to drop strings the code no longer has"


def test_a_message_is_shown_in_latvian():
    from django.contrib.auth.models import AnonymousUser

    from backend.grants.permissions import can_import_grant

    with translation.override("lv"):
        _allowed, reason = can_import_grant(AnonymousUser())

    assert reason
    assert reason != "Sign in to import a grant."
