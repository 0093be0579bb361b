"""Merging two records of the same person: a duplicate D into the record to keep K.

The typical duplicate is a second intake of someone already registered. A
coordinator merges it; what D holds moves to K in one transaction, K's empty
contact and employment fields are filled from D (each fill recorded as a
correction of K), D's status history is dropped and D's row deleted, so that no
list or funder count sees the person twice. A D that has a path (an enrolment,
an attendance, an outcome) is refused: that case is handled by hand.

Every table with a foreign key to ``participant.id`` must be named in
:data:`HANDLING` (a test derives the tables from the models and fails on a new
one): moving rows silently, or losing them to the delete's cascade, is the
error this list prevents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import delete, exists, func, select, update

from amal.audit.models import AuditAction
from amal.audit.services import record, record_read
from amal.consent.models import Consent
from amal.db import Base, utcnow
from amal.errors import DomainError
from amal.groups.models import Enrolment, WaitlistEntry
from amal.meetings.models import Attendance, InfoInvitation
from amal.outcomes.models import Outcome
from amal.participants.models import FieldChange, Participant, StatusChange
from amal.participants.services import _open_record, _shown
from amal.services import Context, use_case
from amal.wellbeing.models import Administration

# What happens to each table's rows of D. "refuse": any row makes D unmergeable;
# "drop": deleted with D; "move": participant_id becomes K's; the others are
# moved with a rule of their own (see merge_records).
HANDLING: dict[str, str] = {
    "enrolment": "refuse",
    "attendance": "refuse",
    "outcome": "refuse",
    "participant_status_change": "drop",
    "consent": "move, superseding D's where K has the same purpose active",
    "wellbeing_administration": "move, refusing an instrument and phase K also has",
    "wellbeing_correction": "move",
    "referral": "move",
    "diary_entry": "move",
    "diary_revision": "move",
    "participant_field_change": "move",
    "info_invitation": "move, unless K was invited to the same meeting",
    "info_walk_in": "move",
    "group_waitlist": "move, unless K is on the same list",
    "participant_transfer": "move",
    # The Lecco help desk's contacts (plugin amal-lecco), when installed.
    "lecco_sportello_contact": "move",
}
REFUSE = (Enrolment, Attendance, Outcome)
# Filled on K from D when K's is empty: contacts and work history.
FILLABLE = (
    "email",
    "phone",
    "municipality",
    "last_employer",
    "sector",
    "months_out_of_work",
    "heard_from",
    "needs",
)
MERGE_FIELD = "merged_from"  # the FieldChange marking the merge on K's history


def participant_tables() -> dict[str, list[str]]:
    """Every table with a foreign key to ``participant.id``, with those columns."""
    found: dict[str, list[str]] = {}
    for table in Base.metadata.tables.values():
        for fk in table.foreign_keys:
            if fk.column.table.name == "participant" and table.name != "participant":
                found.setdefault(table.name, []).append(fk.parent.name)
    return found


def _refuse(why: str, message: str, **details: Any) -> DomainError:
    return DomainError("merge_refused", message, why=why, **details)


@dataclass
class MergePreview:
    """Both records and what would move from D to K."""

    keep: Participant
    duplicate: Participant
    moves: dict[str, int] = field(default_factory=dict)
    fills: dict[str, tuple[str, str]] = field(default_factory=dict)


def _count(ctx: Context, table_name: str, column: str, participant_id: int) -> int:
    table = Base.metadata.tables[table_name]
    return ctx.session.scalar(
        select(func.count()).select_from(table).where(table.c[column] == participant_id)
    )


def _shared_invitations(d: int, k: int):  # type: ignore[no-untyped-def]
    """D's invitations to meetings K is invited to as well (not moved: removed)."""
    return InfoInvitation.participant_id == d, InfoInvitation.meeting_id.in_(
        select(InfoInvitation.meeting_id).where(InfoInvitation.participant_id == k)
    )


def _shared_waitlists(d: int, k: int):  # type: ignore[no-untyped-def]
    """D's places on waiting lists K is on as well (not moved: removed)."""
    return WaitlistEntry.participant_id == d, WaitlistEntry.group_id.in_(
        select(WaitlistEntry.group_id).where(WaitlistEntry.participant_id == k)
    )


def _check(ctx: Context, keep: Participant, duplicate: Participant) -> None:
    if keep.id == duplicate.id:
        raise _refuse("same_record", "A record cannot be merged into itself")
    if keep.territory_code != duplicate.territory_code:
        raise _refuse("other_territory", "The two records are in different territories")
    for model in REFUSE:
        if ctx.session.scalar(select(exists().where(model.participant_id == duplicate.id))):
            raise _refuse(
                "has_path",
                f"Record {duplicate.id} was enrolled in a group, attended a meeting or has "
                "an outcome: merge it by hand",
                duplicate_id=duplicate.id,
            )
    theirs = set(
        ctx.session.execute(
            select(Administration.instrument, Administration.phase).where(
                Administration.participant_id == keep.id
            )
        ).all()
    )
    mine = ctx.session.execute(
        select(Administration.instrument, Administration.phase).where(
            Administration.participant_id == duplicate.id
        )
    ).all()
    if theirs & set(mine):
        raise _refuse(
            "wellbeing_clash",
            "Both records have the same questionnaire for the same phase: correct one first",
        )


def _fills(keep: Participant, duplicate: Participant) -> dict[str, tuple[str, str]]:
    return {
        name: (_shown(getattr(keep, name)), _shown(getattr(duplicate, name)))
        for name in FILLABLE
        if getattr(keep, name) in (None, "") and getattr(duplicate, name) not in (None, "")
    }


def _open_pair(
    ctx: Context, keep_id: int, duplicate_id: int, *, for_update: bool = False
) -> tuple[Participant, Participant]:
    keep = _open_record(ctx, keep_id, for_update=for_update)
    duplicate = _open_record(ctx, duplicate_id, for_update=for_update)
    _check(ctx, keep, duplicate)
    return keep, duplicate


@use_case
def preview_merge(ctx: Context, keep_id: int, duplicate_id: int) -> MergePreview:
    """What merging ``duplicate_id`` into ``keep_id`` would do (refusals raised
    now); the read of both records is audited."""
    keep, duplicate = _open_pair(ctx, keep_id, duplicate_id)
    record_read(
        ctx, "participant", [keep.id, duplicate.id], territory_code=keep.territory_code, merge=True
    )
    moves = {
        name: sum(_count(ctx, name, column, duplicate.id) for column in columns)
        for name, columns in sorted(participant_tables().items())
        if HANDLING.get(name, "").startswith("move")
    }
    for model, shared in (
        (InfoInvitation, _shared_invitations),
        (WaitlistEntry, _shared_waitlists),
    ):
        moves[model.__tablename__] -= ctx.session.scalar(
            select(func.count()).select_from(model).where(*shared(duplicate.id, keep.id))
        )
    return MergePreview(
        keep, duplicate, {k: v for k, v in moves.items() if v}, _fills(keep, duplicate)
    )


@use_case
def merge_records(ctx: Context, keep_id: int, duplicate_id: int, reason: str) -> dict[str, int]:
    """Merge the duplicate record into the record to keep; returns the rows moved
    by table. Refused (``merge_refused``) when D has a path, is K, or is in
    another territory; an unknown table with a participant key stops it too."""
    reason = reason.strip()
    if not reason:
        raise DomainError("reason_required", "Give the reason for the merge")
    keep, duplicate = _open_pair(ctx, keep_id, duplicate_id, for_update=True)
    tables = participant_tables()
    unknown = sorted(set(tables) - set(HANDLING))
    if unknown:
        raise _refuse("unknown_table", f"No merge rule for {', '.join(unknown)}")
    session = ctx.session
    today = date.today()
    d, k = duplicate.id, keep.id

    # Rows K already has an equivalent of: D's is superseded or removed, not doubled.
    purposes = select(Consent.purpose).where(
        Consent.participant_id == k, Consent.withdrawn_at.is_(None), Consent.superseded_on.is_(None)
    )
    session.execute(
        update(Consent)
        .where(
            Consent.participant_id == d,
            Consent.withdrawn_at.is_(None),
            Consent.superseded_on.is_(None),
            Consent.purpose.in_(purposes),
        )
        .values(superseded_on=today)
        .execution_options(synchronize_session=False)
    )
    for model, shared in (
        (InfoInvitation, _shared_invitations),
        (WaitlistEntry, _shared_waitlists),
    ):
        session.execute(
            delete(model).where(*shared(d, k)).execution_options(synchronize_session=False)
        )
    moved: dict[str, int] = {}
    for name, columns in sorted(tables.items()):
        if not HANDLING[name].startswith("move"):
            continue
        table = Base.metadata.tables[name]
        for column in columns:
            result = session.execute(update(table).where(table.c[column] == d).values({column: k}))
            if result.rowcount:
                moved[name] = moved.get(name, 0) + result.rowcount

    note = f" (dal record unito n. {d})"
    fills = _fills(keep, duplicate)
    for name in sorted(fills):
        session.add(
            FieldChange(
                participant_id=k,
                changed_by=ctx.actor,
                field=name,
                old_value=fills[name][0],
                new_value=fills[name][1] + note,
            )
        )
        setattr(keep, name, getattr(duplicate, name))
    # An UPDATE of K even without fills: its version moves, API copies (ETags) go stale.
    keep.updated_at = utcnow()
    session.flush()
    session.add(
        FieldChange(
            participant_id=k,
            changed_by=ctx.actor,
            field=MERGE_FIELD,
            old_value=str(d),
            new_value=reason,
        )
    )
    session.execute(delete(StatusChange).where(StatusChange.participant_id == d))
    session.expire_all()
    session.execute(delete(Participant).where(Participant.id == d))
    keep = session.get(Participant, k)
    record(
        ctx,
        AuditAction.UPDATE,
        "participant",
        k,
        participant_id=k,
        territory_code=keep.territory_code,
        merged_from=d,
        moved=moved,
        filled=sorted(fills),
        reason=reason,
    )
    return moved
