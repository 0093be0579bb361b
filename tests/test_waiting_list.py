"""The waiting list of a full group: offered when the group is full, a freed
place offered to the first on the list with the date, waiting people in the
enrol lists; services, web and API."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.consent.services import export_person
from amal.errors import DomainError
from amal.groups.models import WaitlistEntry
from amal.groups.services import (
    add_to_waitlist,
    create_group,
    enrol,
    leave_waitlist,
    remove_member,
    waiting_list,
)
from amal.participants.models import ParticipantStatus as S
from amal.services import Context
from amal.testing import csrf_token

T = "monza-brianza"


@pytest.fixture
def full(ctx: Context, person):
    group = create_group(ctx, T, "Gruppo Desio", start_date=date(2027, 1, 11))
    members = [person() for _ in range(group.max_size)]
    for m in members:
        enrol(ctx, group.id, m.id)
    return group, members


def test_a_freed_place_goes_to_the_first_waiting(ctx: Context, person, full) -> None:
    group, members = full
    first, second = person(last_name="Primo"), person(last_name="Secondo")
    with pytest.raises(DomainError) as refused:
        enrol(ctx, group.id, first.id)
    assert refused.value.code == "group_full"
    add_to_waitlist(ctx, group.id, first.id)
    add_to_waitlist(ctx, group.id, second.id)
    assert first.status == S.WAITLISTED
    with pytest.raises(DomainError) as twice:
        add_to_waitlist(ctx, group.id, first.id)
    assert twice.value.code == "already_waiting"
    assert [(w.participant.id, w.offered_on) for w in waiting_list(ctx, group.id)] == [
        (first.id, None),
        (second.id, None),
    ]
    remove_member(ctx, group.id, members[0].id, "Trasferito in un altro gruppo")
    listed = waiting_list(ctx, group.id)
    assert [(w.participant.id, w.offered_on) for w in listed] == [
        (first.id, date.today()),
        (second.id, None),
    ]
    enrol(ctx, group.id, first.id)
    assert first.status == S.ENROLLED
    assert [w.participant.id for w in waiting_list(ctx, group.id)] == [second.id]
    assert [h.to_status for h in first.history][-3:] == [S.WAITLISTED, S.ADMITTED, S.ENROLLED]
    entry = ctx.session.scalars(
        select(WaitlistEntry).where(WaitlistEntry.participant_id == second.id)
    ).one()
    leave_waitlist(ctx, entry.id, "Ha trovato lavoro a tempo pieno")
    assert second.status == S.ADMITTED
    assert export_person(ctx, second.id)["waiting_lists"][0]["end_reason"].startswith("Ha trovato")
    remove_member(ctx, group.id, members[1].id, "Rinuncia")
    with pytest.raises(DomainError) as not_full:
        add_to_waitlist(ctx, group.id, second.id)
    assert not_full.value.code == "places_free"


def test_web_offers_the_list_and_the_place(client, login, ctx: Context, person, full) -> None:
    group, members = full
    waiting = person(last_name="Attesa", first_name="Ada")
    login("coordinator", T)
    url = f"/t/{T}/groups/{group.id}"
    token = csrf_token(client, url)
    refused = client.post(
        f"{url}/enrol", data={"csrf_token": token, "participant_id": waiting.id},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "al completo: puoi mettere la persona nella sua lista d&#39;attesa" in refused
    assert f'<option value="{waiting.id}" selected>' in refused
    client.post(f"{url}/waitlist", data={"csrf_token": token, "participant_id": waiting.id})
    page = client.get(url).get_data(as_text=True)
    assert "Lista d'attesa (1)" in page and "in attesa dal" in page
    remove_member(ctx, group.id, members[0].id, "Rinuncia")
    page = client.get(url).get_data(as_text=True)
    assert "posto offerto: libero dal" in page
    assert "Attesa Ada – in lista d'attesa dal" in page  # in the enrol list, marked
    client.post(f"{url}/enrol", data={"csrf_token": token, "participant_id": waiting.id})
    ctx.session.expire_all()
    assert waiting.status == S.ENROLLED


def test_api_waiting_list(client, ctx: Context, person, full) -> None:
    group, members = full
    waiting = person()
    _, secret = create_token(ctx, "co", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/territories/{T}/groups/{group.id}"
    full_answer = client.post(
        f"{url}/enrolments", headers=headers, json={"participant_id": waiting.id}
    )
    assert full_answer.status_code == 409 and full_answer.json["code"] == "group_full"
    added = client.post(f"{url}/waitlist", headers=headers, json={"participant_id": waiting.id})
    assert added.status_code == 201 and added.json["offered_on"] is None
    remove_member(ctx, group.id, members[0].id, "Rinuncia")
    listed = client.get(f"{url}/waitlist", headers=headers)
    assert listed.status_code == 200
    assert listed.json[0]["participant_id"] == waiting.id and listed.json[0]["offered_on"]
