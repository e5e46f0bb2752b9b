"""Checking an evidence file: what libmagic says of the test files, each accepted type, and
each refusal (empty, too large, wrong type, disguised), always at the path ``file``."""

import hashlib

import magic
import pytest

from backend.common.errors import InvalidInput
from backend.workplan.evidence import clean_name, evidence_check, human_size
from tests.workplan import files

ALLOWED = "doc, docx, odt, rtf, pdf, csv, zip"


@pytest.mark.parametrize(
    ("content", "detected"),
    [
        (files.PDF, "application/pdf"),
        (files.DOCX, "application/zip"),  # a docx whose parts are not in Word's order
        (files.ODT, "application/vnd.oasis.opendocument.text"),
        (files.CSV, "text/plain"),
        (files.RTF, "text/rtf"),
        (files.ZIP, "application/zip"),
        (files.DOC, "application/msword"),
        (files.XLS, "application/vnd.ms-excel"),
        (files.PNG, "image/png"),
        (files.EXE, "application/x-dosexec"),
    ],
)
def test_what_libmagic_says_of_the_test_files(content, detected):
    assert magic.from_buffer(content[:8192], mime=True) == detected


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("report.pdf", files.PDF, "application/pdf"),
        (
            "report.docx",
            files.DOCX,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("report.odt", files.ODT, "application/vnd.oasis.opendocument.text"),
        ("data.csv", files.CSV, "text/csv"),
        ("report.rtf", files.RTF, "text/rtf"),
        ("bundle.zip", files.ZIP, "application/zip"),
        ("report.doc", files.DOC, "application/msword"),
        ("REPORT.PDF", files.PDF, "application/pdf"),
    ],
)
def test_each_accepted_type_passes(name, content, content_type):
    checked = evidence_check(files.upload(name, content))
    assert checked.name == name
    assert checked.size == len(content)
    assert checked.content_type == content_type
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


def _refusal(upload) -> list[dict]:
    with pytest.raises(InvalidInput) as refused:
        evidence_check(upload)
    return [error.as_dict() for error in refused.value.errors]


def _mismatch(name: str, detected: str, extension: str) -> str:
    return (
        f'The content of "{name}" ({detected}) is not that of a .{extension} file; upload a '
        f"real file of one of these types: {ALLOWED}."
    )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"", "The file is empty."),
        ("setup.pdf", files.EXE, _mismatch("setup.pdf", "application/x-dosexec", "pdf")),
        ("photo.pdf", files.PNG, _mismatch("photo.pdf", "image/png", "pdf")),
        ("report.docx", files.PDF, _mismatch("report.docx", "application/pdf", "docx")),
        ("report.docx", files.NOT_A_DOCX, _mismatch("report.docx", "application/zip", "docx")),
        (
            "report.docx",
            files.ODT,
            _mismatch("report.docx", "application/vnd.oasis.opendocument.text", "docx"),
        ),
        ("report.odt", files.DOCX, _mismatch("report.odt", "application/zip", "odt")),
        ("budget.doc", files.XLS, _mismatch("budget.doc", "application/vnd.ms-excel", "doc")),
        ("data.csv", files.PNG, _mismatch("data.csv", "image/png", "csv")),
        ("bundle.zip", files.PDF, _mismatch("bundle.zip", "application/pdf", "zip")),
        # An archive without its central directory: libmagic sees a zip, zipfile cannot read it.
        ("bundle.zip", files.ZIP[:-22], _mismatch("bundle.zip", "application/zip", "zip")),
        ("report.rtf", files.PDF, _mismatch("report.rtf", "application/pdf", "rtf")),
    ],
)
def test_wrong_or_disguised_content_is_refused(name, content, message):
    errors = _refusal(files.upload(name, content))
    assert errors == [{"path": "file", "message": message}]


def test_a_csv_that_is_not_utf8_is_refused_naming_what_was_found():
    errors = _refusal(files.upload("data.csv", "code;name\nD1;Mārupe\n".encode("cp1257")))
    assert errors == [
        {"path": "file", "message": _mismatch("data.csv", "text/plain", "csv")},
    ]


@pytest.mark.parametrize("name", ["setup.exe", "photo.png", "notes.txt", "report", "archive.7z"])
def test_other_extensions_are_refused_naming_the_allowed_types(name):
    assert _refusal(files.upload(name, files.PDF)) == [
        {
            "path": "file",
            "message": f'Files of this type ("{name}") are not accepted; upload one of: '
            f"{ALLOWED} (several files go into one zip).",
        }
    ]


def test_no_file_is_refused():
    assert _refusal(None) == [{"path": "file", "message": f"Choose a file to upload ({ALLOWED})."}]


def test_a_file_over_the_limit_is_refused_naming_the_limit(settings):
    settings.GRANTWATCH_EVIDENCE_MAX_BYTES = 2048
    content = files.PDF + b"%" * (2049 - len(files.PDF))
    assert _refusal(files.upload("report.pdf", content)) == [
        {"path": "file", "message": "The file is too large (2.0 KB); the limit is 2 KB."}
    ]
    settings.GRANTWATCH_EVIDENCE_MAX_BYTES = 2049
    assert evidence_check(files.upload("report.pdf", content)).size == 2049


def test_the_default_limit_is_50_mb():
    from backend.config import settings as project_settings

    assert project_settings.GRANTWATCH_EVIDENCE_MAX_BYTES == 50 * 1024 * 1024


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\Users\\anna\\My report (final).pdf", "My_report_final.pdf"),
        ("Pārskats 2026.pdf", "Pārskats_2026.pdf"),
        ("..", "evidence"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_file_names_are_made_safe(raw, clean):
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("size", "text"),
    [(100, "100 B"), (1536, "1.5 KB"), (1024 * 1024, "1 MB"), (50 * 1024 * 1024, "50 MB")],
)
def test_human_size(size, text):
    assert human_size(size) == text
