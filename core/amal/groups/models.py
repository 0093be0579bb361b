from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, Date, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.accounts.models import User
from amal.db import Base, enum_type, utcnow
from amal.participants.models import Participant
from amal.projects.models import Project


class GroupStatus(enum.StrEnum):
    PLANNED = "planned"
    FORMING = "forming"
    ACTIVE = "active"
    CONCLUDED = "concluded"
    CANCELLED = "cancelled"


class FacilitatorRole(enum.StrEnum):
    FACILITATOR = "facilitator"
    CO_FACILITATOR = "co_facilitator"
    MENTOR = "mentor"  # often from a partner (e.g. the Aeris cooperative)


class GroupComposition(enum.StrEnum):
    HOMOGENEOUS = "homogeneous"  # same company of origin
    HETEROGENEOUS = "heterogeneous"


class MemberExit(enum.StrEnum):
    """How a member leaves a group before it concludes."""

    DROPPED_OUT = "dropped_out"
    MOVED = "moved"  # to another group of the territory, the same day


group_facilitator = Table(
    "group_facilitator",
    Base.metadata,
    Column(
        "group_id", Integer, ForeignKey("self_help_group.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("user_id", Integer, ForeignKey("user_account.id"), primary_key=True),
)


class Group(Base):
    """A self-help group. Size bounds and meeting plan are copied from the
    territory's policy when the group is created."""

    __tablename__ = "self_help_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[GroupStatus] = mapped_column(
        enum_type(GroupStatus), default=GroupStatus.PLANNED, index=True
    )
    composition: Mapped[GroupComposition] = mapped_column(
        enum_type(GroupComposition), default=GroupComposition.HETEROGENEOUS
    )
    company_of_origin: Mapped[str] = mapped_column(String(200), default="")
    min_size: Mapped[int]
    max_size: Mapped[int]
    planned_meetings: Mapped[int]
    cadence_days: Mapped[int]
    meeting_minutes: Mapped[int]
    start_date: Mapped[date | None] = mapped_column(Date)  # the first meeting, as planned
    # The days the group actually started and concluded (set by those transitions).
    started_on: Mapped[date | None] = mapped_column(Date)
    concluded_on: Mapped[date | None] = mapped_column(Date)
    location: Mapped[str] = mapped_column(String(200), default="")
    # Nullable: groups created before projects existed may have none.
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    project: Mapped[Project | None] = relationship()
    facilitators: Mapped[list[User]] = relationship(secondary=group_facilitator)
    enrolments: Mapped[list[Enrolment]] = relationship(
        back_populates="group", cascade="all, delete-orphan"
    )
    history: Mapped[list[GroupStatusChange]] = relationship(
        order_by="GroupStatusChange.id", cascade="all, delete-orphan"
    )
    facilitations: Mapped[list[Facilitation]] = relationship(
        order_by="Facilitation.from_on, Facilitation.id", cascade="all, delete-orphan"
    )
    needs: Mapped[list[GroupNeed]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupNeed.id"
    )

    @property
    def current_members(self) -> list[Participant]:
        return [e.participant for e in self.enrolments if e.ended_at is None]


class Facilitation(Base):
    """Who facilitated a group, in which role, from when to when. A staff user
    (who then sees the group while the assignment is open: ``group_facilitator``
    holds the open ones) or a person from a partner, by name."""

    __tablename__ = "group_facilitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("self_help_group.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    name: Mapped[str] = mapped_column(String(200), default="")  # when not a staff user
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    role: Mapped[FacilitatorRole] = mapped_column(enum_type(FacilitatorRole))
    from_on: Mapped[date] = mapped_column(Date)
    to_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80))

    user: Mapped[User | None] = relationship()

    @property
    def person(self) -> str:
        return self.user.display_name if self.user else self.name


class GroupStatusChange(Base):
    __tablename__ = "group_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("self_help_group.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[GroupStatus | None] = mapped_column(enum_type(GroupStatus))
    to_status: Mapped[GroupStatus] = mapped_column(enum_type(GroupStatus))
    occurred_on: Mapped[date] = mapped_column(Date, default=date.today, index=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text, default="")


class Enrolment(Base):
    """A participant's membership of a group, from ``enrolled_on`` to ``ended_on``
    (the days it happened); ``enrolled_at``/``ended_at`` are when they were typed in,
    and ``ended_at`` set means the membership is over."""

    __tablename__ = "enrolment"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("self_help_group.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    enrolled_on: Mapped[date] = mapped_column(Date, default=date.today)
    ended_on: Mapped[date | None] = mapped_column(Date)
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str] = mapped_column(Text, default="")

    group: Mapped[Group] = relationship(back_populates="enrolments")
    participant: Mapped[Participant] = relationship()


class GroupNeed(Base):
    """A need the group expressed (e.g. "CV e colloquio"); training meetings answer it."""

    __tablename__ = "group_need"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("self_help_group.id", ondelete="CASCADE"), index=True
    )
    topic: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    expressed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(80), default="")

    group: Mapped[Group] = relationship(back_populates="needs")


class WaitlistEntry(Base):
    """A person waiting for a place in a full group, from ``added_on`` (the
    order of the list) until ``ended_on``: enrolled when a place is offered,
    or taken off with ``end_reason``."""

    __tablename__ = "group_waitlist"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("self_help_group.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    added_on: Mapped[date] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")

    group: Mapped[Group] = relationship()
    participant: Mapped[Participant] = relationship()
