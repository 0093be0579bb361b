"""In Chromium: a coordinator's submission is refused while a blocking violation
has no justification and accepted with one; the funder viewer then sees only the
submitted run. The project page with its charts is screenshotted too."""

from __future__ import annotations

from datetime import date

import pytest

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.groups.services import create_group, enrol, start_group
from amal.meetings.models import Presence
from amal.meetings.services import generate_plan, record_register
from amal.services import Context
from amal.testing import TEST_PASSWORD, staff_facilitator
from amal.wellbeing.services import record_administration
from tests.test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401


def _log_in(page, server: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{server}/login")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_submission_and_funder_view_in_chromium(
    ctx: Context,
    person,
    live_server: str,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    territory = "monza-brianza"
    create_user(ctx, "coordinatrice", TEST_PASSWORD, roles=[(territory, Role.COORDINATOR)])
    create_user(ctx, "provincia", TEST_PASSWORD, roles=[(territory, Role.FUNDER_VIEWER)])
    group = create_group(
        ctx,
        territory,
        "Gruppo Brianza",
        start_date=date(2026, 1, 13),
        facilitator_ids=[staff_facilitator(ctx, territory)],
    )
    members = [person(territory) for _ in range(10)]
    for m in members:
        enrol(ctx, group.id, m.id)
    start_group(ctx, group.id)
    plan = generate_plan(ctx, group.id)
    for index, meeting in enumerate(plan[:5]):
        lines = {
            m.id: (Presence.ABSENT if i < index else Presence.PRESENT, None)
            for i, m in enumerate(members)
        }
        record_register(ctx, meeting.id, lines)
    for i, m in enumerate(members[:6]):
        record_administration(ctx, m.id, "who5", "entry", dict.fromkeys(range(1, 6), 2))
        record_administration(ctx, m.id, "who5", "midway", dict.fromkeys(range(1, 6), 3 + i % 2))
    page = browser_page

    _log_in(page, live_server, "coordinatrice")
    page.goto(f"{live_server}/t/{territory}/projects/{group.project_id}")
    page.get_by_role("heading", name="Auto Mutuo Aiuto Lavoro - progetto pilota").wait_for()
    assert page.locator("svg.chart").count() == 5
    shot(page, "20-project")

    page.goto(f"{live_server}/t/{territory}/reports/provincia-trimestrale?period=2026-Q1")
    see(page, "senza registro presenze")
    page.get_by_role("button", name="Invia all'ente finanziatore").click()
    see(page, "Restano violazioni bloccanti")
    shot(page, "21-submission-refused")
    boxes = page.get_by_label("Giustificazione per l'ente finanziatore")
    for i in range(boxes.count()):
        boxes.nth(i).fill("Registro cartaceo firmato, in arrivo dal facilitatore")
    page.get_by_role("button", name="Invia all'ente finanziatore").click()
    see(page, "Report inviato all'ente finanziatore")
    see(page, "Nessuna modifica dopo l'invio.")
    # a re-submission starts from the justifications already sent
    assert boxes.first.input_value().startswith("Registro cartaceo firmato")
    shot(page, "22-submitted")

    _log_in(page, live_server, "provincia")
    page.goto(f"{live_server}/t/{territory}/reports/")
    see(page, "Report inviati")
    page.get_by_role("link", name="Relazione trimestrale di attività").last.click()
    see(page, "Inviato all'ente finanziatore")
    text = page.content()
    assert "senza registro presenze" not in text and "Registro cartaceo" not in text
    assert "Violazioni delle regole" not in text
    shot(page, "23-funder-view")
    page.goto(f"{live_server}/t/{territory}/reports/comune-monza-semestrale?period=2026-S1")
    see(page, "Nessun report è stato ancora inviato per questo periodo.")
