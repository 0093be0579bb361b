from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from amal import migrate
from amal.db import Base
from amal.runtime import state


def test_migrations_match_the_models(empty_app) -> None:
    migrate.upgrade(empty_app)
    with state(empty_app).engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], f"models and migrations differ: {differences}"
    assert migrate.is_up_to_date(empty_app)


def test_downgrade_to_base_removes_every_table(empty_app) -> None:
    migrate.upgrade(empty_app)
    migrate.downgrade(empty_app, "base")
    tables = set(inspect(state(empty_app).engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    assert not migrate.is_up_to_date(empty_app)


PLUGIN_REVISION = """
import sqlalchemy as sa
from alembic import op

revision = "notes0001"
down_revision = None
branch_labels = ("notes",)
depends_on = "amal_core"


def upgrade():
    op.create_table(
        "notes_note",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("participant_id", sa.Integer, sa.ForeignKey("participant.id")),
    )


def downgrade():
    op.drop_table("notes_note")
"""


def test_a_plugin_brings_its_own_migration_branch(tmp_path, amal_database_url) -> None:
    from amal.app import create_app
    from amal.plugins import hookimpl

    versions = tmp_path / "notes_migrations"
    versions.mkdir()
    (versions / "notes0001_notes_table.py").write_text(PLUGIN_REVISION)

    class NotesPlugin:
        @hookimpl
        def amal_migration_locations(self):
            return [versions]

    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": amal_database_url,
            "plugins": ["lecco"],
        },
        extra_plugins=[("notes", NotesPlugin())],
    )
    migrate.upgrade(app)
    assert "notes_note" in inspect(state(app).engine).get_table_names()
    assert migrate.is_up_to_date(app) and "notes0001" in migrate.current_heads(app)
    migrate.downgrade(app, "notes@base")
    assert "notes_note" not in inspect(state(app).engine).get_table_names()
    assert "participant" in inspect(state(app).engine).get_table_names()
    state(app).engine.dispose()
