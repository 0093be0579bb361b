"""Writing and reading the audit log."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select

from amal.audit.models import AuditAction, AuditEntry
from amal.services import Context, use_case


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


@use_case
def record_read(
    ctx: Context,
    entity: str,
    participant_ids: Iterable[int],
    *,
    territory_code: str | None,
    entity_id: int | None = None,
    **details: object,
) -> AuditEntry:
    """Audit one read of personal data: ONE entry per request (a page, an API
    call, a download) naming the participants whose data it showed (``ids``,
    ``count``) and what was asked (``details``, e.g. the list's filters).
    A read naming one person also sets ``participant_id``, so it appears in
    that person's access history."""
    ids = sorted(set(participant_ids))
    return record(
        ctx,
        AuditAction.VIEW,
        entity,
        entity_id,
        participant_id=ids[0] if len(ids) == 1 else None,
        territory_code=territory_code,
        ids=ids,
        count=len(ids),
        **details,
    )


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
