"""Every event carries the day it happened, set through the services, the web,
the API, checked by amal.events.event_date (never future, never before the
record it depends on) and audited when back-dated."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from amal.audit.models import AuditAction, AuditEntry
from amal.consent.models import Consent, ConsentPurpose
from amal.consent.services import withdraw_consent
from amal.errors import DomainError
from amal.groups.services import (
    cancel_group,
    conclude_group,
    create_group,
    enrol,
    remove_member,
    start_group,
)
from amal.participants.models import ParticipantStatus
from amal.participants.services import change_status
from amal.referrals.services import advance_referral, propose_referral
from amal.services import Context
from amal.testing import csrf_token, staff_facilitator

MONZA = "monza-brianza"
ADMITTED = date(2026, 2, 1)


def code_of(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(DomainError) as error:
        call()
    return error.value.code


def test_enrolment_start_and_conclusion_carry_their_days(ctx: Context, person) -> None:
    who = person(MONZA, on=ADMITTED)
    group = create_group(ctx, MONZA, "G", facilitator_ids=[staff_facilitator(ctx, MONZA)])
    assert code_of(lambda: enrol(ctx, group.id, who.id, enrolled_on=date(2026, 1, 31))) == (
        "event_before_record"  # enrolment not before admission
    )
    tomorrow = date.today() + timedelta(days=1)
    assert code_of(lambda: enrol(ctx, group.id, who.id, enrolled_on=tomorrow)) == (
        "event_in_future"
    )
    enrolment = enrol(ctx, group.id, who.id, enrolled_on=date(2026, 2, 3))
    assert (enrolment.enrolled_on, enrolment.enrolled_at.date()) == (date(2026, 2, 3), date.today())
    assert code_of(
        lambda: start_group(ctx, group.id, override_reason="x", started_on=date(2026, 2, 2))
    ) == ("event_before_record")  # not before the group formed
    start_group(ctx, group.id, override_reason="Prova", started_on=date(2026, 2, 10))
    assert code_of(lambda: conclude_group(ctx, group.id, concluded_on=date(2026, 2, 9))) == (
        "event_before_record"  # conclusion not before the start
    )
    conclude_group(ctx, group.id, concluded_on=date(2026, 6, 30))
    assert (group.started_on, group.concluded_on) == (date(2026, 2, 10), date(2026, 6, 30))
    assert [(c.to_status, c.occurred_on) for c in who.history[-3:]] == [
        (ParticipantStatus.ENROLLED, date(2026, 2, 3)),
        (ParticipantStatus.ACTIVE, date(2026, 2, 10)),
        (ParticipantStatus.COMPLETED, date(2026, 6, 30)),
    ]
    backdated = ctx.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.BACKDATE, AuditEntry.entity == "group"
        )
    ).all()
    assert [e.details["event"] for e in backdated] == ["group_active", "group_concluded"]
    assert all(e.actor == "tester" and e.details["recorded_on"] for e in backdated)


def test_leaving_a_group_and_cancelling_one_are_dated(ctx: Context, person) -> None:
    first, second = person(MONZA, on=ADMITTED), person(MONZA, on=ADMITTED)
    group = create_group(ctx, MONZA, "G", facilitator_ids=[staff_facilitator(ctx, MONZA)])
    enrol(ctx, group.id, first.id, enrolled_on=date(2026, 2, 3))
    enrol(ctx, group.id, second.id, enrolled_on=date(2026, 2, 3))
    remove_member(ctx, group.id, first.id, "Trasloco", ended_on=date(2026, 2, 5))
    cancel_group(ctx, group.id, "Sala chiusa", cancelled_on=date(2026, 2, 20))
    ends = {e.participant_id: e.ended_on for e in group.enrolments}
    assert ends == {first.id: date(2026, 2, 5), second.id: date(2026, 2, 20)}


def test_status_consent_and_referral_steps(ctx: Context, person) -> None:
    who = person(MONZA, on=ADMITTED)
    assert code_of(
        lambda: change_status(ctx, who.id, "waitlisted", occurred_on=date(2026, 1, 1))
    ) == ("event_before_record")
    change_status(ctx, who.id, "waitlisted", occurred_on=date(2026, 2, 2))
    assert code_of(
        lambda: withdraw_consent(
            ctx, who.id, ConsentPurpose.SHARING, reason="Revocato", withdrawn_on=date(2026, 1, 31)
        )
    ) == ("event_before_record")  # not before it was given
    service = ctx.plugins.service_catalogue(MONZA)[0].code
    referral = propose_referral(ctx, who.id, service, on=date(2026, 2, 2))
    advance_referral(ctx, referral.id, "sent", on=date(2026, 2, 9))
    assert code_of(lambda: advance_referral(ctx, referral.id, "accepted", on=date(2026, 2, 8))) == (
        "event_before_record"  # not before the previous step
    )
    withdraw_consent(
        ctx, who.id, ConsentPurpose.SHARING, reason="Revocato", withdrawn_on=date(2026, 3, 1)
    )
    sharing = ctx.session.scalars(
        select(Consent).where(
            Consent.participant_id == who.id, Consent.purpose == ConsentPurpose.SHARING
        )
    ).one()
    assert (sharing.granted_on, sharing.withdrawn_on) == (ADMITTED, date(2026, 3, 1))


def test_the_record_shows_the_days_things_happened(
    app, client, login, ctx: Context, person
) -> None:
    who = person(MONZA, on=ADMITTED)
    group = create_group(
        ctx, MONZA, "Gruppo Brianza", facilitator_ids=[staff_facilitator(ctx, MONZA)]
    )
    login("coordinator", MONZA)
    page = f"/t/{MONZA}/groups/{group.id}"
    client.post(
        f"{page}/enrol",
        data={
            "csrf_token": csrf_token(client, page),
            "participant_id": who.id,
            "occurred_on": "2026-02-03",
        },
    )
    record = f"/t/{MONZA}/participants/{who.id}"
    html = client.get(record).get_data(as_text=True)
    assert "Gruppo Brianza – dal 03/02/2026" in html
    assert "01/02/2026" in html  # admission, in the history and the consents
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    response = client.post(
        f"{record}/status",
        data={
            "csrf_token": csrf_token(client, record),
            "to_status": "withdrawn",
            "reason": "Trasferito",
            "occurred_on": tomorrow,
        },
        follow_redirects=True,
    )
    assert "La data non può essere nel futuro." in response.get_data(as_text=True)
    response = client.post(
        f"{record}/status",
        data={
            "csrf_token": csrf_token(client, record),
            "to_status": "withdrawn",
            "reason": "Trasferito",
            "occurred_on": "2026-02-01",
        },
        follow_redirects=True,
    )
    assert "La data è precedente a quella del dato da cui dipende (03/02/2026)." in (
        response.get_data(as_text=True)
    )


def test_api_takes_and_documents_event_days(client, ctx: Context, person) -> None:
    from amal.accounts.models import Role
    from amal.accounts.services import create_token

    who = person(MONZA, on=ADMITTED)
    _, secret = create_token(ctx, "t", MONZA, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/territories/{MONZA}/participants/{who.id}/transitions"
    response = client.post(
        url,
        json={"to_status": "waitlisted", "reason": "", "occurred_on": "2026-01-01"},
        headers=headers,
    )
    assert response.status_code == 422 and response.json["code"] == "event_before_record"
    response = client.post(
        url,
        json={"to_status": "waitlisted", "reason": "", "occurred_on": "2026-02-02"},
        headers=headers,
    )
    assert response.status_code == 200
    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    fields = {
        "Transition": "occurred_on",
        "Enrolment": "enrolled_on",
        "GroupAction": "occurred_on",
        "ConsentRequest": "granted_on",
        "Referral": "proposed_on",
        "ReferralTransition": "on",
        "Outcome": "recorded_on",
        "Transfer": "transferred_on",
        "ParticipantCreate": "registered_on",
    }
    for schema, field in fields.items():
        assert field in schemas[schema]["properties"], (schema, field)
