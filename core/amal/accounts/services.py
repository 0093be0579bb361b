"""Staff accounts: creation, login, server-side sessions, passwords, API tokens."""

from __future__ import annotations

import functools
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import DBAPIError
from werkzeug.security import check_password_hash, generate_password_hash

from amal.accounts.models import ApiToken, LoginAttempt, Role, TerritoryRole, User, UserSession
from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import utcnow
from amal.errors import DomainError
from amal.services import Context, use_case

log = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
# A session's last activity is written at most this often (not on every request).
SEEN_RESOLUTION = timedelta(seconds=60)


def normalise_username(username: str) -> str:
    """Usernames are case-insensitive: "L.Bianchi" and "l.bianchi" are one account,
    kept in lower case (the display name keeps the person's spelling)."""
    return username.strip().lower()


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
    """Create a user with optional ``(territory_code, role)`` pairs; the username
    is unique whatever its case."""
    typed, username = username.strip(), normalise_username(username)
    if not username:
        raise DomainError("invalid_username", "The username must not be empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            "weak_password", f"The password needs at least {MIN_PASSWORD_LENGTH} characters"
        )
    if ctx.session.scalar(select(User.id).where(User.username == username)):
        raise DomainError("duplicate_username", f"User {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name.strip() or typed,
        email=email,
        is_admin=is_admin,
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
    active (timing tells nothing). Throttling is the caller's, before this.
    The username is matched whatever its case."""
    username = normalise_username(username)
    user = ctx.session.scalar(select(User).where(User.username == username))
    if user is None:
        check_password_hash(_dummy_hash(), password)
        ok = False
    else:
        ok = user.check_password(password) and user.is_active
    _record_attempt(ctx, username, remote_addr, ok)
    if not ok:
        raise DomainError("invalid_credentials", "Wrong username or password")
    assert user is not None
    return user


def _record_attempt(ctx: Context, username: str, remote_addr: str, ok: bool) -> None:
    """Keep the attempt (for throttling and audit) in its own transaction: a
    failed attempt is kept although the login then fails. On a read-only
    database (a replica, maintenance) it cannot be kept: logins still work."""
    try:
        _store_attempt(ctx, username, remote_addr, ok)
    except DBAPIError as exc:
        log.warning("login attempt of %r not recorded: %s", username, exc.orig)


@use_case
def _store_attempt(ctx: Context, username: str, remote_addr: str, ok: bool) -> None:
    ctx.session.add(
        LoginAttempt(username=username[:80], remote_addr=remote_addr[:64], succeeded=ok)
    )


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
        _commit_if_writable(ctx)
        return False
    if now - row.last_seen_at > SEEN_RESOLUTION:
        row.last_seen_at = now
        _commit_if_writable(ctx)
    return True


def _commit_if_writable(ctx: Context) -> None:
    """Keep a session's bookkeeping; on a read-only database (a replica,
    maintenance) it is skipped and reads go on working."""
    try:
        ctx.session.commit()
    except DBAPIError as exc:
        ctx.session.rollback()
        log.warning("session activity not recorded: %s", exc.orig)


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


@use_case
def remove_role(ctx: Context, user_id: int, role_id: int) -> TerritoryRole:
    """Take one role in one territory away from a user (it can be granted again);
    their other roles stay. Takes effect on their next request."""
    role = ctx.session.get(TerritoryRole, role_id)
    if role is None or role.user_id != user_id:
        raise DomainError("not_found", f"User {user_id} has no role {role_id}")
    ctx.session.delete(role)
    return role


def find_role(ctx: Context, username: str, territory_code: str, role: Role) -> TerritoryRole:
    """A user's role by name (for the CLI), or ``not_found``."""
    found = ctx.session.scalar(
        select(TerritoryRole)
        .join(User, User.id == TerritoryRole.user_id)
        .where(
            User.username == normalise_username(username),
            TerritoryRole.territory_code == territory_code,
            TerritoryRole.role == role,
        )
    )
    if found is None:
        raise DomainError(
            "not_found", f"User {username!r} has no role {role.value} in {territory_code}"
        )
    return found


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


# A token's last use is recorded at most this often: no write per API request
# (requests sharing a token would queue on its row; a read-only database works).
USAGE_RESOLUTION = timedelta(minutes=1)


def token_for_secret(ctx: Context, secret: str) -> ApiToken | None:
    """The valid (not expired, not revoked) token with this secret. Its
    ``last_used_at`` is updated when older than :data:`USAGE_RESOLUTION`."""
    token = ctx.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash_token(secret)))
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if token.last_used_at is None or token.last_used_at <= now - USAGE_RESOLUTION:
        try:
            _mark_used(ctx, token.id, now)
        except DBAPIError as exc:  # read-only database: usage is not essential
            log.warning("last use of token %s not recorded: %s", token.id, exc.orig)
    return token


@use_case
def _mark_used(ctx: Context, token_id: int, now: datetime) -> None:
    # Conditional: of concurrent requests in the same minute only one writes.
    ctx.session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - USAGE_RESOLUTION),
        )
        .values(last_used_at=now)
    )


@use_case
def set_password(ctx: Context, username: str, password: str) -> User:
    """An administrator's reset (no current password needed)."""
    user = ctx.session.scalar(select(User).where(User.username == normalise_username(username)))
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
def set_active(
    ctx: Context, user_id: int, active: bool, *, by_user_id: int, reason: str = ""
) -> User:
    """Deactivate (or reactivate: the undo) an account; nobody deactivates
    their own. The change and its ``reason`` go to the audit log."""
    user = ctx.session.get(User, user_id)
    if user is None:
        raise DomainError("not_found", f"User {user_id} not found")
    if user.id == by_user_id and not active:
        raise DomainError("own_account", "You cannot deactivate your own account")
    if user.is_active != active:
        record(
            ctx,
            AuditAction.UPDATE,
            "user",
            user.id,
            is_active=active,
            reason=reason.strip(),
        )
    user.is_active = active
    if not active:
        end_sessions(ctx, user.id)
    return user
