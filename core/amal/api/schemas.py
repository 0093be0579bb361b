"""Base schemas: every API input is strict (unknown fields are errors)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load


def _nul_fields(data: Any, path: str = "") -> list[str]:
    if isinstance(data, str):
        return [path or "_schema"] if "\x00" in data else []
    if isinstance(data, dict):
        return [f for key, value in data.items() for f in _nul_fields(value, str(key))]
    if isinstance(data, list):
        return [f for value in data for f in _nul_fields(value, path)]
    return []


class StrictSchema(Schema):
    """Unknown fields are errors, and so are NUL characters (PostgreSQL cannot
    store them in text)."""

    class Meta:
        unknown = RAISE

    @pre_load
    def refuse_nul(self, data: Any, **_kwargs: Any) -> Any:
        bad = _nul_fields(data)
        if bad:
            raise ValidationError({name: ["NUL characters are not allowed."] for name in bad})
        return data


class ReasonSchema(StrictSchema):
    reason = fields.Str(load_default="", metadata={"description": "Why (required for some moves)"})


# The optional date of every field recording an event (amal.events.event_date).
EVENT_DAY = {
    "description": "The day it happened (default today; never in the future; "
    "back-dating is audited)"
}
