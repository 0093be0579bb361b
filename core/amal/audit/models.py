from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from amal.db import Base, enum_type, utcnow


class AuditAction(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    TRANSITION = "transition"
    VIEW = "view"
    EXPORT = "export"
    ERASE = "erase"
    TRANSFER = "transfer"
    BACKDATE = "backdate"


class AuditEntry(Base):
    """Who did what to which personal record. Rows are never updated or deleted
    (enforced below); ``participant_id`` is kept as a plain number so entries
    outlive erasure."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_actor_at", "actor", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[AuditAction] = mapped_column(enum_type(AuditAction))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    participant_id: Mapped[int | None] = mapped_column(index=True)
    territory_code: Mapped[str | None] = mapped_column(String(40), index=True)
    details: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)


class AppendOnlyError(RuntimeError):
    pass


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_changes(_mapper, _connection, target: AuditEntry) -> None:
    raise AppendOnlyError(f"audit entry {target.id} is append-only")
