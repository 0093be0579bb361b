"""Database plumbing: the declarative base every model (core and plugins) shares,
engine creation, and the request-scoped session of a Flask app."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g
from sqlalchemy import (
    ColumnElement,
    DateTime,
    Dialect,
    Engine,
    Enum,
    MetaData,
    TypeDecorator,
    and_,
    create_engine,
    event,
)
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.visitors import InternalTraversal

from amal.errors import ConfigError

# Stable constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


MAX_INT = 2**31 - 1  # the largest INTEGER both databases store (keys, counts)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite
    forgets the offset; PostgreSQL keeps it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: use amal.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base for every AMAL table. Plugin tables use it too, with a
    table-name prefix of their own (see the plugin manual)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class DatabaseMissing(ConfigError):
    """The configured database does not exist (and is not to be created)."""


# The calendar the programme's days are counted in (event dates, periods).
ITALY = ZoneInfo("Europe/Rome")


def utcnow() -> datetime:
    return datetime.now(UTC)


def enum_type(enum_class: type[enum.Enum]) -> Enum:
    """Store an enum by value in a VARCHAR (no native enum: plugins and
    migrations can add values without ALTER TYPE)."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class prefix_match(ColumnElement[bool]):
    """``key`` (``lower(name)``) starts with ``prefix``, in the shape each
    database answers from an index on ``key``: ``LIKE 'ros%'`` on PostgreSQL
    (index opclass ``text_pattern_ops``: byte order, whatever the instance's
    locale), a range from ``'ros'`` to ``'ros'`` + U+10FFFF on SQLite (which uses no
    index for LIKE on an expression, and compares bytes)."""

    # No Boolean type on purpose: SQLite (no native boolean) would append "= 1"
    # to the range's last comparison, and then use the index for its lower
    # bound only (a scan to the end of the index: 260 ms at 100k people).
    inherit_cache = True
    _traverse_internals = [
        ("like", InternalTraversal.dp_clauseelement),
        ("range", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, key: ColumnElement[str], prefix: str) -> None:
        escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        self.like = key.like(escaped + "%", escape="\\")
        self.range = and_(key >= prefix, key < prefix + "\U0010ffff")


@compiles(prefix_match)
def _prefix_range(element: prefix_match, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.range, **kw)})"


@compiles(prefix_match, "postgresql")
def _prefix_like(element: prefix_match, compiler: Any, **kw: Any) -> str:
    return f"({compiler.process(element.like, **kw)})"


# Execution option of a connection whose transaction will write: on SQLite its
# BEGIN takes the write lock at once (BEGIN IMMEDIATE), see begin_write().
WRITE_TRANSACTION = "amal_write"


def make_engine(
    url: str,
    *,
    connect_timeout: float = 10,
    statement_timeout: float = 30,
    create_missing: bool = False,
) -> Engine:
    """An engine for ``url`` that gives up instead of hanging: ``connect_timeout``
    seconds to connect, ``statement_timeout`` seconds per statement (on SQLite:
    how long to wait for the write lock). A SQLite file is created only with
    ``create_missing`` (``amal init``); otherwise a missing file is refused."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": statement_timeout})
        database = engine.url.database or ""

        @event.listens_for(engine, "do_connect")
        def _refuse_missing_file(_dialect, _record, _cargs, _cparams) -> None:
            if (
                not create_missing
                and database not in ("", ":memory:")
                and not database.startswith("file:")
                and not Path(database).exists()
            ):
                raise DatabaseMissing(
                    f"The configured database {engine.url.render_as_string()} does not exist: "
                    "run 'amal init' for this instance (or set its database_url / "
                    "AMAL_DATABASE_URL to the database it should use)."
                )

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn) -> None:
            # pysqlite begins a transaction only at the first INSERT/UPDATE/DELETE,
            # after the reads a rule checks. A writer's transaction follows
            # SQLAlchemy's pysqlite recipe instead: the driver's own BEGIN is
            # disabled and we emit BEGIN IMMEDIATE, which takes the write lock
            # first, so read-then-write transactions are serialised. Others keep
            # the driver's deferred BEGIN (reads hold no lock that stalls writers).
            dbapi_connection = conn.connection.dbapi_connection
            if conn.get_execution_options().get(WRITE_TRANSACTION):
                dbapi_connection.isolation_level = None
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                dbapi_connection.isolation_level = ""

        return engine
    engine = create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": max(1, round(connect_timeout))},
    )

    @event.listens_for(engine, "connect")
    def _postgres_timeouts(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET statement_timeout = {int(statement_timeout * 1000)}")
        cursor.close()
        dbapi_connection.commit()

    return engine


# PostgreSQL: the transaction is read-only (a replica, default_transaction_read_only).
READ_ONLY_SQLSTATE = "25006"


def is_unavailable(error: DBAPIError) -> bool:
    """Whether ``error`` means the database cannot serve the request now (down,
    timed out, locked, read-only) rather than a bug: an answer of 503."""
    orig = error.orig
    return (
        isinstance(error, OperationalError) or getattr(orig, "sqlstate", None) == READ_ONLY_SQLSTATE
    )


def begin_write(session: Session) -> None:
    """Open ``session``'s transaction as a writer (a use case's start).

    PostgreSQL needs nothing: rules lock the rows they check (SELECT ... FOR
    UPDATE). SQLite has no row locks and pysqlite would begin only at the first
    write, after the checks: there the transaction starts with BEGIN IMMEDIATE,
    ending first the read-only transaction the request may have opened."""
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_TRANSACTION: True})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    from amal.text import guard_sessions

    factory = sessionmaker(bind=engine, expire_on_commit=False)
    guard_sessions(factory)
    return factory


def get_session() -> Session:
    """The current request's (or CLI command's) session, closed at teardown."""
    if "amal_session" not in g:
        g.amal_session = current_app.extensions["amal"].session_factory()
    return g.amal_session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("amal_session", None)
    if session is not None:
        session.close()
