"""Tables in files, in Italian conventions, for every list and report AMAL
writes: CSV with ";" between fields, decimal comma, dates dd/mm/yyyy and a
UTF-8 BOM (as Excel in Italian opens it); XLSX with numbers and dates as
themselves and formats that Excel in Italian shows as 1.234,5, 86,7% and
20/03/2026. Text never becomes a formula (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# The control characters an XLSX cell cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE,
# spelled out: openpyxl is imported only when a file is written, not at every start).
ILLEGAL_CHARACTERS_RE = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


class Share(float):
    """A proportion (0.867 for 86.7%): a number in files, whose spreadsheets
    format it as a percentage; shown and kept in JSON as ``"86.7%"`` (with
    ``digits`` decimals: a threshold of 70% has none)."""

    digits: int

    def __new__(cls, value: float, digits: int = 1) -> Share:
        share = super().__new__(cls, value)
        share.digits = digits
        return share

    def __str__(self) -> str:
        return f"{100 * self:.{self.digits}f}%"


class Day(date):
    """A date in a table: a date in files, ``dd/mm/yyyy`` on pages and in JSON."""

    def __str__(self) -> str:
        return f"{self:%d/%m/%Y}"

    @classmethod
    def of(cls, day: date) -> Day:
        return cls(day.year, day.month, day.day)


# Number formats are stored locale-free; Excel in Italian shows 1.234,5 and 86,7%.
FORMATS = {
    "int": "#,##0",
    "decimal": "#,##0.0#",
    "share": "0.0%",
    "share0": "0%",
    "date": "DD/MM/YYYY",
}
# A spreadsheet reads a cell starting with one of these as a formula: such text
# gets a leading apostrophe and stays text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def kind(value: object) -> str | None:
    """The XLSX number format a value needs (None: text or nothing)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Share):
        return "share" if value.digits else "share0"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | Decimal):
        return "int" if value == int(value) else "decimal"
    if isinstance(value, date) and not isinstance(value, datetime):
        return "date"
    return None


def cell(value: object) -> object:
    """An XLSX cell: numbers and dates as themselves (the format makes them
    Italian); text without the control characters XLSX cannot hold (old data
    may have them) and never a formula."""
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        # A lone "-" (no figure) cannot compute anything: kept readable.
        return "'" + text if text.startswith(FORMULA_PREFIXES) and text != "-" else text
    if isinstance(value, Share | Decimal):
        return float(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return date(value.year, value.month, value.day)
    return value


def text(value: object) -> str:
    """A CSV field as Italian Excel reads it: 1,5 and 86,7% and 20/03/2026."""
    if value is None:
        return ""
    if isinstance(value, Share):
        return str(value).replace(".", ",")
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float | Decimal):
        return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, date) and not isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    return str(cell(value))


def append(sheet: Worksheet, row: Sequence[object]) -> None:
    """One row, each value with the format that shows it the Italian way."""
    sheet.append([cell(v) for v in row])
    for target, value in zip(sheet[sheet.max_row], row, strict=False):
        needed = kind(value)
        if needed:
            target.number_format = FORMATS[needed]


def bold_row(sheet: Worksheet, row: int) -> None:
    for target in sheet[row]:
        from openpyxl.styles import Font

        target.font = Font(bold=True)


def sheet_name(name: str, used: set[str]) -> str:
    """A valid sheet name (at most 31 characters, none of []:*?/\\) not yet taken."""
    base = re.sub(r"[\[\]:*?/\\]", "-", ILLEGAL_CHARACTERS_RE.sub("", name)).strip("' ")[:31]
    base = base or "Tabella"
    candidate, n = base, 2
    while candidate.casefold() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.casefold())
    return candidate


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerows([text(v) for v in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def list_xlsx(title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet: the column names in bold, frozen, filterable; then the rows."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name(title, set())
    sheet.append(list(columns))
    bold_row(sheet, 1)
    for row in rows:
        append(sheet, row)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    for index in range(len(columns)):
        sheet.column_dimensions[chr(ord("A") + index % 26)].width = 20
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
