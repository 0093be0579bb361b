from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow
from amal.participants.models import Participant


class ReferralStatus(enum.StrEnum):
    PROPOSED = "proposed"
    SENT = "sent"
    ACCEPTED = "accepted"
    STARTED = "started"
    COMPLETED = "completed"
    DECLINED = "declined"


class Referral(Base):
    """A link from a participant to a service of the catalogue. The service's
    title and address are copied in, so the record stays readable if the
    catalogue changes."""

    __tablename__ = "referral"
    # A territory's referrals proposed in a period (reports).
    __table_args__ = (Index("ix_referral_territory_proposed", "territory_code", "proposed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    service_code: Mapped[str] = mapped_column(String(80))
    service_title: Mapped[str] = mapped_column(String(200))
    service_url: Mapped[str] = mapped_column(String(500))
    operator: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[ReferralStatus] = mapped_column(
        enum_type(ReferralStatus), default=ReferralStatus.PROPOSED, index=True
    )
    proposed_on: Mapped[date] = mapped_column(Date)
    sent_on: Mapped[date | None] = mapped_column(Date)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    started_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    declined_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    participant: Mapped[Participant] = relationship()
