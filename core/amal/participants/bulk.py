"""Several people at once: admit (or waitlist, screen...) a selection, or enrol
a selection in a group, in ONE transaction. Each person is tried in a savepoint,
so that every refusal is known (and named) before anything is kept: if one
person is refused, nobody changes, and the error lists each refusal."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from amal.errors import DomainError
from amal.groups.services import enrol
from amal.participants.models import ParticipantStatus
from amal.participants.services import change_status
from amal.services import Context, use_case

MAX_BATCH = 200


def _each(ctx: Context, ids: Sequence[int], step: Callable[[int], object]) -> None:
    ids = list(dict.fromkeys(ids))  # once each, in the order given
    if not ids:
        raise DomainError("nobody_selected", "Select at least one person", field="ids")
    if len(ids) > MAX_BATCH:
        raise DomainError(
            "batch_too_large", f"At most {MAX_BATCH} people at once", maximum=MAX_BATCH
        )
    refusals: dict[int, dict[str, str]] = {}
    for participant_id in ids:
        savepoint = ctx.session.begin_nested()
        try:
            step(participant_id)
            savepoint.commit()
        except DomainError as error:
            savepoint.rollback()
            refusals[participant_id] = {"code": error.code, "message": error.message}
    if refusals:
        raise DomainError(
            "bulk_refused",
            f"{len(refusals)} of {len(ids)} people refused, nothing saved: "
            + "; ".join(f"{pid}: {r['message']}" for pid, r in refusals.items()),
            refusals=refusals,
        )


@use_case
def change_statuses(
    ctx: Context,
    ids: Sequence[int],
    to_status: ParticipantStatus | str,
    reason: str = "",
    occurred_on: date | None = None,
) -> int:
    """The same transition for everyone in ``ids`` on ``occurred_on``; all or nothing.
    Returns how many changed."""
    _each(ctx, ids, lambda pid: change_status(ctx, pid, to_status, reason, occurred_on))
    return len(set(ids))


@use_case
def enrol_many(
    ctx: Context,
    group_id: int,
    ids: Sequence[int],
    *,
    enrolled_on: date | None = None,
) -> int:
    """Enrol everyone in ``ids`` in the group on ``enrolled_on``; all or nothing
    (a group that would overflow refuses the people beyond its capacity)."""
    _each(ctx, ids, lambda pid: enrol(ctx, group_id, pid, enrolled_on=enrolled_on))
    return len(set(ids))
