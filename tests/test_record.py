"""The participant record, complete: corrections with their history, one
normalisation of fiscal code / e-mail / phone for web, API and CLI, consents
added, withdrawn (from a day, with a reason) and renewed on a new notice,
outcomes with follow-ups that are all kept, the referrals page."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.cli import cli
from amal.consent.models import Consent, ConsentPurpose
from amal.consent.services import (
    blocks,
    outdated_consents,
    publish_notice,
    record_consents,
    renew_consents,
    withdraw_consent,
)
from amal.errors import DomainError
from amal.groups.services import create_group, enrol, remove_member
from amal.outcomes.models import Outcome, OutcomeCategory
from amal.outcomes.services import add_months, follow_ups_due, record_outcome
from amal.participants.models import FieldChange, Participant, ParticipantStatus
from amal.participants.services import register_candidate, update_participant
from amal.referrals.models import ReferralStatus
from amal.referrals.services import advance_referral, propose_referral, time_in_states
from amal.runtime import state
from amal.services import Context
from amal.testing import csrf_token
from amal.wellbeing.services import record_administration

T = "monza-brianza"
API = f"/api/v1/territories/{T}"
SPACED = "CLM GNN 90C46 B212A"  # a valid code typed with spaces
CODE = "CLMGNN90C46B212A"
VAT = "00488410010"  # a valid partita IVA (a company's)
TODAY = date.today()


# --- 1. one normalisation for web, API and CLI -------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(SPACED, CODE), (f"  {CODE.lower()}  ", CODE), (None, None)],
)
def test_fiscal_code_is_normalised_in_the_service(ctx: Context, typed, stored) -> None:
    person = register_candidate(ctx, T, first_name="Anna", last_name="Bianchi", fiscal_code=typed)
    assert person.fiscal_code == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [(VAT, "fiscal_code_is_vat"), ("", "empty_fiscal_code"), ("   ", "empty_fiscal_code")],
)
def test_vat_numbers_and_empty_strings_are_refused(ctx: Context, typed, code) -> None:
    with pytest.raises(DomainError) as error:
        register_candidate(ctx, T, first_name="Anna", last_name="Bianchi", fiscal_code=typed)
    assert error.value.code == code and error.value.details["field"] == "fiscal_code"


def test_email_and_phone_are_normalised(ctx: Context) -> None:
    person = register_candidate(
        ctx,
        T,
        first_name="Anna",
        last_name="Bianchi",
        email="  Anna.Bianchi@Esempio.IT ",
        phone="333 123 4567",
    )
    assert (person.email, person.phone) == ("Anna.Bianchi@esempio.it", "+393331234567")
    for field, value in (("email", "anna@"), ("phone", "123")):
        with pytest.raises(DomainError) as error:
            update_participant(ctx, person.id, **{field: value})
        assert error.value.details["field"] == field


def intake_form(client, **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        "csrf_token": csrf_token(client, f"/t/{T}/participants/new"),
        "first_name": "Giovanna",
        "last_name": "Colombo",
        "employment_status": "dismissed",
        "gender": "F",
        "consents": "processing",
        **fields,
    }


def test_fiscal_code_cases_through_the_web(client, login, ctx: Context, person) -> None:
    person()  # publishes the notice
    login("coordinator", T)
    saved = client.post(f"/t/{T}/participants/new", data=intake_form(client, fiscal_code=SPACED))
    assert saved.status_code == 302, saved.get_data(as_text=True)[-3000:]
    stored = ctx.session.scalar(select(Participant).where(Participant.last_name == "Colombo"))
    assert stored.fiscal_code == CODE
    refused = client.post(
        f"/t/{T}/participants/new", data=intake_form(client, last_name="Altro", fiscal_code=VAT)
    )
    assert refused.status_code == 200 and "partita IVA" in refused.get_data(as_text=True)
    # An empty field is the explicit "no fiscal code": the record says so.
    none = client.post(
        f"/t/{T}/participants/new", data=intake_form(client, last_name="Senza", fiscal_code="")
    )
    assert none.status_code == 302
    assert "senza codice fiscale" in client.get(none.headers["Location"]).get_data(as_text=True)


def test_fiscal_code_cases_through_the_api(client, ctx: Context, person) -> None:
    person()
    _, secret = create_token(ctx, "t", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    body = {"first_name": "Giovanna", "last_name": "Colombo", "consents": ["processing"]}
    created = client.post(
        f"{API}/participants/", headers=headers, json={**body, "fiscal_code": SPACED}
    )
    assert created.status_code == 201 and created.json["fiscal_code"] == CODE
    padded = client.post(
        f"{API}/participants/",
        headers=headers,
        json={**body, "last_name": "Padded", "fiscal_code": f"  {CODE}  "},
    )
    assert padded.status_code == 409 and padded.json["code"] == "duplicate_participant"
    for value, code in ((VAT, "fiscal_code_is_vat"), ("", "empty_fiscal_code")):
        refused = client.post(
            f"{API}/participants/", headers=headers, json={**body, "fiscal_code": value}
        )
        assert refused.status_code == 422 and refused.json["code"] == code, refused.json
    none = client.post(
        f"{API}/participants/",
        headers=headers,
        json={**body, "last_name": "N", "fiscal_code": None},
    )
    assert none.status_code == 201 and none.json["fiscal_code"] is None


@pytest.fixture
def instance(tmp_path: Path, amal_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "amal.toml").write_text(
        '[instance]\nname = "Test"\nplugins = ["monza-brianza", "lecco"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("AMAL_DATABASE_URL", amal_database_url)
    monkeypatch.delenv("AMAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("AMAL_ENV", raising=False)
    init = ["--instance", str(tmp_path), "init", "--admin-password", "a-long-password"]
    assert CliRunner().invoke(cli, init).exit_code == 0
    (tmp_path / "notice.txt").write_text("Informativa privacy", encoding="utf-8")
    return tmp_path


def test_fiscal_code_and_consent_cases_through_the_cli(instance: Path) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--instance", str(instance), *args])

    notice = run("consent", "notice", T, "1.0", "--text-file", str(instance / "notice.txt"))
    assert notice.exit_code == 0, notice.output
    base = ["participant", "add", T, "--first-name", "Giovanna", "--consent", "processing"]
    added = run(*base, "--last-name", "Colombo", "--fiscal-code", SPACED, "--phone", "333 1234567")
    assert added.exit_code == 0, added.output
    assert f"fiscal code: {CODE}" in added.output and "+393331234567" in added.output
    number = added.output.split()[0]
    vat = run(*base, "--last-name", "Rossi", "--fiscal-code", VAT)
    assert vat.exit_code == 1 and "VAT number" in vat.output
    empty = run(*base, "--last-name", "Verdi", "--fiscal-code", "")
    assert empty.exit_code == 1 and "fiscal code is empty" in empty.output
    none = run(*base, "--last-name", "Neri", "--no-fiscal-code")
    assert none.exit_code == 0 and "fiscal code: none" in none.output
    edited = run("participant", "edit", number, "--email", "G.Colombo@Esempio.IT")
    assert edited.exit_code == 0 and "G.Colombo@esempio.it" in edited.output
    withdrawn = run("consent", "withdraw", number, "processing", "--reason", "Richiesta scritta")
    assert (
        withdrawn.exit_code == 0
        and "stopped: admission, questionnaires, referrals" in withdrawn.output
    )
    listed = run("consent", "list", number)
    assert "withdrawn" in listed.output and "Richiesta scritta" in listed.output
    again = run("consent", "withdraw", number, "processing", "--reason", "x")
    assert again.exit_code == 1 and "No active consent" in again.output


# --- 1. corrections in the web, with their history ----------------------------------


def test_correcting_a_record_keeps_who_when_and_what(client, login, ctx: Context, person) -> None:
    participant = person(status=ParticipantStatus.SCREENED, birth_date=None)
    login("coordinator", T)
    page = client.get(f"/t/{T}/participants/{participant.id}/edit")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(client, f"/t/{T}/participants/{participant.id}/edit"),
        "version": str(participant.version),
        "first_name": participant.first_name,
        "last_name": participant.last_name,
        "fiscal_code": "",
        "birth_date": "1975-03-02",
        "gender": "",
        "email": "",
        "phone": "",
        "municipality": "Desio",
        "last_employer": "Cartiera Brianza SpA",
        "sector": "carta",
        "months_out_of_work": "7",
        "employment_status": "mobility_list",
        "heard_from": "",
        "needs": "Riqualificazione",
    }
    saved = client.post(f"/t/{T}/participants/{participant.id}/edit", data=data)
    assert saved.status_code == 302
    ctx.session.expire_all()
    changes = ctx.session.scalars(
        select(FieldChange).where(FieldChange.participant_id == participant.id)
    ).all()
    by_field = {c.field: c for c in changes}
    assert (
        by_field["birth_date"].old_value == "" and by_field["birth_date"].new_value == "02/03/1975"
    )
    assert by_field["employment_status"].new_value == "mobility_list"
    assert {c.changed_by for c in changes} == {f"coordinator-{T}-1"}
    record = client.get(f"/t/{T}/participants/{participant.id}").get_data(as_text=True)
    assert "Correzioni della scheda" in record and "Cartiera Brianza SpA" in record
    stale = client.post(f"/t/{T}/participants/{participant.id}/edit", data=data)
    assert stale.status_code == 200 and "qualcun altro" in stale.get_data(as_text=True)


# --- 2. consents ---------------------------------------------------------------------


def test_withdrawal_stops_what_depends_on_it_from_its_day(ctx: Context, person) -> None:
    signed = TODAY - timedelta(days=30)
    participant = person(consents=(ConsentPurpose.PROCESSING,), on=signed)
    record_consents(
        ctx,
        participant.id,
        [ConsentPurpose.PARTICULAR_CATEGORIES, ConsentPurpose.SHARING],
        granted_on=signed,
    )
    with pytest.raises(DomainError) as error:  # never before the consent itself
        withdraw_consent(
            ctx, participant.id, "sharing", reason="x", withdrawn_on=signed - timedelta(days=1)
        )
    assert error.value.code == "event_before_record"
    answers = dict.fromkeys(range(1, 6), 3)
    day = TODAY - timedelta(days=10)
    with pytest.raises(DomainError) as error:
        withdraw_consent(ctx, participant.id, ConsentPurpose.PARTICULAR_CATEGORIES, reason=" ")
    assert error.value.code == "reason_required"
    withdraw_consent(
        ctx,
        participant.id,
        ConsentPurpose.PARTICULAR_CATEGORIES,
        reason="Non vuole",
        withdrawn_on=day,
    )
    # before the withdrawal: still lawful; from its day: refused
    record_administration(
        ctx, participant.id, "who5", "entry", answers, administered_on=day - timedelta(days=1)
    )
    with pytest.raises(DomainError) as error:
        record_administration(ctx, participant.id, "who5", "end", answers, administered_on=day)
    assert error.value.code == "consent_required"
    assert blocks(ctx.session, participant.id) == [(ConsentPurpose.PARTICULAR_CATEGORIES, day)]
    referral = propose_referral(ctx, participant.id, "gol-1")
    withdraw_consent(ctx, participant.id, ConsentPurpose.SHARING, reason="Non vuole")
    with pytest.raises(DomainError):
        advance_referral(ctx, referral.id, ReferralStatus.SENT)  # sending shares data
    with pytest.raises(DomainError) as error:
        withdraw_consent(
            ctx, participant.id, "sharing", reason="x", withdrawn_on=TODAY + timedelta(days=1)
        )
    assert error.value.code == "no_active_consent"
    record_consents(ctx, participant.id, [ConsentPurpose.SHARING])
    assert propose_referral(ctx, participant.id, "gol-2").status == ReferralStatus.PROPOSED


def test_future_withdrawal_is_refused(ctx: Context, person) -> None:
    participant = person()
    with pytest.raises(DomainError) as error:
        withdraw_consent(
            ctx, participant.id, "sharing", reason="x", withdrawn_on=TODAY + timedelta(days=1)
        )
    assert error.value.code == "event_in_future"


def test_new_notice_flags_old_consents_and_renewal_keeps_history(ctx: Context, person) -> None:
    participant, other = person(), person()
    assert outdated_consents(ctx.session, T) == {}
    publish_notice(ctx, T, "2.0", "Informativa aggiornata")
    flagged = outdated_consents(ctx.session, T)
    assert {p.id for p in flagged} == {participant.id, other.id}
    renewed = renew_consents(ctx, participant.id)
    assert {c.notice.version for c in renewed} == {"2.0"} and len(renewed) == 3
    assert {p.id for p in outdated_consents(ctx.session, T)} == {other.id}
    history = ctx.session.scalars(
        select(Consent).where(Consent.participant_id == participant.id)
    ).all()
    assert len(history) == 6 and sum(c.superseded_on == TODAY for c in history) == 3
    with pytest.raises(DomainError) as error:
        renew_consents(ctx, participant.id)
    assert error.value.code == "consent_up_to_date"


def test_reconsent_flow_in_the_web(client, login, ctx: Context, person) -> None:
    participant = person()
    publish_notice(ctx, T, "2.0", "Informativa aggiornata")
    login("coordinator", T)
    listed = client.get(f"/t/{T}/privacy/reconsent").get_data(as_text=True)
    assert participant.full_name in listed
    renewed = client.post(
        f"/t/{T}/participants/{participant.id}/consents/renew",
        data={"csrf_token": csrf_token(client, f"/t/{T}/privacy/reconsent"), "from": "reconsent"},
    )
    assert renewed.headers["Location"].endswith("/privacy/reconsent")
    assert participant.full_name not in client.get(renewed.headers["Location"]).get_data(
        as_text=True
    )


def test_consents_through_the_api(client, ctx: Context, person) -> None:
    participant = person()
    _, secret = create_token(ctx, "t", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    base = f"{API}/participants/{participant.id}/consents"
    withdrawn = client.post(
        f"{base}/sharing/withdrawal",
        headers=headers,
        json={"reason": "Non vuole", "withdrawn_on": TODAY.isoformat()},
    )
    assert withdrawn.status_code == 200 and withdrawn.json["in_force"] is False
    assert withdrawn.json["withdrawn_on"] == TODAY.isoformat()
    assert withdrawn.json["withdrawal_reason"] == "Non vuole"
    history = client.get(base, headers=headers).json
    assert [c["purpose"] for c in history if not c["in_force"]] == ["sharing"]
    publish_notice(ctx, T, "2.0", "Nuova")
    renewed = client.post(f"{base}/renewal", headers=headers, json={})
    assert renewed.status_code == 201 and {c["notice_version"] for c in renewed.json} == {"2.0"}


# --- 3. outcomes and follow-ups ------------------------------------------------------


def left_group(ctx: Context, person) -> Participant:  # type: ignore[no-untyped-def]
    # Registered long ago: outcomes may be dated back to the registration (amal.events).
    participant = person(on=TODAY - timedelta(days=800))
    group = create_group(ctx, T, f"Gruppo {participant.id}")
    enrol(ctx, group.id, participant.id)
    with pytest.raises(DomainError) as error:
        record_outcome(ctx, participant.id, "end", category="active_search")
    assert error.value.code == "still_in_group"
    remove_member(ctx, group.id, participant.id, "Ha trovato lavoro")
    return participant


def test_end_outcome_only_after_leaving_a_group(ctx: Context, person) -> None:
    never = person()
    with pytest.raises(DomainError) as error:
        record_outcome(ctx, never.id, "end", category="active_search")
    assert error.value.code == "never_in_group"
    participant = left_group(ctx, person)
    end = record_outcome(ctx, participant.id, "end", category="employed_fixed_term")
    assert (end.situation.value, end.contract_type.value) == ("employed", "fixed_term")
    with pytest.raises(DomainError) as error:
        record_outcome(ctx, participant.id, "end", category="inactive")
    assert error.value.code == "outcome_exists"


def test_follow_ups_are_each_kept_never_overwritten(ctx: Context, person) -> None:
    participant = left_group(ctx, person)
    ended = TODAY - timedelta(days=400)
    with pytest.raises(DomainError) as error:
        record_outcome(
            ctx, participant.id, "follow_up", category="active_search", follow_up_month=3
        )
    assert error.value.code == "end_outcome_missing"
    record_outcome(ctx, participant.id, "end", category="training", recorded_on=ended)
    for month, category in (
        (3, "active_search"),
        (6, "active_search"),
        (12, "employed_open_ended"),
    ):
        record_outcome(
            ctx,
            participant.id,
            "follow_up",
            category=category,
            follow_up_month=month,
            recorded_on=add_months(ended, month),
        )
    kept = ctx.session.scalars(
        select(Outcome).where(Outcome.participant_id == participant.id).order_by(Outcome.id)
    ).all()
    assert [(o.follow_up_month, o.category) for o in kept] == [
        (None, OutcomeCategory.TRAINING),
        (3, OutcomeCategory.ACTIVE_SEARCH),
        (6, OutcomeCategory.ACTIVE_SEARCH),  # the 12-month answer did not replace it
        (12, OutcomeCategory.EMPLOYED_OPEN_ENDED),
    ]
    for month, code in ((6, "outcome_exists"), (9, "invalid_follow_up_month")):
        with pytest.raises(DomainError) as error:
            record_outcome(
                ctx, participant.id, "follow_up", category="inactive", follow_up_month=month
            )
        assert error.value.code == code


def test_follow_ups_due_follow_the_territory_schedule(ctx: Context, person) -> None:
    schedule = ctx.plugins.group_policy(T).follow_up_months
    assert schedule == (3, 6, 12)
    first, second = left_group(ctx, person), left_group(ctx, person)
    record_outcome(ctx, first.id, "end", category="inactive", recorded_on=add_months(TODAY, -3))
    record_outcome(ctx, second.id, "end", category="inactive", recorded_on=add_months(TODAY, -6))
    people = select(Participant).where(Participant.territory_code == T)
    due = follow_ups_due(ctx, T, people, today=TODAY)
    assert sorted((d.participant.id, d.month) for d in due) == [
        (first.id, 3),
        (second.id, 3),
        (second.id, 6),
    ]
    record_outcome(ctx, second.id, "follow_up", category="inactive", follow_up_month=3)
    due = follow_ups_due(ctx, T, people, today=TODAY)
    assert sorted((d.participant.id, d.month) for d in due) == [(first.id, 3), (second.id, 6)]


def test_dashboard_lists_follow_ups_per_week(client, login, ctx: Context, person) -> None:
    participant = left_group(ctx, person)
    record_outcome(
        ctx, participant.id, "end", category="inactive", recorded_on=add_months(TODAY, -3)
    )
    login("coordinator", T)
    page = client.get(f"/t/{T}/").get_data(as_text=True)
    assert "Follow-up da fare" in page and participant.full_name in page and "3 mesi" in page


def test_outcomes_through_the_api(client, ctx: Context, person) -> None:
    never, participant = person(), left_group(ctx, person)
    _, secret = create_token(ctx, "t", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    refused = client.post(
        f"{API}/participants/{never.id}/outcomes",
        headers=headers,
        json={"moment": "end", "category": "inactive"},
    )
    assert refused.status_code == 409 and refused.json["code"] == "never_in_group"
    url = f"{API}/participants/{participant.id}/outcomes"
    ended = (TODAY - timedelta(days=200)).isoformat()
    body = {"moment": "end", "category": "apprenticeship", "recorded_on": ended}
    assert client.post(url, headers=headers, json=body).status_code == 201
    follow = {"moment": "follow_up", "category": "self_employed", "follow_up_month": 6}
    assert client.post(url, headers=headers, json=follow).status_code == 201
    listed = client.get(url, headers=headers).json
    assert [(o["moment"], o["follow_up_month"]) for o in listed] == [
        ("end", None),
        ("follow_up", 6),
    ]
    assert listed[0]["situation"] == "employed" and listed[0]["contract_type"] == "apprenticeship"
    due = client.get(f"{API}/participants/follow-ups", headers=headers).json
    assert [(d["participant_id"], d["month"]) for d in due] == [(participant.id, 3)]


# --- 4. referrals page ---------------------------------------------------------------


def test_time_in_each_state_and_the_referrals_page(client, login, ctx: Context, person) -> None:
    start = TODAY - timedelta(days=30)
    participant = person(on=start)
    slow = propose_referral(ctx, participant.id, "gol-1", on=start)
    advance_referral(ctx, slow.id, "sent", on=start + timedelta(days=5))
    quick = propose_referral(ctx, participant.id, "dul-bilancio", on=TODAY - timedelta(days=2))
    assert time_in_states(slow, TODAY) == [(ReferralStatus.PROPOSED, 5), (ReferralStatus.SENT, 25)]
    advance_referral(ctx, slow.id, "declined", on=TODAY, reason="Il servizio non ha posti")
    assert time_in_states(slow, TODAY)[-1] == (ReferralStatus.SENT, 25)
    login("coordinator", T)
    waiting = client.get(f"/t/{T}/referrals/?waiting=1").get_data(as_text=True)
    link = 'target="_blank">{}</a>'.format
    # GOL paths of Monza e Brianza have no public page found: their title is not a link.
    unlinked = f'<td>{slow.service_title} <small class="muted">(nessuna pagina pubblica trovata)'
    assert link(quick.service_title) in waiting and unlinked not in waiting
    assert "(pagina del programma)" in waiting  # Dote Unica Lavoro: the region's page
    by_status = client.get(f"/t/{T}/referrals/?status=declined").get_data(as_text=True)
    assert unlinked in by_status and "inviato 25" in by_status
    assert link(quick.service_title) not in by_status
    by_operator = client.get(f"/t/{T}/referrals/?operator=Nessuno").get_data(as_text=True)
    assert "Nessun invio corrisponde" in by_operator


def _two_referrals(ctx: Context, person):  # type: ignore[no-untyped-def]
    start = TODAY - timedelta(days=30)
    participant = person(on=start, first_name="Giovanna", last_name="Colombo")
    slow = propose_referral(ctx, participant.id, "gol-1", on=start)
    advance_referral(ctx, slow.id, "sent", on=start + timedelta(days=5))
    quick = propose_referral(ctx, participant.id, "dul-bilancio", on=TODAY - timedelta(days=2))
    return participant, slow, quick


def test_the_referrals_overview_in_the_api(client, ctx: Context, person) -> None:
    _, slow, quick = _two_referrals(ctx, person)
    _, secret = create_token(ctx, "crm", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}

    everything = client.get(f"{API}/referrals/", headers=headers)
    assert everything.status_code == 200, everything.json
    assert [r["id"] for r in everything.json] == [slow.id, quick.id]
    assert everything.headers["X-Pagination"]  # paginated like the participants list
    first = everything.json[0]
    assert first["participant_name"] == "Giovanna Colombo"
    assert first["time_in_states"] == [
        {"status": "proposed", "days": 5},
        {"status": "sent", "days": 25},
    ]
    assert (first["status"], first["waiting_days"], first["since"]) == (
        "sent",
        25,
        (TODAY - timedelta(days=25)).isoformat(),
    )
    waiting = client.get(f"{API}/referrals/?waiting_more_than=10", headers=headers).json
    assert [r["id"] for r in waiting] == [slow.id]
    by_service = client.get(f"{API}/referrals/?service=dul-bilancio", headers=headers).json
    assert [r["id"] for r in by_service] == [quick.id]
    proposed = client.get(f"{API}/referrals/?status=proposed", headers=headers).json
    assert [(r["id"], r["waiting_days"]) for r in proposed] == [(quick.id, 2)]
    assert client.get(f"{API}/referrals/?operator=Nessuno", headers=headers).json == []
    forever = client.get(f"{API}/referrals/?waiting_more_than=99999999", headers=headers)
    assert forever.status_code == 200 and forever.json == []
    bad = client.get(f"{API}/referrals/?waiting_more_than=-1", headers=headers)
    assert bad.status_code == 422 and bad.content_type == "application/problem+json"
    other = create_token(ctx, "crm-lecco", "lecco", Role.COORDINATOR)[1]
    lecco = client.get(
        "/api/v1/territories/lecco/referrals/", headers={"Authorization": f"Bearer {other}"}
    )
    assert lecco.status_code == 200 and lecco.json == []  # territory isolation
    facilitator = create_token(ctx, "fac", T, Role.FACILITATOR)[1]
    refused = client.get(f"{API}/referrals/", headers={"Authorization": f"Bearer {facilitator}"})
    assert refused.status_code == 403
    document = client.get("/api/v1/openapi.json").json
    assert "waiting_more_than" in str(
        document["paths"]["/api/v1/territories/{territory}/referrals/"]
    )


def test_the_referrals_overview_in_the_cli(
    app, ctx: Context, person, tmp_path: Path, amal_database_url: str
) -> None:
    _, slow, _ = _two_referrals(ctx, person)
    ctx.session.commit()
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "testing"}

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(
            cli, ["--instance", str(tmp_path), "referral", "list", *args], env=env
        )

    listed = run(T)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith(f"{slow.id} Giovanna Colombo: GOL percorso 1")
    assert "sent since" in lines[0] and "waiting 25d [proposed 5d, sent 25d]" in lines[0]
    assert lines[-1] == "2 referrals."
    waiting = run(T, "--waiting", "10")
    assert waiting.output.splitlines()[-1] == "1 referrals." and str(slow.id) in waiting.output
    assert run(T, "--status", "nonsense").exit_code == 2
    state(app).engine.dispose()
