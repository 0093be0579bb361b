from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow
from amal.participants.models import Participant


class Phase(enum.StrEnum):
    ENTRY = "entry"
    MIDWAY = "midway"
    END = "end"


class Administration(Base):
    """One completed questionnaire. Answers are particular-category data: they
    are recorded only with the matching consent and wiped on erasure."""

    __tablename__ = "wellbeing_administration"
    __table_args__ = (UniqueConstraint("participant_id", "instrument", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("self_help_group.id", ondelete="SET NULL"), index=True
    )
    instrument: Mapped[str] = mapped_column(String(20))
    phase: Mapped[Phase] = mapped_column(enum_type(Phase))
    administered_on: Mapped[date] = mapped_column(Date)
    answers: Mapped[dict[str, int] | None] = mapped_column(JSON)
    raw_score: Mapped[int]
    score: Mapped[int]
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    participant: Mapped[Participant] = relationship()


class AdministrationCorrection(Base):
    """What a questionnaire said before a correction replaced it: the previous
    date, answers and score, why it was corrected, by whom and when. The old
    answers are particular-category data too: wiped on erasure."""

    __tablename__ = "wellbeing_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    administration_id: Mapped[int] = mapped_column(
        ForeignKey("wellbeing_administration.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    old_administered_on: Mapped[date] = mapped_column(Date)
    old_answers: Mapped[dict[str, int] | None] = mapped_column(JSON)
    old_score: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    corrected_by: Mapped[str] = mapped_column(String(80))
    corrected_at: Mapped[datetime] = mapped_column(default=utcnow)
