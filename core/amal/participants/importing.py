"""Importing candidates from a spreadsheet (CSV or XLSX), as a coordinator
brings in the list a partner kept in Excel.

Policy: **nothing is saved until the whole file is right.** The file is first
checked (a preview: every row registered as it would be, in a transaction
that is then rolled back, so that duplicates against the register and within
the file are found) and each row's problems are listed; only a file without
any problem can be imported, and then in one transaction. Imported people are
candidates, registered as the intake form would register them (same
normalisation, same duplicate check); consent is recorded afterwards, on each
record, with the person.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from amal.errors import DomainError
from amal.participants.models import EmploymentStatus
from amal.participants.services import register_candidate
from amal.services import Context, use_case

MAX_ROWS = 1000

# Column headings (lower case, Italian first) -> field.
HEADINGS = {
    "cognome": "last_name",
    "nome": "first_name",
    "codice fiscale": "fiscal_code",
    "data di nascita": "birth_date",
    "sesso": "gender",
    "genere": "gender",
    "e-mail": "email",
    "email": "email",
    "telefono": "phone",
    "comune": "municipality",
    "comune di residenza": "municipality",
    "ultimo datore di lavoro": "last_employer",
    "settore": "sector",
    "mesi senza lavoro": "months_out_of_work",
    "condizione": "employment_status",
    "condizione lavorativa": "employment_status",
    "come ci ha conosciuto": "heard_from",
    "bisogni": "needs",
    "data di registrazione": "registered_on",
}
TEMPLATE_HEADINGS = (
    "Cognome",
    "Nome",
    "Codice fiscale",
    "Data di nascita",
    "Sesso",
    "E-mail",
    "Telefono",
    "Comune di residenza",
    "Ultimo datore di lavoro",
    "Settore",
    "Mesi senza lavoro",
    "Condizione lavorativa",
    "Come ci ha conosciuto",
    "Bisogni",
    "Data di registrazione",
)
EMPLOYMENT_WORDS = {
    "licenziato": EmploymentStatus.DISMISSED,
    "licenziata": EmploymentStatus.DISMISSED,
    "in via di licenziamento": EmploymentStatus.BEING_DISMISSED,
    "in uscita": EmploymentStatus.BEING_DISMISSED,
    "mobilità": EmploymentStatus.MOBILITY_LIST,
    "lista di mobilità": EmploymentStatus.MOBILITY_LIST,
    "cassa integrazione": EmploymentStatus.REDUNDANCY_FUND,
    "cig": EmploymentStatus.REDUNDANCY_FUND,
    "naspi": EmploymentStatus.NASPI,
    "altro": EmploymentStatus.OTHER,
    **{s.value: s for s in EmploymentStatus},
}
FIELD_NAMES = {
    "last_name": "Cognome",
    "first_name": "Nome",
    "fiscal_code": "Codice fiscale",
    "birth_date": "Data di nascita",
    "gender": "Sesso",
    "email": "E-mail",
    "phone": "Telefono",
    "municipality": "Comune di residenza",
    "last_employer": "Ultimo datore di lavoro",
    "sector": "Settore",
    "months_out_of_work": "Mesi senza lavoro",
    "employment_status": "Condizione lavorativa",
    "heard_from": "Come ci ha conosciuto",
    "needs": "Bisogni",
    "registered_on": "Data di registrazione",
}


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it (the heading is row 1)
    values: dict[str, Any]
    errors: list[str] = field(default_factory=list)
    participant_id: int | None = None
    name: str = ""


@dataclass
class ImportReport:
    rows: list[Row]
    unknown_columns: list[str]

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


class _RolledBack(Exception):
    """Ends a preview (or a file with errors): the use case rolls everything back."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


def read_file(filename: str, content: bytes) -> tuple[list[str], list[list[Any]]]:
    """Headings and rows of a CSV (";" or "," separated, UTF-8 or Windows
    encoding) or XLSX file (its first sheet)."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            from openpyxl import load_workbook  # when a file is uploaded

            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception:
            raise DomainError("unreadable_file", "The file is not a readable XLSX file") from None
        table = [list(r) for r in sheet.iter_rows(values_only=True)]
    elif name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252", "replace")
        sample = text[:4096]
        delimiter = ";" if sample.count(";") >= sample.count(",") else ","
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    else:
        raise DomainError("unreadable_file", "Choose a .csv or .xlsx file")
    table = [r for r in table if any(c not in (None, "") for c in r)]
    if not table:
        raise DomainError("unreadable_file", "The file is empty")
    headings = [str(h or "").strip() for h in table[0]]
    if len(table) - 1 > MAX_ROWS:
        raise DomainError("too_many_rows", f"At most {MAX_ROWS} people per file")
    return headings, table[1:]


def _day(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for pattern in (r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", r"(\d{4})-(\d{2})-(\d{2})"):
        match = re.fullmatch(pattern, text)
        if match:
            a, b, c = (int(x) for x in match.groups())
            try:
                return date(c, b, a) if pattern.startswith(r"(\d{1,2})") else date(a, b, c)
            except ValueError:
                break
    raise ValueError(f"data non valida «{text}» (usare gg/mm/aaaa)")


def _convert(values: dict[str, Any]) -> dict[str, Any]:
    """Spreadsheet cells to the intake's fields; a bad cell raises ValueError naming it."""
    fields: dict[str, Any] = {}
    for key, raw in values.items():
        column = FIELD_NAMES[key]
        if key in ("birth_date", "registered_on"):
            try:
                fields[key] = _day(raw)
            except ValueError as error:
                raise ValueError(f"{column}: {error}") from None
        elif key == "months_out_of_work":
            text = str(raw if raw is not None else "").strip()
            if text:
                try:
                    fields[key] = int(float(text.replace(",", ".")))
                except ValueError:
                    raise ValueError(f"{column}: «{text}» non è un numero") from None
        elif key == "employment_status":
            text = str(raw or "").strip().lower()
            if text:
                if text not in EMPLOYMENT_WORDS:
                    raise ValueError(
                        f"{column}: «{raw}» sconosciuta (licenziato, in via di licenziamento, "
                        "mobilità, cassa integrazione, NASpI, altro)"
                    )
                fields[key] = EMPLOYMENT_WORDS[text]
        else:
            fields[key] = "" if raw is None else str(raw).strip()
    if fields.get("fiscal_code") == "":
        fields["fiscal_code"] = None
    return fields


def _rows(headings: list[str], table: list[list[Any]]) -> tuple[list[Row], list[str]]:
    keys = [HEADINGS.get(h.lower()) for h in headings]
    unknown = [h for h, k in zip(headings, keys, strict=True) if h and k is None]
    if "last_name" not in keys or "first_name" not in keys:
        raise DomainError(
            "missing_columns",
            "The file needs at least the columns Cognome and Nome (first row)",
        )
    rows = []
    for number, cells in enumerate(table, start=2):
        values = {key: cells[i] if i < len(cells) else None for i, key in enumerate(keys) if key}
        rows.append(Row(number, values))
    return rows, unknown


@use_case
def _register_all(ctx: Context, territory: str, report: ImportReport, keep: bool) -> ImportReport:
    for row in report.rows:
        names = (row.values.get("last_name"), row.values.get("first_name"))
        row.name = " ".join(str(n).strip() for n in names if n not in (None, "")).strip()
        try:
            fields = _convert(row.values)
        except ValueError as error:
            row.errors.append(str(error))
            continue
        registered_on = fields.pop("registered_on", None)
        savepoint = ctx.session.begin_nested()
        try:
            participant = register_candidate(ctx, territory, registered_on=registered_on, **fields)
            savepoint.commit()
        except DomainError as error:
            savepoint.rollback()
            row.errors.append(error_text(error))
        else:
            row.participant_id = participant.id
    if not keep or not report.ok:
        raise _RolledBack(report)
    return report


def error_text(error: DomainError) -> str:
    """A row's problem in Italian (the person reading the preview is staff)."""
    field_name = FIELD_NAMES.get(str(error.details.get("field", "")), "")
    known = {
        "required_field": "campo obbligatorio vuoto",
        "invalid_fiscal_code": "codice fiscale non valido",
        "empty_fiscal_code": "codice fiscale vuoto",
        "invalid_email": "e-mail non valida",
        "invalid_phone": "telefono non valido",
        "event_in_future": "data nel futuro",
        "invalid_characters": "caratteri di controllo non ammessi",
    }
    if error.code == "duplicate_participant":
        other = error.details.get("duplicate_of")
        return f"forse già registrato (scheda n. {other})"
    text = known.get(error.code, error.message)
    return f"{field_name}: {text}" if field_name else text


def _report(filename: str, content: bytes) -> ImportReport:
    headings, table = read_file(filename, content)
    rows, unknown = _rows(headings, table)
    if not rows:
        raise DomainError("unreadable_file", "The file has headings but no people")
    return ImportReport(rows, unknown)


def preview(ctx: Context, territory: str, filename: str, content: bytes) -> ImportReport:
    """Check every row as the import would, saving nothing."""
    report = _report(filename, content)
    try:
        _register_all(ctx, territory, report, False)
    except _RolledBack as done:
        return done.report
    raise AssertionError("a preview always rolls back")  # pragma: no cover


def import_file(ctx: Context, territory: str, filename: str, content: bytes) -> ImportReport:
    """Register every row in one transaction, or nobody (``import_refused``,
    with each row's problems) if any row is wrong."""
    report = _report(filename, content)
    try:
        return _register_all(ctx, territory, report, True)
    except _RolledBack as refused:
        raise DomainError(
            "import_refused",
            f"{refused.report.errors} rows have problems: nothing imported",
            rows={r.number: r.errors for r in refused.report.rows if r.errors},
        ) from None
