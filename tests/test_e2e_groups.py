"""In Chromium: a group whose facilitators change over time, and a homogeneous
group warning about a person from another company, overridden with a reason."""

from __future__ import annotations

# ruff: noqa: F811  (the browser fixtures are imported, then requested by name)
from datetime import date

import pytest
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401 (fixtures)

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.groups.models import GroupComposition
from amal.groups.services import create_group
from amal.participants.models import ParticipantStatus
from amal.services import Context
from amal.testing import TEST_PASSWORD


def log_in(page, live_server: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_two_facilitators_changing_over_time(ctx: Context, live_server: str, browser_page) -> None:
    code = "monza-brianza"
    create_user(ctx, "coord", TEST_PASSWORD, display_name="Giulia Coordinatrice",
                roles=[(code, Role.COORDINATOR)])  # fmt: skip
    anna = create_user(ctx, "anna", TEST_PASSWORD, display_name="Anna Riva",
                       roles=[(code, Role.FACILITATOR)])  # fmt: skip
    create_user(ctx, "bruno", TEST_PASSWORD, display_name="Bruno Villa",
                roles=[(code, Role.FACILITATOR)])  # fmt: skip
    group = create_group(ctx, code, "Gruppo Vimercate", start_date=date(2026, 1, 12),
                         facilitator_ids=[anna.id])  # fmt: skip
    page = browser_page
    log_in(page, live_server, "coord")
    page.goto(f"{live_server}/t/{code}/groups/{group.id}")

    page.get_by_text("Aggiungi un facilitatore, co-facilitatore o mentore").click()
    page.get_by_label("Ruolo", exact=True).select_option("co_facilitator")
    page.get_by_label("Operatore").select_option(label="Bruno Villa")
    page.get_by_label("Dal", exact=True).fill("2026-02-09")
    page.get_by_role("button", name="Aggiungi", exact=True).click()
    see(page, "Facilitatore aggiunto.")

    anna_row = page.locator("table.facilitators tr", has_text="Anna Riva")
    anna_row.get_by_label("Al", exact=True).fill("2026-03-02")
    anna_row.get_by_label("Motivo").fill("Trasferita a Lecco")
    anna_row.get_by_role("button", name="Concludi").click()
    see(page, "Incarico concluso.")
    rows = page.locator("table.facilitators tbody tr").all_inner_texts()
    assert "Anna Riva\tfacilitatore\t12 gen 2026\t2 mar 2026 (Trasferita a Lecco)" in rows[0]
    assert rows[1].startswith("Bruno Villa\tco-facilitatore\t9 feb 2026\tin corso")
    shot(page, "groups-01-facilitators-over-time")

    # Anna no longer sees the group; Bruno does.
    page.get_by_role("button", name="Esci").click()
    log_in(page, live_server, "anna")
    assert page.goto(f"{live_server}/t/{code}/groups/{group.id}").status == 404
    page.get_by_role("button", name="Esci").click()
    log_in(page, live_server, "bruno")
    assert page.goto(f"{live_server}/t/{code}/groups/{group.id}").status == 200


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_homogeneous_group_warning_and_override(
    ctx: Context, person, live_server: str, browser_page
) -> None:
    create_user(ctx, "coord", TEST_PASSWORD, roles=[("lecco", Role.COORDINATOR)])
    group = create_group(ctx, "lecco", "Agile (ex Eutelia)",
                         composition=GroupComposition.HOMOGENEOUS,
                         company_of_origin="Agile (ex Eutelia)")  # fmt: skip
    outsider = person("lecco", first_name="Rosa", last_name="Dolci",
                      last_employer="Pasticceria Rossi")  # fmt: skip
    page = browser_page
    log_in(page, live_server, "coord")
    page.goto(f"{live_server}/t/lecco/groups/{group.id}")
    page.get_by_label("Iscrivi un partecipante ammesso").select_option(label="Dolci Rosa")
    page.get_by_role("button", name="Iscrivi", exact=True).click()
    see(page, "non corrisponde all'azienda del gruppo (Agile (ex Eutelia))")
    see(page, "Rosa Dolci: ultimo datore di lavoro Pasticceria Rossi")
    shot(page, "groups-02-homogeneous-warning")
    ctx.session.expire_all()
    assert ctx.session.get(type(outsider), outsider.id).status == ParticipantStatus.ADMITTED

    page.get_by_label("Motivo per iscrivere comunque").fill("Indotto Eutelia: fornitrice mensa")
    page.get_by_role("button", name="Iscrivi comunque").click()
    see(page, "Fatto.")
    shot(page, "groups-03-homogeneous-override")
    ctx.session.expire_all()
    enrolled = ctx.session.get(type(outsider), outsider.id)
    assert enrolled.status == ParticipantStatus.ENROLLED
    assert "Indotto Eutelia: fornitrice mensa" in enrolled.history[-1].reason
