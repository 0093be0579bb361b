"""Staff accounts: creation, login, server-side sessions, passwords, API tokens."""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from amal.accounts.models import ApiToken, LoginAttempt, Role, TerritoryRole, User, UserSession
from amal.db import utcnow
from amal.errors import DomainError
from amal.services import Context, use_case

MIN_PASSWORD_LENGTH = 10
# A session's last activity is written at most this often (not on every request).
SEEN_RESOLUTION = timedelta(seconds=60)


@use_case
def create_user(
    ctx: Context,
    username: str,
    password: str,
    *,
    display_name: str = "",
    email: str = "",
    is_admin: bool = False,
    roles: list[tuple[str, Role]] | None = None,
) -> User:
    """Create a user with optional ``(territory_code, role)`` pairs."""
    username = username.strip()
    if not username:
        raise DomainError("invalid_username", "The username must not be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password", f"The password needs at least {MIN_PASSWORD_LENGTH} characters"
        )
    if ctx.session.scalar(select(User.id).where(User.username == username)):
        raise DomainError("duplicate_username", f"User {username!r} already exists")
    user = User(
        username=username, display_name=display_name or username, email=email, is_admin=is_admin
    )
    user.set_password(password)
    for territory_code, role in roles or []:
        ctx.plugins.territory(territory_code)  # refuses territories this instance does not host
        user.roles.append(TerritoryRole(territory_code=territory_code, role=role))
    ctx.session.add(user)
    ctx.session.flush()
    return user


@functools.cache
def _dummy_hash() -> str:
    """A hash to check unknown usernames against, so they cost as much as real ones."""
    return generate_password_hash(secrets.token_urlsafe(16))


def authenticate(ctx: Context, username: str, password: str, remote_addr: str = "") -> User:
    """Check a login, doing the same work whether or not the user exists or is
    active (timing tells nothing). Throttling is the caller's, before this."""
    username = username.strip()
    user = ctx.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active
    ctx.session.add(
        LoginAttempt(username=username[:80], remote_addr=remote_addr[:64], succeeded=ok)
    )
    # Not a use_case: a failed attempt must be kept although the call then raises.
    ctx.session.commit()
    if not ok:
        raise DomainError("invalid_credentials", "Wrong username or password")
    assert user is not None
    return user


@use_case
def start_session(ctx: Context, user_id: int) -> str:
    """A new server-side session for a user who just logged in; its id goes in the cookie."""
    session_id = secrets.token_urlsafe(32)
    ctx.session.add(UserSession(id=session_id, user_id=user_id))
    return session_id


def session_is_live(ctx: Context, session_id: str, user_id: int, timeout: timedelta) -> bool:
    """Whether the session may act: not ended, of this user, used within ``timeout``.
    A session idle too long is ended; a live one has its last activity updated."""
    row = ctx.session.get(UserSession, session_id)
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return False
    now = utcnow()
    if now - row.last_seen_at > timeout:
        row.ended_at = now
        ctx.session.commit()
        return False
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        ctx.session.commit()
    return True


@use_case
def end_session(ctx: Context, session_id: str) -> None:
    ctx.session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


@use_case
def end_sessions(ctx: Context, user_id: int) -> None:
    """End every session of a user, wherever its cookie is."""
    ctx.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


@use_case
def change_password(ctx: Context, user_id: int, current: str, new: str) -> None:
    user = ctx.session.get(User, user_id)
    if user is None or not user.check_password(current):
        raise DomainError(
            "invalid_credentials", "The current password is wrong", field="current_password"
        )
    if len(new) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password",
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters",
            field="new_password",
        )
    user.set_password(new)
    end_sessions(ctx, user.id)  # a stolen cookie dies with the old password


@use_case
def grant_role(ctx: Context, user_id: int, territory_code: str, role: Role) -> None:
    ctx.plugins.territory(territory_code)
    user = ctx.session.get(User, user_id)
    if user is None:
        raise DomainError("not_found", f"User {user_id} not found")
    if not any(r.territory_code == territory_code and r.role == role for r in user.roles):
        user.roles.append(TerritoryRole(territory_code=territory_code, role=role))


TOKEN_PREFIX = "amal_"


def _hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@use_case
def create_token(
    ctx: Context, name: str, territory_code: str, role: Role, days: int = 90
) -> tuple[ApiToken, str]:
    """A new API token; returns it with its secret (shown once, stored hashed)."""
    ctx.plugins.territory(territory_code)
    if not name.strip():
        raise DomainError("required_field", "A token needs a name", field="name")
    if not 1 <= days <= 730:
        raise DomainError("invalid_value", "A token lasts between 1 and 730 days", field="days")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        token_hash=_hash_token(secret),
        territory_code=territory_code,
        role=Role(role),
        created_by=ctx.actor,
        expires_at=utcnow() + timedelta(days=days),
    )
    ctx.session.add(token)
    ctx.session.flush()
    return token, secret


@use_case
def revoke_token(ctx: Context, token_id: int) -> ApiToken:
    token = ctx.session.get(ApiToken, token_id)
    if token is None:
        raise DomainError("not_found", f"Token {token_id} not found")
    token.revoked_at = token.revoked_at or utcnow()
    return token


def token_for_secret(ctx: Context, secret: str) -> ApiToken | None:
    """The valid (not expired, not revoked) token with this secret, marked as used."""
    token = ctx.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    token.last_used_at = now
    ctx.session.commit()
    return token


@use_case
def set_password(ctx: Context, username: str, password: str) -> User:
    """An administrator's reset (no current password needed)."""
    user = ctx.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise DomainError("not_found", f"User {username!r} not found")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password", f"The password needs at least {MIN_PASSWORD_LENGTH} characters"
        )
    user.set_password(password)
    end_sessions(ctx, user.id)
    return user


@use_case
def set_active(ctx: Context, user_id: int, active: bool, *, by_user_id: int) -> User:
    """Deactivate (or reactivate) an account; nobody deactivates their own."""
    user = ctx.session.get(User, user_id)
    if user is None:
        raise DomainError("not_found", f"User {user_id} not found")
    if user.id == by_user_id and not active:
        raise DomainError("own_account", "You cannot deactivate your own account")
    user.is_active = active
    if not active:
        end_sessions(ctx, user.id)
    return user
