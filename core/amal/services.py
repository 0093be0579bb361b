"""What every service (use case) receives, and its transaction boundary.

A service is a function ``f(ctx, ...)`` decorated with :func:`use_case`: it runs
in one transaction, committed when it returns and rolled back when it raises, so
a multi-row change is all or nothing. A use case that calls another one joins
the caller's transaction.

The transaction is a writer's from its first statement (:func:`amal.db.begin_write`),
and a rule locks what it checks before reading it (:func:`fetch` with
``for_update``), so concurrent requests cannot both pass a check that only one
of them may pass. What still collides is turned into a clear refusal
(:func:`conflict_error`); a use case declared with ``retries`` is run again
when the user's intent may still be valid (e.g. an enrolment while places are free).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar, overload

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from amal.db import begin_write
from amal.errors import DomainError, NotFound
from amal.plugins.manager import PluginHost

P = ParamSpec("P")
R = TypeVar("R")

_IN_USE_CASE = "amal.in_use_case"
# PostgreSQL's serialization failure and deadlock: the transaction may succeed if run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """The session, the acting person (for history and audit) and the plugins."""

    session: Session
    actor: str
    plugins: PluginHost


class ConflictError(DomainError):
    """Someone else changed the record meanwhile: reload and try again (409, or
    412 when the request carried If-Match)."""

    def __init__(self, message: str = "The record was changed by someone else meanwhile") -> None:
        super().__init__("concurrent_change", message + ": reload it and try again")


def _sqlstate(error: BaseException) -> str | None:
    orig = getattr(error, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, StaleDataError) or (
        isinstance(error, DBAPIError) and _sqlstate(error) in RETRYABLE_SQLSTATES
    )


def conflict_error(error: BaseException) -> DomainError | None:
    """The clear refusal for a database conflict, or ``None`` if ``error`` is not one."""
    if isinstance(error, IntegrityError) and _is_fiscal_code_clash(error):
        return DomainError(
            "duplicate_participant",
            "Possible duplicate: a participant with the same fiscal code is already "
            "registered in this territory",
        )
    if is_retryable(error) or (isinstance(error, IntegrityError) and _is_unique_clash(error)):
        # A row someone else wrote meanwhile (the check ran before it existed).
        return ConflictError()
    return None


def _is_unique_clash(error: IntegrityError) -> bool:
    return _sqlstate(error) == "23505" or "UNIQUE constraint failed" in str(error.orig)


def _is_fiscal_code_clash(error: IntegrityError) -> bool:
    orig = error.orig
    diag = getattr(orig, "diag", None)
    if diag is not None:
        return getattr(diag, "constraint_name", None) == "uq_participant_territory_fiscal_code"
    return "participant.fiscal_code" in str(orig)  # SQLite names the columns


@overload
def use_case(
    fn: Callable[Concatenate[Context, P], R],
) -> Callable[Concatenate[Context, P], R]: ...


@overload
def use_case(
    *, retries: int = 0
) -> Callable[[Callable[Concatenate[Context, P], R]], Callable[Concatenate[Context, P], R]]: ...


def use_case(fn=None, *, retries=0):
    """Run the decorated service in one transaction. ``retries``: how many times
    to run it again after a concurrency conflict before refusing."""

    def decorate(
        fn: Callable[Concatenate[Context, P], R],
    ) -> Callable[Concatenate[Context, P], R]:
        @functools.wraps(fn)
        def run(ctx: Context, *args: P.args, **kwargs: P.kwargs) -> R:
            session = ctx.session
            if session.info.get(_IN_USE_CASE):
                return fn(ctx, *args, **kwargs)
            attempt = 0
            while True:
                try:
                    begin_write(session)
                    session.info[_IN_USE_CASE] = True
                    result = fn(ctx, *args, **kwargs)
                    session.commit()
                    return result
                except BaseException as exc:
                    session.rollback()
                    if attempt < retries and is_retryable(exc):
                        attempt += 1
                        log.info("%s: concurrent change, attempt %d", fn.__name__, attempt + 1)
                        continue
                    refusal = conflict_error(exc)
                    if refusal is not None:
                        raise refusal from exc
                    raise
                finally:
                    session.info.pop(_IN_USE_CASE, None)

        return run

    return decorate(fn) if fn is not None else decorate


M = TypeVar("M")


def fetch(ctx: Context, model: type[M], key: object, *, for_update: bool = False) -> M:
    """Load a row by primary key or raise :class:`NotFound`. ``for_update`` locks
    the row (PostgreSQL; on SQLite the use case's BEGIN IMMEDIATE already
    serialises writers) and re-reads it, so the rule checks the current state,
    not a copy the request loaded earlier."""
    obj = ctx.session.get(
        model, key, with_for_update=for_update or None, populate_existing=for_update
    )
    if obj is None:
        raise NotFound(model.__name__, key)
    return obj
