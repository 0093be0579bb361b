"""WCAG 2.1 AA, as AgID requires of public administration software: axe-core
(vendored in tests/vendor, see scripts/vendor_assets.py) runs in Chromium on
every page of the URL map (tests/page_map.py), on a desktop and on a 390 px
phone; no serious or critical violation, and no page wider than the phone.
The figures per page are printed (``pytest -s``). Then a keyboard-only walk of
the main flow: log in, open a participant, a group and its register, without
the mouse."""

from __future__ import annotations

from pathlib import Path

import pytest
from page_map import USERNAME, page_data, page_user, pages
from test_access_matrix import OWN, world  # noqa: F401  (fixture)
from test_e2e_browser import CHROMIUM, CHROMIUM_ARGS, _browser_problem, live_server, shot  # noqa: F401

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.services import Context
from amal.testing import TEST_PASSWORD

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
REGIONAL = "regione"


def axe(page) -> dict[str, list[dict]]:
    """axe-core's violations on the page, grouped by impact."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})))",
        WCAG_AA,
    )
    grouped: dict[str, list[dict]] = {}
    for violation in violations:
        grouped.setdefault(violation["impact"] or "minor", []).append(violation)
    return grouped


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Nome utente").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture
def chromium():
    problem = _browser_problem()
    if problem:
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_axe_finds_what_it_must(chromium) -> None:
    """The net has holes of the right size: a page with an unlabelled field and
    pale grey text has serious violations."""
    page = chromium.new_page()
    page.set_content(
        '<html lang="it"><body><main><h1>Prova</h1><input type="text">'
        '<p style="color:#aaa;background:#fff">Testo grigio chiaro</p></main></body></html>'
    )
    found = {v["id"] for impact in BLOCKING for v in axe(page).get(impact, [])}
    assert {"label", "color-contrast"} <= found
    page.close()


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_every_page_passes_axe_on_desktop_and_phone(
    app,
    ctx: Context,
    world,  # noqa: F811
    live_server: str,  # noqa: F811
    chromium,
) -> None:
    page_user(ctx)
    create_user(ctx, REGIONAL, TEST_PASSWORD, roles=[(OWN, Role.REGIONAL_VIEWER)])
    contact_id = page_data(ctx, world)
    walked = pages(app, world, contact_id)
    assert len(walked) > 25, "the URL map lost its pages"
    failures: list[str] = []
    print(f"\naxe-core {WCAG_AA} per page (critical/serious/moderate/minor), 390 px width:")
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        # axe is injected as a script: the test's browser ignores the CSP (the app keeps it).
        context = chromium.new_context(locale="en-US", viewport=viewport, bypass_csp=True)
        page = context.new_page()
        anonymous = [("accounts.login", f"{live_server}/login")]
        for endpoint, url in anonymous:
            page.goto(url)
            failures += check(page, endpoint, viewport)
        log_in(page, live_server, USERNAME)
        for entry in walked:
            response = page.goto(f"{live_server}{entry.url}")
            assert response is not None and response.status == 200, (
                f"{entry.endpoint} {entry.url}: {response.status if response else 'no answer'}"
            )
            failures += check(page, entry.endpoint, viewport)
        page.goto(f"{live_server}/t/{OWN}/participants/999999")  # the error page
        failures += check(page, "error page (404)", viewport)
        if viewport == PHONE:
            # The phone's menu, opened: its links must pass too.
            page.goto(f"{live_server}/t/{OWN}/")
            page.get_by_role("button", name="Mostra o nascondi il menu").click()
            page.get_by_role("link", name="Gruppi").wait_for()
            failures += check(page, "menu opened on the phone", viewport)
        context.close()
        # The regional viewer's one page.
        context = chromium.new_context(locale="en-US", viewport=viewport, bypass_csp=True)
        page = context.new_page()
        log_in(page, live_server, REGIONAL)
        page.goto(f"{live_server}/regional")
        failures += check(page, "core.regional", viewport)
        context.close()
    assert not failures, "\n".join(failures)


def check(page, name: str, viewport: dict) -> list[str]:
    found = axe(page)
    figures = "/".join(
        str(len(found.get(i, []))) for i in ("critical", "serious", "moderate", "minor")
    )
    width = page.evaluate("document.documentElement.scrollWidth")
    print(f"  {viewport['width']:>4} px  {figures:<9} {width:>5} px  {name}  {page.url}")
    problems = [
        f"{name} at {viewport['width']} px: {v['impact']} {v['id']} ({v['help']}) on {v['nodes']}"
        for impact in BLOCKING
        for v in found.get(impact, [])
    ]
    if width > viewport["width"]:
        problems.append(f"{name}: {width} px wide on a {viewport['width']} px screen")
    return problems


FOCUSED = """() => {
  const e = document.activeElement;
  const named = e.labels && e.labels.length ? e.labels[0].innerText : e.getAttribute('aria-label');
  const style = getComputedStyle(e);
  const outlined = style.outlineStyle !== 'none' && style.outlineWidth !== '0px';
  return {
    tag: e.tagName, outline: style.outlineStyle + ' ' + style.outlineWidth,
    text: (e.innerText || e.value || '').trim(), label: (named || '').trim(),
    visible: outlined || style.boxShadow !== 'none',
  };
}"""


def tab_to(page, wanted: str, limit: int = 200) -> None:
    """Press Tab until the focused element's text or label contains ``wanted``;
    the focus must be visible there (WCAG 2.4.7)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if wanted in focused["text"] or wanted in focused["label"]:
            assert focused["visible"], f"focus on {wanted!r} is not visible: {focused}"
            return
    raise AssertionError(f"{wanted!r} not reached with the Tab key on {page.url}")


def follow(page) -> None:
    """Enter on the focused link or button, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_main_flow_with_the_keyboard_only(
    world,  # noqa: F811
    live_server: str,  # noqa: F811
    chromium,
) -> None:
    """A facilitator logs in, opens a member's record, the group and the first
    meeting's register, marks the member absent and saves: Tab, arrows, Enter."""
    context = chromium.new_context(locale="it-IT", viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{live_server}/login")
    tab_to(page, "Nome utente")
    page.keyboard.type(world[OWN]["facilitator"])
    tab_to(page, "Password")
    page.keyboard.type(TEST_PASSWORD)
    follow(page)

    tab_to(page, "Partecipanti")
    follow(page)
    page.get_by_role("heading", name="Partecipanti").wait_for()
    tab_to(page, "Vicinissimo")
    follow(page)
    page.get_by_role("heading", name="Vicinissimo").wait_for()

    tab_to(page, "Gruppi")
    follow(page)
    tab_to(page, f"Gruppo {OWN}")
    follow(page)
    page.get_by_role("heading", name=f"Gruppo {OWN}").wait_for()
    tab_to(page, "12 gennaio 2026")
    follow(page)
    page.get_by_role("heading", name="Registro presenze").wait_for()
    shot(page, "keyboard-register")

    # The radio group takes one Tab; the arrows move from "presente" to "assente".
    tab_to(page, "Vicinissimo: presente")
    page.keyboard.press("ArrowRight")
    assert page.get_by_label("Vicinissimo: assente").is_checked()
    tab_to(page, "Salva il registro")
    follow(page)
    page.get_by_text("Registro salvato").wait_for()
    context.close()
