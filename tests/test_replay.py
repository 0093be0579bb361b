"""A form sent twice creates nothing twice: the one-time form token
(amal.web.once) and the rules against true duplicates (needs, referrals)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from amal.consent.services import publish_notice
from amal.errors import DomainError
from amal.groups.models import GroupNeed
from amal.groups.services import add_need, create_group
from amal.participants.models import Participant
from amal.referrals.models import Referral
from amal.referrals.services import propose_referral
from amal.services import Context
from amal.testing import csrf_token

T = "monza-brianza"


def once(client, path: str) -> str:
    found = re.search(r'name="form_once" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found, f"no one-time token in {path}"
    return found.group(1)


def test_a_replayed_intake_registers_once(client, login, ctx: Context) -> None:
    publish_notice(ctx, T, "1.0", "Informativa")
    login("coordinator", T)
    path = f"/t/{T}/participants/new"
    form = {
        "csrf_token": csrf_token(client, path),
        "form_once": once(client, path),
        "first_name": "Lucia",
        "last_name": "Mondella",
        "gender": "",
        "employment_status": "naspi",
        "consents": "processing",
    }
    assert client.post(path, data=form).status_code == 302
    again = client.post(path, data=form, follow_redirects=True).get_data(as_text=True)
    assert "Questo modulo è già stato inviato" in again
    count = ctx.session.scalar(
        select(func.count(Participant.id)).where(Participant.last_name == "Mondella")
    )
    assert count == 1


def test_needs_and_referrals_are_never_recorded_twice(client, login, ctx: Context, person) -> None:
    group = create_group(ctx, T, "Gruppo Vimercate")
    add_need(ctx, group.id, "Colloquio di lavoro", expressed_on=date(2026, 11, 2))
    with pytest.raises(DomainError) as need:
        add_need(ctx, group.id, " colloquio di LAVORO ", expressed_on=date(2026, 11, 2))
    assert need.value.code == "duplicate_need"
    who = person()
    code = ctx.plugins.service_catalogue(T)[0].code
    propose_referral(ctx, who.id, code)
    with pytest.raises(DomainError) as referral:
        propose_referral(ctx, who.id, code)
    assert referral.value.code == "duplicate_referral"

    login("coordinator", T)
    path = f"/t/{T}/groups/{group.id}"
    form = {"csrf_token": csrf_token(client, path), "form_once": once(client, path),
            "topic": "Curriculum", "expressed_on": "2026-11-02"}  # fmt: skip
    client.post(f"{path}/needs", data=form)
    replayed = client.post(f"{path}/needs", data=form, follow_redirects=True)
    assert "già stato inviato" in replayed.get_data(as_text=True)
    fresh = {**form, "form_once": once(client, path)}
    duplicate = client.post(f"{path}/needs", data=fresh, follow_redirects=True)
    assert "già registrato per il gruppo" in duplicate.get_data(as_text=True)
    topics = ctx.session.scalars(select(GroupNeed.topic).where(GroupNeed.group_id == group.id))
    assert sorted(topics) == ["Colloquio di lavoro", "Curriculum"]
    assert ctx.session.scalar(select(func.count(Referral.id))) == 1
