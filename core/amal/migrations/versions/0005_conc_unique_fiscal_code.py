"""one participant per fiscal code and territory (partial unique index)

Revision ID: 0004_conc_unique_fiscal_code
Revises: ab689753482f
Create Date: 2026-12-02 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_conc_unique_fiscal_code"
down_revision: str | Sequence[str] | None = "dates0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Duplicates that slipped in under concurrent intake must be resolved by a
    # person (which record is the real one?): refuse with their ids.
    clashes = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT territory_code, fiscal_code, COUNT(*) FROM participant "
                "WHERE fiscal_code IS NOT NULL GROUP BY territory_code, fiscal_code "
                "HAVING COUNT(*) > 1"
            )
        )
        .all()
    )
    if clashes:
        listed = "; ".join(f"{t}: {code} ({n} records)" for t, code, n in clashes)
        raise RuntimeError(
            "Participants share a fiscal code in the same territory; merge or correct "
            f"them before upgrading: {listed}"
        )
    op.create_index(
        "uq_participant_territory_fiscal_code",
        "participant",
        ["territory_code", "fiscal_code"],
        unique=True,
        sqlite_where=sa.text("fiscal_code IS NOT NULL"),
        postgresql_where=sa.text("fiscal_code IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_participant_territory_fiscal_code", table_name="participant")
