"""open information meetings: invited candidates and walk-ins by name

Revision ID: h11_0001_info
Revises: rec0004a1b2
Create Date: 2026-12-03 08:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h11_0001_info"
down_revision: str | Sequence[str] | None = "rec0004a1b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "info_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("invited_on", sa.Date(), nullable=False),
        sa.Column("invited_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_info_invitation_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_info_invitation_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_invitation")),
        sa.UniqueConstraint(
            "meeting_id",
            "participant_id",
            name=op.f("uq_info_invitation_meeting_id_participant_id"),
        ),
    )
    with op.batch_alter_table("info_invitation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_invitation_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_info_invitation_participant_id"), ["participant_id"], unique=False
        )
    op.create_table(
        "info_walk_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_info_walk_in_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_info_walk_in_participant_id_participant"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_info_walk_in")),
    )
    with op.batch_alter_table("info_walk_in", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_info_walk_in_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_info_walk_in_participant_id"), ["participant_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("info_walk_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_walk_in_participant_id"))
        batch_op.drop_index(batch_op.f("ix_info_walk_in_meeting_id"))
    op.drop_table("info_walk_in")
    with op.batch_alter_table("info_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_invitation_participant_id"))
        batch_op.drop_index(batch_op.f("ix_info_invitation_meeting_id"))
    op.drop_table("info_invitation")
