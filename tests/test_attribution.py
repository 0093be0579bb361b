"""Period attribution by event date: every indicator counts what happened in the
period, even when it was typed in after the period closed.

Everything below happens in the first quarter of 2026 and is recorded today
(the suite runs later than that quarter): each indicator must show it in
2026-Q1 and not in the quarter it was typed in. Run on SQLite and PostgreSQL
like every database test.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from amal.groups.services import add_need, conclude_group, create_group, enrol, start_group
from amal.meetings.models import MeetingKind, Presence
from amal.meetings.services import generate_plan, record_register, schedule_meeting
from amal.outcomes.services import record_outcome
from amal.plugins import ReportDefinition
from amal.referrals.services import advance_referral, propose_referral
from amal.reports.indicators import INDICATORS, Scope
from amal.reports.periods import Period, parse_period
from amal.services import Context
from amal.testing import staff_facilitator
from amal.wellbeing.services import record_administration

MONZA = "monza-brianza"
DEFINITION = ReportDefinition(
    code="prova",
    title="Prova",
    funder="Provincia",
    period_kind="quarter",
    indicators=tuple(INDICATORS),
    meeting_kinds=("group", "training", "info"),
)
WHO5_LOW = {n: 1 for n in range(1, 6)}
WHO5_HIGH = {n: 4 for n in range(1, 6)}


def late_quarter() -> str:
    """The quarter the events are typed in: today's, after 2026-Q1 closed."""
    today = date.today()
    assert today > date(2026, 3, 31), "these tests need a clock after 2026-Q1"
    return f"{today.year}-Q{(today.month - 1) // 3 + 1}"


def rows(ctx: Context, indicator: str, period: str | Period) -> list[tuple[Any, ...]]:
    if isinstance(period, str):
        period = parse_period(period, "quarter")
    scope = Scope(
        session=ctx.session,
        territory=MONZA,
        period=period,
        today=date.today(),
        definition=DEFINITION,
    )
    return INDICATORS[indicator](scope).rows


def as_dict(table: list[tuple[Any, ...]]) -> dict[Any, Any]:
    return {row[0]: row[1:] if len(row) > 2 else row[1] for row in table}


@pytest.fixture
def q1_typed_late(ctx: Context, person):  # type: ignore[no-untyped-def]
    """A person's whole path through a Monza group in 2026-Q1, typed in today."""
    who = person(MONZA, on=date(2026, 1, 5))
    group = create_group(
        ctx,
        MONZA,
        "Gruppo Q1",
        start_date=date(2026, 1, 13),
        facilitator_ids=[staff_facilitator(ctx, MONZA)],
    )
    enrol(ctx, group.id, who.id, enrolled_on=date(2026, 1, 10))
    start_group(ctx, group.id, override_reason="Prova", started_on=date(2026, 1, 13))
    first = generate_plan(ctx, group.id)[0]
    record_register(ctx, first.id, {who.id: (Presence.PRESENT, None)})
    need = add_need(ctx, group.id, "CV e colloquio", expressed_on=date(2026, 1, 13))
    training = schedule_meeting(
        ctx, MONZA, MeetingKind.TRAINING, date(2026, 2, 3), group_id=group.id, need_ids=[need.id]
    )
    record_register(ctx, training.id, {who.id: (Presence.PRESENT, None)})
    info = schedule_meeting(ctx, MONZA, MeetingKind.INFO, date(2026, 2, 10), topic="Info")
    record_register(ctx, info.id, {who.id: (Presence.PRESENT, None)})
    record_administration(ctx, who.id, "who5", "entry", WHO5_LOW, administered_on=date(2026, 1, 13))
    record_administration(ctx, who.id, "who5", "end", WHO5_HIGH, administered_on=date(2026, 3, 20))
    service = ctx.plugins.service_catalogue(MONZA)[0]
    referral = propose_referral(ctx, who.id, service.code, on=date(2026, 1, 20))
    advance_referral(ctx, referral.id, "sent", on=date(2026, 2, 1))
    advance_referral(ctx, referral.id, "accepted", on=date(2026, 4, 8))  # next quarter
    conclude_group(
        ctx, group.id, concluded_on=date(2026, 3, 24), cancel_remaining=True, reason="Fine prova"
    )
    record_outcome(
        ctx,
        who.id,
        "end",
        "employed",
        contract_type="fixed_term",
        recorded_on=date(2026, 3, 25),
    )
    return who, group, service


def test_participants_by_status(ctx: Context, q1_typed_late) -> None:
    assert as_dict(rows(ctx, "participants_by_status", "2026-Q1")) == {"percorso concluso": 1}
    assert rows(ctx, "participants_by_status", "2025-Q4") == []  # not registered yet


def test_participants_by_group(ctx: Context, q1_typed_late) -> None:
    assert rows(ctx, "participants_by_group", "2026-Q1") == [("Gruppo Q1", "concluso", 1)]
    february = Period(date(2026, 2, 1), date(2026, 2, 28), "febbraio")
    assert rows(ctx, "participants_by_group", february) == [("Gruppo Q1", "in corso", 1)]
    assert rows(ctx, "participants_by_group", late_quarter()) == []  # concluded in March


def test_new_enrolments(ctx: Context, q1_typed_late) -> None:
    assert rows(ctx, "new_enrolments", "2026-Q1") == [("Iscrizioni nel periodo", 1)]
    assert rows(ctx, "new_enrolments", late_quarter()) == [("Iscrizioni nel periodo", 0)]


def test_groups(ctx: Context, q1_typed_late) -> None:
    q1 = as_dict(rows(ctx, "groups", "2026-Q1"))
    assert (q1["Gruppi in formazione"], q1["Gruppi avviati"], q1["Gruppi conclusi"]) == (1, 1, 1)
    late = as_dict(rows(ctx, "groups", late_quarter()))
    assert set(late.values()) == {0}


def test_meetings(ctx: Context, q1_typed_late) -> None:
    q1 = as_dict(rows(ctx, "meetings", "2026-Q1"))
    assert q1["incontro di gruppo"][1] == 1  # held (register typed in today)
    assert q1["incontro formativo"][1] == 1
    assert q1["incontro informativo"][1] == 1
    late = as_dict(rows(ctx, "meetings", late_quarter()))
    assert all(counts[1] == 0 for counts in late.values())


def test_hours(ctx: Context, q1_typed_late) -> None:
    q1 = as_dict(rows(ctx, "hours", "2026-Q1"))
    assert q1["Ore di facilitazione"] == 6  # three held meetings of two hours
    assert q1["Ore di presenza dei partecipanti"] == 6
    assert set(as_dict(rows(ctx, "hours", late_quarter())).values()) == {0}


def test_attendance_rate(ctx: Context, q1_typed_late) -> None:
    q1 = as_dict(rows(ctx, "attendance_rate", "2026-Q1"))
    assert (q1["Righe di registro"], q1["Presenze"], q1["Tasso di presenza"]) == (1, 1, 1.0)
    assert str(q1["Tasso di presenza"]) == "100.0%"  # a number, shown as a percentage
    assert as_dict(rows(ctx, "attendance_rate", late_quarter()))["Righe di registro"] == 0


def test_min_presence(ctx: Context, q1_typed_late) -> None:
    q1 = as_dict(rows(ctx, "min_presence", "2026-Q1"))
    assert q1["Persone che raggiungono la soglia"] == 1
    late = as_dict(rows(ctx, "min_presence", late_quarter()))
    assert late["Persone con registro nel periodo"] == 0


def test_wellbeing_change(ctx: Context, q1_typed_late) -> None:
    who5 = rows(ctx, "wellbeing_change", "2026-Q1")[0]
    assert "WHO-5" in who5[0] and who5[1] == 1  # entry and end score by 31 March
    before_end = Period(date(2026, 1, 1), date(2026, 3, 19), "prima della rilevazione finale")
    assert rows(ctx, "wellbeing_change", before_end)[0][1] == 0


def test_referrals(ctx: Context, q1_typed_late) -> None:
    _who, _group, service = q1_typed_late
    # the step it had reached on 31 March (accepted only in April)
    assert rows(ctx, "referrals", "2026-Q1") == [(service.title, "inviato", 1)]
    assert rows(ctx, "referrals", "2026-Q2") == []  # proposed in Q1, counted there only
    assert rows(ctx, "referrals", late_quarter()) == []


def test_outcomes(ctx: Context, q1_typed_late) -> None:
    assert rows(ctx, "outcomes", "2026-Q1") == [
        ("fine percorso", "occupato a tempo determinato", 1)
    ]
    assert rows(ctx, "outcomes", late_quarter()) == []


def test_training_topics(ctx: Context, q1_typed_late) -> None:
    assert [(str(r[0]), r[1], r[4]) for r in rows(ctx, "training_topics", "2026-Q1")] == [
        ("03/02/2026", "Gruppo Q1", 1)
    ]
    assert rows(ctx, "training_topics", late_quarter()) == []


def test_info_meetings(ctx: Context, q1_typed_late) -> None:
    assert [(r[0], r[2]) for r in rows(ctx, "info_meetings", "2026-Q1")] == [(date(2026, 2, 10), 1)]
    assert rows(ctx, "info_meetings", late_quarter()) == []


def test_network_meetings(ctx: Context) -> None:
    from amal.network.services import (
        PresenceLine,
        create_body,
        record_organisations_register,
        schedule_network_meeting,
    )
    from amal.projects.services import territory_projects
    from amal.territories.services import directory

    body = create_body(ctx, MONZA, territory_projects(ctx.session, MONZA)[0].id)
    meeting = schedule_network_meeting(ctx, MONZA, body.id, date(2026, 2, 12))
    partner = directory(ctx, MONZA)[0]
    record_organisations_register(ctx, MONZA, meeting.id, {partner.id: PresenceLine()})
    assert rows(ctx, "network_meetings", "2026-Q1") == [(date(2026, 2, 12), 1, partner.name)]
    assert rows(ctx, "network_meetings", late_quarter()) == []


def test_every_indicator_has_a_late_recording_test() -> None:
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert set(INDICATORS) <= tested
