from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amal.db import Base, enum_type


class OutcomeMoment(enum.StrEnum):
    END = "end"
    FOLLOW_UP = "follow_up"


class Situation(enum.StrEnum):
    EMPLOYED = "employed"
    SELF_EMPLOYED = "self_employed"
    IN_TRAINING = "in_training"
    LOOKING = "looking"
    OTHER = "other"


class ContractType(enum.StrEnum):
    PERMANENT = "permanent"  # tempo indeterminato
    FIXED_TERM = "fixed_term"  # tempo determinato
    APPRENTICESHIP = "apprenticeship"
    TEMPORARY_AGENCY = "temporary_agency"  # somministrazione
    OTHER = "other"


class Outcome(Base):
    __tablename__ = "outcome"
    __table_args__ = (UniqueConstraint("participant_id", "moment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    moment: Mapped[OutcomeMoment] = mapped_column(enum_type(OutcomeMoment))
    recorded_on: Mapped[date] = mapped_column(Date)
    situation: Mapped[Situation] = mapped_column(enum_type(Situation))
    contract_type: Mapped[ContractType | None] = mapped_column(enum_type(ContractType))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
