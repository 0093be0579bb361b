"""A month of meetings as a calendar grid (weeks from Monday)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from amal.errors import DomainError


@dataclass(frozen=True)
class Month:
    first: date

    @property
    def last(self) -> date:
        return self.next.first - timedelta(days=1)

    @property
    def previous(self) -> Month:
        return Month((self.first - timedelta(days=1)).replace(day=1))

    @property
    def next(self) -> Month:
        days = calendar.monthrange(self.first.year, self.first.month)[1]
        return Month(self.first + timedelta(days=days))

    @property
    def code(self) -> str:
        return f"{self.first:%Y-%m}"

    def weeks(self) -> list[list[date]]:
        """The weeks (Monday to Sunday) that the month touches, whole."""
        start = self.first - timedelta(days=self.first.weekday())
        end = self.last + timedelta(days=6 - self.last.weekday())
        days = [start + timedelta(days=n) for n in range((end - start).days + 1)]
        return [days[i : i + 7] for i in range(0, len(days), 7)]


def parse_month(text: str, today: date) -> Month:
    """``YYYY-MM`` (empty: the current month)."""
    text = (text or "").strip()
    if not text:
        return Month(today.replace(day=1))
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match[2]) <= 12 or not 1900 < int(match[1]) < 2200:
        raise DomainError("invalid_month", f"Invalid month {text!r}: use YYYY-MM", field="month")
    return Month(date(int(match[1]), int(match[2]), 1))
