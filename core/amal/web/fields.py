"""Form fields with Italian conventions, whatever the browser's locale.

A browser's ``<input type=date>`` shows dates in the browser's own format
(mm/dd/yyyy in an English Chromium): staff type and read dd/mm/yyyy here, in a
text field parsed on the server. ISO dates (yyyy-mm-dd) are accepted too, as
a browser's date picker, a paste from a spreadsheet or a script would send."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField as BaseDateField
from wtforms.widgets import TextInput

from amal.errors import DomainError

ITALIAN = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


def parse_day(text: str) -> date:
    """``text`` as a day: dd/mm/yyyy (also with - or .) or yyyy-mm-dd.
    ValueError when it is neither, or no such day exists."""
    text = text.strip()
    if m := ITALIAN.fullmatch(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    elif m := ISO.fullmatch(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        raise ValueError(f"{text!r} is not a dd/mm/yyyy date")
    return date(year, month, day)


def form_day(text: str, field: str) -> date:
    """A day typed in a plain form field; a DomainError naming the field if not."""
    try:
        return parse_day(text)
    except ValueError:
        raise DomainError("invalid_date", f"Invalid date {text!r}", field=field) from None


def show_day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else ""


class DateField(BaseDateField):
    """WTForms' date field as a dd/mm/yyyy text input (see the module)."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {"inputmode": "numeric", "autocomplete": "off", "placeholder": _l("dd/mm/yyyy")}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return show_day(self.data)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            self.data = parse_day(str(valuelist[0]))
        except ValueError:
            self.data = None
            raise ValueError(_l("Write the date as dd/mm/yyyy.")) from None
