"""Every route of the app (from its URL map) × every role × own and other
territory gets the status the access policy promises, and no response shows
personal data the role may not see."""

from __future__ import annotations

from datetime import date

import pytest

from amal.access import ROLE_PERMISSIONS, Permission
from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.groups.services import create_group, enrol
from amal.meetings import info
from amal.meetings.services import generate_plan
from amal.network.services import (
    PresenceLine,
    add_decision,
    add_member,
    attach_minutes_file,
    create_body,
    minutes_root,
    record_organisations_register,
    schedule_network_meeting,
)
from amal.participants import diary
from amal.referrals.services import propose_referral
from amal.reports.engine import definitions, start_run
from amal.reports.submissions import submit_run
from amal.runtime import state
from amal.services import Context
from amal.territories.services import add_representative, directory
from amal.testing import TEST_PASSWORD, csrf_token
from amal.wellbeing.services import record_administration

OWN, OTHER = "monza-brianza", "lecco"
ROLES = ["anonymous", "admin", *[r.value for r in Role]]
SAMPLE_PERIOD = {
    "quarter": "2026-Q1",
    "semester": "2026-S1",
    "project": "project",
    "custom": "2026-01-01..2026-03-31",
}
# Routes outside /t/<territory>/, with the status each role gets (by method).
GLOBAL_ROUTES = {
    ("core.home", "GET"): {"anonymous": {302}, "*": {302, 200}},
    ("core.health", "GET"): {"*": {200}},
    ("core.branding", "GET"): {"*": {200}},
    # Public, no data; 503 here: the test database is built without Alembic.
    ("core.ready", "GET"): {"*": {503}},
    ("core.regional", "GET"): {"anonymous": {302}, "regional_viewer": {200}, "*": {404}},
    ("accounts.login", "GET"): {"*": {200}},
    ("accounts.password", "GET"): {"anonymous": {302}, "*": {200}},
    ("accounts.password", "POST"): {"anonymous": {302}, "*": {200}},
    ("accounts.users", "GET"): {"anonymous": {302}, "admin": {200}, "*": {403}},
    ("accounts.users", "POST"): {"anonymous": {302}, "admin": {200}, "*": {403}},
    ("set_language", "POST"): {"*": {302}},
    ("accounts.change_user", "POST"): {"anonymous": {302}, "admin": {302}, "*": {403}},
    ("accounts.remove_role", "POST"): {"anonymous": {302}, "admin": {404}, "*": {403}},
    ("accounts.tokens", "GET"): {"anonymous": {302}, "admin": {200}, "*": {403}},
    ("accounts.tokens", "POST"): {"anonymous": {302}, "admin": {200}, "*": {403}},
    ("accounts.revoke", "POST"): {"anonymous": {302}, "admin": {404}, "*": {403}},
    ("accounts.login", "POST"): {"*": {200}},
}
NAMES = {OWN: "Vicinissimo", OTHER: "Lontanissimo"}
API_ROUTES = {"api-docs.openapi_json": {200}, "api_docs": {200}}
# Harmless actions for routes that take one (an empty form then changes nothing).
ACTIONS = {
    "groups.act": "plan",
    "groups.change_meeting": "cancel",
    "info_meetings.change": "cancel",
    "accounts.change_user": "grant",
    "api_groups.GroupActions": "plan",
    "api_info_meetings.InfoMeetingChange": "cancel",
    "lecco_sportello.close": "missed",
}


@pytest.fixture
def world(app, ctx: Context, person):
    """In each territory: a facilitator, a group they run with one member, its
    plan, a referral. Returns ids per territory."""
    ids = {}
    for code in (OWN, OTHER):
        facilitator = create_user(
            ctx, f"fac-{code}", TEST_PASSWORD, roles=[(code, Role.FACILITATOR)]
        )
        member = person(code, last_name=NAMES[code])
        group = create_group(
            ctx,
            code,
            f"Gruppo {code}",
            start_date=date(2026, 1, 12),
            facilitator_ids=[facilitator.id],
        )
        enrol(ctx, group.id, member.id)
        meeting = generate_plan(ctx, group.id)[0]
        catalogue = ctx.plugins.service_catalogue(code)
        referral = propose_referral(ctx, member.id, catalogue[0].code)
        report = next(iter(definitions(ctx.plugins, code).values()))
        run = start_run(ctx, code, report.code, SAMPLE_PERIOD[report.period_kind])
        reasons = {v["key"]: "Giustificazione di prova" for v in run.result["violations"]}
        submission = submit_run(ctx, code, run.id, reasons)
        administration = record_administration(
            ctx, member.id, "who5", "entry", dict.fromkeys(range(1, 6), 3),
            administered_on=date(2026, 1, 12),
        )  # fmt: skip
        partner = directory(ctx, code)[0]
        representative = add_representative(ctx, code, partner.id, name=f"Referente {code}")
        info_meeting = info.schedule_info_meeting(ctx, code, date(2026, 3, 10))
        walk_in = info.add_walk_in(ctx, info_meeting.id, f"Passante {code}")
        body = create_body(ctx, code, group.project_id)
        network_member = add_member(ctx, code, body.id, partner.id, joined_on=date(2026, 1, 12))
        network_meeting = schedule_network_meeting(ctx, code, body.id, date(2026, 1, 20))
        record_organisations_register(ctx, code, network_meeting.id, {partner.id: PresenceLine()})
        decision = add_decision(ctx, code, network_meeting.id, "Decisione", owner_person="Ente")
        root = minutes_root(state(app).config.instance_path)
        attach_minutes_file(ctx, code, network_meeting.id, "verbale.pdf", b"%PDF-1.4", root)
        note = diary.add_entry(ctx, member.id, f"Nota su {NAMES[code]}")
        ids[code] = {
            "project_id": group.project_id,
            "submission_id": submission.id,
            "participant_id": member.id,
            "group_id": group.id,
            "meeting_id": meeting.id,
            "referral_id": referral.id,
            "code": report.code,
            "period": SAMPLE_PERIOD[report.period_kind],
            "facilitator": facilitator.username,
            "partner_id": partner.id,
            "facilitation_id": group.facilitations[0].id,
            "person_id": representative.id,
            "info_meeting_id": info_meeting.id,
            "walk_in_id": walk_in.id,
            "body_id": body.id,
            "member_id": network_member.id,
            "network_meeting_id": network_meeting.id,
            "decision_id": decision.id,
            "entry_id": note.id,
            "administration_id": administration.id,
        }
    return ids


def log_in(client, login, role: str, world) -> None:
    if role == "anonymous":
        return
    if role == "admin":
        login(None, OWN, is_admin=True)
    elif role == "facilitator":
        client.post(
            "/login",
            data={
                "username": world[OWN]["facilitator"],
                "password": TEST_PASSWORD,
                "csrf_token": csrf_token(client),
            },
        )
    else:
        login(role, OWN)


def territory_expectation(view, method: str, role: str, own: bool) -> set[int]:
    if role == "anonymous":
        return {302}
    if not own or role == "admin":
        return {404}
    if view.territories is not None and OWN not in view.territories:
        return {404}  # a page of another territory's plugin
    permission = view.permission
    if permission not in ROLE_PERMISSIONS[Role(role)]:
        return {403}
    return {200} if method == "GET" else {200, 302, 400}


def url_for_rule(rule, territory: str, world) -> str:
    values = dict(
        world[territory],
        run_id=1,
        transfer_id=999,
        decision="refuse",
        slot_id=1,
        appointment_id=1,
        contact_id=1,
        moment="end",
        purpose="sharing",
        territory=territory,
        fmt="csv",
        instrument="who5",
        action=ACTIONS.get(rule.endpoint),
        code=world[territory]["code"],
    )
    if rule.endpoint.startswith(("info_meetings.", "api_info_meetings.")):
        values["meeting_id"] = world[territory]["info_meeting_id"]
    if rule.endpoint == "set_language":
        values["code"] = "it"
    if rule.endpoint in ("accounts.change_user", "accounts.remove_role"):
        values["user_id"] = 1
        values["role_id"] = 999
    if rule.endpoint == "accounts.revoke":
        values["token_id"] = 999
    path = rule.build(
        {k: v for k, v in values.items() if k in rule.arguments}, append_unknown=False
    )[1]
    if rule.endpoint.startswith("reports.") and "code" in rule.arguments:
        path += f"?period={world[territory]['period']}"
    return path


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app, client, login, world, role: str) -> None:
    log_in(client, login, role, world)
    token = csrf_token(client) if role != "anonymous" else csrf_token(client, "/login")
    bodies: list[str] = []
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if rule.endpoint == "accounts.logout":
                continue  # ends the session (and its CSRF token); see test_web_security
            view = app.view_functions[rule.endpoint]
            for territory in [OWN, OTHER] if "territory" in rule.arguments else [OWN]:
                url = url_for_rule(rule, territory, world)
                if rule.rule.startswith("/api/v1/"):
                    # The API ignores web sessions: a bearer token or nothing (tests/test_api.py).
                    expected = API_ROUTES.get(rule.endpoint, {401})
                elif "territory" in rule.arguments:
                    assert hasattr(view, "permission"), (
                        f"{rule.endpoint} must declare its permission with @requires"
                    )
                    expected = territory_expectation(view, method, role, territory == OWN)
                else:
                    table = GLOBAL_ROUTES.get((rule.endpoint, method))
                    assert table is not None, f"add {rule.endpoint} {method} to GLOBAL_ROUTES"
                    expected = table.get(role, table.get("*"))
                data = {"csrf_token": token} if method == "POST" else None
                response = client.open(url, method=method, data=data)
                assert response.status_code in expected, (
                    f"{role} {method} {url}: {response.status_code}, expected {expected}"
                )
                # PDF files (sign-in sheets) are bytes: read what text they show
                bodies.append(response.get_data().decode("utf-8", "replace"))
                checked += 1
    assert checked > 40
    everything = "\n".join(bodies)
    assert NAMES[OTHER] not in everything, "another territory's personal data leaked"
    if role not in {"coordinator", "intake_operator", "facilitator"}:
        assert NAMES[OWN] not in everything, f"{role} sees aggregates only"


def test_facilitators_see_only_their_groups_and_members(
    app, client, login, world, ctx, person
) -> None:
    stranger = person(OWN, last_name="Sconosciuto")
    other_group = create_group(ctx, OWN, "Gruppo di un altro")
    client.post(
        "/login",
        data={
            "username": world[OWN]["facilitator"],
            "password": TEST_PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert client.get(f"/t/{OWN}/participants/{stranger.id}").status_code == 404
    assert client.get(f"/t/{OWN}/groups/{other_group.id}").status_code == 404
    listing = client.get(f"/t/{OWN}/participants/").get_data(as_text=True)
    assert NAMES[OWN] in listing and "Sconosciuto" not in listing
    groups = client.get(f"/t/{OWN}/groups/").get_data(as_text=True)
    assert f"Gruppo {OWN}" in groups and "Gruppo di un altro" not in groups


def test_policy_facts() -> None:
    """The policy in words, so a change to the table is a visible decision."""
    assert Permission.FACILITATOR_NOTES not in ROLE_PERMISSIONS[Role.INTAKE_OPERATOR]
    assert Permission.VIEW_PARTICIPANTS not in ROLE_PERMISSIONS[Role.FUNDER_VIEWER]
    assert ROLE_PERMISSIONS[Role.REGIONAL_VIEWER] == frozenset()
    assert Permission.RUN_REPORTS not in ROLE_PERMISSIONS[Role.FACILITATOR]
    assert Permission.MANAGE_PRIVACY in ROLE_PERMISSIONS[Role.COORDINATOR]
