"""projects, groups in projects, report submissions

Revision ID: proj0004a1b2
Revises: ab689753482f
Create Date: 2026-12-02 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "proj0004a1b2"
down_revision: str | Sequence[str] | None = "0004_conc_unique_fiscal_code"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_code", sa.String(length=40), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("start_on", sa.Date(), nullable=False),
        sa.Column("end_on", sa.Date(), nullable=False),
        sa.Column("target_groups", sa.Integer(), nullable=False),
        sa.Column("min_people_per_group", sa.Integer(), nullable=False),
        sa.Column("max_people_per_group", sa.Integer(), nullable=False),
        sa.Column("meetings_per_group", sa.Integer(), nullable=False),
        sa.Column("cycle_months", sa.Integer(), nullable=False),
        sa.Column("people_reached", sa.Integer(), nullable=False),
        sa.Column("extra_targets", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["territory_code"], ["territory.code"], name=op.f("fk_project_territory_code_territory")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project")),
        sa.UniqueConstraint("territory_code", "code", name=op.f("uq_project_territory_code_code")),
    )
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_territory_code"), ["territory_code"], unique=False
        )
    op.create_table(
        "project_funder",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["partner.id"],
            name=op.f("fk_project_funder_partner_id_partner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["project.id"],
            name=op.f("fk_project_funder_project_id_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", "partner_id", name=op.f("pk_project_funder")),
    )
    with op.batch_alter_table("self_help_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_self_help_group_project_id"), ["project_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_self_help_group_project_id_project"), "project", ["project_id"], ["id"]
        )
    # The project table starts empty here (projects come from the plugins):
    # `amal territory sync`, run after every upgrade by `amal init`, seeds them
    # and puts each existing group without a project into its territory's.

    op.create_table(
        "report_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("territory_code", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("report_code", sa.String(length=80), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("violations", sa.JSON(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("submitted_by", sa.String(length=80), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["report_run.id"], name=op.f("fk_report_submission_run_id_report_run")
        ),
        sa.ForeignKeyConstraint(
            ["territory_code"],
            ["territory.code"],
            name=op.f("fk_report_submission_territory_code_territory"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_submission")),
    )
    with op.batch_alter_table("report_submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_submission_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_report_submission_territory_code"), ["territory_code"], unique=False
        )
    op.create_table(
        "report_submission_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["report_submission.id"],
            name=op.f("fk_report_submission_file_submission_id_report_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_submission_file")),
    )
    with op.batch_alter_table("report_submission_file", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_submission_file_submission_id"), ["submission_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("report_submission_file", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_submission_file_submission_id"))
    op.drop_table("report_submission_file")
    with op.batch_alter_table("report_submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_submission_territory_code"))
        batch_op.drop_index(batch_op.f("ix_report_submission_run_id"))
    op.drop_table("report_submission")
    with op.batch_alter_table("self_help_group", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_self_help_group_project_id_project"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_self_help_group_project_id"))
        batch_op.drop_column("project_id")
    op.drop_table("project_funder")
    with op.batch_alter_table("project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_territory_code"))
    op.drop_table("project")
