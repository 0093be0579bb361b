from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amal.db import Base, utcnow
from amal.territories.models import Partner

project_funder = Table(
    "project_funder",
    Base.metadata,
    Column("project_id", Integer, ForeignKey("project.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", Integer, ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
)


class Project(Base):
    """A funded project of a territory. Seeded from the territory plugin
    (``amal_projects``), then edited by the coordinator. The "project" report
    period runs from ``start_on`` to ``end_on``."""

    __tablename__ = "project"
    __table_args__ = (UniqueConstraint("territory_code", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    target_groups: Mapped[int] = mapped_column(default=0)
    min_people_per_group: Mapped[int] = mapped_column(default=10)
    max_people_per_group: Mapped[int] = mapped_column(default=15)
    meetings_per_group: Mapped[int] = mapped_column(default=16)
    cycle_months: Mapped[int] = mapped_column(default=0)
    people_reached: Mapped[int] = mapped_column(default=0)
    # Plugin-defined targets: [{"code", "label", "value", "meeting_kind"}]
    extra_targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    funders: Mapped[list[Partner]] = relationship(secondary=project_funder, order_by=Partner.id)
