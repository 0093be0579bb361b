"""Creating staff accounts."""

from __future__ import annotations

from sqlalchemy import select

from amal.accounts.models import Role, TerritoryRole, User
from amal.errors import DomainError
from amal.services import Context, use_case

MIN_PASSWORD_LENGTH = 10


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
