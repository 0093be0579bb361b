"""Lists of participants as files (CSV, XLSX) in Italian conventions: what a
coordinator takes into a spreadsheet. The file carries personal data: making
it is audited as an export naming everyone in it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Select

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.participants.models import Participant
from amal.services import Context, use_case
from amal.tabular import csv_bytes, list_xlsx

COLUMNS = (
    "N. scheda",
    "Cognome",
    "Nome",
    "Codice fiscale",
    "Data di nascita",
    "Stato",
    "E-mail",
    "Telefono",
    "Comune di residenza",
    "Ultimo datore di lavoro",
    "Settore",
    "Mesi senza lavoro",
    "Registrato il",
)
FORMATS = ("csv", "xlsx")


@use_case
def export_participants(
    ctx: Context,
    query: Select[tuple[Participant]],
    fmt: str,
    *,
    territory: str,
    status_label: Callable[[object], str],
    filters: dict[str, object],
) -> bytes:
    """``query`` (already scoped to what the caller may see) as a file; each
    status named by ``status_label`` (Italian)."""
    people = ctx.session.scalars(
        query.order_by(Participant.last_name, Participant.first_name, Participant.id)
    ).all()
    rows = [
        (
            p.id,
            p.last_name,
            p.first_name,
            p.fiscal_code or "",
            p.birth_date,
            status_label(p.status),
            p.email,
            p.phone,
            p.municipality,
            p.last_employer,
            p.sector,
            p.months_out_of_work,
            p.created_at.date(),
        )
        for p in people
    ]
    record(
        ctx,
        AuditAction.EXPORT,
        "participant_list",
        None,
        territory_code=territory,
        ids=[p.id for p in people],
        count=len(people),
        format=fmt,
        filters=filters,
    )
    if fmt == "csv":
        return csv_bytes([COLUMNS, *rows])
    return list_xlsx("Partecipanti", COLUMNS, rows)
