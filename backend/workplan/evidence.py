"""Checking a deliverable's evidence file before it is stored. The Funding & Tenders Portal
takes one file per deliverable, in doc, docx, odt, rtf, pdf, csv or zip; several files go into
one zip (IT How To "Completing the deliverables",
https://webgate.ec.europa.eu/funding-tenders-opportunities/display/IT/Completing+the+Deliverables).

The extension says what the file claims to be; its content, as libmagic reads it, must agree.
An executable or an image renamed ``.pdf`` is refused, and so is a PDF renamed ``.docx``. Files
are stored under a random name (``EvidenceFile.file``'s ``upload_to``) and never served from
MEDIA_URL: they are downloaded through a view that checks access.
"""

import codecs
import hashlib
import os
import zipfile
from dataclasses import dataclass

import magic
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from backend.common.errors import InvalidInput

FIELD = "file"
SNIFF_BYTES = 8 * 1024

ALLOWED_EXTENSIONS = ("doc", "docx", "odt", "rtf", "pdf", "csv", "zip")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
ZIP = "application/zip"

# What each extension's content is stored and served as, once it is found to match.
CONTENT_TYPES = {
    "doc": "application/msword",
    "docx": DOCX,
    "odt": ODT,
    "rtf": "application/rtf",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "zip": ZIP,
}


@dataclass(frozen=True)
class CheckedFile:
    """An upload found acceptable: the name to show, its size, content type and digest."""

    name: str
    extension: str
    size: int
    content_type: str
    sha256: str


def max_bytes() -> int:
    return int(settings.GRANTWATCH_EVIDENCE_MAX_BYTES)


def human_size(size: int) -> str:
    """``52428800`` -> ``50 MB``; ``1536`` -> ``1.5 KB``."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value == int(value) else f"{value:.1f} {unit}"
    return f"{size} B"


def _allowed() -> str:
    return ", ".join(ALLOWED_EXTENSIONS)


def _refuse(message: str) -> InvalidInput:
    return InvalidInput.at(FIELD, message)


def clean_name(raw: str) -> str:
    """The user's file name without any directory, made safe to show and to offer as the name
    of a download (at most 255 characters, the extension kept)."""
    base = os.path.basename(str(raw).replace("\\", "/")).strip()
    try:
        name = get_valid_filename(base)
    except SuspiciousFileOperation:
        name = ""
    if not name:
        suffix = base.rsplit(".", 1)[-1].lower() if "." in base else ""
        name = f"evidence.{get_valid_filename(suffix)}" if suffix.isalnum() else "evidence"
    if len(name) > 255:
        stem, dot, suffix = name.rpartition(".")
        name = stem[: 255 - len(suffix) - 1] + dot + suffix if dot else name[:255]
    return name


def _zip_names(upload) -> list[str] | None:
    """The names in a ZIP archive, or None if it is not a valid one."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)


def _zip_member(upload, name: str, limit: int = 200) -> bytes | None:
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive, archive.open(name) as member:
            return member.read(limit)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, RuntimeError):
        return None
    finally:
        upload.seek(0)


def _matches(extension: str, detected: str, upload) -> bool:
    """Does the content (as libmagic ``detected`` it) fit the extension?"""
    if extension == "pdf":
        return detected == "application/pdf"
    if extension == "doc":
        return (
            detected in ("application/msword", "application/vnd.ms-word")
            or detected.startswith("application/CDFV2")
            or detected.startswith("application/vnd.ms-word.document")
        )
    if extension == "docx":
        # libmagic names a docx only when its parts come in Word's order; otherwise it says zip.
        if detected not in (DOCX, ZIP):
            return False
        names = _zip_names(upload)
        return names is not None and "word/document.xml" in names
    if extension == "odt":
        if detected not in (ODT, ZIP):
            return False
        mimetype = _zip_member(upload, "mimetype")
        return mimetype is not None and mimetype.strip() == ODT.encode()
    if extension == "rtf":
        return detected in ("text/rtf", "application/rtf")
    if extension == "csv":
        return detected in ("text/csv", "text/plain") and _utf8_text(upload)
    if extension == "zip":
        return detected == ZIP and _zip_names(upload) is not None
    return False


def _utf8_text(upload) -> bool:
    """UTF-8 text without NUL bytes (read in chunks, a character may span two)."""
    upload.seek(0)
    try:
        decoder = codecs.getincrementaldecoder("utf-8")()
        for chunk in upload.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
        return True
    except UnicodeDecodeError:
        return False
    finally:
        upload.seek(0)


def _digest(upload) -> str:
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


# What a multipart request carries besides the file itself (boundaries, headers, field names).
ENVELOPE_BYTES = 64 * 1024


def request_size_check(content_length) -> None:
    """Refuse an upload whose request is too large to hold an acceptable file before its body
    is read (a client that states the length; the web server caps the others)."""
    try:
        length = int(content_length or 0)
    except (TypeError, ValueError):
        return
    limit = max_bytes()
    if length > limit + ENVELOPE_BYTES:
        raise _refuse(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": human_size(length), "limit": human_size(limit)}
        )


def evidence_check(upload) -> CheckedFile:
    """Check an uploaded file (a Django ``UploadedFile``, or None if none came); raise
    InvalidInput at ``file`` saying what is wrong, or return what to store about it."""
    if upload is None:
        raise _refuse(_("Choose a file to upload (%(allowed)s).") % {"allowed": _allowed()})
    name = clean_name(upload.name or "")
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise _refuse(
            _(
                'Files of this type ("%(name)s") are not accepted; upload one of: %(allowed)s '
                "(several files go into one zip)."
            )
            % {"name": name, "allowed": _allowed()}
        )
    size = upload.size or 0
    if size == 0:
        raise _refuse(_("The file is empty."))
    limit = max_bytes()
    if size > limit:
        raise _refuse(
            _("The file is too large (%(size)s); the limit is %(limit)s.")
            % {"size": human_size(size), "limit": human_size(limit)}
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    detected = magic.from_buffer(head, mime=True) or "application/octet-stream"
    if not _matches(extension, detected, upload):
        raise _refuse(
            _(
                'The content of "%(name)s" (%(detected)s) is not that of a .%(extension)s file; '
                "upload a real file of one of these types: %(allowed)s."
            )
            % {
                "name": name,
                "detected": detected,
                "extension": extension,
                "allowed": _allowed(),
            }
        )
    content_type = CONTENT_TYPES[extension] if detected in (ZIP, "text/plain") else detected
    return CheckedFile(
        name=name,
        extension=extension,
        size=size,
        content_type=content_type,
        sha256=_digest(upload),
    )
