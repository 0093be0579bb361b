"""Concurrent requests against a real multi-threaded server, on SQLite and on
PostgreSQL: rules hold (capacity, one fiscal code, one plan) and the losers get
a clear refusal (409/412), never a 500."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.serving import make_server

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.consent.services import current_notice, publish_notice
from amal.groups import services as group_services
from amal.groups.models import Enrolment, Group
from amal.groups.services import create_group, enrol
from amal.meetings.models import Attendance, Meeting, MeetingKind
from amal.meetings.services import schedule_meeting
from amal.participants.models import Participant
from amal.services import Context
from amal.testing import csrf_token, valid_fiscal_code

TERRITORY = "monza-brianza"


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app behind werkzeug's threaded server on a free port."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/api/v1/territories/{TERRITORY}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def headers(ctx: Context) -> dict[str, str]:
    _, secret = create_token(ctx, "load-test", TERRITORY, Role.COORDINATOR)
    return {"Authorization": f"Bearer {secret}"}


def simultaneously(calls: list[Callable[[], requests.Response]]) -> Counter[int]:
    """Run every call at once (a barrier releases them together); count the statuses."""
    barrier = threading.Barrier(len(calls))

    def go(call: Callable[[], requests.Response]) -> int:
        barrier.wait()
        return call().status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        return Counter(pool.map(go, calls))


def _group(ctx: Context, places: int) -> int:
    group = create_group(ctx, TERRITORY, "Gruppo concorrenza", start_date=date.today())
    group.max_size = places
    ctx.session.commit()
    return group.id


def _members(ctx: Context, group_id: int) -> int:
    ctx.session.expire_all()
    return ctx.session.scalar(
        select(func.count(Enrolment.id)).where(
            Enrolment.group_id == group_id, Enrolment.ended_at.is_(None)
        )
    )


def _enrol_all(server: str, headers: dict[str, str], group_id: int, people: list[int]):  # type: ignore[no-untyped-def]
    return simultaneously(
        [
            lambda pid=pid: requests.post(
                f"{server}/groups/{group_id}/enrolments",
                json={"participant_id": pid},
                headers=headers,
                timeout=60,
            )
            for pid in people
        ]
    )


def test_32_enrolments_into_15_places_enrol_exactly_15(server, headers, ctx, person) -> None:
    admitted = [person().id for _ in range(32)]
    for _round in range(3):
        group_id = _group(ctx, 15)
        statuses = _enrol_all(server, headers, group_id, admitted)
        assert statuses == Counter({201: 15, 409: 17}), statuses
        assert _members(ctx, group_id) == 15
        print(f"\n32 enrolments into 15 places, round {_round + 1}: {dict(statuses)}, 15 members")
        enrolled = set(
            ctx.session.scalars(
                select(Enrolment.participant_id).where(Enrolment.group_id == group_id)
            )
        )
        admitted = [pid for pid in admitted if pid not in enrolled] + [
            person().id for _ in range(15)
        ]


def test_10_enrolments_into_an_empty_group_enrol_10(server, headers, ctx, person) -> None:
    group_id = _group(ctx, 12)
    statuses = _enrol_all(server, headers, group_id, [person().id for _ in range(10)])
    assert statuses == Counter({201: 10}), statuses
    assert _members(ctx, group_id) == 10
    print(f"\n10 enrolments into an empty group: {dict(statuses)}, 10 members")


def test_one_person_into_several_groups_at_once(server, headers, ctx, person) -> None:
    pid = person().id
    groups = [_group(ctx, 12) for _ in range(4)]
    statuses = simultaneously(
        [
            lambda g=g: requests.post(
                f"{server}/groups/{g}/enrolments",
                json={"participant_id": pid},
                headers=headers,
                timeout=60,
            )
            for g in groups
        ]
    )
    assert statuses == Counter({201: 1, 409: 3}), statuses
    print(f"\none person into 4 groups at once: {dict(statuses)}")


def test_6_intakes_of_one_fiscal_code_register_1(server, headers, ctx) -> None:
    if current_notice(ctx.session, TERRITORY) is None:
        publish_notice(ctx, TERRITORY, "1.0", "Informativa")
    code = valid_fiscal_code("RSSMRA70A01F704")
    bodies: list[dict[str, Any]] = []

    def intake(n: int) -> requests.Response:
        response = requests.post(
            f"{server}/participants/",
            json={
                "first_name": "Mario",
                "last_name": f"Rossi{n}",
                "fiscal_code": code,
                "consents": ["processing"],
            },
            headers=headers,
            timeout=60,
        )
        bodies.append(response.json())
        return response

    statuses = simultaneously([lambda n=n: intake(n) for n in range(6)])
    assert statuses == Counter({201: 1, 409: 5}), statuses
    refusals = [b for b in bodies if b.get("status") == 409]
    assert {b["code"] for b in refusals} == {"duplicate_participant"}
    assert all("fiscal code" in b["detail"] for b in refusals)
    print(f"\n6 intakes of one fiscal code: {dict(statuses)}")
    ctx.session.expire_all()
    assert (
        ctx.session.scalar(
            select(func.count(Participant.id)).where(Participant.fiscal_code == code)
        )
        == 1
    )


def test_8_patches_with_one_etag_1_succeeds_7_get_412(server, headers, ctx, person) -> None:
    pid = person().id
    # Every PATCH is a real change (a value never used before): two identical
    # changes would rightly both succeed, as the second changes nothing.
    for round_ in range(3):
        etag = requests.get(f"{server}/participants/{pid}", headers=headers, timeout=60).headers[
            "ETag"
        ]
        statuses = simultaneously(
            [
                lambda n=n, etag=etag, round_=round_: requests.patch(
                    f"{server}/participants/{pid}",
                    json={"municipality": f"Comune {round_}-{n}"},
                    headers={**headers, "If-Match": etag},
                    timeout=60,
                )
                for n in range(8)
            ]
        )
        assert statuses == Counter({200: 1, 412: 7}), statuses
        print(f"\n8 PATCHes with one ETag, round {round_ + 1}: {dict(statuses)}")


def test_plan_generation_raced_makes_one_plan(server, headers, ctx) -> None:
    group_id = _group(ctx, 12)
    planned = ctx.session.get(Group, group_id).planned_meetings
    ctx.session.get(Group, group_id).start_date = date.today() + timedelta(days=7)
    ctx.session.commit()
    statuses = simultaneously(
        [
            lambda: requests.post(
                f"{server}/groups/{group_id}/plan", json={}, headers=headers, timeout=60
            )
            for _ in range(6)
        ]
    )
    assert statuses == Counter({200: 1, 409: 5}), statuses
    ctx.session.expire_all()
    meetings = ctx.session.scalar(
        select(func.count(Meeting.id)).where(Meeting.group_id == group_id)
    )
    policy = ctx.plugins.group_policy(TERRITORY)
    assert meetings == planned + (1 if policy.opening_info_meeting else 0)
    print(f"\nplan generation raced 6 times: {dict(statuses)}, {meetings} meetings (one plan)")


def test_one_register_recorded_6_times_at_once_has_one_line_each(
    server, headers, ctx, person
) -> None:
    group_id = _group(ctx, 12)
    members = [person().id for _ in range(4)]
    for pid in members:
        enrol(ctx, group_id, pid)
    meeting = schedule_meeting(ctx, TERRITORY, MeetingKind.GROUP, date.today(), group_id=group_id)
    ctx.session.commit()
    lines = [{"participant_id": pid, "presence": "present"} for pid in members]
    statuses = simultaneously(
        [
            lambda: requests.put(
                f"{server}/meetings/{meeting.id}/register",
                json={"lines": lines},
                headers=headers,
                timeout=60,
            )
            for _ in range(6)
        ]
    )
    assert statuses == Counter({200: 6}), statuses
    ctx.session.expire_all()
    assert ctx.session.scalar(
        select(func.count(Attendance.id)).where(Attendance.meeting_id == meeting.id)
    ) == len(members)
    print(f"\none register saved 6 times at once: {dict(statuses)}, {len(members)} lines")


def test_the_web_asks_to_reload_when_a_conflict_persists(
    app, client, login, ctx, person, monkeypatch
) -> None:
    """An enrolment is retried on a concurrent change; when the conflict persists
    the coordinator reads a message to reload, never an error page."""
    login("coordinator", TERRITORY)
    group_id = _group(ctx, 12)
    pid = person().id
    attempts = []

    def always_stale(*_args):  # type: ignore[no-untyped-def]
        attempts.append(1)
        raise StaleDataError("simulated concurrent change")

    monkeypatch.setattr(group_services, "member_count", always_stale)
    page = f"/t/{TERRITORY}/groups/{group_id}"
    response = client.post(
        f"{page}/enrol",
        data={"participant_id": pid, "csrf_token": csrf_token(client, page)},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "ricarica la pagina e riprova" in response.get_data(as_text=True)
    assert len(attempts) == 4  # the first try and 3 retries
