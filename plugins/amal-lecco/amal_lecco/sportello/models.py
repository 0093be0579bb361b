"""The help desk's tables: on the shared ``amal.db.Base``, prefixed ``lecco_sportello_``,
created by the plugin's own migration branch (``amal_lecco/migrations``)."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow


class Channel(enum.StrEnum):
    WALK_IN = "walk_in"
    APPOINTMENT = "appointment"


class Outcome(enum.StrEnum):
    INFORMATION = "information"  # informazioni date
    CANDIDATE = "candidate"  # registrato come candidato (only through the core's intake)
    REFERRED = "referred"  # inviato ad altro servizio


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    HELD = "held"
    MISSED = "missed"
    CANCELLED = "cancelled"


CHANNEL_LABELS = {Channel.WALK_IN: "accesso libero", Channel.APPOINTMENT: "su appuntamento"}
OUTCOME_LABELS = {
    None: "da definire",
    Outcome.INFORMATION: "informazioni date",
    Outcome.CANDIDATE: "candidato registrato",
    Outcome.REFERRED: "inviato ad altro servizio",
}
APPOINTMENT_LABELS = {
    AppointmentStatus.BOOKED: "prenotato",
    AppointmentStatus.HELD: "svolto",
    AppointmentStatus.MISSED: "non presentato",
    AppointmentStatus.CANCELLED: "annullato",
}
WEEKDAYS = ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica")


class OpeningHours(Base):
    """One opening slot of the desk in the week (e.g. Tuesday 9:00-12:00)."""

    __tablename__ = "lecco_sportello_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    weekday: Mapped[int]  # 0 = Monday, as date.weekday()
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    place: Mapped[str] = mapped_column(String(200), default="")


class Appointment(Base):
    """A booked visit; when the person comes, it becomes a contact."""

    __tablename__ = "lecco_sportello_appointment"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    scheduled_on: Mapped[date] = mapped_column(Date, index=True)
    at: Mapped[time] = mapped_column(Time)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[AppointmentStatus] = mapped_column(
        enum_type(AppointmentStatus), default=AppointmentStatus.BOOKED
    )
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Contact(Base):
    """A person who came to the desk: name, reason, outcome. The outcome
    ``candidate`` is set only when the core's intake registered them
    (``participant_id``)."""

    __tablename__ = "lecco_sportello_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    contacted_on: Mapped[date] = mapped_column(Date, index=True)
    channel: Mapped[Channel] = mapped_column(enum_type(Channel))
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("lecco_sportello_appointment.id"))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[Outcome | None] = mapped_column(enum_type(Outcome))
    referred_to: Mapped[str] = mapped_column(String(200), default="")
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participant.id"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    appointment: Mapped[Appointment | None] = relationship()
