"""forgiving forms: corrections of questionnaires kept with their reason; groups'
waiting lists

Revision ID: h15f0001aa
Revises: perf0001idx
Create Date: 2026-12-03 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h15f0001aa"
down_revision: str | Sequence[str] | None = "perf0001idx"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wellbeing_correction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("administration_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("old_administered_on", sa.Date(), nullable=False),
        sa.Column("old_answers", sa.JSON(), nullable=True),
        sa.Column("old_score", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("corrected_by", sa.String(length=80), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["administration_id"],
            ["wellbeing_administration.id"],
            name=op.f("fk_wellbeing_correction_administration_id_wellbeing_administration"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_wellbeing_correction_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_correction")),
    )
    for column in ("administration_id", "participant_id"):
        op.create_index(op.f(f"ix_wellbeing_correction_{column}"), "wellbeing_correction", [column])

    op.create_table(
        "group_waitlist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("added_by", sa.String(length=80), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["self_help_group.id"],
            name=op.f("fk_group_waitlist_group_id_self_help_group"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_group_waitlist_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_waitlist")),
    )
    for column in ("group_id", "participant_id"):
        op.create_index(op.f(f"ix_group_waitlist_{column}"), "group_waitlist", [column])


def downgrade() -> None:
    op.drop_table("group_waitlist")
    op.drop_table("wellbeing_correction")
