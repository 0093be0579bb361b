"""What every service (use case) receives, and its transaction boundary.

A service is a function ``f(ctx, ...)`` decorated with :func:`use_case`: it runs
in one transaction, committed when it returns and rolled back when it raises, so
a multi-row change is all or nothing. A use case that calls another one joins
the caller's transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from amal.errors import NotFound
from amal.plugins.manager import PluginHost

P = ParamSpec("P")
R = TypeVar("R")

_IN_USE_CASE = "amal.in_use_case"


@dataclass(frozen=True)
class Context:
    """The session, the acting person (for history and audit) and the plugins."""

    session: Session
    actor: str
    plugins: PluginHost


def use_case(fn: Callable[Concatenate[Context, P], R]) -> Callable[Concatenate[Context, P], R]:
    @functools.wraps(fn)
    def run(ctx: Context, *args: P.args, **kwargs: P.kwargs) -> R:
        session = ctx.session
        if session.info.get(_IN_USE_CASE):
            return fn(ctx, *args, **kwargs)
        session.info[_IN_USE_CASE] = True
        try:
            result = fn(ctx, *args, **kwargs)
            session.commit()
            return result
        except BaseException:
            session.rollback()
            raise
        finally:
            session.info.pop(_IN_USE_CASE, None)

    return run


M = TypeVar("M")


def fetch(ctx: Context, model: type[M], key: object, *, for_update: bool = False) -> M:
    """Load a row by primary key or raise :class:`NotFound`. ``for_update`` takes a
    row lock on PostgreSQL (ignored by SQLite, whose writers are serialised)."""
    obj = ctx.session.get(model, key, with_for_update=for_update or None)
    if obj is None:
        raise NotFound(model.__name__, key)
    return obj
