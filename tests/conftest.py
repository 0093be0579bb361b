"""Factories for the core's tests (the app/db fixtures come from amal.testing)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date

import pytest

from amal.consent.models import ConsentPurpose
from amal.consent.services import current_notice, publish_notice, record_consents
from amal.participants.models import Participant, ParticipantStatus
from amal.participants.services import change_status, register_candidate
from amal.services import Context


@pytest.fixture
def person(ctx: Context) -> Callable[..., Participant]:
    """``person(territory, status=..., consents=...)`` makes a participant the
    legal way: registered, consented, screened, admitted."""
    numbers = itertools.count(1)

    def make(
        territory: str = "monza-brianza",
        status: ParticipantStatus = ParticipantStatus.ADMITTED,
        consents: tuple[ConsentPurpose, ...] = tuple(ConsentPurpose),
        on: date | None = None,
        **fields: object,
    ) -> Participant:
        """Every step dated ``on`` (default today)."""
        n = next(numbers)
        if current_notice(ctx.session, territory) is None:
            publish_notice(ctx, territory, "1.0", "Informativa privacy")
        fields = {
            "first_name": f"Nome{n}",
            "last_name": f"Cognome{n}",
            "birth_date": date(1970, 1, 1 + n % 28),
            **fields,
        }
        participant = register_candidate(ctx, territory, registered_on=on, **fields)
        if consents:
            record_consents(ctx, participant.id, consents, granted_on=on)
        if status == ParticipantStatus.CANDIDATE:
            return participant
        change_status(ctx, participant.id, ParticipantStatus.SCREENED, occurred_on=on)
        if status == ParticipantStatus.ADMITTED:
            change_status(ctx, participant.id, ParticipantStatus.ADMITTED, occurred_on=on)
        elif status != ParticipantStatus.SCREENED:
            raise ValueError(f"person() makes candidates, screened or admitted, not {status}")
        return participant

    return make
