"""Date sense: the one rule set that says whether a date a person typed makes
sense, shared by web, API and CLI because the services call it.

:mod:`amal.events` says *when* an event happened (today by default, never in
the future, never before its record); this module holds the rules about what
a date means in its domain:

- a birth date is not in the future and the person is at least the territory's
  minimum age (:attr:`amal.plugins.definitions.GroupPolicy.minimum_age`, 16 by
  default: the Italian minimum working age);
- a fiscal code agrees with the birth date and sex typed beside it (a warning:
  a coordinator may keep both with a reason, e.g. an "omocodia" code);
- a questionnaire's phases come in order (entry, midway, end) and none is in
  the future;
- a meeting is not before its group's start, keeps its place in the group's
  plan, and falls on a holiday only with a reason.

Each rule raises :class:`amal.errors.DomainError` with a stable code and the
``field`` it concerns, so the web shows it next to that field, the API answers
422 with that code and the CLI prints it and exits 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from stdnum.exceptions import ValidationError as StdnumValidationError
from stdnum.it import codicefiscale

from amal.errors import DomainError

DEFAULT_MINIMUM_AGE = 16
PHASE_ORDER = ("entry", "midway", "end")


def age_on(birth: date, day: date) -> int:
    """Completed years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def check_birth_date(
    birth: date | None, *, minimum_age: int = DEFAULT_MINIMUM_AGE, today: date | None = None
) -> None:
    """Refuse a birth date in the future (``birth_date_in_future``) or of someone
    younger than ``minimum_age`` (``too_young``)."""
    if birth is None:
        return
    today = today or date.today()
    if birth > today:
        raise DomainError(
            "birth_date_in_future",
            f"The birth date {birth.isoformat()} is in the future",
            field="birth_date",
        )
    if age_on(birth, today) < minimum_age:
        raise DomainError(
            "too_young",
            f"Born on {birth.isoformat()}: younger than {minimum_age}, "
            "this territory's minimum age",
            field="birth_date",
            minimum_age=minimum_age,
        )


def fiscal_code_conflicts(code: str | None, birth: date | None, gender: str | None) -> list[str]:
    """What the fiscal code contradicts among the birth date and sex typed:
    ``["birth_date"]``, ``["gender"]``, both, or none. Only what was typed is
    compared (no birth date, or a sex other than F/M, contradicts nothing)."""
    if not code:
        return []
    conflicts = []
    try:
        coded_birth = codicefiscale.get_birth_date(code)
        coded_gender = codicefiscale.get_gender(code)
    except (StdnumValidationError, ValueError):
        return []  # the format check (amal.participants.normalise) speaks for the code itself
    # The code holds two digits of the year: compare those, not the century stdnum guesses.
    if birth is not None and (coded_birth.day, coded_birth.month, coded_birth.year % 100) != (
        birth.day,
        birth.month,
        birth.year % 100,
    ):
        conflicts.append("birth_date")
    if gender in ("F", "M") and coded_gender != gender:
        conflicts.append("gender")
    return conflicts


def check_fiscal_code(
    code: str | None, birth: date | None, gender: str | None, *, override_reason: str = ""
) -> list[str]:
    """Refuse (``fiscal_code_mismatch``) a fiscal code that contradicts the
    birth date or sex, unless ``override_reason`` says why both are right.
    Returns the conflicts accepted with the reason (to be audited)."""
    conflicts = fiscal_code_conflicts(code, birth, gender)
    if conflicts and not override_reason.strip():
        raise DomainError(
            "fiscal_code_mismatch",
            f"The fiscal code {code} does not match the {' and '.join(conflicts)} entered: "
            "correct them, or give a reason to keep them",
            field="fiscal_code",
            conflicts=conflicts,
        )
    return conflicts


def check_questionnaire_date(
    day: date, phase: str, recorded: Mapping[str, date], *, today: date | None = None
) -> None:
    """A questionnaire of ``phase`` on ``day``, given the dates of the phases
    already ``recorded`` for the same person and instrument: not in the future
    (``questionnaire_in_future``), not before an earlier phase nor after a later
    one (``phase_out_of_order``)."""
    today = today or date.today()
    if day > today:
        raise DomainError(
            "questionnaire_in_future",
            f"The questionnaire date {day.isoformat()} is in the future",
            field="administered_on",
        )
    position = PHASE_ORDER.index(phase)
    for other, other_day in recorded.items():
        if other == phase:
            continue
        before = PHASE_ORDER.index(other) < position
        if (before and day < other_day) or (not before and day > other_day):
            raise DomainError(
                "phase_out_of_order",
                f"The {phase} questionnaire ({day.isoformat()}) cannot come "
                f"{'before' if before else 'after'} the {other} one ({other_day.isoformat()})",
                field="administered_on",
                other_phase=other,
                other_date=other_day.isoformat(),
            )


def check_meeting_date(
    day: date,
    *,
    group_start: date | None,
    holidays: Mapping[date, str],
    previous: date | None = None,
    following: date | None = None,
    holiday_reason: str = "",
) -> None:
    """A group's meeting on ``day``: not before the group's start
    (``meeting_before_group_start``), strictly between the plan's previous and
    following meeting (``meeting_out_of_order``: shift the plan instead), and
    on a holiday only with ``holiday_reason`` (``meeting_on_holiday``)."""
    if group_start is not None and day < group_start:
        raise DomainError(
            "meeting_before_group_start",
            f"{day.isoformat()} is before the group's start ({group_start.isoformat()})",
            field="on",
            group_start=group_start.isoformat(),
        )
    if (previous is not None and day <= previous) or (following is not None and day >= following):
        raise DomainError(
            "meeting_out_of_order",
            f"{day.isoformat()} would change the order of the group's meetings: "
            "shift the rest of the plan instead",
            field="on",
        )
    if day in holidays and not holiday_reason.strip():
        raise DomainError(
            "meeting_on_holiday",
            f"{day.isoformat()} is a holiday ({holidays[day]}): give a reason to meet anyway",
            field="on",
            holiday=holidays[day],
        )
