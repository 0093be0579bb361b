from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, func, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow


class ParticipantStatus(enum.StrEnum):
    CANDIDATE = "candidate"
    SCREENED = "screened"
    ADMITTED = "admitted"
    WAITLISTED = "waitlisted"
    NOT_ELIGIBLE = "not_eligible"
    ENROLLED = "enrolled"
    ACTIVE = "active"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    DROPPED_OUT = "dropped_out"


class EmploymentStatus(enum.StrEnum):
    DISMISSED = "dismissed"  # licenziato
    BEING_DISMISSED = "being_dismissed"  # in via di espulsione
    MOBILITY_LIST = "mobility_list"
    REDUNDANCY_FUND = "redundancy_fund"  # cassa integrazione
    NASPI = "naspi"
    OTHER = "other"


class Participant(Base):
    """A worker who lost, or is losing, a job. Personal data lives here and in
    the related rows; erasure pseudonymises this row and keeps the counts."""

    __tablename__ = "participant"
    __table_args__ = (
        Index("ix_participant_name_birth", "last_name", "first_name", "birth_date"),
        # One record per fiscal code and territory, enforced by the database so
        # that simultaneous intakes cannot both pass the duplicate check.
        Index(
            "uq_participant_territory_fiscal_code",
            "territory_code",
            "fiscal_code",
            unique=True,
            sqlite_where=text("fiscal_code IS NOT NULL"),
            postgresql_where=text("fiscal_code IS NOT NULL"),
        ),
        # The list's sorts, a page of 50 read off the index (name, status, newest).
        Index("ix_participant_territory_name", "territory_code", "last_name", "first_name", "id"),
        Index("ix_participant_territory_status_name", "territory_code", "status", "last_name"),
        Index("ix_participant_territory_created", "territory_code", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    status: Mapped[ParticipantStatus] = mapped_column(
        enum_type(ParticipantStatus), default=ParticipantStatus.CANDIDATE, index=True
    )
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    fiscal_code: Mapped[str | None] = mapped_column(String(16), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(20), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    municipality: Mapped[str] = mapped_column(String(100), default="")
    last_employer: Mapped[str] = mapped_column(String(200), default="")
    sector: Mapped[str] = mapped_column(String(100), default="")
    months_out_of_work: Mapped[int | None]
    employment_status: Mapped[EmploymentStatus] = mapped_column(
        enum_type(EmploymentStatus), default=EmploymentStatus.OTHER
    )
    heard_from: Mapped[str] = mapped_column(String(200), default="")
    needs: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    erased_at: Mapped[datetime | None]
    # Optimistic concurrency: the API's ETag, and stale ORM writes fail.
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    history: Mapped[list[StatusChange]] = relationship(
        back_populates="participant",
        order_by="StatusChange.id",
        cascade="all, delete-orphan",
    )

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def __repr__(self) -> str:
        return f"<Participant {self.id} {self.status.value}>"


# Search by name prefix: a range on these (amal.participants.services.matching).
for _column in (Participant.last_name, Participant.first_name):
    Index(
        f"ix_participant_search_{_column.key}",
        Participant.territory_code,
        func.lower(_column).label(f"{_column.key}_key"),
        postgresql_ops={f"{_column.key}_key": "text_pattern_ops"},
    )
# A fiscal code's first characters (LIKE 'RSSM%' on PostgreSQL whatever the locale;
# SQLite's range uses the unique index already).
Index(
    "ix_participant_search_fiscal_code",
    Participant.territory_code,
    Participant.fiscal_code,
    postgresql_ops={"fiscal_code": "text_pattern_ops"},
    postgresql_where=text("fiscal_code IS NOT NULL"),
    sqlite_where=text("fiscal_code IS NOT NULL"),
)


class StatusChange(Base):
    """One step of a participant's lifecycle: from, to, when, who, why."""

    __tablename__ = "participant_status_change"
    # A person's latest step by a day (status at a period's end).
    __table_args__ = (
        Index("ix_participant_status_change_person_day", "participant_id", "occurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[ParticipantStatus | None] = mapped_column(enum_type(ParticipantStatus))
    to_status: Mapped[ParticipantStatus] = mapped_column(enum_type(ParticipantStatus))
    # The day it happened (figures count by it) and the moment it was typed in.
    occurred_on: Mapped[date] = mapped_column(Date, default=date.today, index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text, default="")

    participant: Mapped[Participant] = relationship(back_populates="history")


class FieldChange(Base):
    """One field of the record corrected: old and new value, who and when.
    The values are personal data: erasure blanks them (the row stays)."""

    __tablename__ = "participant_field_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(80))
    field: Mapped[str] = mapped_column(String(40))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")


class TransferStatus(enum.StrEnum):
    PROPOSED = "proposed"  # by the origin territory's coordinator
    ACCEPTED = "accepted"  # by the destination's: the person has moved
    REFUSED = "refused"  # by the destination's
    CANCELLED = "cancelled"  # withdrawn by the origin before a decision


class TerritoryTransfer(Base):
    """A participant moving between territories: proposed by the origin, accepted
    or refused by the destination, audited. An accepted transfer's
    ``transferred_on`` splits the person's history: events before it count in
    the origin's figures, events from it on in the destination's."""

    __tablename__ = "participant_transfer"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    from_territory: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    to_territory: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    status: Mapped[TransferStatus] = mapped_column(
        enum_type(TransferStatus), default=TransferStatus.PROPOSED, index=True
    )
    # The day the person moves (proposed by the origin, confirmed on acceptance).
    transferred_on: Mapped[date] = mapped_column(Date)
    # When and by whom the proposal was typed in.
    transferred_at: Mapped[datetime] = mapped_column(default=utcnow)
    transferred_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str] = mapped_column(String(80), default="")
    decision_note: Mapped[str] = mapped_column(Text, default="")

    participant: Mapped[Participant] = relationship()


class DiaryEntry(Base):
    """A dated note in a person's case diary (a call, an interview, a step taken),
    written by the staff who follow them. Correctable: each change keeps the
    previous text and date in :class:`DiaryRevision`. Personal data: exported
    and erased with the person."""

    __tablename__ = "diary_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    written_on: Mapped[date] = mapped_column(Date)  # the day of what it records
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(80), default="")

    revisions: Mapped[list[DiaryRevision]] = relationship(
        order_by="DiaryRevision.id", cascade="all, delete-orphan", passive_deletes=True
    )


class DiaryRevision(Base):
    """What a diary entry said before a correction, who corrected it and when."""

    __tablename__ = "diary_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("diary_entry.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    revised_at: Mapped[datetime] = mapped_column(default=utcnow)
    revised_by: Mapped[str] = mapped_column(String(80))
    old_written_on: Mapped[date] = mapped_column(Date)
    old_text: Mapped[str] = mapped_column(Text)
