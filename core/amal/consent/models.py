from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow


class ConsentPurpose(enum.StrEnum):
    PROCESSING = "processing"  # art. 6: the service itself
    PARTICULAR_CATEGORIES = "particular_categories"  # art. 9: wellbeing scores
    SHARING = "sharing"  # with partners and employment operators (referrals)


class PrivacyNotice(Base):
    """A version of a territory's privacy notice (informativa). Never edited once
    consents refer to it: publish a new version instead."""

    __tablename__ = "privacy_notice"
    __table_args__ = (UniqueConstraint("territory_code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    version: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)


class Consent(Base):
    __tablename__ = "consent"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    notice_id: Mapped[int] = mapped_column(ForeignKey("privacy_notice.id"))
    purpose: Mapped[ConsentPurpose] = mapped_column(enum_type(ConsentPurpose))
    # The day the person signed / withdrew, and when each was typed in.
    # What depends on the purpose stops from the withdrawal day on.
    granted_on: Mapped[date] = mapped_column(Date, default=date.today)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(80))
    withdrawn_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    # The day a consent on a newer notice replaced this one (re-consent).
    superseded_on: Mapped[date | None] = mapped_column(Date)

    notice: Mapped[PrivacyNotice] = relationship()

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None and self.superseded_on is None

    def covers(self, day: date) -> bool:
        """Whether this consent was in force on ``day`` (withdrawal and
        replacement end it from their day on)."""
        return all(end is None or day < end for end in (self.withdrawn_on, self.superseded_on))
