from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

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
    """An organisation with a role in a territory's project (seeded from the plugin,
    then edited by the coordinator)."""

    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("territory_code", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[PartnerRole] = mapped_column(enum_type(PartnerRole))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
