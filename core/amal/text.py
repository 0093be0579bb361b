"""Which characters text may carry into the database.

Refused everywhere text comes in (web forms, API schemas, and the database
session itself, which covers the CLI and anything else): NUL (PostgreSQL cannot
store it), the other C0 and C1 control characters (they break XLSX files and
terminals; tab, line feed and carriage return stay), and the bidirectional
override/isolate characters that make a name display as something else.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import String, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from amal.errors import DomainError

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def has_forbidden(value: str) -> bool:
    return FORBIDDEN.search(value) is not None


def forbidden_paths(data: Any, path: str = "") -> list[str]:
    """The field names (dotted keys of a JSON document) whose text is refused."""
    if isinstance(data, str):
        return [path or "_schema"] if has_forbidden(data) else []
    if isinstance(data, dict):
        return [
            bad
            for key, value in data.items()
            for bad in forbidden_paths(value, f"{path}.{key}" if path else str(key))
            + ([path or str(key)] if isinstance(key, str) and has_forbidden(key) else [])
        ]
    if isinstance(data, list):
        return [bad for value in data for bad in forbidden_paths(value, path)]
    return []


def guard_sessions(factory: sessionmaker[Session]) -> None:
    """Refuse, at flush, any text column about to be written with such characters."""

    @event.listens_for(factory, "before_flush")
    def refuse_forbidden_text(session: Session, _context: Any, _instances: Any) -> None:
        for obj in [*session.new, *session.dirty]:
            state = inspect(obj)
            for column in state.mapper.columns:
                if not isinstance(column.type, String):
                    continue
                attribute = state.mapper.get_property_by_column(column).key
                value = getattr(obj, attribute, None)
                if isinstance(value, str) and has_forbidden(value):
                    raise DomainError(
                        "invalid_characters",
                        f"{attribute} contains control characters",
                        field=attribute,
                    )
