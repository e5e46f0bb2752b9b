"""Small valid files of every accepted type, and disguised ones, built in the test (no fixture
files). ``test_evidence.py`` checks what libmagic says of each before the other tests rely on
it."""

import io
import struct
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
CSV = "code,title,city\nD1.1,Handbook,Rīga\n".encode()
RTF = b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\\f0 Project handbook.\\par}\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00"
    b"\x00IEND\xaeB`\x82"
)
# The start of a Windows executable (an MZ header with its PE offset).
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def _zip(entries: list[tuple[str, bytes | str]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            if name == "mimetype":  # an OpenDocument's first entry, stored uncompressed
                archive.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_STORED)
            else:
                archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip(
    [
        (
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Override PartName="/word/document.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.'
            'document.main+xml"/></Types>',
        ),
        ("word/document.xml", "<w:document><w:body><w:p/></w:body></w:document>"),
    ]
)
ODT = _zip(
    [
        ("mimetype", "application/vnd.oasis.opendocument.text"),
        ("content.xml", "<office:document-content/>"),
    ]
)
ZIP = _zip([("minutes.txt", "Kick-off minutes"), ("attendance.csv", "name\nAnna\n")])
# A zip with no Word document in it.
NOT_A_DOCX = _zip([("[Content_Types].xml", "<Types/>"), ("notes.txt", "hello")])

_END, _FREE = 0xFFFFFFFE, 0xFFFFFFFF


def _cdf_entry(name: str, kind: int, child: int = _FREE) -> bytes:
    encoded = name.encode("utf-16-le") + b"\0\0" if name else b""
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", _FREE, _FREE, child)
        + b"\0" * 36
        + struct.pack("<IQ", _END, 0)
    )


def compound_file(stream: str) -> bytes:
    """A minimal OLE compound file (what .doc and .xls are) holding one empty stream: libmagic
    names it by the stream (WordDocument: application/msword; Workbook: vnd.ms-excel)."""
    header = (
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\0" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\0" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 0x1000, _END, 0, _END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", _FREE) * 108
    )
    fat = struct.pack("<II", 0xFFFFFFFD, _END) + struct.pack("<I", _FREE) * 126
    directory = (
        _cdf_entry("Root Entry", 5, child=1)
        + _cdf_entry(stream, 2)
        + _cdf_entry("", 0)
        + _cdf_entry("", 0)
    )
    return header + fat + directory


DOC = compound_file("WordDocument")
XLS = compound_file("Workbook")

VALID = {"pdf": PDF, "docx": DOCX, "odt": ODT, "csv": CSV, "rtf": RTF, "zip": ZIP, "doc": DOC}


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    """A file as a multipart upload brings it (the client's content type is not trusted)."""
    return SimpleUploadedFile(name, content, content_type=content_type)
