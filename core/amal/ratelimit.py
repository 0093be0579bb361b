"""Rate limits on the ``limits`` library (the one under Flask-Limiter), with
counters kept where every worker process sees them: in Redis when the instance
configures ``ratelimit_storage`` (e.g. ``redis://host:6379``), else in the
instance's own database.

Counting is atomic: a slot is taken (incremented and read in one statement)
before the work it guards, so parallel requests cannot all slip under a limit.
"""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from amal.accounts.models import RateLimitCounter

T = RateLimitCounter.__table__


class DatabaseStorage(Storage):
    """A ``limits`` storage on the instance database (SQLite or PostgreSQL):
    one upsert per hit, committed at once, whatever the request does next."""

    STORAGE_SCHEME = None  # built with an engine, not from a URL

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(T).values(key=key, count=amount, expires_at=now + expiry)
        expired = T.c.expires_at <= now
        statement = statement.on_conflict_do_update(
            index_elements=[T.c.key],
            set_={
                # A window that has run out starts again from this hit.
                "count": _case(expired, amount, T.c.count + amount),
                "expires_at": _case(expired, now + expiry, T.c.expires_at),
            },
        ).returning(T.c.count)
        with self.engine.begin() as connection:
            return int(connection.execute(statement).scalar_one())

    def get(self, key: str) -> int:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(T.c.count, T.c.expires_at).where(T.c.key == key)
            ).first()
        return int(row.count) if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        with self.engine.connect() as connection:
            expires = connection.scalar(select(T.c.expires_at).where(T.c.key == key))
        return float(expires) if expires is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int | None:
        with self.engine.begin() as connection:
            return connection.execute(delete(T)).rowcount

    def clear(self, key: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(T).where(T.c.key == key))


def _case(condition, then, otherwise):
    return case((condition, then), else_=otherwise)


def make_storage(engine: Engine, url: str = "") -> Storage:
    """Redis (or any ``limits`` storage URL) when configured, else the database."""
    return storage_from_string(url) if url else DatabaseStorage(engine)


# Login limits. Failing from one source locks only that source: an attacker
# elsewhere cannot lock the real user out. Across all sources an account is
# slowed (a short wait), never locked.
PER_SOURCE = "30 per 15 minutes"  # login attempts from one address, any account
PER_ACCOUNT_AND_SOURCE = "5 per 15 minutes"  # attempts on one account from one address
PER_ACCOUNT = "10 per minute"  # attempts on one account from anywhere


class LoginThrottle:
    """Takes a slot in each login limit before the password is checked."""

    def __init__(self, storage: Storage) -> None:
        self.limiter = FixedWindowRateLimiter(storage)
        self.limits: dict[str, RateLimitItem] = {
            "source": parse(PER_SOURCE),
            "account_source": parse(PER_ACCOUNT_AND_SOURCE),
            "account": parse(PER_ACCOUNT),
        }

    def _identifiers(self, name: str, username: str, source: str) -> tuple[str, ...]:
        return {
            "source": ("login-source", source),
            "account_source": ("login-account-source", username.lower(), source),
            "account": ("login-account", username.lower()),
        }[name]

    def take(self, username: str, source: str) -> str | None:
        """Take one attempt; the name of the first limit reached, or None."""
        for name, item in self.limits.items():
            if not self.limiter.hit(item, *self._identifiers(name, username, source)):
                return name
        return None

    def succeeded(self, username: str, source: str) -> None:
        """The real user got in from here: their failures here are forgotten."""
        item = self.limits["account_source"]
        self.limiter.clear(item, *self._identifiers("account_source", username, source))
