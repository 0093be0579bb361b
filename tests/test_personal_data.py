"""Export and erasure cover every free text that can hold a participant's data,
as listed in amal.consent.personal_data, from the web, the API and the CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.cli import cli
from amal.consent import personal_data
from amal.db import Base
from amal.groups.services import add_need, create_group, enrol, remove_member
from amal.meetings.models import Meeting, MeetingKind
from amal.meetings.services import save_notes, schedule_meeting
from amal.participants.transfers import accept_transfer, propose_transfer
from amal.referrals.services import propose_referral
from amal.runtime import state
from amal.services import Context
from amal.testing import valid_fiscal_code

API = "/api/v1/territories/monza-brianza"
NOTE = "Giulia Bianchi (tel. 333 123 4567) ha un colloquio; BIANCHI ringrazia. Marco Verdi assente."


def test_every_text_column_is_covered_or_declared_not_personal(app: Flask) -> None:
    assert personal_data.unclassified() == []
    declared = (
        {f"{t}.{c}" for t, cols in personal_data.OWNED.items() for c in cols},
        {f"{t}.{c}" for t, cols in personal_data.SHARED.items() for c in cols},
        set(personal_data.NOT_PERSONAL),
    )
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
