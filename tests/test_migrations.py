from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from amal import migrate
from amal.db import Base
from amal.runtime import state


def not_the_job_queue(name, kind, _parents) -> bool:
    """procrastinate's tables (PostgreSQL's job queue) have no models: its own schema."""
    return not (kind == "table" and name.startswith("procrastinate_"))


def test_migrations_match_the_models(empty_app) -> None:
    migrate.upgrade(empty_app)
    with state(empty_app).engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": not_the_job_queue}
        )
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
        create_database=True,
    )
    migrate.upgrade(app)
    assert "notes_note" in inspect(state(app).engine).get_table_names()
    assert migrate.is_up_to_date(app) and "notes0001" in migrate.current_heads(app)
    migrate.downgrade(app, "notes@base")
    assert "notes_note" not in inspect(state(app).engine).get_table_names()
    assert "participant" in inspect(state(app).engine).get_table_names()
    state(app).engine.dispose()


def test_event_dates_are_carried_over_from_the_recording_timestamps(empty_app) -> None:
    """Old rows get the Italian calendar day of their recording timestamp; old
    transfers (immediate then) become accepted ones."""
    import sqlalchemy as sa

    migrate.upgrade(empty_app, "ab689753482f")  # the revision before event dates
    engine = state(empty_app).engine
    late_evening = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)  # 1 April in Italy
    morning = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
    with engine.begin() as connection:
        metadata = sa.MetaData()

        def insert(table_name: str, **values: object) -> None:
            table = sa.Table(table_name, metadata, autoload_with=connection)
            for column in table.columns:
                if column.name in values or column.nullable or column.primary_key:
                    continue
                values[column.name] = _filler(column.type, morning)
            connection.execute(table.insert().values(**values))

        for code in ("monza-brianza", "lecco"):
            insert("territory", code=code)
        insert("participant", id=1, territory_code="lecco")
        insert("participant_status_change", id=1, participant_id=1, changed_at=late_evening)
        insert("self_help_group", id=1, territory_code="lecco")
        insert("group_status_change", id=1, group_id=1, to_status="active", changed_at=morning)
        insert("enrolment", id=1, group_id=1, participant_id=1, enrolled_at=morning)
        insert("privacy_notice", id=1, territory_code="lecco")
        insert(
            "consent",
            id=1,
            participant_id=1,
            notice_id=1,
            granted_at=morning,
            withdrawn_at=late_evening,
        )
        insert(
            "participant_transfer",
            id=1,
            participant_id=1,
            from_territory="monza-brianza",
            to_territory="lecco",
            transferred_at=late_evening,
            transferred_by="coordinatore",
        )
    migrate.upgrade(empty_app)
    with engine.connect() as connection:

        def one(sql: str) -> tuple:  # type: ignore[type-arg]
            return tuple(connection.execute(sa.text(sql)).one())

        def day(value: object) -> date:
            return value if isinstance(value, date) else date.fromisoformat(str(value))

        assert day(one("SELECT occurred_on FROM participant_status_change")[0]) == date(2026, 4, 1)
        assert day(one("SELECT occurred_on FROM group_status_change")[0]) == date(2026, 2, 10)
        assert day(one("SELECT started_on FROM self_help_group")[0]) == date(2026, 2, 10)
        enrolled, ended = one("SELECT enrolled_on, ended_on FROM enrolment")
        assert (day(enrolled), ended) == (date(2026, 2, 10), None)
        granted, withdrawn = one("SELECT granted_on, withdrawn_on FROM consent")
        assert (day(granted), day(withdrawn)) == (date(2026, 2, 10), date(2026, 4, 1))
        status, moved, decided_by = one(
            "SELECT status, transferred_on, decided_by FROM participant_transfer"
        )
        assert (status, day(moved), decided_by) == ("accepted", date(2026, 4, 1), "coordinatore")


def _filler(column_type, moment: datetime) -> object:  # type: ignore[no-untyped-def]
    """A value of the column's type for the required columns the test does not care about."""
    python_type = column_type.python_type
    if python_type is datetime:
        return moment
    if python_type is date:
        return moment.date()
    if python_type is bool:
        return False
    if python_type is int:
        return 1
    return "x"


def test_record_migration_carries_old_rows_over(empty_app) -> None:
    """0008_rec (after dates0004 gave consents their days): old withdrawals get
    an empty reason; the old single outcome rows stay, and more follow-ups fit."""
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
    migrate.downgrade(empty_app, "net_0006_facilitation")  # keeps the latest per moment
    with engine.connect() as connection:
        assert connection.execute(text("SELECT situation FROM outcome")).scalars().all() == [
            "employed"
        ]


def test_downgrade_removes_the_job_queue(empty_app) -> None:
    """procrastinate's tables, functions and types go with the migration that
    brought them (a restore of an older backup recreates them)."""
    if state(empty_app).engine.dialect.name != "postgresql":
        pytest.skip("the job queue's schema lives in PostgreSQL only")
    migrate.upgrade(empty_app)
    migrate.downgrade(empty_app, "rec0004a1b2")
    with state(empty_app).engine.connect() as connection:
        left = connection.exec_driver_sql(
            "SELECT typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = current_schema() AND typname LIKE 'procrastinate%%' "
            "UNION ALL SELECT proname FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = current_schema() "
            "AND proname LIKE 'procrastinate%%'"
        ).all()
    assert left == []
    migrate.upgrade(empty_app)  # and back
