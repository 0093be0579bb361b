"""Reporting periods as funders name them: 2026-Q1, 2026-S2, project, a date range."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from amal.db import ITALY
from amal.errors import DomainError

# Reports cover the years the programme can have run in: nothing before 2000,
# nothing past the end of this century.
MIN_YEAR, MAX_YEAR = 2000, 2099
PERIOD_KINDS = ("quarter", "semester", "project", "custom")
FORMATS = {
    "quarter": "YYYY-Qn, e.g. 2026-Q1",
    "semester": "YYYY-Sn, e.g. 2026-S2",
    "project": "'project' (the dates of the territory's current project)",
    "custom": "YYYY-MM-DD..YYYY-MM-DD",
}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str

    @property
    def starts_at(self) -> datetime:
        """The first instant of the period, Italian time, as UTC."""
        return datetime.combine(self.start, time.min, ITALY).astimezone(UTC)

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period, Italian time, as UTC."""
        return datetime.combine(self.end + timedelta(days=1), time.min, ITALY).astimezone(UTC)


def parse_period(
    text: str, kind: str, today: date | None = None, project: Period | None = None
) -> Period:
    """Read ``text`` as a period of ``kind``; a clear error says the expected form.
    ``project`` is the territory's current project (its dates and title), which
    the ``project`` period covers."""
    text = text.strip()
    today = today or date.today()
    if kind == "quarter" and (m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.I)):
        year, n = _year(int(m[1]), text), int(m[2])
        start = date(year, 3 * n - 2, 1)
        return Period(start, _month_end(year, 3 * n), f"{year} trimestre {n}")
    if kind == "semester" and (m := re.fullmatch(r"(\d{4})-[SH]([12])", text, re.I)):
        year, n = _year(int(m[1]), text), int(m[2])
        return Period(date(year, 6 * n - 5, 1), _month_end(year, 6 * n), f"{year} semestre {n}")
    if kind == "project" and text.lower() in {"project", "progetto"}:
        if project is None:
            raise DomainError(
                "no_project", "The territory has no project: the project period has no dates"
            )
        return project
    if kind == "custom" and (m := re.fullmatch(r"(\S+)\.\.(\S+)", text)):
        try:
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
        except ValueError as exc:
            raise DomainError("invalid_period", f"Invalid date in {text!r}: {exc}") from None
        _year(start.year, text)
        _year(end.year, text)
        if end < start:
            raise DomainError("invalid_period", f"The period {text!r} ends before it starts")
        return Period(start, end, f"dal {start:%d/%m/%Y} al {end:%d/%m/%Y}")
    if kind not in FORMATS:
        raise DomainError("invalid_period", f"Unknown period kind {kind!r}")
    raise DomainError(
        "invalid_period", f"This report covers a {kind}: write the period as {FORMATS[kind]}"
    )


def _year(year: int, text: str) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DomainError(
            "invalid_period", f"The period {text!r} is outside the years {MIN_YEAR}-{MAX_YEAR}"
        )
    return year


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def project_period(title: str, start: date, end: date) -> Period:
    return Period(start, end, f"progetto {title}")


def recent_periods(kind: str, today: date, years: int = 3) -> list[tuple[str, Period]]:
    """The periods of ``kind`` to choose from, newest first: every quarter or
    semester begun in the last ``years`` years (``quarter`` and ``semester``
    only; a project or custom period has no list)."""
    steps = {"quarter": ("Q", 3), "semester": ("S", 6)}
    if kind not in steps:
        return []
    letter, months = steps[kind]
    found = []
    for year in range(today.year, today.year - years, -1):
        for n in range(12 // months, 0, -1):
            if date(year, months * (n - 1) + 1, 1) > today:
                continue
            value = f"{year}-{letter}{n}"
            found.append((value, parse_period(value, kind, today)))
    return found
