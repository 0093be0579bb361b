"""Merging a duplicate record in Chromium, as a Monza coordinator does it: from
the record to keep, type the duplicate's number, read the two records side by
side and what will move, confirm with a reason; the record's history then shows
the merge. Screenshots in ``test-artifacts/screenshots/merge-*.png``."""

from __future__ import annotations

import pytest
from test_accessibility import AXE, BLOCKING, WCAG_AA
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401  (fixtures)

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.participants.diary import add_entry
from amal.participants.models import Participant
from amal.services import Context
from amal.testing import TEST_PASSWORD

T = "monza-brianza"


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_merge_a_duplicate_in_chromium(
    ctx: Context,
    person,
    live_server: str,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    create_user(ctx, "a.brambilla", TEST_PASSWORD, roles=[(T, Role.COORDINATOR)])
    keep = person(T, first_name="Mario", last_name="Rossi", phone="")
    duplicate = person(T, first_name="Mario", last_name="Rossi", phone="333 123 4567")
    add_entry(ctx, duplicate.id, "Seconda accoglienza: cerca lavoro come magazziniere")
    k, d = keep.id, duplicate.id
    page = browser_page

    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill("a.brambilla")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.goto(f"{live_server}/t/{T}/participants/{k}")
    page.get_by_role("link", name="Unisci un doppione").click()
    page.get_by_label("Numero della scheda doppione").fill(str(k))
    page.get_by_role("button", name="Mostra cosa cambierebbe").click()
    see(page, "Una scheda non può essere unita a sé stessa.")
    page.get_by_label("Numero della scheda doppione").fill(str(d))
    page.get_by_role("button", name="Mostra cosa cambierebbe").click()
    see(page, "Le due schede")
    preview = page.locator("#merge-preview").inner_text()
    assert f"n. {k}" in preview and f"n. {d}" in preview and "+393331234567" in preview
    assert "Note del diario: 1" in page.locator("#merge-moves").inner_text()
    # axe-core through the debugging protocol: the page's CSP forbids injected scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    impacts = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => [v.impact, v.id]))",
        WCAG_AA,
    )
    assert [v for v in impacts if v[0] in BLOCKING] == []
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "merge-preview-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Perché le due schede sono della stessa persona").fill(
        "Registrato due volte all'accoglienza"
    )
    # Bootstrap Italia draws the box through its label: click it as a person does.
    page.locator("label[for=confirm]").click()
    assert page.get_by_label("Ho verificato").is_checked()
    shot(page, "merge-preview")
    page.get_by_role("button", name="Unisci le due schede").click()
    see(page, f"La scheda n. {d} è stata unita a questa.")
    history = page.locator("ol.history").inner_text()
    assert f"Unita la scheda n. {d}" in history
    assert "Registrato due volte all'accoglienza" in history
    shot(page, "merge-record-history")
    ctx.session.expire_all()
    assert ctx.session.get(Participant, d) is None
