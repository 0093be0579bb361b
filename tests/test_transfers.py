"""Transfers between territories: proposed by the origin, accepted (or refused)
by the destination, audited, and never rewriting a closed period's figures."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token, create_user
from amal.audit.models import AuditAction, AuditEntry
from amal.consent.models import Consent
from amal.errors import DomainError, NotFound
from amal.groups.services import conclude_group, create_group, enrol, start_group
from amal.meetings.models import Presence
from amal.meetings.services import generate_plan, record_register
from amal.outcomes.services import record_outcome
from amal.participants.history import territory_of
from amal.participants.models import ParticipantStatus, TransferStatus
from amal.participants.transfers import (
    accept_transfer,
    cancel_transfer,
    propose_transfer,
    refuse_transfer,
)
from amal.referrals.models import Referral
from amal.referrals.services import advance_referral, propose_referral
from amal.reports.engine import run_report
from amal.services import Context
from amal.testing import TEST_PASSWORD, csrf_token, staff_facilitator
from amal.wellbeing.services import record_administration

MONZA, LECCO = "monza-brianza", "lecco"
MOVES_ON = date(2026, 7, 1)
WHO5_LOW = {n: 1 for n in range(1, 6)}
WHO5_HIGH = {n: 4 for n in range(1, 6)}
# Every report of both plugins, on periods closed before the transfer (1 July 2026).
CLOSED = {
    MONZA: [
        ("provincia-trimestrale", "2026-Q1"),
        ("comune-monza-semestrale", "2026-S1"),
        # The project (01/01/2026-30/06/2027) is still running: not a closed
        # period, but what happened before the transfer stays Monza's (below).
        ("provincia-finale", "project"),
    ],
    LECCO: [
        ("valoriamo-semestrale", "2026-S1"),
        ("valoriamo-valutazione", "2026-01-01..2026-03-31"),
    ],
}


@pytest.fixture
def path_in_monza(ctx: Context, person):  # type: ignore[no-untyped-def]
    """A person's whole path in a Monza group in 2026-Q1 (typed in today)."""
    who = person(MONZA, on=date(2026, 1, 5), last_name="Trasferita")
    group = create_group(
        ctx,
        MONZA,
        "Gruppo Q1",
        start_date=date(2026, 1, 13),
        facilitator_ids=[staff_facilitator(ctx, MONZA)],
    )
    enrol(ctx, group.id, who.id, enrolled_on=date(2026, 1, 10))
    start_group(ctx, group.id, override_reason="Prova", started_on=date(2026, 1, 13))
    record_register(ctx, generate_plan(ctx, group.id)[0].id, {who.id: (Presence.PRESENT, None)})
    record_administration(ctx, who.id, "who5", "entry", WHO5_LOW, administered_on=date(2026, 1, 13))
    record_administration(ctx, who.id, "who5", "end", WHO5_HIGH, administered_on=date(2026, 3, 20))
    service = ctx.plugins.service_catalogue(MONZA)[0]
    referral = propose_referral(ctx, who.id, service.code, on=date(2026, 1, 20))
    advance_referral(ctx, referral.id, "sent", on=date(2026, 2, 1))
    conclude_group(
        ctx, group.id, concluded_on=date(2026, 3, 24), cancel_remaining=True, reason="Fine prova"
    )
    record_outcome(
        ctx, who.id, "end", "employed", contract_type="permanent", recorded_on=date(2026, 3, 25)
    )
    return who


def figures(ctx: Context) -> dict[tuple[str, str, str], object]:
    """Every table of every closed-period report of both territories."""
    out: dict[tuple[str, str, str], object] = {}
    for territory, reports in CLOSED.items():
        for code, period in reports:
            # Computed as of 30 June 2026, the day before the transfer.
            result = run_report(ctx, territory, code, period, today=date(2026, 6, 30))
            for table in result.tables:
                out[(territory, code, table.indicator)] = table.rows
    return out


def test_closed_periods_are_identical_in_both_territories_after_a_transfer(
    ctx: Context, path_in_monza
) -> None:
    who = path_in_monza
    before = figures(ctx)
    # the path counts in Monza, not in Lecco
    assert before[(MONZA, "provincia-trimestrale", "participants_by_status")] == [
        ("percorso concluso", 1)
    ]
    assert before[(MONZA, "provincia-finale", "outcomes")] == [
        ("fine percorso", "occupato a tempo indeterminato", 1)
    ]
    assert before[(MONZA, "provincia-finale", "wellbeing_change")][0][1] == 1
    assert before[(LECCO, "valoriamo-semestrale", "participants_by_status")] == []

    transfer = propose_transfer(ctx, who.id, LECCO, "Cambio di residenza", transferred_on=MOVES_ON)
    assert figures(ctx) == before  # a proposal moves nobody
    accept_transfer(ctx, transfer.id, territory_code=LECCO)
    assert who.territory_code == LECCO
    after = figures(ctx)
    changed = {key for key in before if before[key] != after[key]}
    # The "project" period is the pilot's dates (to 30 June 2027): not closed, so
    # the status at its end counts where the person will be then; the events of
    # the path (outcome, wellbeing, referral) stay Monza's.
    open_project = {(MONZA, "provincia-finale", "participants_by_status")}
    assert changed == open_project, f"closed figures changed: {sorted(changed - open_project)}"

    # After the transfer day the person counts in the destination.
    assert territory_of(ctx.session, who.id, date(2026, 6, 30)) == MONZA
    assert territory_of(ctx.session, who.id, MOVES_ON) == LECCO
    record_outcome(
        ctx, who.id, "follow_up", "looking", follow_up_month=3, recorded_on=date(2026, 7, 15)
    )
    lecco_s2 = run_report(ctx, LECCO, "valoriamo-semestrale", "2026-S2")
    lecco_q3 = run_report(ctx, LECCO, "valoriamo-valutazione", "2026-07-01..2026-09-30")
    monza_q3 = run_report(ctx, MONZA, "provincia-trimestrale", "2026-Q3")

    def rows(result, name):  # type: ignore[no-untyped-def]
        return next(t for t in result.tables if t.indicator == name).rows

    assert rows(lecco_s2, "participants_by_status") == [("percorso concluso", 1)]
    assert rows(monza_q3, "participants_by_status") == []
    follow_up = ("follow-up a 3 mesi", "in cerca attiva di lavoro", 1)
    assert rows(lecco_q3, "outcomes") == [follow_up]
    monza_final = run_report(ctx, MONZA, "provincia-finale", "project")
    assert follow_up not in rows(monza_final, "outcomes")
    # The referral stays Monza's (it proposed it), and the destination follows it up.
    referral = ctx.session.scalars(select(Referral)).one()
    assert referral.territory_code == MONZA
    assert rows(monza_final, "referrals")[0][2] == 1
    # Consents travel with the record, unchanged.
    consents = ctx.session.scalars(select(Consent).where(Consent.participant_id == who.id)).all()
    assert consents and all(c.granted_on == date(2026, 1, 5) for c in consents)


def test_transfer_rules_and_audit(ctx: Context, person) -> None:
    who = person(MONZA, on=date(2026, 1, 5))
    with pytest.raises(DomainError, match="needs a reason"):
        propose_transfer(ctx, who.id, LECCO, " ")
    with pytest.raises(DomainError) as error:
        propose_transfer(ctx, who.id, "trento", "x")
    assert error.value.code == "unknown_territory"
    with pytest.raises(DomainError) as error:
        propose_transfer(ctx, who.id, LECCO, "x", transferred_on=date(2026, 1, 4))
    assert error.value.code == "event_before_record"  # before the person's last step
    transfer = propose_transfer(ctx, who.id, LECCO, "Residenza", transferred_on=date(2026, 2, 1))
    with pytest.raises(DomainError) as error:
        propose_transfer(ctx, who.id, LECCO, "Ancora")
    assert error.value.code == "transfer_pending"
    with pytest.raises(NotFound):  # only the destination decides
        accept_transfer(ctx, transfer.id, territory_code=MONZA)
    with pytest.raises(DomainError, match="needs a reason"):
        refuse_transfer(ctx, transfer.id, territory_code=LECCO, note="")
    refuse_transfer(ctx, transfer.id, territory_code=LECCO, note="Nessun gruppo disponibile")
    assert who.territory_code == MONZA and transfer.status == TransferStatus.REFUSED
    with pytest.raises(DomainError) as error:
        accept_transfer(ctx, transfer.id, territory_code=LECCO)
    assert error.value.code == "transfer_decided"
    again = propose_transfer(ctx, who.id, LECCO, "Residenza", transferred_on=date(2026, 2, 1))
    cancel_transfer(ctx, again.id, territory_code=MONZA)
    assert again.status == TransferStatus.CANCELLED
    steps = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.action == AuditAction.TRANSFER).order_by(AuditEntry.id)
    ).all()
    assert [e.details["step"] for e in steps] == ["proposed", "refused", "proposed", "cancelled"]
    assert steps[1].actor == "tester" and steps[1].territory_code == LECCO


def test_someone_in_a_group_leaves_it_first(ctx: Context, person) -> None:
    who = person(MONZA)
    group = create_group(ctx, MONZA, "G")
    enrol(ctx, group.id, who.id)
    with pytest.raises(DomainError) as error:
        propose_transfer(ctx, who.id, LECCO, "Residenza")
    assert error.value.code == "in_group"


def test_the_destination_cannot_backdate_before_the_transfer(ctx: Context, person) -> None:
    who = person(MONZA, on=date(2026, 1, 5), status=ParticipantStatus.SCREENED)
    transfer = propose_transfer(ctx, who.id, LECCO, "Residenza", transferred_on=date(2026, 3, 1))
    accept_transfer(ctx, transfer.id, territory_code=LECCO)
    from amal.participants.services import change_status

    with pytest.raises(DomainError) as error:
        change_status(ctx, who.id, "admitted", occurred_on=date(2026, 2, 1))
    assert error.value.code == "event_before_record"
    change_status(ctx, who.id, "admitted", occurred_on=date(2026, 3, 2))


def test_web_transfer_proposed_by_origin_and_accepted_by_destination(
    app, client, login, ctx: Context, person
) -> None:
    who = person(MONZA, on=date(2026, 1, 5), last_name="Viaggiatrice")
    record = f"/t/{MONZA}/participants/{who.id}"
    login("coordinator", MONZA)
    page = client.get(record).get_data(as_text=True)
    assert "Trasferimento ad altro territorio" in page
    response = client.post(
        f"{record}/transfer",
        data={
            "csrf_token": csrf_token(client, record),
            "transfer-to_territory": LECCO,
            "transfer-transferred_on": "2026-02-01",
            "transfer-reason": "Cambio di residenza",
        },
    )
    assert response.status_code == 302
    assert "In attesa della decisione di" in client.get(record).get_data(as_text=True)

    login("coordinator", LECCO)
    assert client.get(f"/t/{LECCO}/participants/{who.id}").status_code == 404  # not yet theirs
    incoming = client.get(f"/t/{LECCO}/participants/transfers").get_data(as_text=True)
    assert "Viaggiatrice" in incoming and "01/02/2026" in incoming
    transfer_id = re.search(r"/transfers/(\d+)/accept", incoming)[1]
    response = client.post(
        f"/t/{LECCO}/participants/transfers/{transfer_id}/accept",
        data={"csrf_token": csrf_token(client, f"/t/{LECCO}/participants/transfers")},
    )
    assert response.headers["Location"].endswith(f"/t/{LECCO}/participants/{who.id}")
    page = client.get(f"/t/{LECCO}/participants/{who.id}").get_data(as_text=True)
    assert "Viaggiatrice" in page and "accettato" in page

    login("coordinator", MONZA)
    assert client.get(record).status_code == 404  # the origin no longer sees the record
    # Other roles cannot transfer.
    login("intake_operator", LECCO)
    assert client.get(f"/t/{LECCO}/participants/transfers").status_code == 403


def test_api_transfer(client, ctx: Context, person) -> None:
    who = person(MONZA, on=date(2026, 1, 5))
    _, monza = create_token(ctx, "monza", MONZA, Role.COORDINATOR)
    _, lecco = create_token(ctx, "lecco", LECCO, Role.COORDINATOR)
    api = "/api/v1/territories"
    future = client.post(
        f"{api}/{MONZA}/participants/{who.id}/transfers",
        json={"to_territory": LECCO, "reason": "x", "transferred_on": "2099-01-01"},
        headers={"Authorization": f"Bearer {monza}"},
    )
    assert future.status_code == 422 and future.json["code"] == "event_in_future"
    response = client.post(
        f"{api}/{MONZA}/participants/{who.id}/transfers",
        json={"to_territory": LECCO, "reason": "Residenza", "transferred_on": "2026-02-01"},
        headers={"Authorization": f"Bearer {monza}"},
    )
    assert response.status_code == 201, response.json
    assert response.json["status"] == "proposed"
    lecco_headers = {"Authorization": f"Bearer {lecco}"}
    incoming = client.get(f"{api}/{LECCO}/participants/transfers/incoming", headers=lecco_headers)
    assert [t["participant_id"] for t in incoming.json] == [who.id]
    assert set(incoming.json[0]) >= {"first_name", "birth_date", "reason", "transferred_on"}
    assert "email" not in incoming.json[0]
    transfer_id = incoming.json[0]["id"]
    # the origin cannot accept its own proposal
    wrong = client.post(
        f"{api}/{MONZA}/participants/transfers/{transfer_id}/accept",
        json={},
        headers={"Authorization": f"Bearer {monza}"},
    )
    assert wrong.status_code == 404
    accepted = client.post(
        f"{api}/{LECCO}/participants/transfers/{transfer_id}/accept", json={}, headers=lecco_headers
    )
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    read = client.get(f"{api}/{LECCO}/participants/{who.id}", headers=lecco_headers)
    assert read.status_code == 200 and read.json["territory"] == LECCO
    history = client.get(f"{api}/{LECCO}/participants/{who.id}/history", headers=lecco_headers)
    assert history.json[0]["occurred_on"] == "2026-01-05"
    spec = client.get("/api/v1/openapi.json").json
    assert any(p.endswith("/transfers/incoming") for p in spec["paths"])


def test_cli_transfer(app, ctx: Context, person, tmp_path: Path, amal_database_url: str) -> None:
    from amal.cli import cli

    who = person(MONZA, on=date(2026, 1, 5), last_name="Pendolare")
    create_user(ctx, "coord-monza", TEST_PASSWORD, roles=[(MONZA, Role.COORDINATOR)])
    create_user(ctx, "coord-lecco", TEST_PASSWORD, roles=[(LECCO, Role.COORDINATOR)])
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}
    runner = CliRunner()

    def amal(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(cli, ["--instance", str(tmp_path), *args], env=env)

    base = ["participant", "transfer"]
    refused = amal(
        *base, "propose", str(who.id), "--to", LECCO, "--reason", "x", "--as", "coord-lecco"
    )
    assert refused.exit_code == 1 and "not a coordinator of monza-brianza" in refused.output
    bad_day = amal(
        *base, "propose", str(who.id), "--to", LECCO, "--reason", "x",
        "--on", "2099-01-01", "--as", "coord-monza",
    )  # fmt: skip
    assert bad_day.exit_code == 1 and "in the future" in bad_day.output
    proposed = amal(
        *base, "propose", str(who.id), "--to", LECCO, "--reason", "Residenza",
        "--on", "2026-02-01", "--as", "coord-monza",
    )  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    assert "monza-brianza -> lecco from 01/02/2026, proposed" in proposed.output
    listed = amal(*base, "list", LECCO, "--as", "coord-lecco")
    assert "Pendolare" in listed.output
    transfer_id = re.search(r"Transfer (\d+)", listed.output)[1]
    accepted = amal(*base, "decide", transfer_id, "accept", "--as", "coord-lecco")
    assert accepted.exit_code == 0 and "accepted" in accepted.output
    ctx.session.expire_all()
    assert territory_of(ctx.session, who.id, date(2026, 2, 1)) == LECCO
