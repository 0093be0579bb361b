"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from amal.audit.models import AuditAction, AuditEntry
from amal.services import Context


def record(
    ctx: Context,
    action: AuditAction,
    entity: str,
    entity_id: int | None,
    *,
    participant_id: int | None = None,
    territory_code: str | None = None,
    **details: object,
) -> AuditEntry:
    """Add an audit entry to the current transaction (it commits with the change)."""
    entry = AuditEntry(
        actor=ctx.actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        participant_id=participant_id,
        territory_code=territory_code,
        details=dict(details),
    )
    ctx.session.add(entry)
    return entry


def entries_for_participant(ctx: Context, participant_id: int) -> Sequence[AuditEntry]:
    return ctx.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.participant_id == participant_id)
        .order_by(AuditEntry.id)
    ).all()


def entries_by_actor(ctx: Context, actor: str, limit: int = 200) -> Sequence[AuditEntry]:
    return ctx.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.actor == actor)
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    ).all()
