"""participant record: field-change history, consent withdrawal reason and
replacement (re-consent), follow-ups kept per month

The consent days themselves (``granted_on``, ``withdrawn_on``) and their
carry-over from the recording timestamps are revision dates0004's.

Revision ID: rec0004a1b2
Revises: sec_0004_sessions
Create Date: 2026-12-02 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "rec0004a1b2"
down_revision: str | Sequence[str] | None = "net_0006_facilitation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "participant_field_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by", sa.String(length=80), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=False),
        sa.Column("new_value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_participant_field_change_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_participant_field_change")),
    )
    op.create_index(
        op.f("ix_participant_field_change_participant_id"),
        "participant_field_change",
        ["participant_id"],
        unique=False,
    )
    with op.batch_alter_table("consent") as batch:
        batch.add_column(sa.Column("withdrawal_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("superseded_on", sa.Date(), nullable=True))
    # Old withdrawals were recorded without a reason.
    consent = sa.table("consent", sa.column("withdrawal_reason", sa.Text()))
    op.execute(consent.update().values(withdrawal_reason=""))
    with op.batch_alter_table("consent") as batch:
        batch.alter_column("withdrawal_reason", existing_type=sa.Text(), nullable=False)
    # Follow-ups are kept, one per month of the schedule: old rows carry over
    # (an old follow-up has no month: it stays, shown as "month not recorded").
    with op.batch_alter_table("outcome") as batch:
        batch.drop_constraint("uq_outcome_participant_id_moment", type_="unique")
        batch.add_column(sa.Column("follow_up_month", sa.Integer(), nullable=True))


def downgrade() -> None:
    outcome = sa.table(
        "outcome",
        sa.column("id", sa.Integer()),
        sa.column("participant_id", sa.Integer()),
        sa.column("moment", sa.String()),
    )
    # Keep the latest row per person and moment so the old constraint holds.
    latest = (
        sa.select(sa.func.max(outcome.c.id))
        .group_by(outcome.c.participant_id, outcome.c.moment)
        .scalar_subquery()
    )
    op.execute(outcome.delete().where(outcome.c.id.not_in(latest)))
    with op.batch_alter_table("outcome") as batch:
        batch.drop_column("follow_up_month")
        batch.create_unique_constraint(
            "uq_outcome_participant_id_moment", ["participant_id", "moment"]
        )
    with op.batch_alter_table("consent") as batch:
        batch.drop_column("superseded_on")
        batch.drop_column("withdrawal_reason")
    op.drop_index(
        op.f("ix_participant_field_change_participant_id"), table_name="participant_field_change"
    )
    op.drop_table("participant_field_change")
