"""Questionnaires: phases in order and not in the future; a mistyped one is
corrected (previous version and reason kept, audited) in the services, the
web and the API."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.audit.models import AuditAction, AuditEntry
from amal.consent.services import erase_person, export_person
from amal.errors import DomainError
from amal.services import Context
from amal.testing import csrf_token
from amal.wellbeing.models import AdministrationCorrection
from amal.wellbeing.services import correct_administration, record_administration

T = "monza-brianza"
LOW = dict.fromkeys(range(1, 6), 1)  # 20
HIGH = dict.fromkeys(range(1, 6), 4)  # 80


def test_end_before_entry_and_future_dates_are_refused(ctx: Context, person) -> None:
    who = person()
    record_administration(ctx, who.id, "who5", "entry", LOW, administered_on=date(2026, 3, 1))
    with pytest.raises(DomainError) as before:
        record_administration(ctx, who.id, "who5", "end", HIGH, administered_on=date(2026, 2, 1))
    assert before.value.code == "phase_out_of_order"
    with pytest.raises(DomainError) as future:
        record_administration(
            ctx, who.id, "who5", "end", HIGH, administered_on=date.today() + timedelta(days=1)
        )
    assert future.value.code == "questionnaire_in_future"
    # Rosenberg has its own phases: its entry may come later than WHO-5's end.
    record_administration(ctx, who.id, "who5", "end", HIGH, administered_on=date(2026, 9, 1))
    record_administration(
        ctx, who.id, "rosenberg", "entry", dict.fromkeys(range(1, 11), 2),
        administered_on=date(2026, 10, 1),
    )  # fmt: skip


def test_a_correction_replaces_and_keeps_the_previous_version(ctx: Context, person) -> None:
    who = person()
    entry = record_administration(
        ctx, who.id, "who5", "entry", LOW, administered_on=date(2026, 3, 1)
    )
    with pytest.raises(DomainError) as twice:
        record_administration(ctx, who.id, "who5", "entry", HIGH, administered_on=date(2026, 3, 1))
    assert twice.value.code == "already_recorded"
    assert twice.value.details["administration_id"] == entry.id
    with pytest.raises(DomainError) as no_reason:
        correct_administration(ctx, entry.id, HIGH, " ")
    assert no_reason.value.code == "reason_required"
    fixed = correct_administration(ctx, entry.id, HIGH, "Risposte trascritte al contrario")
    assert fixed.score == 80 and fixed.administered_on == date(2026, 3, 1)
    kept = ctx.session.scalars(select(AdministrationCorrection)).one()
    assert (kept.old_score, kept.old_answers, kept.reason) == (
        20,
        {str(k): 1 for k in range(1, 6)},
        "Risposte trascritte al contrario",
    )
    audit = ctx.session.scalars(
        select(AuditEntry).where(
            AuditEntry.entity == "wellbeing_administration", AuditEntry.action == AuditAction.UPDATE
        )
    ).one()
    assert audit.details["reason"] == "Risposte trascritte al contrario"
    # the date of a correction follows the same rules
    record_administration(ctx, who.id, "who5", "end", LOW, administered_on=date(2026, 9, 1))
    with pytest.raises(DomainError, match="cannot come after"):
        correct_administration(ctx, entry.id, HIGH, "data", administered_on=date(2026, 10, 1))
    export = export_person(ctx, who.id)
    assert export["wellbeing_corrections"][0]["old_score"] == 20
    erase_person(ctx, who.id, "Richiesta 12/2026")
    ctx.session.expire_all()
    assert ctx.session.get(AdministrationCorrection, kept.id).old_answers is None


def test_correction_in_the_web(client, login, ctx: Context, person) -> None:
    who = person()
    entry = record_administration(
        ctx, who.id, "who5", "entry", LOW, administered_on=date(2026, 3, 1)
    )
    login("coordinator", T)
    record = client.get(f"/t/{T}/participants/{who.id}").get_data(as_text=True)
    url = f"/t/{T}/participants/{who.id}/wellbeing/{entry.id}/correct"
    assert url in record
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'<input checked id="item_1-1"', page)  # the answers recorded, to correct
    form = {
        "csrf_token": csrf_token(client, url),
        "phase": "entry",
        "administered_on": "2026-03-01",
        **{f"item_{n}": "4" for n in range(1, 6)},
    }
    refused = client.post(url, data=form)
    assert refused.status_code == 200 and 'id="reason-error"' in refused.get_data(as_text=True)
    saved = client.post(url, data={**form, "reason": "Errore di trascrizione"})
    assert saved.status_code == 302
    record = client.get(f"/t/{T}/participants/{who.id}").get_data(as_text=True)
    assert "Errore di trascrizione" in record and "80" in record


def test_correction_in_the_api(client, ctx: Context, person) -> None:
    who = person()
    entry = record_administration(
        ctx, who.id, "who5", "entry", LOW, administered_on=date(2026, 3, 1)
    )
    _, secret = create_token(ctx, "facilitator-api", T, Role.COORDINATOR)
    headers = {"Authorization": f"Bearer {secret}"}
    url = f"/api/v1/territories/{T}/participants/{who.id}/wellbeing/{entry.id}"
    body = {"answers": {str(n): 4 for n in range(1, 6)}}
    missing = client.put(url, headers=headers, json=body)
    assert missing.status_code == 422
    done = client.put(url, headers=headers, json={**body, "reason": "Errore"})
    assert done.status_code == 200 and done.json["score"] == 80
    future = client.put(
        url,
        headers=headers,
        json={**body, "reason": "x", "administered_on": (date.today() + timedelta(1)).isoformat()},
    )
    assert future.status_code == 422 and future.json["code"] == "questionnaire_in_future"
    other = client.put(
        f"/api/v1/territories/{T}/participants/{who.id}/wellbeing/999999", headers=headers,
        json={**body, "reason": "x"},
    )  # fmt: skip
    assert other.status_code == 404


def test_web_refuses_an_end_before_the_entry(client, login, ctx: Context, person) -> None:
    who = person()
    record_administration(ctx, who.id, "who5", "entry", LOW, administered_on=date(2026, 3, 1))
    login("coordinator", T)
    url = f"/t/{T}/participants/{who.id}/wellbeing/who5"
    form = {
        "csrf_token": csrf_token(client, url),
        "phase": "end",
        "administered_on": "2026-02-01",
        **{f"item_{n}": "4" for n in range(1, 6)},
    }
    page = client.post(url, data=form).get_data(as_text=True)
    assert 'id="administered_on-error"' in page and "devono essere in ordine" in page
    assert 'href="#administered_on"' in page  # the error summary links to the field
