"""Base schemas: every API input is strict (unknown fields are errors)."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load, validate

from amal.db import MAX_INT
from amal.text import forbidden_paths


def bound_integers(field: fields.Field) -> None:
    """Give every integer (alone, in a list, as dict values) the range the
    databases store, unless it declares a narrower one: too large a number is
    a 422 naming the field, never an overflow in the database."""
    if isinstance(field, fields.List):
        bound_integers(field.inner)
    elif isinstance(field, fields.Dict) and field.value_field is not None:
        bound_integers(field.value_field)
    elif isinstance(field, fields.Integer) and not any(
        isinstance(v, validate.Range) for v in field.validators
    ):
        field.validators.append(validate.Range(-MAX_INT - 1, MAX_INT))


class StrictSchema(Schema):
    """Unknown fields are errors, and so is text with control characters
    (see :mod:`amal.text`)."""

    class Meta:
        unknown = RAISE

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        bound_integers(field_obj)

    @pre_load
    def refuse_control_characters(self, data: Any, **_kwargs: Any) -> Any:
        bad = forbidden_paths(data)
        if bad:
            raise ValidationError(
                {name: ["Control characters (NUL included) are not allowed."] for name in bad}
            )
        return data


class ReasonSchema(StrictSchema):
    reason = fields.Str(load_default="", metadata={"description": "Why (required for some moves)"})


# The optional date of every field recording an event (amal.events.event_date).
EVENT_DAY = {
    "description": "The day it happened (default today; never in the future; "
    "back-dating is audited)"
}
