"""The core's eligibility checks, registered as the built-in plugin
``amal.participants.eligibility`` so they run exactly like a plugin's."""

from __future__ import annotations

from datetime import date

from sqlalchemy import inspect

from amal.consent.models import ConsentPurpose
from amal.participants.models import Participant
from amal.plugins import TerritoryDefinition, hookimpl

ADULT_AGE = 18


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@hookimpl
def amal_eligibility_problems(
    participant: Participant, territory: TerritoryDefinition
) -> list[str]:
    from amal.consent.services import has_consent  # consent imports participants

    problems = []
    session = inspect(participant).session
    if session is None or not has_consent(session, participant.id, ConsentPurpose.PROCESSING):
        problems.append("No active consent to the processing of personal data")
    if participant.birth_date is None:
        problems.append("Birth date missing")
    elif age_on(participant.birth_date, date.today()) < ADULT_AGE:
        problems.append(f"Younger than {ADULT_AGE}")
    return problems
