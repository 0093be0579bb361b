"""everyday tools: the case diary of a participant (entries and their
revisions); usernames in lower case (logins are case-insensitive)

Two accounts whose names differ only in case ("L.Bianchi", "l.bianchi") cannot
both keep their name: the one already in lower case (else the oldest) keeps
it, the others become "<name>-<id>" (printed, for the admin to tell them).

Revision ID: tools0001
Revises: h11net0001a
Create Date: 2026-12-03 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "tools0001"
down_revision: str | Sequence[str] | None = "h11net0001a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "diary_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("written_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_diary_entry_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_entry")),
    )
    op.create_index(
        op.f("ix_diary_entry_participant_id"), "diary_entry", ["participant_id"], unique=False
    )
    op.create_table(
        "diary_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revised_by", sa.String(length=80), nullable=False),
        sa.Column("old_written_on", sa.Date(), nullable=False),
        sa.Column("old_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["diary_entry.id"],
            name=op.f("fk_diary_revision_entry_id_diary_entry"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participant.id"],
            name=op.f("fk_diary_revision_participant_id_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_revision")),
    )
    op.create_index(
        op.f("ix_diary_revision_entry_id"), "diary_revision", ["entry_id"], unique=False
    )
    op.create_index(
        op.f("ix_diary_revision_participant_id"),
        "diary_revision",
        ["participant_id"],
        unique=False,
    )

    _lower_case_usernames()


def _lower_case_usernames() -> None:
    users = sa.table("user_account", sa.column("id", sa.Integer()), sa.column("username"))
    bind = op.get_bind()
    rows = bind.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)).all()
    by_name: dict[str, list[tuple[int, str]]] = {}
    for user_id, name in rows:
        by_name.setdefault(name.strip().lower(), []).append((user_id, name))
    taken = set(by_name)
    renames: list[tuple[int, str]] = []
    for lower, accounts in by_name.items():
        keeper = next((a for a in accounts if a[1] == lower), accounts[0])
        for user_id, name in accounts:
            if (user_id, name) == keeper:
                if name != lower:
                    renames.append((user_id, lower))
                continue
            new = f"{lower}-{user_id}"
            while new in taken:
                new += "-x"
            taken.add(new)
            print(f"user {user_id} {name!r} renamed {new!r}: {keeper[1]!r} has that name")
            renames.append((user_id, new))
    # the renamed duplicates first, so that no two rows hold one name at any moment
    for user_id, new in sorted(renames, key=lambda r: r[1] in by_name):
        bind.execute(users.update().where(users.c.id == user_id).values(username=new))


def downgrade() -> None:
    # The usernames stay in lower case: their former case is not kept anywhere.
    op.drop_index(op.f("ix_diary_revision_participant_id"), table_name="diary_revision")
    op.drop_index(op.f("ix_diary_revision_entry_id"), table_name="diary_revision")
    op.drop_table("diary_revision")
    op.drop_index(op.f("ix_diary_entry_participant_id"), table_name="diary_entry")
    op.drop_table("diary_entry")
