"""The regional comparison: Italian, territories side by side, and suppression
only where a count of people could single someone out."""

from __future__ import annotations

import re
from datetime import date

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.groups.services import create_group
from amal.participants.models import ParticipantStatus as S
from amal.regional import SMALL_CELL, suppress
from amal.testing import TEST_PASSWORD, csrf_token


def test_a_lone_small_cell_takes_a_complementary_one_with_it() -> None:
    counts = {S.CANDIDATE: 7, S.SCREENED: 3, S.ADMITTED: 6, S.ACTIVE: 0}
    # Hiding only the 3 would not protect it: total 16 - 7 - 6 - 0 gives it back.
    assert sum(counts.values()) - 7 - 6 - 0 == 3
    cells = suppress(counts)
    assert cells[S.SCREENED].hidden == "small"
    assert cells[S.ADMITTED].hidden == "complementary"  # the smallest other non-zero cell
    assert cells[S.CANDIDATE].hidden == "" and cells[S.ACTIVE].hidden == ""
    assert cells[None].value == 16 and cells[None].hidden == ""
    # What a reader can still work out is screened + admitted = 9, not the 3.
    visible = [c.value for k, c in cells.items() if k is not None and not c.hidden]
    assert cells[None].value - sum(visible) == 9


def test_two_small_cells_need_no_complement_and_a_small_total_is_hidden() -> None:
    cells = suppress({"a": 2, "b": 1, "c": 8})
    assert [cells[k].hidden for k in ("a", "b", "c")] == ["small", "small", ""]
    assert suppress({"a": 3, "b": 0})[None].hidden == "small"
    assert suppress({"a": 0, "b": 0})[None].value == 0


def test_regional_page_in_italian_side_by_side(app, client, ctx, person) -> None:
    for _ in range(6):
        person("monza-brianza", status=S.CANDIDATE)
    for _ in range(2):
        person("monza-brianza", status=S.SCREENED)
    person("lecco", status=S.CANDIDATE)
    create_group(ctx, "lecco", "Gruppo Valmadrera", start_date=date(2026, 3, 2))
    create_user(
        ctx,
        "regione",
        TEST_PASSWORD,
        roles=[("monza-brianza", Role.REGIONAL_VIEWER), ("lecco", Role.REGIONAL_VIEWER)],
    )
    client.post(
        "/login",
        data={"username": "regione", "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    page = client.get("/regional").get_data(as_text=True)
    assert "participants" not in page and "dropped_out" not in page
    assert "Persone per stato" in page and "ritirato" in page  # labels in Italian
    header = re.search(r"<thead><tr><th></th>(.*?)</tr></thead>", page, re.S)[1]
    assert "Provincia di Monza e Brianza" in header and "Lecco - Sportello di Valmadrera" in header

    def row(text: str) -> list[str]:
        found = re.search(rf"<tr><td>{text}</td>(.*?)</tr>", page, re.S)
        assert found, text
        return [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<td[^>]*>(.*?)</td>", found[1], re.S)
        ]

    # Columns in the order of the header: find Monza's and Lecco's position.
    names = re.findall(r'<th class="num">(.*?)</th>', header)
    monza, lecco = (
        names.index("Provincia di Monza e Brianza"),
        names.index("Lecco - Sportello di Valmadrera"),
    )
    assert row("previsto")[lecco] == "1"  # a group count of 1 is shown: not people
    assert row("candidato")[monza] == "*"  # 6: hidden, else 8 - 6 would reveal the 2
    assert row("valutato")[monza] == f"&lt;{SMALL_CELL}"
    assert row("candidato")[lecco] == f"&lt;{SMALL_CELL}"
    content = page[page.index("<main") :]  # the layout loads the kit's script, the chart none
    assert "<svg" in content and "<script" not in content
