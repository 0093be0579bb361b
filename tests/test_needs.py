"""Facilitators record their group's needs from the group page; training
meetings are planned on them."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.groups.models import GroupNeed
from amal.groups.services import create_group
from amal.meetings.models import Meeting, MeetingKind
from amal.testing import TEST_PASSWORD, csrf_token


def log_in(client, username: str) -> None:  # type: ignore[no-untyped-def]
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    client.post(
        "/login",
        data={"username": username, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )


def test_facilitator_records_a_need_and_a_training_meeting_answers_it(app, client, ctx) -> None:
    code = "monza-brianza"
    mine = create_user(ctx, "facilitatrice", TEST_PASSWORD, roles=[(code, Role.FACILITATOR)])
    create_user(ctx, "altro", TEST_PASSWORD, roles=[(code, Role.FACILITATOR)])
    create_user(ctx, "coord", TEST_PASSWORD, roles=[(code, Role.COORDINATOR)])
    group = create_group(ctx, code, "Gruppo Est", start_date=date(2026, 1, 12),
                         facilitator_ids=[mine.id])  # fmt: skip
    url = f"/t/{code}/groups/{group.id}/needs"

    log_in(client, "facilitatrice")
    page = client.get(f"/t/{code}/groups/{group.id}").get_data(as_text=True)
    assert "Registra il bisogno" in page
    token = csrf_token(client, f"/t/{code}/groups/{group.id}")
    future = client.post(
        url,
        data={"topic": "Colloquio", "expressed_on": (date.today() + timedelta(days=3)).isoformat(),
              "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "La data non può essere nel futuro." in future
    done = client.post(
        url,
        data={"topic": "Preparare il colloquio", "description": "simulazioni", "csrf_token": token},
    )
    assert done.status_code == 302
    need = ctx.session.scalar(select(GroupNeed).where(GroupNeed.group_id == group.id))
    assert (need.topic, need.recorded_by, need.expressed_on) == (
        "Preparare il colloquio",
        "facilitatrice",
        date.today(),
    )
    assert "registrato da facilitatrice" in client.get(f"/t/{code}/groups/{group.id}").get_data(
        as_text=True
    )

    log_in(client, "altro")  # another group's facilitator: not even told it exists
    assert (
        client.post(url, data={"topic": "X", "csrf_token": csrf_token(client)}).status_code == 404
    )

    log_in(client, "coord")
    token = csrf_token(client, f"/t/{code}/groups/{group.id}")
    client.post(
        f"/t/{code}/groups/{group.id}/training",
        data={"need_id": need.id, "on": "2026-02-05", "topic": "Simulazione di colloquio",
              "csrf_token": token},
    )  # fmt: skip
    training = ctx.session.scalar(select(Meeting).where(Meeting.kind == MeetingKind.TRAINING))
    assert [n.id for n in training.needs] == [need.id]
