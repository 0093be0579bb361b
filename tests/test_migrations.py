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
