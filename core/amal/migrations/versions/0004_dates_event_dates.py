"""event dates beside recording timestamps; transfers proposed and accepted

Every event gets the day it happened (``*_on``). Old rows get the Italian
calendar day of their recording timestamp; old transfers were immediate, so
they become accepted transfers dated the day they were recorded.

Revision ID: dates0004
Revises: ab689753482f
Create Date: 2026-12-02 17:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "dates0004"
down_revision: str | Sequence[str] | None = "ab689753482f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ITALY = ZoneInfo("Europe/Rome")

# table -> [(new date column, the timestamp it is carried over from, required)]
CARRIED_OVER = {
    "participant_status_change": [("occurred_on", "changed_at", True)],
    "group_status_change": [("occurred_on", "changed_at", True)],
    "enrolment": [("enrolled_on", "enrolled_at", True), ("ended_on", "ended_at", False)],
    "consent": [("granted_on", "granted_at", True), ("withdrawn_on", "withdrawn_at", False)],
    "participant_transfer": [("transferred_on", "transferred_at", True)],
}


def _italian_day(value: datetime | str | None):
    """The calendar day in Italy of a stored UTC timestamp (SQLite hands back text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(ITALY).date()


def _carry_over(table: str, pairs: list[tuple[str, str, bool]]) -> None:
    connection = op.get_bind()
    columns = [sa.column("id", sa.Integer)]
    for new, old, _ in pairs:
        columns += [sa.column(new, sa.Date), sa.column(old, sa.DateTime(timezone=True))]
    rows = sa.table(table, *columns)
    values = connection.execute(sa.select(rows.c.id, *(rows.c[old] for _, old, _ in pairs))).all()
    for row in values:
        connection.execute(
            rows.update()
            .where(rows.c.id == row[0])
            .values({new: _italian_day(row[i + 1]) for i, (new, _, _) in enumerate(pairs)})
        )


def upgrade() -> None:
    for table, pairs in CARRIED_OVER.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for new, _, _ in pairs:
                batch_op.add_column(sa.Column(new, sa.Date(), nullable=True))
    with op.batch_alter_table("participant_transfer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("decision_note", sa.Text(), nullable=True))
    with op.batch_alter_table("self_help_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("concluded_on", sa.Date(), nullable=True))

    for table, pairs in CARRIED_OVER.items():
        _carry_over(table, pairs)
    # Transfers made before this revision took effect at once.
    op.execute(
        "UPDATE participant_transfer SET status = 'accepted', decided_at = transferred_at, "
        "decided_by = transferred_by, decision_note = ''"
    )
    # A group started / concluded on the day of its last move to that status.
    for column, status in (("started_on", "active"), ("concluded_on", "concluded")):
        op.execute(
            f"UPDATE self_help_group SET {column} = (SELECT MAX(c.occurred_on) "
            "FROM group_status_change c WHERE c.group_id = self_help_group.id "
            f"AND c.to_status = '{status}')"
        )

    for table, pairs in CARRIED_OVER.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for new, _, required in pairs:
                if required:
                    batch_op.alter_column(new, existing_type=sa.Date(), nullable=False)
    with op.batch_alter_table("participant_transfer", schema=None) as batch_op:
        batch_op.alter_column("status", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("decided_by", existing_type=sa.String(length=80), nullable=False)
        batch_op.alter_column("decision_note", existing_type=sa.Text(), nullable=False)
        batch_op.create_index(
            batch_op.f("ix_participant_transfer_status"), ["status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_participant_transfer_from_territory"), ["from_territory"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_participant_transfer_to_territory"), ["to_territory"], unique=False
        )
    for table in ("participant_status_change", "group_status_change"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f(f"ix_{table}_occurred_on"), ["occurred_on"], unique=False
            )


def downgrade() -> None:
    for table in ("participant_status_change", "group_status_change"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_occurred_on"))
    with op.batch_alter_table("participant_transfer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_transfer_to_territory"))
        batch_op.drop_index(batch_op.f("ix_participant_transfer_from_territory"))
        batch_op.drop_index(batch_op.f("ix_participant_transfer_status"))
    # Proposals never accepted did not move anyone: the old table only knew moves.
    op.execute("DELETE FROM participant_transfer WHERE status <> 'accepted'")
    with op.batch_alter_table("participant_transfer", schema=None) as batch_op:
        for column in ("decision_note", "decided_by", "decided_at", "status"):
            batch_op.drop_column(column)
    with op.batch_alter_table("self_help_group", schema=None) as batch_op:
        batch_op.drop_column("concluded_on")
        batch_op.drop_column("started_on")
    for table, pairs in CARRIED_OVER.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for new, _, _ in pairs:
                batch_op.drop_column(new)
