"""report runs as background jobs: progress, attempts, the day computed for;
on PostgreSQL, the job queue's own schema (procrastinate's tables and functions)

procrastinate's schema is the one of the pinned version (constraints.txt); an
upgrade of procrastinate that changes it comes with a migration applying its
delta files (``procrastinate/sql/migrations``).

Revision ID: h13_0001_jobs
Revises: tools0001
Create Date: 2026-12-03 07:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "h13_0001_jobs"
down_revision: str | Sequence[str] | None = "tools0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_run", schema=None) as batch_op:
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("progress", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        from procrastinate.schema import SchemaManager

        # through the driver's cursor, without parameters: the SQL holds '%' signs
        op.get_bind().connection.driver_connection.cursor().execute(SchemaManager.get_schema())


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in ("events", "periodic_defers", "jobs", "workers"):
            bind.exec_driver_sql(f"DROP TABLE IF EXISTS procrastinate_{table} CASCADE")
        functions = bind.exec_driver_sql(
            "SELECT p.oid::regprocedure::text FROM pg_proc p "
            "JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate_%%'"
        ).scalars()
        for function in list(functions):
            bind.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function} CASCADE")
        kinds = bind.exec_driver_sql(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'c') "
            "AND t.typname LIKE 'procrastinate_%%'"
        ).scalars()
        for kind in list(kinds):
            bind.exec_driver_sql(f"DROP TYPE IF EXISTS {kind} CASCADE")
    with op.batch_alter_table("report_run", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
        batch_op.drop_column("started_at")
        batch_op.drop_column("attempts")
        batch_op.drop_column("progress")
        batch_op.drop_column("as_of")
