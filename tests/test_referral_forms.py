"""Referrals: declining asks for a reason (and, in the web, a confirmation);
notes are editable in the web and the API; the duplicate-person error names
the record it may duplicate."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.audit.models import AuditAction, AuditEntry
from amal.consent.services import publish_notice
from amal.errors import DomainError
from amal.participants.models import ParticipantStatus
from amal.referrals.models import ReferralStatus
from amal.referrals.services import advance_referral, propose_referral
from amal.services import Context
from amal.testing import csrf_token

T = "monza-brianza"
API = f"/api/v1/territories/{T}"


def test_declining_needs_a_reason(ctx: Context, person) -> None:
    who = person()
    referral = propose_referral(ctx, who.id, ctx.plugins.service_catalogue(T)[0].code)
    with pytest.raises(DomainError) as refused:
        advance_referral(ctx, referral.id, "declined")
    assert refused.value.code == "reason_required"
    advance_referral(ctx, referral.id, "declined", reason="Nessun posto fino a marzo")
    assert referral.status == ReferralStatus.DECLINED
    assert "Rifiutato: Nessun posto fino a marzo" in referral.notes


def test_web_decline_confirmation_and_notes(client, login, ctx: Context, person) -> None:
    who = person()
    referral = propose_referral(ctx, who.id, ctx.plugins.service_catalogue(T)[0].code)
    login("coordinator", T)
    page = f"/t/{T}/participants/{who.id}"
    token = csrf_token(client, page)
    url = f"{page}/referrals/{referral.id}"
    unconfirmed = client.post(
        url, data={"csrf_token": token, "to_status": "declined", "reason": "Chiuso"},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "Spunta la conferma" in unconfirmed
    ctx.session.expire_all()
    assert referral.status == ReferralStatus.PROPOSED
    client.post(f"{url}/notes", data={"csrf_token": token, "notes": "Chiamare il lunedì"})
    ctx.session.expire_all()
    assert referral.notes == "Chiamare il lunedì"
    too_long = client.post(
        f"{url}/notes", data={"csrf_token": token, "notes": "x" * 2001}, follow_redirects=True
    ).get_data(as_text=True)
    assert "troppo lunghe" in too_long  # refused, never cut
    client.post(
        url,
        data={"csrf_token": token, "to_status": "declined", "reason": "Chiuso", "confirm": "1"},
    )
    ctx.session.expire_all()
    assert referral.status == ReferralStatus.DECLINED
    audit = ctx.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "referral", AuditEntry.action == AuditAction.UPDATE
        )
    ).all()
    assert audit and audit[0].details["fields"] == ["notes"]


def test_api_decline_and_notes(client, ctx: Context, person) -> None:
    who = person()
    referral = propose_referral(ctx, who.id, ctx.plugins.service_catalogue(T)[0].code)
    _, secret = create_token(ctx, "op", T, Role.INTAKE_OPERATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"{API}/participants/{who.id}/referrals/{referral.id}"
    notes = client.patch(url, headers=headers, json={"notes": "Sportello di Monza"})
    assert notes.status_code == 200 and notes.json["notes"] == "Sportello di Monza"
    missing = client.post(f"{url}/transitions", headers=headers, json={"to_status": "declined"})
    assert missing.status_code == 422 and missing.json["code"] == "reason_required"
    done = client.post(
        f"{url}/transitions", headers=headers, json={"to_status": "declined", "reason": "Rinuncia"}
    )
    assert done.status_code == 200 and done.json["status"] == "declined"


def test_the_duplicate_person_error_names_the_record(client, login, ctx: Context, person) -> None:
    publish_notice(ctx, T, "1.0", "Informativa")
    first = person(
        first_name="Carla", last_name="Neri", birth_date=date(1970, 1, 2),
        status=ParticipantStatus.CANDIDATE,
    )  # fmt: skip
    login("coordinator", T)
    path = f"/t/{T}/participants/new"
    page = client.post(
        path,
        data={"csrf_token": csrf_token(client, path), "first_name": "Carla", "last_name": "Neri",
              "birth_date": "1970-01-02", "gender": "", "employment_status": "naspi",
              "consents": "processing"},
    ).get_data(as_text=True)  # fmt: skip
    assert f"potrebbe essere già registrata con il n. {first.id}" in page
