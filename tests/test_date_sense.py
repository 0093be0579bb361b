"""Date sense (amal.dates): one rule set, the same answer through the
services, the web, the API and the CLI."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.audit.models import AuditEntry
from amal.cli import cli
from amal.consent.services import publish_notice
from amal.dates import (
    check_birth_date,
    check_fiscal_code,
    check_meeting_date,
    check_questionnaire_date,
    fiscal_code_conflicts,
)
from amal.errors import DomainError
from amal.participants.models import Participant
from amal.participants.services import register_candidate, update_participant
from amal.services import Context
from amal.testing import csrf_token

T = "monza-brianza"
API = f"/api/v1/territories/{T}"
MARIO = "RSSMRA80A01H501U"  # male, born 01/01/1980
TODAY = date(2026, 12, 3)


# --- the rules themselves -------------------------------------------------------------


def test_birth_date_not_in_future_nor_under_the_minimum_age() -> None:
    check_birth_date(date(1980, 1, 1), today=TODAY)
    check_birth_date(date(2010, 12, 3), today=TODAY)  # 16 today
    with pytest.raises(DomainError) as future:
        check_birth_date(date(2030, 1, 1), today=TODAY)
    assert future.value.code == "birth_date_in_future"
    with pytest.raises(DomainError) as young:
        check_birth_date(date(2020, 5, 5), today=TODAY)
    assert young.value.code == "too_young" and young.value.details["field"] == "birth_date"
    with pytest.raises(DomainError):
        check_birth_date(date(2009, 1, 1), minimum_age=18, today=TODAY)


def test_fiscal_code_against_birth_date_and_sex() -> None:
    assert fiscal_code_conflicts(MARIO, date(1980, 1, 1), "M") == []
    assert fiscal_code_conflicts(MARIO, date(1981, 1, 1), "M") == ["birth_date"]
    assert fiscal_code_conflicts(MARIO, date(1980, 1, 1), "F") == ["gender"]
    assert fiscal_code_conflicts(MARIO, None, "X") == []  # nothing typed to compare
    with pytest.raises(DomainError) as refused:
        check_fiscal_code(MARIO, date(1980, 1, 2), "F")
    assert refused.value.code == "fiscal_code_mismatch"
    assert refused.value.details["conflicts"] == ["birth_date", "gender"]
    assert check_fiscal_code(MARIO, date(1980, 1, 2), "M", override_reason="Omocodia") == [
        "birth_date"
    ]


def test_questionnaire_phases_in_order_and_not_in_future() -> None:
    entry = date(2026, 3, 1)
    check_questionnaire_date(date(2026, 9, 1), "end", {"entry": entry}, today=TODAY)
    for day, recorded, code in (
        (date(2027, 1, 1), {}, "questionnaire_in_future"),
        (date(2026, 2, 1), {"entry": entry}, "phase_out_of_order"),  # end before entry
        (date(2026, 4, 1), {"midway": date(2026, 3, 15)}, "phase_out_of_order"),
    ):
        phase = "end" if "entry" in recorded or not recorded else "entry"
        with pytest.raises(DomainError) as refused:
            check_questionnaire_date(day, phase, recorded, today=TODAY)
        assert refused.value.code == code


def test_meeting_dates() -> None:
    holidays = {date(2026, 12, 25): "Natale"}
    start = date(2026, 9, 7)
    check_meeting_date(date(2026, 12, 24), group_start=start, holidays=holidays)
    for kwargs, code in (
        ({"day": date(2026, 9, 1)}, "meeting_before_group_start"),
        ({"day": date(2026, 12, 25)}, "meeting_on_holiday"),
        ({"day": date(2026, 10, 1), "previous": date(2026, 10, 5)}, "meeting_out_of_order"),
        ({"day": date(2026, 10, 20), "following": date(2026, 10, 19)}, "meeting_out_of_order"),
    ):
        with pytest.raises(DomainError) as refused:
            check_meeting_date(group_start=start, holidays=holidays, **kwargs)
        assert refused.value.code == code
    check_meeting_date(
        date(2026, 12, 25), group_start=start, holidays=holidays, holiday_reason="Festa del gruppo"
    )


# --- through the services -------------------------------------------------------------


def test_services_refuse_and_audit_the_override(ctx: Context) -> None:
    with pytest.raises(DomainError, match="future"):
        register_candidate(ctx, T, first_name="A", last_name="B", birth_date=date(2030, 1, 1))
    with pytest.raises(DomainError) as young:
        register_candidate(ctx, T, first_name="A", last_name="B", birth_date=date(2020, 1, 1))
    assert young.value.code == "too_young"
    with pytest.raises(DomainError) as mismatch:
        register_candidate(
            ctx, T, first_name="Maria", last_name="Rossi", fiscal_code=MARIO, gender="F"
        )
    assert mismatch.value.code == "fiscal_code_mismatch"
    kept = register_candidate(
        ctx,
        T,
        first_name="Maria",
        last_name="Rossi",
        fiscal_code=MARIO,
        gender="F",
        identity_override="Codice attribuito dall'Agenzia delle Entrate così",
    )
    audit = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.participant_id == kept.id)
    ).all()
    assert any("identity_override" in (a.details or {}) for a in audit)
    # An unrelated correction of a record kept that way is not blocked again.
    update_participant(ctx, kept.id, municipality="Monza")
    with pytest.raises(DomainError) as changed:
        update_participant(ctx, kept.id, birth_date=date(1990, 5, 5))
    assert changed.value.code == "fiscal_code_mismatch"


# --- through the web ------------------------------------------------------------------


def _intake_form(client, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token(client, f"/t/{T}/participants/new"),
        "first_name": "Maria",
        "last_name": "Rossi",
        "employment_status": "naspi",
        "consents": "processing",
        "gender": "",
        **fields,
    }


def test_web_refuses_and_a_coordinator_overrides(client, login, ctx: Context) -> None:
    publish_notice(ctx, T, "1.0", "Informativa")
    login("intake_operator", T)
    young = client.post(
        f"/t/{T}/participants/new", data=_intake_form(client, birth_date="2020-01-01")
    )
    assert young.status_code == 200 and "più giovane di 16 anni" in young.get_data(as_text=True)
    page = client.post(
        f"/t/{T}/participants/new",
        data=_intake_form(client, fiscal_code=MARIO, gender="F", identity_override="perché sì"),
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "non corrisponde" in text
    assert 'name="identity_override"' not in text  # an intake operator cannot override
    login("coordinator", T)
    offered = client.post(
        f"/t/{T}/participants/new", data=_intake_form(client, fiscal_code=MARIO, gender="F")
    )
    assert 'name="identity_override"' in offered.get_data(as_text=True)
    kept = client.post(
        f"/t/{T}/participants/new",
        data=_intake_form(client, fiscal_code=MARIO, gender="F", identity_override="Omocodia"),
    )
    assert kept.status_code == 302
    assert ctx.session.scalar(select(Participant.id).where(Participant.fiscal_code == MARIO))


# --- through the API ------------------------------------------------------------------


def test_api_answers_422_and_only_coordinators_override(client, ctx: Context) -> None:
    publish_notice(ctx, T, "1.0", "Informativa")
    _, operator = create_token(ctx, "op", T, Role.INTAKE_OPERATOR)
    _, coordinator = create_token(ctx, "co", T, Role.COORDINATOR)
    body = {"first_name": "Maria", "last_name": "Rossi", "consents": ["processing"]}
    as_operator = {"Authorization": f"Bearer {operator}"}
    future = client.post(
        f"{API}/participants/",
        headers=as_operator,
        json={**body, "birth_date": (date.today() + timedelta(days=1)).isoformat()},
    )
    assert future.status_code == 422 and future.json["code"] == "birth_date_in_future"
    wrong = {**body, "fiscal_code": MARIO, "gender": "F"}
    mismatch = client.post(f"{API}/participants/", headers=as_operator, json=wrong)
    assert mismatch.status_code == 422 and mismatch.json["code"] == "fiscal_code_mismatch"
    assert mismatch.json["conflicts"] == ["gender"]
    forbidden = client.post(
        f"{API}/participants/", headers=as_operator, json={**wrong, "identity_override": "x"}
    )
    assert forbidden.status_code == 403
    kept = client.post(
        f"{API}/participants/",
        headers={"Authorization": f"Bearer {coordinator}"},
        json={**wrong, "identity_override": "Omocodia"},
    )
    assert kept.status_code == 201, kept.json


# --- through the CLI ------------------------------------------------------------------


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


def test_cli_says_why_and_exits_1(instance: Path) -> None:
    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["--instance", str(instance), *args])

    run("consent", "notice", T, "1.0", "--text-file", str(instance / "notice.txt"))
    base = ["participant", "add", T, "--first-name", "Maria", "--consent", "processing"]
    young = run(*base, "--last-name", "Bianchi", "--birth-date", "2020-01-01")
    assert young.exit_code == 1 and "younger than 16" in young.output
    mismatch = run(*base, "--last-name", "Rossi", "--fiscal-code", MARIO, "--gender", "F")
    assert mismatch.exit_code == 1 and "does not match the gender" in mismatch.output
    kept = run(
        *base, "--last-name", "Rossi", "--fiscal-code", MARIO, "--gender", "F",
        "--identity-override", "Omocodia",
    )  # fmt: skip
    assert kept.exit_code == 0, kept.output
