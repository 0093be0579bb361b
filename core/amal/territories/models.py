from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, enum_type, utcnow
from amal.plugins.definitions import PartnerRole


class Territory(Base):
    """A hosted territory. Its definition comes from a plugin; this row anchors
    every personal record to it (foreign keys) and keeps its set-up date."""

    __tablename__ = "territory"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Partner(Base):
    """An organisation with a role in a territory's project: seeded from the
    plugin's data on set-up, then kept up to date by the coordinator in the
    database. ``plugin_key`` is the name the plugin's data file gave it (``None``
    for partners a coordinator added), so a later sync recognises it after a
    rename and never adds it twice."""

    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("territory_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[PartnerRole] = mapped_column(enum_type(PartnerRole))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(300), default="")
    services_offered: Mapped[str] = mapped_column(Text, default="")
    plugin_key: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime | None]
    updated_by: Mapped[str] = mapped_column(String(80), default="")

    representatives: Mapped[list[PartnerRepresentative]] = relationship(
        back_populates="partner",
        order_by="PartnerRepresentative.id",
        cascade="all, delete-orphan",
    )


class PartnerRepresentative(Base):
    """A person who speaks for a partner (referente): a work contact."""

    __tablename__ = "partner_representative"

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")

    partner: Mapped[Partner] = relationship(back_populates="representatives")
