"""The one rule set for the date an event happened (amal.events)."""

from datetime import date

import pytest
from sqlalchemy import select

from amal.audit.models import AuditAction, AuditEntry
from amal.errors import DomainError
from amal.events import event_date

TODAY = date(2026, 7, 2)


def backdates(ctx) -> list[AuditEntry]:
    return list(
        ctx.session.scalars(select(AuditEntry).where(AuditEntry.action == AuditAction.BACKDATE))
    )


def test_defaults_to_today_without_an_audit_entry(ctx) -> None:
    assert event_date(ctx, None, event="status_change", entity="participant", today=TODAY) == TODAY
    assert backdates(ctx) == []


def test_a_past_date_is_kept_and_audited_as_back_dated(ctx) -> None:
    day = event_date(
        ctx,
        date(2026, 6, 28),
        event="attendance",
        entity="meeting",
        entity_id=7,
        territory_code="monza-brianza",
        today=TODAY,
    )
    assert day == date(2026, 6, 28)
    [entry] = backdates(ctx)
    assert (entry.actor, entry.entity, entry.entity_id) == ("tester", "meeting", 7)
    assert entry.details == {
        "event": "attendance",
        "occurred_on": "2026-06-28",
        "recorded_on": "2026-07-02",
    }


def test_refuses_the_future_and_dates_before_the_record(ctx) -> None:
    with pytest.raises(DomainError) as future:
        event_date(ctx, date(2026, 7, 3), event="outcome", entity="outcome", today=TODAY)
    assert future.value.code == "event_in_future"
    with pytest.raises(DomainError) as early:
        event_date(
            ctx,
            date(2026, 1, 1),
            event="enrolment",
            entity="enrolment",
            not_before=date(2026, 3, 1),
            today=TODAY,
        )
    assert early.value.code == "event_before_record"
