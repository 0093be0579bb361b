"""The design system: Bootstrap Italia vendored as committed, pinned files; the
layout's header, territory menu and navigation (also on admin pages); the
instance's colour; dates as dd/mm/yyyy; report periods from a list; and, in
Chromium on the demo data, the staff's main pages on a desktop and a 390 px
phone (screenshots in test-artifacts/screenshots/design-*.png)."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from test_e2e_browser import browser_page, live_server, shot  # noqa: F401  (fixtures)

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.demo import load_demo
from amal.groups.models import Group, GroupStatus
from amal.meetings.models import Meeting, MeetingStatus
from amal.participants.services import register_candidate
from amal.reports.periods import recent_periods
from amal.services import Context
from amal.testing import TEST_PASSWORD, csrf_token
from amal.web.fields import parse_day
from amal.web.setup import CONTENT_SECURITY_POLICY

ROOT = Path(__file__).parents[1]
STATIC = ROOT / "core" / "amal" / "static"
OWN, OTHER = "monza-brianza", "lecco"


def test_vendored_files_match_their_pinned_manifest() -> None:
    """scripts/vendor_assets.py --check: what is committed is what the pinned,
    integrity-checked npm tarballs hold (no network)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "vendor_assets.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    kit = STATIC / "vendor" / "bootstrap-italia"
    for path in ("LICENSE", "css/bootstrap-italia.min.css", "svg/sprites.svg"):
        assert (kit / path).is_file()
    assert (ROOT / "tests" / "vendor" / "axe-core" / "LICENSE").is_file()


def test_every_font_the_stylesheet_names_is_shipped() -> None:
    fonts = re.findall(r"url\('([^']+)'\)", (STATIC / "fonts.css").read_text(encoding="utf-8"))
    assert len(fonts) >= 10
    assert all((STATIC / f).is_file() for f in fonts)


def test_the_policy_still_forbids_inline_code_and_remote_assets() -> None:
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "style-src 'self'" in CONTENT_SECURITY_POLICY
    layout = (ROOT / "core" / "amal" / "templates" / "base.html").read_text(encoding="utf-8")
    assert "http" not in layout.replace("http-equiv", ""), "no CDN: every asset is served here"
    assert " style=" not in layout and "<style" not in layout


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("06/03/1990", date(1990, 3, 6)),
        ("6/3/1990", date(1990, 3, 6)),
        ("06-03-1990", date(1990, 3, 6)),
        ("06.03.1990", date(1990, 3, 6)),
        (" 1990-03-06 ", date(1990, 3, 6)),
    ],
)
def test_days_are_read_day_first(typed: str, day: date) -> None:
    assert parse_day(typed) == day


@pytest.mark.parametrize("typed", ["03/06/90", "31/02/2026", "2026/03/06", "marzo", ""])
def test_what_is_not_a_day_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        parse_day(typed)


def test_report_periods_to_choose_from_never_start_in_the_future() -> None:
    quarters = [value for value, _p in recent_periods("quarter", date(2026, 12, 3))]
    assert quarters[:5] == ["2026-Q4", "2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4"]
    assert len(quarters) == 12
    semesters = [value for value, _p in recent_periods("semester", date(2026, 3, 1))]
    assert semesters == ["2026-S1", "2025-S2", "2025-S1", "2024-S2", "2024-S1"]
    assert recent_periods("custom", date(2026, 3, 1)) == []


def test_layout_header_menu_and_colour(app, client, ctx: Context) -> None:
    create_user(
        ctx,
        "giulia",
        TEST_PASSWORD,
        is_admin=True,
        roles=[(OWN, Role.COORDINATOR), (OTHER, Role.COORDINATOR)],
    )
    client.post(
        "/login",
        data={"username": "giulia", "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    page = client.get(f"/t/{OTHER}/").get_data(as_text=True)
    assert 'class="it-header-wrapper"' in page and 'class="skiplinks"' in page
    # The territory switcher: a menu with each territory, the current one marked.
    switcher = page[page.index('id="territory-menu"') : page.index("</ul>")]
    assert f'href="/t/{OWN}/"' in switcher
    assert re.search(rf'href="/t/{OTHER}/"\s+aria-current="page"', switcher)
    # Admin pages keep the menu, in the user's first territory.
    users = client.get("/admin/users").get_data(as_text=True)
    assert re.search(r'href="/t/(monza-brianza|lecco)/participants/"', users)
    assert 'href="/admin/users" aria-current="page"' in users
    branding = client.get("/branding.css")
    assert branding.mimetype == "text/css"
    assert "#00529b" in branding.get_data(as_text=True) or "#0066cc" in branding.get_data(
        as_text=True
    )


def test_a_colour_that_is_not_a_colour_is_not_written_into_css(app, client) -> None:
    from amal.runtime import state

    branding = state(app).config.branding
    saved = dict(branding)
    try:
        branding["color"] = "red; } body { display: none"
        css = client.get("/branding.css").get_data(as_text=True)
        assert "display: none" not in css and "#0066cc" in css
        branding["color"] = "#2e7d32"
        assert "--amal-brand: #2e7d32" in client.get("/branding.css").get_data(as_text=True)
    finally:
        branding.clear()
        branding.update(saved)


PAGES = {
    "dashboard": "/t/{t}/",
    "participants": "/t/{t}/participants/",
    "long-name": "/t/{t}/participants/{long}",
    "participant": "/t/{t}/participants/{participant}",
    "group": "/t/{t}/groups/{group}",
    "register": "/t/{t}/groups/meetings/{meeting}",
    "report": "/t/{t}/reports/provincia-trimestrale?period={quarter}",
}


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_main_pages_on_desktop_and_phone(
    ctx: Context,
    live_server: str,  # noqa: F811
    browser_page,  # noqa: F811
) -> None:
    """The demo's Monza e Brianza as a coordinator sees it: on a desktop (1280
    px), a tablet (768) and phones (390, 360)."""
    load_demo(ctx)
    create_user(ctx, "giulia", TEST_PASSWORD, roles=[(OWN, Role.COORDINATOR)])
    # A name of 100 letters without a space (the longest allowed) must wrap, not widen the page.
    long = register_candidate(ctx, OWN, first_name="Maria", last_name="Brambilla" * 11 + "B")
    group = (
        ctx.session.query(Group).filter_by(territory_code=OWN, status=GroupStatus.ACTIVE).first()
    )
    meeting = (
        ctx.session.query(Meeting)
        .filter_by(group_id=group.id, status=MeetingStatus.HELD)
        .order_by(Meeting.scheduled_on.desc())
        .first()
    )
    member = group.enrolments[0].participant_id
    quarter = recent_periods("quarter", date.today())[1][0]
    page = browser_page
    page.goto(f"{live_server}/login")
    page.get_by_label("Nome utente").fill("giulia")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Accedi").click()
    page.wait_for_url(lambda url: "/login" not in url)
    ids = {"t": OWN, "participant": member, "group": group.id, "meeting": meeting.id}
    ids["long"] = long.id
    for width in (1280, 768, 390, 360):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in PAGES.items():
            page.goto(live_server + path.format(quarter=quarter, **ids))
            page.wait_for_load_state("networkidle")
            shot(page, f"design-{name}-{width}")
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= width, f"{name}: {wide} px wide at {width} px"
            menu_button = page.get_by_role("button", name="Mostra o nascondi il menu")
            assert menu_button.is_visible() == (width < 992), f"{name} at {width} px"
        # On the phone the register shows a whole row: name, presences and hours.
        if width < 992:
            page.goto(live_server + PAGES["register"].format(quarter=quarter, **ids))
            table = page.locator("table.grid-attendance")
            assert table.evaluate("t => t.scrollWidth <= t.clientWidth + 1")


def test_a_form_with_errors_opens_with_a_summary_linking_each_field(client, login) -> None:
    login("coordinator", OWN)
    page = client.post(
        f"/t/{OWN}/participants/new",
        data={"csrf_token": csrf_token(client), "birth_date": "31/02/1990"},
    ).get_data(as_text=True)
    summary = page[
        page.index('id="error-summary"') : page.index("</ul>", page.index("error-summary"))
    ]
    assert 'role="alert"' in page and "Il modulo contiene errori" in summary
    for field in ("first_name", "last_name", "birth_date"):
        assert f'href="#{field}"' in summary, field
        # ...and the field says it is wrong, with its message linked.
        assert re.search(
            rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page
        )
        assert f'id="{field}-error"' in page
    assert "Scrivi la data come gg/mm/aaaa." in summary
    assert 'value="31/02/1990"' in page, "what was typed stays in the field"


def test_report_figures_on_screen_have_the_decimal_comma(app) -> None:
    from decimal import Decimal

    from amal.web.setup import figure

    with app.test_request_context("/"):
        assert figure("83.0%") == "83,0%"
        assert figure("146.00") == "146,00"
        assert figure(Decimal("1.5")) == "1,5"
        assert figure(12) == 12
        assert figure("2026-Q1") == "2026-Q1"
