"""In Chromium: an open information meeting with a walk-in who becomes a
candidate without retyping the name; a facilitator recording a need and the
coordinator planning a training meeting on it; a member moved to another group."""

from __future__ import annotations

# ruff: noqa: F811  (the browser fixtures are imported, then requested by name)
from datetime import date

import pytest
from test_e2e_browser import browser_page, live_server, see, shot  # noqa: F401 (fixtures)
from test_e2e_groups import log_in

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.groups.services import create_group, enrol, member_count
from amal.meetings.models import InfoWalkIn, Meeting, MeetingKind
from amal.participants.models import Participant, ParticipantStatus
from amal.services import Context
from amal.testing import TEST_PASSWORD, staff_facilitator


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_open_info_meeting_walk_in_becomes_a_candidate(
    ctx: Context, person, live_server: str, browser_page
) -> None:
    create_user(ctx, "sportello", TEST_PASSWORD, roles=[("lecco", Role.INTAKE_OPERATOR)])
    invited = person("lecco", status=ParticipantStatus.CANDIDATE, on=date(2026, 3, 1),
                     first_name="Carla", last_name="Invitata")  # fmt: skip
    page = browser_page
    log_in(page, live_server, "sportello")
    page.get_by_role("link", name="Incontri informativi").click()
    page.get_by_label("Data").fill("2026-12-08")
    page.get_by_role("button", name="Programma").click()
    see(page, "è festivo in questo territorio (Immacolata")
    page.get_by_label("Data").fill("2026-03-10")
    page.get_by_label("Luogo").fill("Sala civica di Valmadrera")
    page.get_by_label("Titolo").fill("Presentazione dei gruppi AMAL")
    page.get_by_role("button", name="Programma").click()
    see(page, "Incontro informativo programmato.")
    page.get_by_label("Candidati non ancora in un gruppo").select_option(
        label="Invitata Carla (candidato)"
    )
    page.get_by_role("button", name="Invita", exact=True).click()
    see(page, "1 candidati invitati.")
    page.get_by_label("Presenza di Carla Invitata").select_option("present")
    page.get_by_role("button", name="Salva il registro").click()
    see(page, "Registro salvato")
    page.get_by_label("Nome e cognome di chi è venuto").fill("Maria Grazia Colombo")
    page.get_by_role("button", name="Registra la presenza").click()
    see(page, "Presenza spontanea registrata.")
    see(page, "presenti: 2")
    shot(page, "info-01-register-with-walk-in")

    page.get_by_role("link", name="Registra come candidato").click()
    see(page, "il nome è già compilato")
    assert page.get_by_label("Nome", exact=True).input_value() == "Maria Grazia"
    assert page.get_by_label("Cognome").input_value() == "Colombo"
    page.get_by_label("trattamento dei dati personali").check()
    shot(page, "info-02-walk-in-intake")
    page.get_by_role("button", name="Registra", exact=True).click()
    see(page, "Candidato registrato dall'incontro informativo.")
    see(page, "è venuto all'incontro informativo")
    shot(page, "info-03-candidate-history")
    ctx.session.expire_all()
    walk_in = ctx.session.query(InfoWalkIn).one()
    joined = ctx.session.get(Participant, walk_in.participant_id)
    assert (joined.first_name, joined.last_name) == ("Maria Grazia", "Colombo")
    page.goto(f"{live_server}/t/lecco/participants/{invited.id}")
    see(page, "è venuto all'incontro informativo")


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_facilitator_need_then_training_meeting(
    ctx: Context, live_server: str, browser_page
) -> None:
    code = "monza-brianza"
    mine = create_user(ctx, "facilitatrice", TEST_PASSWORD, display_name="Elisa Ferri",
                       roles=[(code, Role.FACILITATOR)])  # fmt: skip
    create_user(ctx, "coord", TEST_PASSWORD, roles=[(code, Role.COORDINATOR)])
    group = create_group(ctx, code, "Gruppo Brianza Est", start_date=date(2026, 1, 12),
                         facilitator_ids=[mine.id])  # fmt: skip
    page = browser_page
    log_in(page, live_server, "facilitatrice")
    page.goto(f"{live_server}/t/{code}/groups/{group.id}")
    page.get_by_label("Bisogno espresso dal gruppo").fill("Colloquio di lavoro")
    page.get_by_role("button", name="Registra il bisogno").click()
    see(page, "Bisogno registrato.")
    see(page, "registrato da facilitatrice")
    shot(page, "needs-01-facilitator-records")
    page.get_by_role("button", name="Esci").click()

    log_in(page, live_server, "coord")
    page.goto(f"{live_server}/t/{code}/groups/{group.id}")
    page.get_by_label("Programma un incontro formativo su").select_option(
        label="Colloquio di lavoro"
    )
    page.locator("#training-on").fill("2026-02-16")
    page.locator("#training-topic").fill("Prepararsi al colloquio")
    page.locator("form", has=page.locator("#training-on")).get_by_role("button").click()
    see(page, "Fatto.")
    see(page, "Prepararsi al colloquio (risponde al bisogno: Colloquio di lavoro)")
    shot(page, "needs-02-training-planned")
    ctx.session.expire_all()
    training = ctx.session.query(Meeting).filter_by(kind=MeetingKind.TRAINING).one()
    assert [n.topic for n in training.needs] == ["Colloquio di lavoro"]
    assert training.scheduled_on == date(2026, 2, 16)


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_member_moved_to_another_group(
    ctx: Context, person, live_server: str, browser_page
) -> None:
    code = "monza-brianza"
    create_user(ctx, "coord", TEST_PASSWORD, roles=[(code, Role.COORDINATOR)])
    facilitator = staff_facilitator(ctx, code)
    source = create_group(ctx, code, "Gruppo Monza", start_date=date(2026, 1, 12),
                          facilitator_ids=[facilitator])  # fmt: skip
    target = create_group(ctx, code, "Gruppo Serale", start_date=date(2026, 1, 14),
                          facilitator_ids=[facilitator])  # fmt: skip
    mover = person(code, on=date(2026, 1, 5), first_name="Paolo", last_name="Brambilla")
    enrol(ctx, source.id, mover.id, enrolled_on=date(2026, 1, 5))
    page = browser_page
    log_in(page, live_server, "coord")
    page.goto(f"{live_server}/t/{code}/groups/{source.id}")
    page.get_by_text("Togli Paolo Brambilla dal gruppo").click()
    exit_form = page.locator("details.member-exit form")
    exit_form.get_by_label("Come lascia il gruppo").select_option("moved")
    exit_form.get_by_label("Gruppo in cui passa").select_option(label="Gruppo Serale")
    exit_form.get_by_label("Il giorno (vuoto: oggi)").fill("2026-01-09")
    exit_form.get_by_label("Motivo", exact=True).fill("Orario serale compatibile col lavoro")
    exit_form.get_by_role("button", name="Togli dal gruppo").click()
    see(page, "Spunta la casella per confermare.")
    page.get_by_text("Togli Paolo Brambilla dal gruppo").click()
    exit_form.get_by_label("Come lascia il gruppo").select_option("moved")
    exit_form.get_by_label("Gruppo in cui passa").select_option(label="Gruppo Serale")
    exit_form.get_by_label("Il giorno (vuoto: oggi)").fill("2026-01-09")
    exit_form.get_by_label("Motivo", exact=True).fill("Orario serale compatibile col lavoro")
    exit_form.get_by_label("Confermo").check()
    shot(page, "groups-04-move-member-form")
    exit_form.get_by_role("button", name="Togli dal gruppo").click()
    see(page, "Paolo Brambilla è stato spostato nell'altro gruppo.")
    see(page, "Chi ha lasciato il gruppo")
    see(page, "Spostato in «Gruppo Serale»: Orario serale compatibile col lavoro")
    shot(page, "groups-05-member-moved")
    ctx.session.expire_all()
    assert member_count(ctx, source.id) == 0 and member_count(ctx, target.id) == 1
