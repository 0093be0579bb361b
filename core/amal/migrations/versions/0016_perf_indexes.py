"""indexes for regional scale: the participant list's sorts, name-prefix search,
a person's latest step by a day, a territory's meetings and referrals of a
period, a register's counts by presence

The name-search indexes are on ``lower(name)``, with PostgreSQL's
``text_pattern_ops`` (byte order: ``LIKE 'ros%'`` uses it whatever the locale);
SQLite searches them with a range (``amal.db.prefix_match``).

Revision ID: perf0001idx
Revises: h13_0001_jobs
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "perf0001idx"
down_revision: str | Sequence[str] | None = "h13_0001_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLAIN = [
    (
        "ix_participant_territory_name",
        "participant",
        ["territory_code", "last_name", "first_name", "id"],
    ),
    (
        "ix_participant_territory_status_name",
        "participant",
        ["territory_code", "status", "last_name"],
    ),
    ("ix_participant_territory_created", "participant", ["territory_code", "created_at"]),
    (
        "ix_participant_status_change_person_day",
        "participant_status_change",
        ["participant_id", "occurred_on"],
    ),
    ("ix_meeting_territory_day", "meeting", ["territory_code", "scheduled_on"]),
    ("ix_attendance_meeting_presence", "attendance", ["meeting_id", "presence"]),
    ("ix_referral_territory_proposed", "referral", ["territory_code", "proposed_on"]),
]
SEARCH = {
    "ix_participant_search_last_name": "last_name",
    "ix_participant_search_first_name": "first_name",
}


def upgrade() -> None:
    for name, table, columns in PLAIN:
        op.create_index(name, table, columns)
    postgresql = op.get_bind().dialect.name == "postgresql"
    ops = " text_pattern_ops" if postgresql else ""
    for name, column in SEARCH.items():
        op.create_index(name, "participant", ["territory_code", sa.text(f"lower({column}){ops}")])
    op.create_index(
        "ix_participant_search_fiscal_code",
        "participant",
        ["territory_code", "fiscal_code"],
        postgresql_ops={"fiscal_code": "text_pattern_ops"},
        postgresql_where=sa.text("fiscal_code IS NOT NULL"),
        sqlite_where=sa.text("fiscal_code IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_participant_search_fiscal_code", table_name="participant")
    for name in SEARCH:
        op.drop_index(name, table_name="participant")
    for name, table, _ in reversed(PLAIN):
        op.drop_index(name, table_name=table)
