"""Every web page of the app, built from its URL map (as tests/test_access_matrix.py
does for access): the pages a person reads, each with the URL that shows it on
test data. Used by the accessibility test (axe-core in Chromium) and the
Italian-throughout test, so a new page is checked by both without a list to
keep up to date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from flask import Flask
from test_access_matrix import OTHER, OWN, url_for_rule

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.services import Context
from amal.testing import TEST_PASSWORD

# Not pages: machine answers (JSON, files, CSS) or a redirect (home). Each
# with the reason, so a new endpoint is a decision, not an omission.
NOT_PAGES = {
    "static": "static files",
    "core.branding": "the instance's stylesheet",
    "core.health": "JSON liveness probe",
    "core.ready": "JSON readiness probe",
    "core.home": "redirects to the user's territory",
    "participants.export": "JSON export (right of access)",
    "reports.download": "report files (checked by test_italian.py as files)",
    "reports.download_submitted": "report files (checked by test_italian.py as files)",
    "reports.sign_in": "a blank sign-in sheet (PDF)",
    "participants.export_list": "a list as a CSV or XLSX file",
    "network.download_minutes": "the uploaded minutes file",
}
# Pages in English by design (test_italian.py skips them; the others check them).
ENGLISH_PAGES = {"api_docs": "the API reference for integrators, from the OpenAPI document"}
# Pages that need a role the page-walking user does not hold.
OTHER_USERS = {"core.regional": "regional viewer"}
USERNAME = "pagine"


@dataclass(frozen=True)
class Page:
    endpoint: str
    url: str


def page_user(ctx: Context) -> None:
    """An administrator coordinating both territories: sees every page."""
    create_user(
        ctx,
        USERNAME,
        TEST_PASSWORD,
        display_name="Giulia Bianchi",
        is_admin=True,
        roles=[(OWN, Role.COORDINATOR), (OTHER, Role.COORDINATOR)],
    )


def page_data(ctx: Context, world: dict) -> int:
    """What the world fixture lacks for every part of a page to show: a WHO-5
    on the member's record, a walk-in at Lecco's help desk (its id returned,
    for the plugin's contact pages)."""
    from amal.wellbeing.services import record_administration

    if "administration_id" not in world[OWN]:
        record_administration(
            ctx, world[OWN]["participant_id"], "who5", "entry", dict.fromkeys(range(1, 6), 3)
        )
    help_desk_appointment(ctx)
    return help_desk_contact(ctx)


def help_desk_appointment(ctx: Context) -> None:
    """An appointment at Lecco's help desk, for its pages (the erasure form)."""
    from amal_lecco.sportello.services import book_appointment

    book_appointment(
        ctx, OTHER, scheduled_on=date.today(), at=time(10), first_name="Luca", last_name="Sala"
    )


def help_desk_contact(ctx: Context) -> int:
    """A walk-in at Lecco's help desk, for the plugin's contact pages."""
    from amal_lecco.sportello.services import record_contact

    contact = record_contact(
        ctx,
        OTHER,
        first_name="Marta",
        last_name="Colombo",
        reason="Vuole entrare in un gruppo",
        outcome=None,
        contacted_on=date.today(),
    )
    return contact.id


def pages(app: Flask, world: dict, contact_id: int) -> list[Page]:
    """The GET pages of the URL map, in the page user's territories."""
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        if rule.rule.startswith("/api/") and rule.endpoint not in ENGLISH_PAGES:
            continue  # the API answers JSON (its documentation page is a page)
        if rule.endpoint in NOT_PAGES or rule.endpoint in OTHER_USERS:
            continue
        view = app.view_functions[rule.endpoint]
        territory = OWN
        if getattr(view, "territories", None) is not None and OWN not in view.territories:
            territory = OTHER  # a page of another territory's plugin
        url = url_for_rule(rule, territory, world)
        if "contact_id" in rule.arguments:
            url = url.replace("/contacts/1", f"/contacts/{contact_id}")
        found.append(Page(rule.endpoint, url))
    return found
