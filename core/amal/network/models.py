"""The network coordination group (gruppo di coordinamento di rete): the
partners' standing table of a project, its meetings with an organisations'
register, agenda and minutes, and the decisions it follows up.

A network meeting is a :class:`amal.meetings.models.Meeting` of kind
``network`` (so calendars, the "meetings" indicator and the projects' targets
count it like any other meeting) plus a :class:`NetworkMeeting` row with what
only a coordination meeting has. It counts as held once its organisations'
register is recorded, as a group meeting does with its attendance register.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow

if TYPE_CHECKING:
    from amal.meetings.models import Meeting
    from amal.projects.models import Project
    from amal.territories.models import Partner, PartnerRepresentative


class DecisionStatus(enum.StrEnum):
    OPEN = "open"  # also after being carried over to a later meeting
    DONE = "done"
    DROPPED = "dropped"


class FollowUpOutcome(enum.StrEnum):
    DONE = "done"
    CARRIED_OVER = "carried_over"
    DROPPED = "dropped"


class NetworkBody(Base):
    """The standing coordination table of one project."""

    __tablename__ = "network_body"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80), default="")

    project: Mapped[Project] = relationship()
    members: Mapped[list[NetworkMember]] = relationship(
        back_populates="body", order_by="NetworkMember.joined_on, NetworkMember.id"
    )


class NetworkMember(Base):
    """An organisation at the table, represented by one of its people, from one
    day to another. A change of representative ends the row and opens a new
    one, so the history reads who spoke for whom when."""

    __tablename__ = "network_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("network_body.id"), index=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    # The directory's person, if still there; the name is kept as it was.
    representative_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_representative.id", ondelete="SET NULL")
    )
    representative_name: Mapped[str] = mapped_column(String(200), default="")
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    body: Mapped[NetworkBody] = relationship(back_populates="members")
    partner: Mapped[Partner] = relationship()


class NetworkMeeting(Base):
    """What a coordination meeting has beyond its :class:`Meeting` row."""

    __tablename__ = "network_meeting"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("network_body.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meeting.id", ondelete="CASCADE"), unique=True
    )
    agenda: Mapped[str] = mapped_column(Text, default="")
    minutes: Mapped[str] = mapped_column(Text, default="")
    # The uploaded minutes: stored under <instance>/files/network/ by a generated name.
    minutes_file: Mapped[str] = mapped_column(String(100), default="")
    minutes_file_name: Mapped[str] = mapped_column(String(200), default="")
    minutes_file_type: Mapped[str] = mapped_column(String(100), default="")
    minutes_file_size: Mapped[int] = mapped_column(default=0)
    minutes_uploaded_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(80), default="")
    register_recorded_at: Mapped[datetime | None]
    register_recorded_by: Mapped[str] = mapped_column(String(80), default="")

    meeting: Mapped[Meeting] = relationship()
    body: Mapped[NetworkBody] = relationship()
    presences: Mapped[list[NetworkPresence]] = relationship(
        back_populates="network_meeting",
        cascade="all, delete-orphan",
        order_by="NetworkPresence.id",
    )
    decisions: Mapped[list[NetworkDecision]] = relationship(
        back_populates="network_meeting",
        order_by="NetworkDecision.id",
        foreign_keys="NetworkDecision.network_meeting_id",
    )


class NetworkPresence(Base):
    """One line of the organisations' register: which organisation came,
    represented by whom."""

    __tablename__ = "network_presence"
    __table_args__ = (UniqueConstraint("network_meeting_id", "partner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_meeting_id: Mapped[int] = mapped_column(
        ForeignKey("network_meeting.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    representative_id: Mapped[int | None] = mapped_column(
        ForeignKey("partner_representative.id", ondelete="SET NULL")
    )
    represented_by: Mapped[str] = mapped_column(String(200), default="")

    network_meeting: Mapped[NetworkMeeting] = relationship(back_populates="presences")
    partner: Mapped[Partner] = relationship()
    representative: Mapped[PartnerRepresentative | None] = relationship()


class NetworkDecision(Base):
    """A decision taken at a meeting, with an owner (an organisation, a person,
    or both) and a due date; open until a later meeting marks it done or dropped."""

    __tablename__ = "network_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("network_body.id"), index=True)
    network_meeting_id: Mapped[int] = mapped_column(
        ForeignKey("network_meeting.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    owner_partner_id: Mapped[int | None] = mapped_column(ForeignKey("partner.id"))
    owner_person: Mapped[str] = mapped_column(String(200), default="")
    due_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[DecisionStatus] = mapped_column(
        enum_type(DecisionStatus), default=DecisionStatus.OPEN, index=True
    )
    closed_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(80), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    network_meeting: Mapped[NetworkMeeting] = relationship(
        back_populates="decisions", foreign_keys=[network_meeting_id]
    )
    owner_partner: Mapped[Partner | None] = relationship()
    follow_ups: Mapped[list[NetworkFollowUp]] = relationship(
        back_populates="decision", order_by="NetworkFollowUp.occurred_on, NetworkFollowUp.id"
    )


class NetworkFollowUp(Base):
    """A decision looked at again at a later meeting: done, carried over or
    dropped, on a day, with a note."""

    __tablename__ = "network_follow_up"

    id: Mapped[int] = mapped_column(primary_key=True)
    decision_id: Mapped[int] = mapped_column(
        ForeignKey("network_decision.id", ondelete="CASCADE"), index=True
    )
    network_meeting_id: Mapped[int] = mapped_column(
        ForeignKey("network_meeting.id", ondelete="CASCADE"), index=True
    )
    outcome: Mapped[FollowUpOutcome] = mapped_column(enum_type(FollowUpOutcome))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80), default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    decision: Mapped[NetworkDecision] = relationship(back_populates="follow_ups")
