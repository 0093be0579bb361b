from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from amal import migrate
from amal.app import state
from amal.db import Base


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
    from amal import create_app
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


def test_record_migration_carries_old_rows_over(empty_app) -> None:
    """0004_rec: consents get their day (the recording day), withdrawn ones their
    withdrawal day; the old single outcome rows stay, and more follow-ups fit."""
    from sqlalchemy import text

    migrate.upgrade(empty_app, "ab689753482f")
    rows = [
        "INSERT INTO territory (code, name, region, province, created_at) "
        "VALUES ('t', 'T', 'Lombardia', 'MB', '2026-01-01 10:00:00')",
        "INSERT INTO participant (id, territory_code, status, first_name, last_name, gender, "
        "email, phone, municipality, last_employer, sector, employment_status, heard_from, "
        "needs, created_at, updated_at, version) VALUES (1, 't', 'completed', 'A', 'B', '', "
        "'', '', '', '', '', 'other', '', '', '2026-01-01 10:00:00', '2026-01-01 10:00:00', 1)",
        "INSERT INTO privacy_notice (id, territory_code, version, text, published_at) "
        "VALUES (1, 't', '1.0', 'x', '2026-01-01 10:00:00')",
        "INSERT INTO consent (participant_id, notice_id, purpose, granted_at, recorded_by, "
        "withdrawn_at) VALUES (1, 1, 'sharing', '2026-01-05 10:00:00', 'op', "
        "'2026-02-07 10:00:00')",
        "INSERT INTO outcome (participant_id, moment, recorded_on, situation, notes, "
        "recorded_by) VALUES (1, 'follow_up', '2026-05-01', 'looking', '', 'op')",
    ]
    engine = state(empty_app).engine
    with engine.begin() as connection:
        for row in rows:
            connection.execute(text(row))
    migrate.upgrade(empty_app)
    with engine.begin() as connection:
        consent = connection.execute(
            text("SELECT granted_on, withdrawn_on, withdrawal_reason FROM consent")
        ).one()
        assert [str(v) for v in consent] == ["2026-01-05", "2026-02-07", ""]
        connection.execute(
            text(
                "INSERT INTO outcome (participant_id, moment, follow_up_month, recorded_on, "
                "situation, notes, recorded_by) VALUES (1, 'follow_up', 12, '2026-11-01', "
                "'employed', '', 'op')"
            )
        )
        assert connection.execute(text("SELECT count(*) FROM outcome")).scalar() == 2
    migrate.downgrade(empty_app, "ab689753482f")  # keeps the latest per moment
    with engine.connect() as connection:
        assert connection.execute(text("SELECT situation FROM outcome")).scalars().all() == [
            "employed"
        ]
