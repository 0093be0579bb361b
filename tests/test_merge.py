"""Merging two records of the same person (issue 15, item 8): what moves, what
is refused, the audit and the history, and every participant table handled."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from amal.accounts.models import Role
from amal.accounts.services import create_token, create_user
from amal.audit.models import AuditAction, AuditEntry
from amal.consent.models import Consent, ConsentPurpose
from amal.db import Base
from amal.errors import DomainError
from amal.groups.services import create_group, enrol
from amal.meetings.info import invite, schedule_info_meeting
from amal.meetings.models import InfoInvitation
from amal.participants.diary import add_entry, correct_entry
from amal.participants.merge import (
    HANDLING,
    MERGE_FIELD,
    merge_records,
    participant_tables,
    preview_merge,
)
from amal.participants.models import DiaryRevision, FieldChange, Participant, StatusChange
from amal.referrals.models import Referral
from amal.referrals.services import propose_referral
from amal.services import Context
from amal.testing import TEST_PASSWORD, csrf_token, staff_facilitator

MONZA, LECCO = "monza-brianza", "lecco"
WHO5 = {n: 3 for n in range(1, 6)}


def test_every_table_with_a_participant_key_has_a_merge_rule(app) -> None:  # type: ignore[no-untyped-def]
    """Derived from the models: a new table pointing at participant.id fails here
    until merge.HANDLING says what a merge does with its rows."""
    tables = participant_tables()
    assert "diary_entry" in tables and "consent" in tables  # the derivation finds them
    missing = sorted(set(tables) - set(HANDLING))
    assert missing == [], f"no merge rule for {missing} (amal.participants.merge.HANDLING)"


def _pair(ctx: Context, person):  # type: ignore[no-untyped-def]
    keep = person(MONZA, last_name="Rossi", phone="", email="")
    duplicate = person(
        MONZA,
        last_name="Rossi",
        phone="+39 333 1234567",
        email="m.rossi@example.org",
        consents=(ConsentPurpose.PROCESSING, ConsentPurpose.SHARING),
    )
    return keep, duplicate


def test_merge_moves_everything_and_deletes_the_duplicate(ctx: Context, person) -> None:  # type: ignore[no-untyped-def]
    keep, duplicate = _pair(ctx, person)
    k, d = keep.id, duplicate.id
    entry = add_entry(ctx, d, "Telefonata: cerca lavoro come magazziniere")
    correct_entry(ctx, d, entry.id, "Telefonata: cerca lavoro come carrellista")
    service = ctx.plugins.service_catalogue(MONZA)[0]
    propose_referral(ctx, d, service.code)
    before_people = ctx.session.scalar(
        select(func.count()).select_from(Participant).where(Participant.territory_code == MONZA)
    )
    k_steps = ctx.session.scalars(
        select(StatusChange.to_status).where(StatusChange.participant_id == k)
    ).all()
    k_consents = ctx.session.scalar(
        select(func.count()).select_from(Consent).where(Consent.participant_id == k)
    )

    moved = merge_records(ctx, k, d, "Seconda accoglienza della stessa persona")

    session = ctx.session
    assert session.get(Participant, d) is None
    assert moved["diary_entry"] == 1 and moved["diary_revision"] == 1
    assert moved["referral"] == 1 and moved["consent"] == 2
    # No row anywhere still points at D.
    for name, columns in participant_tables().items():
        table = Base.metadata.tables[name]
        for column in columns:
            left = session.scalar(
                select(func.count()).select_from(table).where(table.c[column] == d)
            )
            assert left == 0, name
    assert session.scalar(select(func.count()).where(StatusChange.participant_id == d)) == 0
    assert session.scalar(select(func.count()).where(DiaryRevision.participant_id == k)) == 1
    assert session.scalar(select(func.count()).where(Referral.participant_id == k)) == 1
    # One person fewer in the lists and counts; K's own status history untouched.
    after_people = session.scalar(
        select(func.count()).select_from(Participant).where(Participant.territory_code == MONZA)
    )
    assert after_people == before_people - 1
    steps = session.scalars(select(StatusChange.to_status).where(StatusChange.participant_id == k))
    assert steps.all() == k_steps
    # The same purpose active on both: K's stays the active one, D's is superseded.
    consents = session.scalars(select(Consent).where(Consent.participant_id == k)).all()
    assert len(consents) == k_consents + 2
    sharing_active = [c for c in consents if c.purpose == ConsentPurpose.SHARING and c.is_active]
    assert len(sharing_active) == 1 and sharing_active[0].granted_at is not None
    # K's empty contacts filled from D, each fill a correction of K.
    keep = session.get(Participant, k)
    assert keep.phone == "+393331234567" and keep.email == "m.rossi@example.org"
    fills = {
        c.field: c
        for c in session.scalars(select(FieldChange).where(FieldChange.participant_id == k))
    }
    assert fills["phone"].new_value.endswith(f"(dal record unito n. {d})")
    assert fills[MERGE_FIELD].old_value == str(d)
    assert fills[MERGE_FIELD].new_value == "Seconda accoglienza della stessa persona"
    audit = session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.UPDATE,
            AuditEntry.entity == "participant",
            AuditEntry.entity_id == k,
        )
    ).all()[-1]
    assert audit.details["merged_from"] == d
    assert audit.details["reason"] == "Seconda accoglienza della stessa persona"
    assert audit.details["moved"]["diary_entry"] == 1
    # Only ids and counts: no name, phone or e-mail of the person.
    assert "333" not in str(audit.details) and "Rossi" not in str(audit.details)


def test_merge_refusals(ctx: Context, person) -> None:  # type: ignore[no-untyped-def]
    keep, duplicate = _pair(ctx, person)
    elsewhere = person(LECCO)
    for other, why in ((keep.id, "same_record"), (elsewhere.id, "other_territory")):
        with pytest.raises(DomainError) as refused:
            merge_records(ctx, keep.id, other, "Doppione")
        assert (refused.value.code, refused.value.details["why"]) == ("merge_refused", why)
    with pytest.raises(DomainError) as refused:
        merge_records(ctx, keep.id, duplicate.id, "  ")
    assert refused.value.code == "reason_required"
    group = create_group(
        ctx,
        MONZA,
        "Gruppo",
        start_date=date.today() + timedelta(days=7),
        facilitator_ids=[staff_facilitator(ctx, MONZA)],
    )
    enrol(ctx, group.id, duplicate.id)
    with pytest.raises(DomainError) as refused:
        merge_records(ctx, keep.id, duplicate.id, "Doppione")
    assert refused.value.details["why"] == "has_path"
    assert "by hand" in refused.value.message
    # Nothing changed: both records are there.
    assert ctx.session.get(Participant, duplicate.id) is not None


def test_web_merge_with_preview_and_confirmation(app, client, login, ctx: Context, person) -> None:  # type: ignore[no-untyped-def]
    keep, duplicate = _pair(ctx, person)
    add_entry(ctx, duplicate.id, "Colloquio di accoglienza")
    d = duplicate.id
    record = f"/t/{MONZA}/participants/{keep.id}"
    login("intake_operator", MONZA)
    assert "Unisci un doppione" not in client.get(record).get_data(as_text=True)
    assert client.get(f"{record}/merge").status_code == 403
    login("coordinator", MONZA)
    assert "Unisci un doppione" in client.get(record).get_data(as_text=True)
    missing = client.get(f"{record}/merge?duplicate=999999")
    assert missing.status_code == 400 and "999999" in missing.get_data(as_text=True)
    itself = client.get(f"{record}/merge?duplicate={keep.id}")
    assert itself.status_code == 400
    page = client.get(f"{record}/merge?duplicate={d}").get_data(as_text=True)
    assert "Note del diario" in page and "+393331234567" in page
    url = f"{record}/merge?duplicate={d}"
    unconfirmed = client.post(
        url, data={"csrf_token": csrf_token(client, url), "duplicate": d, "reason": "x"}
    )
    assert unconfirmed.status_code == 400
    assert ctx.session.get(Participant, d) is not None
    response = client.post(
        url,
        data={
            "csrf_token": csrf_token(client, url),
            "duplicate": d,
            "reason": "Doppia accoglienza",
            "confirm": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    ctx.session.expire_all()
    assert ctx.session.get(Participant, d) is None
    page = client.get(record).get_data(as_text=True)
    assert f"Unita la scheda n. {d}" in page and "Doppia accoglienza" in page
    assert client.get(f"/t/{MONZA}/participants/{d}").status_code == 404


def test_api_merge(client, ctx: Context, person) -> None:  # type: ignore[no-untyped-def]
    keep, duplicate = _pair(ctx, person)
    _, coordinator = create_token(ctx, "coord", MONZA, Role.COORDINATOR)
    _, intake = create_token(ctx, "intake", MONZA, Role.INTAKE_OPERATOR)
    url = f"/api/v1/territories/{MONZA}/participants/{keep.id}/merge"
    body = {"duplicate_id": duplicate.id, "reason": "Doppione"}
    assert (
        client.post(url, json=body, headers={"Authorization": f"Bearer {intake}"}).status_code
        == 403
    )
    auth = {"Authorization": f"Bearer {coordinator}"}
    itself = client.post(url, json={**body, "duplicate_id": keep.id}, headers=auth)
    assert itself.status_code == 409 and itself.json["code"] == "merge_refused"
    assert itself.headers["Content-Type"].startswith("application/problem+json")
    assert client.post(url, json={**body, "duplicate_id": 999999}, headers=auth).status_code == 404
    assert client.post(url, json={"duplicate_id": duplicate.id}, headers=auth).status_code == 422
    merged = client.post(url, json=body, headers=auth)
    assert merged.status_code == 200, merged.json
    assert merged.json["id"] == keep.id and merged.json["phone"] == "+393331234567"
    assert client.post(url, json=body, headers=auth).status_code == 404  # D is gone


def test_cli_merge(app, ctx: Context, person, tmp_path, amal_database_url: str) -> None:  # type: ignore[no-untyped-def]
    from amal.cli import cli

    keep, duplicate = _pair(ctx, person)
    create_user(ctx, "coord-monza", TEST_PASSWORD, roles=[(MONZA, Role.COORDINATOR)])
    create_user(ctx, "intake-monza", TEST_PASSWORD, roles=[(MONZA, Role.INTAKE_OPERATOR)])
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}
    runner = CliRunner()

    def amal(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, ["--instance", str(tmp_path), *args], env=env, input=input)

    k, d = str(keep.id), str(duplicate.id)
    refused = amal("participant", "merge", k, d, "--reason", "x", "--as", "intake-monza")
    assert refused.exit_code == 1 and "not a coordinator" in refused.output
    itself = amal("participant", "merge", k, k, "--reason", "x", "--as", "coord-monza", "--yes")
    assert itself.exit_code == 1 and "merge_refused" in itself.output
    aborted = amal(
        "participant", "merge", k, d, "--reason", "x", "--as", "coord-monza", input="n\n"
    )
    assert aborted.exit_code == 1
    merged = amal(
        "participant", "merge", k, d, "--reason", "Doppione", "--as", "coord-monza", "--yes"
    )
    assert merged.exit_code == 0, merged.output
    assert f"Participant {d} merged into {k}" in merged.output
    ctx.session.expire_all()
    assert ctx.session.get(Participant, int(d)) is None
    assert re.search(r"consent: 2", merged.output)


def test_merge_keeps_one_invitation_per_meeting(ctx: Context, person) -> None:  # type: ignore[no-untyped-def]
    keep, duplicate = _pair(ctx, person)
    k, d = keep.id, duplicate.id
    # Two ordinary Wednesdays (no holiday in Monza), ahead of any run date for a while.
    both = schedule_info_meeting(ctx, MONZA, date(2027, 2, 10))
    only_d = schedule_info_meeting(ctx, MONZA, date(2027, 2, 17))
    invite(ctx, both.id, [k, d])
    invite(ctx, only_d.id, [d])
    assert preview_merge(ctx, k, d).moves["info_invitation"] == 1
    moved = merge_records(ctx, k, d, "Doppione")
    assert moved["info_invitation"] == 1  # the one K already had for that meeting is not doubled
    meetings = ctx.session.scalars(
        select(InfoInvitation.meeting_id).where(InfoInvitation.participant_id == k)
    ).all()
    assert sorted(meetings) == sorted([both.id, only_d.id])
