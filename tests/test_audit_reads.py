"""Every page and API operation that shows personal data writes an audit entry.

The routes come from the app's URL map and the operations from the OpenAPI
document, so a new route is checked as soon as it exists: it either audits its
reads or is added, with its reason, to the allow-lists below."""

from __future__ import annotations

import re
from datetime import date, time

from sqlalchemy import func, select
from test_access_matrix import OWN, url_for_rule, world  # noqa: F401  (world is a fixture)

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.audit.models import AuditEntry
from amal.runtime import state
from amal.services import Context
from amal.testing import finished_run

# Web pages that show no participant's personal data, and why.
WEB_WITHOUT_PERSONAL_DATA = {
    "core.home": "redirects to the user's territory",
    "core.health": "liveness probe",
    "core.branding": "the instance's stylesheet (its colour)",
    "core.ready": "readiness probe (database and migrations)",
    "core.regional": "aggregate figures per territory",
    "accounts.login": "login form",
    "accounts.password": "the user's own password form",
    "accounts.users": "staff accounts, not participants",
    "accounts.tokens": "API tokens",
    "participants.new": "an empty intake form",
    "participants.import_file": "an empty upload form (a checked file shows only its own rows)",
    "groups.index": "group names and sizes",
    "info_meetings.index": "information meetings: dates, places, titles (no one's name)",
    "groups.calendar": "the month's meetings: dates, kinds, group names (no members)",
    "partners.index": "partner organisations and their contact people (no participant)",
    "partners.new": "an empty partner form",
    "lecco_sportello.new_contact": "an empty help-desk contact form",
    "partners.edit": "a partner organisation's form (no participant)",
    "groups.new": "an empty group form (staff facilitators to choose)",
    "reports.index": "the list of report definitions",
    "reports.show": "figures; rule violations name participants by number only",
    "privacy.notices": "the notices' text and how many people must re-consent",
    "projects.index": "funded projects: titles, dates, targets",
    "projects.show": "a project's progress: aggregate figures and charts",
    "projects.edit": "a project's targets form",
    "network.index": "projects' coordination groups: names, meeting dates, organisation counts",
    "api_docs": "API documentation",
    "api-docs.openapi_json": "API documentation",
    "static": "files",
}
LECCO_ONLY = ("lecco_sportello.",)
# API operations (GET) that return no participant's personal data, and why.
API_WITHOUT_PERSONAL_DATA = {
    "/api/v1/plugins/": "installed plugins",
    "/api/v1/territories/{territory}/groups/": "groups: names, dates, sizes (no members)",
    "/api/v1/territories/{territory}/groups/{group_id}": "one group (no members)",
    "/api/v1/territories/{territory}/groups/{group_id}/meetings": "the meeting plan",
    "/api/v1/territories/{territory}/meetings/{meeting_id}": "one meeting (no register)",
    "/api/v1/territories/{territory}/partners": "the territory's partners",
    "/api/v1/territories/{territory}/partners/{partner_id}": "one partner and its contact people",
    "/api/v1/territories/{territory}/groups/{group_id}/facilitators": "staff and partner people",
    "/api/v1/territories/{territory}/info-meetings/": "information meetings (no one's name)",
    "/api/v1/territories/{territory}/services": "the service catalogue",
    "/api/v1/territories/{territory}/reports/": "report definitions",
    "/api/v1/territories/{territory}/reports/runs/{run_id}": "a run's status",
    "/api/v1/territories/{territory}/projects/": "funded projects: titles, dates, targets",
    "/api/v1/territories/{territory}/projects/{project_id}": "a project and its progress figures",
    "/api/v1/territories/{territory}/network/": "coordination groups: project and name",
    "/api/v1/territories/{territory}/reports/submissions/": "what was submitted, when, by whom",
    "/api/v1/territories/{territory}/reports/submissions/{submission_id}": (
        "a submission's figures; violations name participants by number only"
    ),
}


def audit_count(app) -> int:  # type: ignore[no-untyped-def]
    with state(app).engine.connect() as connection:
        return connection.scalar(select(func.count(AuditEntry.id))) or 0


def test_every_web_page_with_personal_data_is_audited(app, client, login, world) -> None:  # noqa: F811
    login("coordinator", OWN)
    checked: list[str] = []
    lecco_rules = []

    def check(rule, territory: str, **ids: int) -> None:  # type: ignore[no-untyped-def]
        url = url_for_rule(rule, territory, {**world, territory: {**world[territory], **ids}})
        before = audit_count(app)
        response = client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert audit_count(app) > before, f"{rule.endpoint} ({url}) shows data without audit"
        checked.append(rule.endpoint)

    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        if rule.endpoint in WEB_WITHOUT_PERSONAL_DATA:
            continue
        if rule.endpoint.startswith(LECCO_ONLY):
            lecco_rules.append(rule)
            continue
        check(rule, OWN)
    # Pages a plugin adds for its own territory only (Lecco's help desk).
    from amal_lecco.sportello.services import book_appointment, record_contact

    amal = state(app)
    with amal.session_factory() as session:
        appointment = book_appointment(
            Context(session, "tester", amal.plugins),
            "lecco",
            scheduled_on=date.today(),
            at=time(10),
            first_name="Rita",
            last_name="Riva",
        )
        contact = record_contact(
            Context(session, "tester", amal.plugins),
            "lecco",
            first_name="Marta",
            last_name="Colombo",
            reason="Cerca un gruppo",
            outcome=None,
        )
    login("coordinator", "lecco")
    for rule in lecco_rules:
        check(rule, "lecco", contact_id=contact.id, appointment_id=appointment.id)
    assert {"participants.index", "groups.show", "groups.meeting", "audit.index"} <= set(checked)
    assert {"reports.download", "participants.export", "dashboard.show"} <= set(checked)


def test_every_api_read_with_personal_data_is_audited(app, client, ctx: Context, world) -> None:  # noqa: F811
    _, secret = create_token(ctx, "audit-test", OWN, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    ids = world[OWN]
    run = client.post(
        f"/api/v1/territories/{OWN}/reports/{ids['code']}/runs",
        headers=headers,
        json={"period": ids["period"]},
    )
    values = {**ids, "territory": OWN, "run_id": finished_run(app, client, run, headers)["id"]}
    values["fmt"] = "csv"
    document = client.get("/api/v1/openapi.json").json
    checked = []
    for path, operations in document["paths"].items():
        if "get" not in operations or path in API_WITHOUT_PERSONAL_DATA:
            continue
        info_ids = {**values, "meeting_id": values["info_meeting_id"]}
        names = info_ids if "/info-meetings/" in path else values
        url = re.sub(r"\{(\w+)\}", lambda m, names=names: str(names[m.group(1)]), path)
        before = audit_count(app)
        response = client.get(url, headers=headers)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        assert audit_count(app) > before, f"GET {path} shows data without audit"
        checked.append(path)
    assert len(checked) >= 7


def test_a_list_read_names_the_ids_shown(app, client, login, world, ctx: Context) -> None:  # noqa: F811
    login("coordinator", OWN)
    client.get(f"/t/{OWN}/participants/?q=Vicinissimo")
    entry = ctx.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.entity == "participant_list"
    assert entry.details["ids"] == [world[OWN]["participant_id"]]
    assert entry.details["count"] == 1 and entry.details["query"]["q"] == "Vicinissimo"
    page = client.get(f"/t/{OWN}/audit/").get_data(as_text=True)
    # The audit page reads in Italian, and reading it was itself audited.
    assert "elenco partecipanti" in page and "letto" in page
    entry = ctx.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.entity == "audit_log"
