"""network coordination group: the standing body of a project, its member
organisations over time, meetings (a ``meeting`` row of kind ``network`` plus
agenda, minutes and an uploaded file), the organisations' register, decisions
and their follow-ups

Revision ID: h11net0001a
Revises: h11_0001_info
Create Date: 2026-12-03 07:27:38
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h11net0001a"
down_revision: str | Sequence[str] | None = "h11_0001_info"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "network_body",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_code", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["project.id"], name=op.f("fk_network_body_project_id_project")
        ),
        sa.ForeignKeyConstraint(
            ["territory_code"],
            ["territory.code"],
            name=op.f("fk_network_body_territory_code_territory"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_body")),
        sa.UniqueConstraint("project_id", name=op.f("uq_network_body_project_id")),
    )
    with op.batch_alter_table("network_body", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_body_territory_code"), ["territory_code"], unique=False
        )

    op.create_table(
        "network_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=True),
        sa.Column("representative_name", sa.String(length=200), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["network_body.id"], name=op.f("fk_network_member_body_id_network_body")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_network_member_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["partner_representative.id"],
            name=op.f("fk_network_member_representative_id_partner_representative"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_member")),
    )
    with op.batch_alter_table("network_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_member_body_id"), ["body_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_member_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "network_meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("minutes", sa.Text(), nullable=False),
        sa.Column("minutes_file", sa.String(length=100), nullable=False),
        sa.Column("minutes_file_name", sa.String(length=200), nullable=False),
        sa.Column("minutes_file_type", sa.String(length=100), nullable=False),
        sa.Column("minutes_file_size", sa.Integer(), nullable=False),
        sa.Column("minutes_uploaded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("register_recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("register_recorded_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["network_body.id"], name=op.f("fk_network_meeting_body_id_network_body")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_network_meeting_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_meeting")),
        sa.UniqueConstraint("meeting_id", name=op.f("uq_network_meeting_meeting_id")),
    )
    with op.batch_alter_table("network_meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_meeting_body_id"), ["body_id"], unique=False)

    op.create_table(
        "network_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=False),
        sa.Column("network_meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_partner_id", sa.Integer(), nullable=True),
        sa.Column("owner_person", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "done", "dropped", name="decisionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["body_id"], ["network_body.id"], name=op.f("fk_network_decision_body_id_network_body")
        ),
        sa.ForeignKeyConstraint(
            ["network_meeting_id"],
            ["network_meeting.id"],
            name=op.f("fk_network_decision_network_meeting_id_network_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_partner_id"],
            ["partner.id"],
            name=op.f("fk_network_decision_owner_partner_id_partner"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_decision")),
    )
    with op.batch_alter_table("network_decision", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_network_decision_body_id"), ["body_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_network_decision_network_meeting_id"),
            ["network_meeting_id"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_network_decision_status"), ["status"], unique=False)

    op.create_table(
        "network_presence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network_meeting_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("representative_id", sa.Integer(), nullable=True),
        sa.Column("represented_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["network_meeting_id"],
            ["network_meeting.id"],
            name=op.f("fk_network_presence_network_meeting_id_network_meeting"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_network_presence_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["partner_representative.id"],
            name=op.f("fk_network_presence_representative_id_partner_representative"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_presence")),
        sa.UniqueConstraint(
            "network_meeting_id",
            "partner_id",
            name=op.f("uq_network_presence_network_meeting_id_partner_id"),
        ),
    )
    with op.batch_alter_table("network_presence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_presence_network_meeting_id"),
            ["network_meeting_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_network_presence_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "network_follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("network_meeting_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "done",
                "carried_over",
                "dropped",
                name="followupoutcome",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["network_decision.id"],
            name=op.f("fk_network_follow_up_decision_id_network_decision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["network_meeting_id"],
            ["network_meeting.id"],
            name=op.f("fk_network_follow_up_network_meeting_id_network_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_follow_up")),
    )
    with op.batch_alter_table("network_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_network_follow_up_decision_id"), ["decision_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_network_follow_up_network_meeting_id"),
            ["network_meeting_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("network_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_follow_up_network_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_network_follow_up_decision_id"))

    op.drop_table("network_follow_up")
    with op.batch_alter_table("network_presence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_presence_partner_id"))
        batch_op.drop_index(batch_op.f("ix_network_presence_network_meeting_id"))

    op.drop_table("network_presence")
    with op.batch_alter_table("network_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_decision_status"))
        batch_op.drop_index(batch_op.f("ix_network_decision_network_meeting_id"))
        batch_op.drop_index(batch_op.f("ix_network_decision_body_id"))

    op.drop_table("network_decision")
    with op.batch_alter_table("network_meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_meeting_body_id"))

    op.drop_table("network_meeting")
    with op.batch_alter_table("network_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_member_partner_id"))
        batch_op.drop_index(batch_op.f("ix_network_member_body_id"))

    op.drop_table("network_member")
    with op.batch_alter_table("network_body", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_network_body_territory_code"))

    op.drop_table("network_body")
