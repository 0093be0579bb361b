from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from amal.db import Base, enum_type, utcnow


class Role(enum.StrEnum):
    COORDINATOR = "coordinator"
    INTAKE_OPERATOR = "intake_operator"
    FACILITATOR = "facilitator"
    FUNDER_VIEWER = "funder_viewer"
    REGIONAL_VIEWER = "regional_viewer"


class User(UserMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    is_admin: Mapped[bool] = mapped_column(default=False)  # instance admin
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[TerritoryRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def set_password(self, password: str) -> None:
        # werkzeug's default is scrypt with a per-password salt.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class TerritoryRole(Base):
    """A user's role in one territory (a user may hold several)."""

    __tablename__ = "territory_role"
    __table_args__ = (UniqueConstraint("user_id", "territory_code", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"))
    role: Mapped[Role] = mapped_column(enum_type(Role))

    user: Mapped[User] = relationship(back_populates="roles")


class LoginAttempt(Base):
    """Failed and successful logins, for throttling and for the audit trail."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    remote_addr: Mapped[str] = mapped_column(String(64), default="")
    succeeded: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ApiToken(Base):
    """A partner system's access to the API: one territory, one role, an expiry.
    Only a hash of the secret is stored; the secret is shown once at creation."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    territory_code: Mapped[str] = mapped_column(ForeignKey("territory.code"))
    role: Mapped[Role] = mapped_column(enum_type(Role))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class UserSession(Base):
    """A staff login, checked on every request: ending the row ends the session
    wherever its cookie is (logout, password change, deactivation, inactivity)."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # random, in the signed cookie
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]


class RateLimitCounter(Base):
    """Counters of the rate limits kept in the database (see amal.ratelimit): one
    row per key, counted atomically so every worker process shares them."""

    __tablename__ = "rate_limit_counter"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[float]  # seconds since the epoch
