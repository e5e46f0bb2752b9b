"""Writing tables as CSV and XLSX downloads.

Both take the column headers (already in the user's language) and rows of plain values: text,
whole numbers, Decimal amounts, dates, or None for an empty cell.

- CSV: UTF-8 with a byte order mark (so that Excel reads Latvian letters right), dates ISO,
  amounts plain ("1234.50").
- XLSX: amounts are numbers with two decimals, dates are dates shown as ISO.
- Text that a spreadsheet would read as a formula (starting with = + - @, or a tab or carriage
  return) is written with a leading apostrophe, so that a title such as "=HYPERLINK(...)" stays
  text (CSV/formula injection). Numbers and dates are never changed.
"""

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CENT = Decimal("0.01")

Cell = str | int | Decimal | datetime.date | None


def safe_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _ascii(text: str) -> str:
    """ "ŽALS" -> "ZALS": letters without their accents, anything else dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def filename(*parts: str, extension: str) -> str:
    """A file name of plain letters, digits and dashes: "CARETECH-deliverables-2026-11-27.csv"."""
    name = "-".join(
        re.sub(r"[^A-Za-z0-9]+", "-", _ascii(part)).strip("-") for part in parts if part
    )
    return f"{name or 'export'}.{extension}"


def _attachment(response: HttpResponse, name: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def csv_value(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        raise TypeError("write yes/no as words in the user's language")
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    return safe_text(str(value))


def csv_response(name: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([safe_text(str(header)) for header in headers])
    for row in rows:
        writer.writerow([csv_value(value) for value in row])
    response = HttpResponse(
        buffer.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, name)


def _xlsx_cell(value: Cell):
    if isinstance(value, datetime.datetime):
        return value.date(), "yyyy-mm-dd"
    if isinstance(value, datetime.date):
        return value, "yyyy-mm-dd"
    if isinstance(value, Decimal):
        return value.quantize(CENT), "#,##0.00"
    if isinstance(value, str):
        return safe_text(value), None
    return value, None


def xlsx_response(
    name: str, title: str, headers: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = safe_text(str(title))[:31]
    sheet.append([safe_text(str(header)) for header in headers])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(header)) for header in headers]
    for row in rows:
        values = []
        formats = []
        for index, value in enumerate(row):
            written, number_format = _xlsx_cell(value)
            values.append(written)
            formats.append(number_format)
            widths[index] = max(widths[index], min(len(str(written or "")), 60))
        sheet.append(values)
        for cell, number_format in zip(sheet[sheet.max_row], formats, strict=True):
            if number_format:
                cell.number_format = number_format
            # Text is text, even when it reads like a formula (it carries its apostrophe).
            if isinstance(cell.value, str):
                cell.data_type = "s"
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width + 2
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return _attachment(HttpResponse(buffer.getvalue(), content_type=XLSX_CONTENT_TYPE), name)
