"""Employment outcomes at the end of the path and at follow-up."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Date, ForeignKey, String, Text
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
    INACTIVE = "inactive"
    OTHER = "other"


class ContractType(enum.StrEnum):
    PERMANENT = "permanent"  # tempo indeterminato
    FIXED_TERM = "fixed_term"  # tempo determinato
    APPRENTICESHIP = "apprenticeship"
    TEMPORARY_AGENCY = "temporary_agency"  # somministrazione
    OTHER = "other"


class OutcomeCategory(enum.StrEnum):
    """The categories Italian employment services count placements by
    (occupato a tempo indeterminato / determinato / in apprendistato, lavoratore
    autonomo, in formazione, in cerca attiva, inattivo)."""

    EMPLOYED_OPEN_ENDED = "employed_open_ended"
    EMPLOYED_FIXED_TERM = "employed_fixed_term"
    APPRENTICESHIP = "apprenticeship"
    SELF_EMPLOYED = "self_employed"
    TRAINING = "training"
    ACTIVE_SEARCH = "active_search"
    INACTIVE = "inactive"


# Each category as situation and contract type (the columns reports read).
CATEGORY_FIELDS: dict[OutcomeCategory, tuple[Situation, ContractType | None]] = {
    OutcomeCategory.EMPLOYED_OPEN_ENDED: (Situation.EMPLOYED, ContractType.PERMANENT),
    OutcomeCategory.EMPLOYED_FIXED_TERM: (Situation.EMPLOYED, ContractType.FIXED_TERM),
    OutcomeCategory.APPRENTICESHIP: (Situation.EMPLOYED, ContractType.APPRENTICESHIP),
    OutcomeCategory.SELF_EMPLOYED: (Situation.SELF_EMPLOYED, None),
    OutcomeCategory.TRAINING: (Situation.IN_TRAINING, None),
    OutcomeCategory.ACTIVE_SEARCH: (Situation.LOOKING, None),
    OutcomeCategory.INACTIVE: (Situation.INACTIVE, None),
}


def category_of(situation: Situation, contract: ContractType | None) -> OutcomeCategory:
    """The category of a situation: agency and other contracts are fixed-term
    work (somministrazione counts as tempo determinato); "other" is inactive."""
    if situation == Situation.EMPLOYED:
        if contract == ContractType.PERMANENT:
            return OutcomeCategory.EMPLOYED_OPEN_ENDED
        if contract == ContractType.APPRENTICESHIP:
            return OutcomeCategory.APPRENTICESHIP
        return OutcomeCategory.EMPLOYED_FIXED_TERM
    return {
        Situation.SELF_EMPLOYED: OutcomeCategory.SELF_EMPLOYED,
        Situation.IN_TRAINING: OutcomeCategory.TRAINING,
        Situation.LOOKING: OutcomeCategory.ACTIVE_SEARCH,
    }.get(situation, OutcomeCategory.INACTIVE)


class Outcome(Base):
    """One observation of a person's situation: at the end of the path (once),
    or at a follow-up month of the territory's schedule (each kept)."""

    __tablename__ = "outcome"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    moment: Mapped[OutcomeMoment] = mapped_column(enum_type(OutcomeMoment))
    # Months after the end outcome (3, 6, 12...) for a follow-up; None at the end.
    follow_up_month: Mapped[int | None]
    recorded_on: Mapped[date] = mapped_column(Date)
    situation: Mapped[Situation] = mapped_column(enum_type(Situation))
    contract_type: Mapped[ContractType | None] = mapped_column(enum_type(ContractType))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80))

    @property
    def category(self) -> OutcomeCategory:
        return category_of(self.situation, self.contract_type)
