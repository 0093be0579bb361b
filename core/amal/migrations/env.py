"""Alembic environment. Run through ``amal db ...`` (see :mod:`amal.migrate`),
which passes the connection in ``config.attributes``."""

from alembic import context

import amal.models  # noqa: F401  (fills Base.metadata)
from amal.db import Base, UTCDateTime


def render_item(kind, obj, _autogen_context):
    """Migrations hold plain SQLAlchemy types, not AMAL's Python-side wrappers."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
