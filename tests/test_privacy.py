import json
from datetime import date

import pytest
from sqlalchemy import select

from amal.audit.models import AppendOnlyError, AuditAction, AuditEntry
from amal.audit.services import entries_by_actor, entries_for_participant
from amal.consent.models import ConsentPurpose
from amal.consent.services import (
    erase_person,
    export_person,
    publish_notice,
    record_consents,
    withdraw_consent,
)
from amal.errors import DomainError
from amal.groups.services import create_group, enrol, start_group
from amal.meetings.models import Presence
from amal.meetings.services import generate_plan, group_attendance, record_register
from amal.outcomes.services import record_outcome
from amal.participants.models import ParticipantStatus as S
from amal.participants.services import change_status, register_candidate, update_participant
from amal.referrals.services import advance_referral, propose_referral
from amal.services import Context
from amal.stats import instance_counts
from amal.testing import staff_facilitator, valid_fiscal_code
from amal.wellbeing.services import group_change, record_administration


def test_consent_needs_a_published_notice_and_is_versioned(ctx: Context) -> None:
    participant = register_candidate(ctx, "lecco", first_name="A", last_name="B")
    with pytest.raises(DomainError) as error:
        record_consents(ctx, participant.id, [ConsentPurpose.PROCESSING])
    assert error.value.code == "no_privacy_notice"
    publish_notice(ctx, "lecco", "1.0", "Prima versione")
    with pytest.raises(DomainError, match="already exists"):
        publish_notice(ctx, "lecco", "1.0", "Doppione")
    (consent,) = record_consents(ctx, participant.id, [ConsentPurpose.PROCESSING])
    publish_notice(ctx, "lecco", "2.0", "Seconda versione")
    assert record_consents(ctx, participant.id, [ConsentPurpose.PROCESSING]) == []
    (sharing,) = record_consents(ctx, participant.id, [ConsentPurpose.SHARING])
    assert consent.notice.version == "1.0" and sharing.notice.version == "2.0"


def test_referral_needs_consent_to_sharing(ctx: Context, person) -> None:
    participant = person(consents=(ConsentPurpose.PROCESSING,))
    with pytest.raises(DomainError) as error:
        propose_referral(ctx, participant.id, "gol-1")
    assert error.value.code == "consent_required"
    record_consents(ctx, participant.id, [ConsentPurpose.SHARING])
    referral = propose_referral(ctx, participant.id, "gol-1")
    gol_1 = {s.code: s for s in ctx.plugins.service_catalogue("monza-brianza")}["gol-1"]
    assert (referral.service_url, referral.operator) == (gol_1.url, gol_1.operator)
    withdraw_consent(ctx, participant.id, ConsentPurpose.SHARING, reason="Revocato")
    with pytest.raises(DomainError, match="has not consented to sharing"):
        propose_referral(ctx, participant.id, "gol-2")


def test_referral_lifecycle_and_catalogue(ctx: Context, person) -> None:
    participant = person("monza-brianza", on=date(2026, 1, 15))
    with pytest.raises(DomainError) as error:
        propose_referral(ctx, participant.id, "no-such-service")
    assert error.value.code == "unknown_service"
    referral = propose_referral(ctx, participant.id, "dul-bilancio", on=date(2026, 2, 1))
    with pytest.raises(DomainError) as error:
        advance_referral(ctx, referral.id, "started")
    assert error.value.code == "illegal_transition"
    with pytest.raises(DomainError, match="before the referral's previous step") as error:
        advance_referral(ctx, referral.id, "sent", on=date(2026, 1, 31))
    assert error.value.code == "event_before_record"
    for status, day in (("sent", 2), ("accepted", 9), ("started", 16), ("completed", 28)):
        advance_referral(ctx, referral.id, status, on=date(2026, 2, day))
    assert (referral.sent_on, referral.completed_on) == (date(2026, 2, 2), date(2026, 2, 28))
    with pytest.raises(DomainError):
        advance_referral(ctx, referral.id, "declined")


def busy_person(ctx: Context, person):  # type: ignore[no-untyped-def]
    """A member of a running group with scores, a register line, a referral, an outcome."""
    group = create_group(
        ctx,
        "monza-brianza",
        "G",
        start_date=date(2026, 1, 13),
        facilitator_ids=[staff_facilitator(ctx, "monza-brianza")],
    )
    members = [
        person(
            fiscal_code=valid_fiscal_code(f"RSSMRA80A{n:02d}F205"),
            birth_date=date(1980, 1, n),  # as the fiscal code says (amal.dates)
            phone="333 1234567",
        )
        for n in range(1, 11)
    ]
    for m in members:
        enrol(ctx, group.id, m.id)
    start_group(ctx, group.id)
    meeting = generate_plan(ctx, group.id)[0]
    record_register(ctx, meeting.id, {m.id: (Presence.PRESENT, None) for m in members})
    target = members[0]
    record_administration(ctx, target.id, "who5", "entry", dict.fromkeys(range(1, 6), 1))
    record_administration(ctx, target.id, "who5", "end", dict.fromkeys(range(1, 6), 4))
    propose_referral(ctx, target.id, "gol-1", notes="Interessato alla logistica")
    change_status(ctx, target.id, S.DROPPED_OUT, "Assunto in magazzino")  # leaves the group
    record_outcome(ctx, target.id, "end", "employed", contract_type="permanent", notes="Magazzino")
    return group, target


def test_export_contains_everything_and_is_audited(ctx: Context, person) -> None:
    _group, target = busy_person(ctx, person)
    export = export_person(ctx, target.id)
    json.dumps(export)  # JSON-ready
    assert export["participant"]["fiscal_code"] == target.fiscal_code
    assert {len(export[k]) for k in ("wellbeing", "referrals", "outcomes", "attendance")} == {1, 2}
    assert [c["purpose"] for c in export["consents"]] == [
        "processing",
        "particular_categories",
        "sharing",
    ]
    assert export["status_history"][-1]["to_status"] == "dropped_out"
    assert entries_for_participant(ctx, target.id)[-1].action == AuditAction.EXPORT


def test_erasure_removes_identity_and_keeps_funder_counts(ctx: Context, person) -> None:
    group, target = busy_person(ctx, person)
    counts_before = instance_counts(ctx.session)
    change_before = group_change(ctx, group.id, "who5")
    attendance_before = group_attendance(ctx, group.id)
    update_participant(ctx, target.id, municipality="Lissone")  # a correction, in the history
    code, phone_before = target.fiscal_code, target.phone
    with pytest.raises(DomainError, match="needs a reason"):
        erase_person(ctx, target.id, "")
    erase_person(ctx, target.id, "Richiesta prot. 123/2026")

    export = export_person(ctx, target.id)
    personal = export["participant"]
    assert personal["first_name"] == "—" and personal["fiscal_code"] is None
    assert personal["phone"] == "" and personal["birth_date"] is None
    assert all(w["answers"] is None for w in export["wellbeing"])
    assert export["referrals"][0]["notes"] == "" and export["outcomes"][0]["notes"] == ""
    assert code not in json.dumps(export) and phone_before == "+393331234567"
    assert export["corrections"][0]["field"] == "municipality"
    assert {export["corrections"][0][k] for k in ("old_value", "new_value")} == {""}

    assert instance_counts(ctx.session) == counts_before
    assert group_change(ctx, group.id, "who5") == change_before
    assert group_attendance(ctx, group.id) == attendance_before
    with pytest.raises(DomainError) as error:
        update_participant(ctx, target.id, phone="333 1234567")
    assert error.value.code == "participant_erased"
    with pytest.raises(DomainError):
        erase_person(ctx, target.id, "again")


def test_audit_log_is_append_only_and_queryable(ctx: Context, person) -> None:
    participant = person(status=S.CANDIDATE)
    entries = entries_for_participant(ctx, participant.id)
    assert [e.action for e in entries][:2] == [AuditAction.CREATE, AuditAction.CREATE]
    assert entries_by_actor(ctx, "tester")[0].actor == "tester"
    entry = ctx.session.scalars(select(AuditEntry)).first()
    entry.actor = "someone else"
    with pytest.raises(AppendOnlyError):
        ctx.session.flush()
    ctx.session.rollback()
    ctx.session.delete(ctx.session.scalars(select(AuditEntry)).first())
    with pytest.raises(AppendOnlyError):
        ctx.session.flush()
