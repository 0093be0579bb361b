"""Open information meetings: territory-level, candidates invited, walk-ins by
name only, a register, the step in the candidate's history, a walk-in who
becomes a candidate without retyping; the Lecco plan opens with the
territory's info meeting; info meetings avoid the holidays."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.consent.services import erase_person, export_person
from amal.errors import DomainError
from amal.groups.services import create_group
from amal.meetings import info
from amal.meetings.models import InfoWalkIn, MeetingKind, MeetingStatus, Presence
from amal.meetings.services import generate_plan, reschedule
from amal.participants.models import Participant
from amal.participants.models import ParticipantStatus as S
from amal.services import Context
from amal.testing import csrf_token

LECCO = "lecco"
DAY = date(2026, 3, 10)  # a Tuesday, no holiday


def test_invite_register_walk_in_and_history(ctx: Context, person) -> None:
    meeting = info.schedule_info_meeting(ctx, LECCO, DAY, location="Valmadrera", topic="Info")
    assert meeting.group_id is None and meeting.kind == MeetingKind.INFO
    anna = person(LECCO, status=S.CANDIDATE, on=date(2026, 3, 1))
    bruno = person(LECCO, status=S.SCREENED, on=date(2026, 3, 1))
    elsewhere = person("monza-brianza", status=S.CANDIDATE)
    assert {p.id for p in info.invitable(ctx, meeting)} == {anna.id, bruno.id}
    with pytest.raises(DomainError) as refused:
        info.invite(ctx, meeting.id, [anna.id, elsewhere.id])
    assert refused.value.code == "not_invitable"
    info.invite(ctx, meeting.id, [anna.id, bruno.id])
    assert info.invite(ctx, meeting.id, [anna.id]) == []  # already invited
    with pytest.raises(DomainError) as not_invited:
        info.record_info_register(ctx, meeting.id, {elsewhere.id: "present"})
    assert not_invited.value.code == "not_in_register"
    info.record_info_register(ctx, meeting.id, {anna.id: "present", bruno.id: "absent"})
    walk_in = info.add_walk_in(ctx, meeting.id, "  Maria Grazia   Colombo ")
    assert walk_in.name == "Maria Grazia Colombo"
    register = info.info_register(ctx, meeting.id)
    assert [(line.participant.id, line.presence) for line in register.invited] == sorted(
        [(anna.id, Presence.PRESENT), (bruno.id, Presence.ABSENT)],
        key=lambda pair: ctx.session.get(Participant, pair[0]).last_name,
    )
    assert register.came == 2 and meeting.status == MeetingStatus.HELD

    new = info.register_walk_in(ctx, walk_in.id, ["processing"], phone="333 1234567")
    assert (new.first_name, new.last_name, new.status) == ("Maria Grazia", "Colombo", S.CANDIDATE)
    assert new.heard_from == "Incontro informativo" and walk_in.participant_id == new.id
    with pytest.raises(DomainError) as twice:
        info.register_walk_in(ctx, walk_in.id, ["processing"])
    assert twice.value.code == "walk_in_registered"
    exported = export_person(ctx, new.id)
    assert exported["information_meetings_walk_in"][0]["name"] == "Maria Grazia Colombo"
    assert exported["attendance"][0]["meeting_id"] == meeting.id
    assert export_person(ctx, anna.id)["information_meetings_invited"][0]["meeting_id"] == (
        meeting.id
    )
    erase_person(ctx, new.id, "Richiesta dell'interessata")
    ctx.session.expire_all()
    assert ctx.session.get(InfoWalkIn, walk_in.id).name == "[cancellato]"


def test_walk_ins_only_once_it_took_place_and_never_on_a_holiday(ctx: Context) -> None:
    ahead = date.today() + timedelta(days=3)
    while ahead in ctx.plugins.holidays(LECCO, {ahead.year}):
        ahead += timedelta(days=1)
    later = info.schedule_info_meeting(ctx, LECCO, ahead)
    with pytest.raises(DomainError) as early:
        info.add_walk_in(ctx, later.id, "Luca Neri")
    assert early.value.code == "meeting_in_future"
    with pytest.raises(DomainError) as nameless:
        info.add_walk_in(ctx, info.schedule_info_meeting(ctx, LECCO, DAY).id, "   ")
    assert nameless.value.code == "required_field"
    for holiday in (date(2026, 12, 6), date(2026, 12, 8), date(2026, 4, 6), date(2026, 12, 25)):
        with pytest.raises(DomainError) as refused:
            info.schedule_info_meeting(ctx, LECCO, holiday)
        assert refused.value.code == "holiday", holiday
    with pytest.raises(DomainError) as moved:
        reschedule(ctx, later.id, date(2027, 12, 6), "Sala occupata")
    assert moved.value.code == "holiday" and "San Nicola" in moved.value.details["holiday"]


def test_lecco_plan_uses_the_territory_info_meeting(ctx: Context) -> None:
    start = date(2026, 3, 16)
    own = generate_plan(ctx, create_group(ctx, LECCO, "A", start_date=start).id)
    assert own[0].kind == MeetingKind.INFO and own[0].group_id is None  # the territory's
    assert own[0].scheduled_on == start and own[1].scheduled_on == start + timedelta(days=14)
    # A second group starting within 60 days reuses it: its path starts on its own date.
    later = generate_plan(ctx, create_group(ctx, LECCO, "B", start_date=start + timedelta(7)).id)
    assert later[0].id == own[0].id and later[1].scheduled_on == start + timedelta(days=7)
    assert all(m.scheduled_on > own[0].scheduled_on for m in later[1:])


def test_web_and_api(app, client, login, ctx: Context, person) -> None:
    candidate = person(LECCO, status=S.CANDIDATE, on=date(2026, 3, 1), last_name="Invitata")
    login("intake_operator", LECCO)
    index = f"/t/{LECCO}/info-meetings/"
    token = csrf_token(client, index)
    holiday = client.post(index, data={"on": "2026-12-08", "csrf_token": token})
    assert "è festivo in questo territorio (Immacolata" in holiday.get_data(as_text=True)
    created = client.post(index, data={"on": DAY.isoformat(), "location": "Sala civica",
                                       "topic": "Presentazione", "csrf_token": token})  # fmt: skip
    assert created.status_code == 302
    page = created.headers["Location"]
    client.post(f"{page}/invite", data={"participant_id": str(candidate.id), "csrf_token": token})
    client.post(f"{page}/register", data={f"presence-{candidate.id}": "present",
                                          "csrf_token": token})  # fmt: skip
    client.post(f"{page}/walk-ins", data={"name": "Pietro Sala", "csrf_token": token})
    html = client.get(page).get_data(as_text=True)
    assert "Invitata" in html and "Pietro Sala" in html and "presenti: 2" in html
    later = client.post(index, data={"on": "2026-12-01", "csrf_token": token}).headers["Location"]
    on_holiday = client.post(f"{later}/reschedule", data={"on": "2026-12-07", "reason": "",
                                                          "csrf_token": token},
                             follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Indica il motivo" in on_holiday
    on_holiday = client.post(f"{later}/reschedule", data={"on": "2026-12-08", "reason": "Sala",
                                                          "csrf_token": token},
                             follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "è festivo in questo territorio (Immacolata" in on_holiday
    moved = client.post(f"{later}/reschedule", data={"on": "2026-12-09", "reason": "Sala occupata",
                                                     "csrf_token": token},
                        follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Spostato dal 01/12/2026: Sala occupata" in moved
    cancelled = client.post(f"{later}/cancel", data={"reason": "Relatore malato",
                                                     "csrf_token": token},
                            follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "Relatore malato" in cancelled and "annullato" in cancelled
    record = client.get(f"/t/{LECCO}/participants/{candidate.id}").get_data(as_text=True)
    assert "è venuto all'incontro informativo</strong> (Presentazione)" in record

    _, secret = create_token(ctx, "op", LECCO, Role.INTAKE_OPERATOR)
    auth = {"Authorization": f"Bearer {secret}"}
    api = f"/api/v1/territories/{LECCO}/info-meetings"
    refused = client.post(f"{api}/", json={"on": "2026-12-25"}, headers=auth)
    assert refused.status_code == 409 and refused.get_json()["code"] == "holiday"
    made = client.post(f"{api}/", json={"on": "2026-03-17", "topic": "API"}, headers=auth)
    assert made.status_code == 201, made.get_json()
    mid = made.get_json()["id"]
    walk = client.post(f"{api}/{mid}/walk-ins", json={"name": "Elena Riva"}, headers=auth)
    assert walk.status_code == 201, walk.get_json()
    joined = client.post(f"{api}/walk-ins/{walk.get_json()['id']}/candidate", headers=auth,
                         json={"consents": ["processing"]})  # fmt: skip
    assert joined.status_code == 201, joined.get_json()
    assert joined.get_json()["last_name"] == "Riva"
    shown = client.get(f"{api}/{mid}", headers=auth).get_json()
    assert shown["walk_ins"][0]["participant_id"] == joined.get_json()["id"]
    planned = client.post(f"{api}/", json={"on": "2026-03-31"}, headers=auth).get_json()["id"]
    no_day = client.post(f"{api}/{planned}/reschedule", json={"reason": "Sala"}, headers=auth)
    assert no_day.status_code == 422
    holiday = client.post(f"{api}/{planned}/reschedule", headers=auth,
                          json={"on": "2026-04-06", "reason": "Sala"})  # fmt: skip
    assert holiday.status_code == 409 and holiday.get_json()["code"] == "holiday"
    assert client.get(f"/api/v1/territories/monza-brianza/info-meetings/{mid}",
                      headers=auth).status_code in (403, 404)  # fmt: skip
