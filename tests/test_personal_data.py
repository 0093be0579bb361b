"""Export and erasure cover every free text that can hold a participant's data,
as listed in amal.consent.personal_data, from the web, the API and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import event, func, select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.app import create_app
from amal.cli import cli
from amal.consent import personal_data
from amal.db import Base
from amal.errors import PluginError
from amal.groups.models import GroupNeed
from amal.groups.services import add_need, create_group, enrol, remove_member
from amal.meetings.models import Meeting, MeetingKind
from amal.meetings.services import save_notes, schedule_meeting
from amal.participants.transfers import accept_transfer, propose_transfer
from amal.plugins import PersonalTable, hookimpl
from amal.plugins.manager import PluginHost
from amal.referrals.services import propose_referral
from amal.runtime import state
from amal.services import Context
from amal.testing import valid_fiscal_code

API = "/api/v1/territories/monza-brianza"
NOTE = "Giulia Bianchi (tel. 333 123 4567) ha un colloquio; BIANCHI ringrazia. Marco Verdi assente."


def test_every_text_column_is_covered_or_declared_not_personal(app: Flask) -> None:
    """The core's registry plus the plugins' amal_personal_data (Lecco's help
    desk) cover every String/Text column of every table, each in one place."""
    plugins = state(app).plugins
    assert {t.table for t in plugins.personal_tables()} >= {
        "lecco_sportello_contact",
        "lecco_sportello_appointment",
    }
    assert personal_data.declaration_errors(plugins) == []
    assert personal_data.unclassified(plugins=plugins) == []
    assert personal_data.unclassified() != [], "without the plugins' declarations, a gap"
    assert not [c for c in personal_data.NOT_PERSONAL if c.startswith("lecco_")]
    declared = personal_data.declared(plugins)
    assert not (declared[0] & declared[1] or declared[0] & declared[2] or declared[1] & declared[2])
    existing = set(personal_data.free_text_columns(Base.metadata.sorted_tables))
    assert set().union(*declared) <= existing, "the registry names columns that do not exist"


def _giulia(ctx: Context, person) -> int:  # type: ignore[no-untyped-def]
    """A person whose name and contacts end up in every kind of free text."""
    giulia = person(
        first_name="Giulia",
        last_name="Bianchi",
        phone="333 1234567",
        email="giulia.bianchi@example.it",
        fiscal_code=valid_fiscal_code("BNCGLI80A41F704"),
        birth_date=date(1980, 1, 1),  # as the fiscal code says (amal.dates)
        needs="Giulia vuole rientrare nella logistica",
    )
    group = create_group(ctx, "monza-brianza", "Gruppo Brianza", start_date=date.today())
    enrol(ctx, group.id, giulia.id)
    need = add_need(ctx, group.id, "Colloquio", "Chiesto da Giulia Bianchi")
    meeting = schedule_meeting(
        ctx, "monza-brianza", MeetingKind.GROUP, date.today(), group_id=group.id
    )
    save_notes(ctx, meeting.id, NOTE)
    service = ctx.plugins.service_catalogue("monza-brianza")[0].code
    propose_referral(ctx, giulia.id, service, notes="Giulia preferisce il mattino")
    remove_member(ctx, group.id, giulia.id, "Giulia Bianchi cambia città")
    proposal = propose_transfer(ctx, giulia.id, "lecco", "Giulia Bianchi si trasferisce a Lecco")
    accept_transfer(ctx, proposal.id, territory_code="lecco", note="Accolta Giulia Bianchi a Lecco")
    assert need.id and meeting.id
    return giulia.id


def _text_naming_her(ctx: Context) -> dict[str, int]:
    """Every free-text column of every table, searched for her identifiers."""
    ctx.session.expire_all()
    found = {}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            name = f"{table.name}.{column.name}"
            if name not in set(personal_data.free_text_columns([table])):
                continue
            lowered = func.lower(column)
            hits = ctx.session.scalar(
                select(func.count()).where(
                    lowered.like("%bianchi%")
                    | lowered.like("%giulia%")
                    | lowered.like("%333 123 4567%")
                    | lowered.like("%1234567%")
                )
            )
            if hits:
                found[name] = hits
    return found


def test_api_export_and_erasure_cover_every_free_text(app: Flask, ctx: Context, person) -> None:
    pid = _giulia(ctx, person)
    before = _text_naming_her(ctx)
    assert {
        "participant.first_name",
        "meeting.facilitator_notes",
        "group_need.description",
        "participant_transfer.reason",
        "participant_status_change.reason",
        "enrolment.end_reason",
        "referral.notes",
    } <= set(before)

    _, secret = create_token(ctx, "dpo", "lecco", Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    export = client.get(f"/api/v1/territories/lecco/participants/{pid}/export", headers=headers)
    assert export.status_code == 200, export.get_data(as_text=True)
    data = export.json
    assert data["transfers"][0]["reason"] == "Giulia Bianchi si trasferisce a Lecco"
    assert {(m["table"], m["field"]) for m in data["mentions"]} >= {
        ("meeting", "facilitator_notes"),
        ("group_need", "description"),
    }

    erased = client.post(
        f"/api/v1/territories/lecco/participants/{pid}/erasure",
        json={"reason": "Richiesta prot. 42"},
        headers=headers,
    )
    assert erased.status_code == 200, erased.get_data(as_text=True)
    assert _text_naming_her(ctx) == {}
    note = ctx.session.scalar(
        select(Meeting.facilitator_notes).where(Meeting.facilitator_notes != "")
    )
    assert note == (
        "[cancellato] (tel. [cancellato]) ha un colloquio; [cancellato] ringrazia. "
        "Marco Verdi assente."
    )
    again = client.post(
        f"/api/v1/territories/lecco/participants/{pid}/erasure",
        json={"reason": "di nuovo"},
        headers=headers,
    )
    assert again.status_code == 409 and again.json["code"] == "participant_erased"
    print(f"\nfree text naming her before erasure: {before}; after: {_text_naming_her(ctx)}")


def test_cli_export_and_erasure(
    app: Flask, ctx: Context, person, tmp_path: Path, amal_database_url: str
) -> None:
    pid = _giulia(ctx, person)
    ctx.session.commit()
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}
    runner = CliRunner()
    base = ["--instance", str(tmp_path), "participant"]
    out = tmp_path / "export.json"
    exported = runner.invoke(cli, [*base, "export", str(pid), "--out", str(out)], env=env)
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["mentions"]
    no_reason = runner.invoke(cli, [*base, "erase", str(pid), "--reason", " ", "--yes"], env=env)
    assert no_reason.exit_code == 1 and "reason" in no_reason.output
    erased = runner.invoke(cli, [*base, "erase", str(pid), "--reason", "prot. 7", "--yes"], env=env)
    assert erased.exit_code == 0, erased.output
    assert _text_naming_her(ctx) == {}
    missing = runner.invoke(cli, [*base, "export", "999999"], env=env)
    assert missing.exit_code == 1 and "not found" in missing.output
    state(app).engine.dispose()


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = state(app).engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_mentions_are_searched_in_the_whole_territory(app: Flask, ctx: Context, person) -> None:
    """A facilitator names her in the note of a group she was never in, and in a
    need of another group; the other territory's notes and a mere namesake's
    first name stay. Bounded: the queries do not grow with the notes."""
    giulia = person(
        first_name="Giulia",
        last_name="Bianchi",
        phone="333 1234567",
        email="giulia.bianchi@example.it",
    )
    other = create_group(ctx, "monza-brianza", "Gruppo Vimercate", start_date=date.today())
    meeting = schedule_meeting(
        ctx, "monza-brianza", MeetingKind.GROUP, date.today(), group_id=other.id
    )
    save_notes(ctx, meeting.id, "Parlato con BIANCHI Giulia; Giulia Rota assente.")
    need = add_need(ctx, other.id, "Colloquio", "Scrivere a giulia.bianchi@example.it")
    unrelated = add_need(ctx, other.id, "CV", "Giulia Rota chiede un CV; Bianchi Srl assume")
    elsewhere = create_group(ctx, "lecco", "Gruppo Lecco", start_date=date.today())
    far = add_need(ctx, elsewhere.id, "Colloquio", "Giulia Bianchi di Lecco, un'omonima")
    ctx.session.flush()

    with _counting(app) as few:
        found = {(m["table"], m["id"]) for m in personal_data.mentions(ctx.session, giulia)}
    assert found == {("meeting", meeting.id), ("group_need", need.id)}
    for i in range(20):
        add_need(ctx, other.id, f"Tema {i}", f"Bianchi Srl, nota {i}")
    ctx.session.flush()
    with _counting(app) as many:
        personal_data.mentions(ctx.session, giulia)
    # One or two queries per table with shared text (meetings, needs, group
    # reasons, groups, the network's minutes and decisions), whatever the rows.
    assert len(many) == len(few) <= 15

    assert personal_data.redact_mentions(ctx.session, giulia) == 2
    assert meeting.facilitator_notes == "Parlato con [cancellato]; Giulia Rota assente."
    assert need.description == "Scrivere a [cancellato]"
    assert unrelated.description == "Giulia Rota chiede un CV; Bianchi Srl assume"
    assert ctx.session.get(GroupNeed, far.id).description.startswith("Giulia Bianchi")
    print(f"\nmentions outside her groups: {len(found)}; queries: {len(few)} (and {len(many)})")


def test_mentions_follow_her_to_the_territory_she_left(ctx: Context, person) -> None:
    giulia = person(first_name="Giulia", last_name="Bianchi", email="gb@example.it")
    group = create_group(ctx, "monza-brianza", "Gruppo Monza", start_date=date.today())
    need = add_need(ctx, group.id, "Colloquio", "Chiamare Giulia Bianchi")
    proposal = propose_transfer(ctx, giulia.id, "lecco", "Si trasferisce")
    accept_transfer(ctx, proposal.id, territory_code="lecco")
    ctx.session.flush()
    assert [m["id"] for m in personal_data.mentions(ctx.session, giulia)] == [need.id]


def test_a_plugin_declaring_what_does_not_exist_stops_start_up(tmp_path: Path) -> None:
    """A typo in amal_personal_data would leave a person's data unexported and
    unerased: the app refuses to start, naming the table and column."""

    class Typo:
        @hookimpl
        def amal_personal_data(self) -> list[PersonalTable]:
            return [
                PersonalTable("lecco_sportello_contact", owned={"phone": ""}, owner="participant"),
                PersonalTable("no_such_table", not_personal={"x": "nothing"}),
            ]

    with pytest.raises(PluginError) as stopped:
        create_app(
            tmp_path,
            config_overrides={"environment": "testing", "plugins": ["monza-brianza", "lecco"]},
            extra_plugins=[("typo", Typo())],
        )
    assert "is already declared" in str(stopped.value)  # Lecco declares that table
    host = PluginHost(["monza-brianza"], extra=[("typo", Typo())])
    assert personal_data.declaration_errors(host) == [
        "lecco_sportello_contact.participant: owner column does not exist",
        "no_such_table: no such table",
    ]
    with pytest.raises(PluginError, match="owner column does not exist"):
        personal_data.check_plugin_declarations(host)
