"""Counts per territory and status (the home page and ``amal stats``).

A fixed number of queries whatever the data size: one GROUP BY per table.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amal.groups.models import Group
from amal.meetings.models import Meeting
from amal.participants.models import Participant
from amal.referrals.models import Referral

COUNTED = {
    "participants": Participant,
    "groups": Group,
    "meetings": Meeting,
    "referrals": Referral,
}


def instance_counts(session: Session) -> dict[str, dict[str, dict[str, int]]]:
    """``{territory: {"participants": {status: n}, "groups": {...}, ...}}``."""
    counts: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
    for label, model in COUNTED.items():
        rows = session.execute(
            select(model.territory_code, model.status, func.count())
            .group_by(model.territory_code, model.status)
            .order_by(model.territory_code, model.status)
        )
        for territory, status, n in rows:
            counts[territory][label][status.value] = n
    return {code: dict(per_table) for code, per_table in counts.items()}
