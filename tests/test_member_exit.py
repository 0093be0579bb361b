"""Taking a member out of a group with the date: dropped out, or moved to another
group the same day (one transaction, the destination's capacity and company
checked), from the web, the API and the CLI; the API of facilitator
assignments and of the partners directory."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from amal.accounts.models import Role
from amal.accounts.services import create_token, create_user
from amal.errors import DomainError
from amal.groups.models import Enrolment, Group, GroupComposition, GroupStatus
from amal.groups.services import create_group, enrol, member_count, remove_member, start_group
from amal.participants.models import Participant
from amal.participants.models import ParticipantStatus as S
from amal.services import Context
from amal.testing import TEST_PASSWORD, csrf_token, staff_facilitator

MONZA = "monza-brianza"
API = f"/api/v1/territories/{MONZA}"
JAN = date(2026, 1, 5)


def _group(ctx: Context, name: str, **kwargs) -> Group:  # type: ignore[no-untyped-def]
    return create_group(
        ctx, MONZA, name, start_date=date(2026, 1, 12),
        facilitator_ids=[staff_facilitator(ctx, MONZA)], **kwargs,
    )  # fmt: skip


def _members(ctx: Context, person, group: Group, n: int) -> list[Participant]:  # type: ignore[no-untyped-def]
    people = [person(MONZA, on=JAN) for _ in range(n)]
    for p in people:
        enrol(ctx, group.id, p.id, enrolled_on=JAN)
    return people


def test_dropped_out_before_and_after_the_start(ctx: Context, person) -> None:
    group = _group(ctx, "Arcore")
    early, late, *_ = _members(ctx, person, group, 11)
    with pytest.raises(DomainError) as no_reason:
        remove_member(ctx, group.id, early.id, " ")
    assert no_reason.value.code == "reason_required"
    remove_member(ctx, group.id, early.id, "Orari incompatibili", ended_on=date(2026, 1, 8))
    assert early.status == S.ADMITTED  # free for another group
    start_group(ctx, group.id, started_on=date(2026, 1, 12))
    remove_member(ctx, group.id, late.id, "Non si presenta più", ended_on=date(2026, 2, 9))
    assert late.status == S.DROPPED_OUT
    assert late.history[-1].occurred_on == date(2026, 2, 9)
    ended = ctx.session.query(Enrolment).filter_by(participant_id=late.id).one()
    assert (ended.ended_on, ended.end_reason) == (date(2026, 2, 9), "Non si presenta più")
    assert member_count(ctx, group.id) == 9
    with pytest.raises(DomainError) as gone:
        remove_member(ctx, group.id, late.id, "again")
    assert gone.value.code == "not_member"


def test_moved_to_another_group_the_same_day(ctx: Context, person) -> None:
    source = _group(ctx, "Monza A")
    target = _group(ctx, "Monza B")
    mover, *_ = _members(ctx, person, source, 10)
    remove_member(ctx, source.id, mover.id, "Orario serale", ended_on=date(2026, 1, 9),
                  outcome="moved", to_group_id=target.id)  # fmt: skip
    rows = ctx.session.query(Enrolment).filter_by(participant_id=mover.id).order_by(Enrolment.id)
    old, new = rows.all()
    assert (old.group_id, old.ended_on) == (source.id, date(2026, 1, 9))
    assert old.end_reason == "Spostato in «Monza B»: Orario serale"
    assert (new.group_id, new.enrolled_on, new.ended_on) == (target.id, date(2026, 1, 9), None)
    assert mover.status == S.ENROLLED and target.status == GroupStatus.FORMING
    with pytest.raises(DomainError) as same:
        remove_member(ctx, target.id, mover.id, "x", outcome="moved", to_group_id=target.id)
    assert same.value.code == "required_field"


def test_a_move_into_a_group_under_way_activates_and_respects_capacity(
    ctx: Context, person
) -> None:
    source = _group(ctx, "Sorgente")
    full = _group(ctx, "Piena")
    _members(ctx, person, full, full.max_size)
    mover, *_ = _members(ctx, person, source, 1)
    with pytest.raises(DomainError) as refused:
        remove_member(ctx, source.id, mover.id, "Vicino a casa", outcome="moved",
                      to_group_id=full.id)  # fmt: skip
    assert refused.value.code == "group_full"
    ctx.session.expire_all()  # the transaction was rolled back: still a member here
    assert member_count(ctx, source.id) == 1
    running = _group(ctx, "Avviata")
    _members(ctx, person, running, 10)
    start_group(ctx, running.id, started_on=date(2026, 1, 12))
    remove_member(ctx, source.id, mover.id, "Vicino a casa", outcome="moved",
                  to_group_id=running.id, ended_on=date(2026, 1, 19))  # fmt: skip
    mover = ctx.session.get(Participant, mover.id)
    assert mover.status == S.ACTIVE and mover.history[-1].occurred_on == date(2026, 1, 19)


def test_a_move_into_a_homogeneous_group_needs_a_matching_company(ctx: Context, person) -> None:
    source = _group(ctx, "Misto")
    eutelia = _group(ctx, "Agile", composition=GroupComposition.HOMOGENEOUS,
                     company_of_origin="Agile (ex Eutelia)")  # fmt: skip
    baker = person(MONZA, on=JAN, last_employer="Pasticceria Rossi")
    enrol(ctx, source.id, baker.id, enrolled_on=JAN)
    with pytest.raises(DomainError) as mismatch:
        remove_member(ctx, source.id, baker.id, "Turni", outcome="moved", to_group_id=eutelia.id)
    assert mismatch.value.code == "employer_mismatch"
    remove_member(ctx, source.id, baker.id, "Turni", outcome="moved", to_group_id=eutelia.id,
                  homogeneity_override="Mensa aziendale Eutelia")  # fmt: skip
    assert member_count(ctx, eutelia.id) == 1


def test_web_takes_a_member_out_with_confirmation(app, client, login, ctx, person) -> None:
    source = _group(ctx, "Lissone")
    target = _group(ctx, "Desio")
    mover, stayer = _members(ctx, person, source, 2)
    login("coordinator", MONZA)
    page = f"/t/{MONZA}/groups/{source.id}"
    html = client.get(page).get_data(as_text=True)
    assert "Desio" in html and f"/members/{mover.id}/exit" in html
    token = csrf_token(client, page)
    form = {"outcome": "moved", "to_group_id": str(target.id), "ended_on": "2026-01-09",
            "reason": "Orario", "csrf_token": token}  # fmt: skip
    unconfirmed = client.post(f"{page}/members/{mover.id}/exit", data=form, follow_redirects=True)
    assert "Spunta la casella per confermare" in unconfirmed.get_data(as_text=True)
    assert member_count(ctx, source.id) == 2
    done = client.post(f"{page}/members/{mover.id}/exit", data={**form, "confirm": "y"},
                       follow_redirects=True).get_data(as_text=True)  # fmt: skip
    assert "è stato spostato nell&#39;altro gruppo" in done
    ctx.session.expire_all()
    assert member_count(ctx, source.id) == 1 and member_count(ctx, target.id) == 1
    client.post(f"{page}/members/{stayer.id}/exit", data={
        "outcome": "dropped_out", "to_group_id": "0", "reason": "Trasloco", "confirm": "y",
        "csrf_token": token})  # fmt: skip
    ctx.session.expire_all()
    assert ctx.session.get(Participant, stayer.id).status == S.ADMITTED


def test_api_member_exit_facilitators_and_partners(client, ctx: Context, person) -> None:
    _, secret = create_token(ctx, "coord", MONZA, Role.COORDINATOR)
    auth = {"Authorization": f"Bearer {secret}"}
    source, target = _group(ctx, "Uno"), _group(ctx, "Due")
    (mover,) = _members(ctx, person, source, 1)
    exit_url = f"{API}/groups/{source.id}/members/{mover.id}/exit"
    missing = client.post(exit_url, json={"outcome": "moved"}, headers=auth)
    assert missing.status_code == 422
    moved = client.post(exit_url, headers=auth, json={"outcome": "moved", "to_group_id": target.id,
                        "reason": "Orario", "ended_on": "2026-01-09"})  # fmt: skip
    assert moved.status_code == 200, moved.get_json()
    ctx.session.expire_all()
    assert member_count(ctx, target.id) == 1

    bruno = create_user(ctx, "bruno", TEST_PASSWORD, roles=[(MONZA, Role.FACILITATOR)])
    url = f"{API}/groups/{target.id}/facilitators"
    added = client.post(url, headers=auth, json={"role": "co_facilitator", "user_id": bruno.id,
                                                 "from_on": "2026-01-12"})  # fmt: skip
    assert added.status_code == 201, added.get_json()
    elsewhere = create_user(ctx, "lu", TEST_PASSWORD, roles=[("lecco", Role.FACILITATOR)])
    for user_id in (elsewhere.id, 999_999):  # the same refusal: nothing leaks
        refused = client.post(url, headers=auth, json={"role": "mentor", "user_id": user_id})
        assert refused.status_code == 409 and refused.get_json()["code"] == "not_staff_here"
    ended = client.post(f"{url}/{added.get_json()['id']}/end", headers=auth,
                        json={"to_on": "2026-01-20", "reason": "Cambio turni"})  # fmt: skip
    assert ended.get_json()["to_on"] == "2026-01-20"
    listed = client.get(url, headers=auth).get_json()
    assert [(f["person"], f["to_on"]) for f in listed][-1] == ("bruno", "2026-01-20")

    created = client.post(f"{API}/partners", headers=auth,
                          json={"name": "Cooperativa Nuova", "role": "mentor"})  # fmt: skip
    assert created.status_code == 201, created.get_json()
    pid = created.get_json()["id"]
    dup = client.post(f"{API}/partners", headers=auth, json={"name": "Cooperativa Nuova",
                                                             "role": "mentor"})  # fmt: skip
    assert dup.status_code == 409
    patched = client.patch(f"{API}/partners/{pid}", headers=auth, json={"phone": "039 123456"})
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["phone"] == "039 123456" and patched.get_json()["role"] == "mentor"
    rep = client.post(f"{API}/partners/{pid}/representatives", headers=auth,
                      json={"name": "Marta Neri", "position": "Presidente"})  # fmt: skip
    assert rep.status_code == 201
    shown = client.get(f"{API}/partners/{pid}", headers=auth).get_json()
    assert [r["name"] for r in shown["representatives"]] == ["Marta Neri"]
    gone = client.delete(f"{API}/partners/{pid}/representatives/{rep.get_json()['id']}",
                         headers=auth)  # fmt: skip
    assert gone.status_code == 204
    _, facilitator = create_token(ctx, "fac", MONZA, Role.FACILITATOR)
    forbidden = client.post(f"{API}/partners", headers={"Authorization": f"Bearer {facilitator}"},
                            json={"name": "X", "role": "mentor"})  # fmt: skip
    assert forbidden.status_code == 403
    assert client.get(f"/api/v1/territories/lecco/partners/{pid}", headers=auth).status_code in (
        403,
        404,
    )


def test_cli_takes_a_member_out(app, ctx, person, tmp_path: Path, amal_database_url) -> None:
    from amal.cli import cli

    source, target = _group(ctx, "Cli A"), _group(ctx, "Cli B")
    mover, leaver = _members(ctx, person, source, 2)
    create_user(ctx, "coord", TEST_PASSWORD, roles=[(MONZA, Role.COORDINATOR)])
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}

    def amal(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--instance", str(tmp_path), *args], env=env)

    listed = amal("group", "members", str(source.id), "--as", "coord")
    assert listed.exit_code == 0 and "2 members" in listed.output
    moved = amal("group", "remove", str(source.id), str(mover.id), "--reason", "Orario",
                 "--moved-to", str(target.id), "--on", "2026-01-09",
                 "--as", "coord", "--yes")  # fmt: skip
    assert moved.exit_code == 0, moved.output
    assert f"moves to group {target.id}" in moved.output
    future = amal("group", "remove", str(source.id), str(leaver.id), "--reason", "x",
                  "--on", "2099-01-01", "--as", "coord", "--yes")  # fmt: skip
    assert future.exit_code == 1 and "in the future" in future.output
    left = amal("group", "remove", str(source.id), str(leaver.id), "--reason", "Trasloco",
                "--as", "coord", "--yes")  # fmt: skip
    assert left.exit_code == 0 and "now admitted" in left.output
    ctx.session.expire_all()
    assert member_count(ctx, source.id) == 0 and member_count(ctx, target.id) == 1
