"""The date an event happened, as distinct from the moment it was typed in.

Staff type paper registers weeks late, so every event a person or a group goes
through (status change, enrolment and its end, group start and conclusion,
referral step, outcome, consent given or withdrawn, transfer) carries the day
it happened (a ``Date`` column named ``*_on``) beside the recording timestamp
(a ``*_at`` column). Figures count events by the day they happened.

Every service that records an event passes the user's date through
:func:`event_date`, which applies the one rule set: today by default, never in
the future, never before the record it depends on, and an audit entry when the
date differs from the recording day (who back-dated what, and when).
"""

from __future__ import annotations

from datetime import date

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.errors import DomainError
from amal.services import Context


def event_date(
    ctx: Context,
    occurred_on: date | None,
    *,
    event: str,
    entity: str,
    entity_id: int | None = None,
    not_before: date | None = None,
    not_before_what: str = "the record it depends on",
    participant_id: int | None = None,
    territory_code: str | None = None,
    today: date | None = None,
) -> date:
    """The checked date of ``event`` (a short code such as ``"status_change"``).

    ``None`` means today. Raises :class:`DomainError` ``event_in_future`` or
    ``event_before_record``. A date before today is audited as back-dated, in
    the caller's transaction.
    """
    today = today or date.today()
    day = occurred_on or today
    if day > today:
        raise DomainError(
            "event_in_future",
            f"The date of {event} ({day.isoformat()}) is in the future.",
            event=event,
            occurred_on=day.isoformat(),
        )
    if not_before is not None and day < not_before:
        raise DomainError(
            "event_before_record",
            f"The date of {event} ({day.isoformat()}) is before {not_before_what} "
            f"({not_before.isoformat()}).",
            event=event,
            occurred_on=day.isoformat(),
            not_before=not_before.isoformat(),
        )
    if day < today:
        record(
            ctx,
            AuditAction.BACKDATE,
            entity,
            entity_id,
            participant_id=participant_id,
            territory_code=territory_code,
            event=event,
            occurred_on=day.isoformat(),
            recorded_on=today.isoformat(),
        )
    return day
