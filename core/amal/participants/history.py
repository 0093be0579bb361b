"""A person's history: the day they were registered, and which territory they
belonged to on a given day.

A transfer does not rewrite the past: an accepted transfer's ``transferred_on``
splits the person's history, so figures attribute each event to the territory
the person was in on the day it happened.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, select

from amal.participants.models import Participant, StatusChange, TerritoryTransfer, TransferStatus

if TYPE_CHECKING:  # annotations only: services sit above history
    from amal.services import Context


def territory_on(participant_id: Any, day: Any) -> ColumnElement[str]:
    """SQL for the territory of ``participant_id`` on ``day`` (columns or values):
    the origin of the first accepted transfer after that day, else the person's
    current territory. One correlated subquery: the cost does not grow with data."""
    origin_then = (
        select(TerritoryTransfer.from_territory)
        .where(
            TerritoryTransfer.participant_id == participant_id,
            TerritoryTransfer.status == TransferStatus.ACCEPTED,
            TerritoryTransfer.transferred_on > day,
        )
        .order_by(TerritoryTransfer.transferred_on, TerritoryTransfer.id)
        .limit(1)
        .correlate_except(TerritoryTransfer)
        .scalar_subquery()
    )
    now = (
        select(Participant.territory_code)
        .where(Participant.id == participant_id)
        .correlate_except(Participant)
        .scalar_subquery()
    )
    return func.coalesce(origin_then, now)


def ever_in(territory: str) -> Any:
    """SQL: ids of the people who belong, or once belonged, to ``territory``."""
    moved = select(TerritoryTransfer.participant_id).where(
        TerritoryTransfer.status == TransferStatus.ACCEPTED,
        (TerritoryTransfer.from_territory == territory)
        | (TerritoryTransfer.to_territory == territory),
    )
    return select(Participant.id).where(
        (Participant.territory_code == territory) | Participant.id.in_(moved)
    )


def territory_of(session: Any, participant_id: int, day: date) -> str:
    """The territory of one person on ``day`` (for pages and tests)."""
    return session.scalar(select(territory_on(participant_id, day)))


def registered_on(ctx: Context, participant_id: int) -> date | None:
    """The day the person was registered: what their consents, referrals and
    outcomes may not precede."""
    return ctx.session.scalar(
        select(func.min(StatusChange.occurred_on)).where(
            StatusChange.participant_id == participant_id
        )
    )
