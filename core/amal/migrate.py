"""Alembic driven from the app: core revisions plus every plugin's branch.

Alembic is imported by the functions that use it: the web app imports this
module (readiness check) and every process start would pay for Alembic, Mako
and Pygments (about half a second of the start)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask

from amal.runtime import state

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
CORE_BRANCH = "amal_core"


def alembic_config(app: Flask) -> Config:
    from alembic.config import Config

    locations = [MIGRATIONS / "versions", *state(app).plugins.migration_locations()]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    return config


def _run(app: Flask, action, *args, **kwargs) -> None:
    config = alembic_config(app)
    with state(app).engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite alters a table by copying it and dropping the original: with
            # foreign keys on, the drop would cascade to (and delete) the rows
            # that point at it. The pragma only works outside a transaction.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                if not sqlite:
                    # A schema change may rightly take longer than a request's statement.
                    connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
                config.attributes["connection"] = connection
                action(config, *args, **kwargs)
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def upgrade(app: Flask, revision: str = "heads") -> None:
    from alembic import command

    _run(app, command.upgrade, revision)


def downgrade(app: Flask, revision: str) -> None:
    from alembic import command

    _run(app, command.downgrade, revision)


def revision(app: Flask, message: str, head: str = f"{CORE_BRANCH}@head") -> None:
    """Autogenerate a revision on a branch (core by default) from the models."""
    from alembic import command

    _run(app, command.revision, message=message, autogenerate=True, head=head)


def current_heads(app: Flask) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    with state(app).engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def script_heads(app: Flask) -> set[str]:
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(app)).get_heads())


def is_up_to_date(app: Flask) -> bool:
    """Every branch head is applied. A plugin revision that depends on the core
    stands for the core's head too, so compare against everything applied
    (down revisions and dependencies), not just the recorded heads."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(app))
    current = tuple(current_heads(app))
    applied = {r.revision for r in script.iterate_revisions(current, "base")} if current else set()
    return set(script.get_heads()) <= applied
