from __future__ import annotations

import enum
from datetime import date, datetime, time
from decimal import Decimal

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow
from amal.groups.models import Group, GroupNeed
from amal.participants.models import Participant


class MeetingKind(enum.StrEnum):
    INFO = "info"  # open information meeting for all candidates
    GROUP = "group"  # gruppo di parola
    TRAINING = "training"  # on a topic from the group's needs
    NETWORK = "network"  # coordination group of stakeholders


class MeetingStatus(enum.StrEnum):
    PLANNED = "planned"
    HELD = "held"  # only once its attendance register is recorded
    CANCELLED = "cancelled"


class Presence(enum.StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    JUSTIFIED = "justified"


meeting_need = Table(
    "meeting_need",
    Base.metadata,
    Column("meeting_id", Integer, ForeignKey("meeting.id", ondelete="CASCADE"), primary_key=True),
    Column("need_id", Integer, ForeignKey("group_need.id", ondelete="CASCADE"), primary_key=True),
)


class Meeting(Base):
    __tablename__ = "meeting"
    # A territory's meetings of a period (reports, calendar).
    __table_args__ = (Index("ix_meeting_territory_day", "territory_code", "scheduled_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("self_help_group.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MeetingKind] = mapped_column(enum_type(MeetingKind))
    sequence: Mapped[int | None]  # 1..N within the group's plan
    scheduled_on: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[time] = mapped_column(Time, default=time(17, 0))
    duration_minutes: Mapped[int] = mapped_column(default=120)
    location: Mapped[str] = mapped_column(String(200), default="")
    topic: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[MeetingStatus] = mapped_column(
        enum_type(MeetingStatus), default=MeetingStatus.PLANNED, index=True
    )
    plan_note: Mapped[str] = mapped_column(Text, default="")  # why the date moved
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    facilitator_notes: Mapped[str] = mapped_column(Text, default="")  # facilitators only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    group: Mapped[Group | None] = relationship()
    needs: Mapped[list[GroupNeed]] = relationship(secondary=meeting_need)
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )


class Attendance(Base):
    """One line of a meeting's attendance register."""

    __tablename__ = "attendance"
    # By meeting (the unique pair) and by person (participant_id's own index);
    # the presence beside the meeting answers a register's counts from the index.
    __table_args__ = (
        UniqueConstraint("meeting_id", "participant_id"),
        Index("ix_attendance_meeting_presence", "meeting_id", "presence"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meeting.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    presence: Mapped[Presence] = mapped_column(enum_type(Presence))
    hours: Mapped[Decimal] = mapped_column(Numeric(4, 2), default=Decimal(0))
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship(back_populates="attendance")
    participant: Mapped[Participant] = relationship()


class InfoInvitation(Base):
    """A candidate invited to a territory's open information meeting."""

    __tablename__ = "info_invitation"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    invited_on: Mapped[date] = mapped_column(Date)
    invited_by: Mapped[str] = mapped_column(String(80))

    participant: Mapped[Participant] = relationship()


class InfoWalkIn(Base):
    """Someone from the public who came to an open information meeting, recorded
    by name only (no other personal data) until they register as a candidate:
    ``participant_id`` then links the two, and the name is the person's data
    (exported and erased with them)."""

    __tablename__ = "info_walk_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participant.id", ondelete="SET NULL"), index=True
    )
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    meeting: Mapped[Meeting] = relationship()
