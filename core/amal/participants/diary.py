"""The case diary of a participant: dated notes by the staff who follow the
person (coordinators and intake operators), correctable with history, read
with an audit trace. Exported and erased with the person
(:mod:`amal.consent.personal_data`)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import utcnow
from amal.errors import DomainError
from amal.events import event_date
from amal.participants.models import DiaryEntry, DiaryRevision, Participant, StatusChange
from amal.services import Context, NotFound, fetch, use_case

MAX_TEXT = 5000


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise DomainError("diary_text_required", "A diary entry needs some text", field="text")
    if len(text) > MAX_TEXT:
        raise DomainError(
            "diary_text_too_long",
            f"A diary entry is at most {MAX_TEXT} characters (this one has {len(text)})",
            field="text",
            maximum=MAX_TEXT,
        )
    return text


def _open(ctx: Context, participant_id: int) -> Participant:
    participant = fetch(ctx, Participant, participant_id)
    if participant.erased_at is not None:
        raise DomainError(
            "participant_erased", f"Participant {participant_id} was erased and cannot change"
        )
    return participant


def _checked_day(ctx: Context, participant: Participant, day: date | None, entry_id: int | None):
    first = ctx.session.scalar(
        select(func.min(StatusChange.occurred_on)).where(
            StatusChange.participant_id == participant.id
        )
    )
    return event_date(
        ctx,
        day,
        event="diary_entry",
        entity="diary_entry",
        entity_id=entry_id,
        not_before=first,
        not_before_what="the person's first step in the service",
        participant_id=participant.id,
        territory_code=participant.territory_code,
    )


@use_case
def add_entry(
    ctx: Context, participant_id: int, text: str, *, written_on: date | None = None
) -> DiaryEntry:
    """A new note dated ``written_on`` (default today; not in the future, not
    before the person's first step in the service)."""
    participant = _open(ctx, participant_id)
    entry = DiaryEntry(
        participant_id=participant.id,
        text=_clean_text(text),
        written_on=_checked_day(ctx, participant, written_on, None),
        created_by=ctx.actor,
    )
    ctx.session.add(entry)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "diary_entry",
        entry.id,
        participant_id=participant.id,
        territory_code=participant.territory_code,
    )
    return entry


@use_case
def correct_entry(
    ctx: Context,
    participant_id: int,
    entry_id: int,
    text: str,
    *,
    written_on: date | None = None,
) -> DiaryEntry:
    """Correct a note's text and date; the previous version is kept. Nothing
    changed: nothing recorded."""
    participant = _open(ctx, participant_id)
    entry = fetch(ctx, DiaryEntry, entry_id, for_update=True)
    if entry.participant_id != participant.id:
        raise NotFound("DiaryEntry", entry_id)
    cleaned = _clean_text(text)
    day = _checked_day(ctx, participant, written_on or entry.written_on, entry.id)
    if cleaned == entry.text and day == entry.written_on:
        return entry
    ctx.session.add(
        DiaryRevision(
            entry_id=entry.id,
            participant_id=participant.id,
            revised_by=ctx.actor,
            old_written_on=entry.written_on,
            old_text=entry.text,
        )
    )
    entry.text, entry.written_on = cleaned, day
    entry.updated_at, entry.updated_by = utcnow(), ctx.actor
    record(
        ctx,
        AuditAction.UPDATE,
        "diary_entry",
        entry.id,
        participant_id=participant.id,
        territory_code=participant.territory_code,
    )
    return entry


@use_case
def read_diary(ctx: Context, participant_id: int) -> list[DiaryEntry]:
    """The person's diary, latest first, with each entry's earlier versions
    (audited: the diary is personal data)."""
    participant = fetch(ctx, Participant, participant_id)
    entries = list(
        ctx.session.scalars(
            select(DiaryEntry)
            .options(selectinload(DiaryEntry.revisions))
            .where(DiaryEntry.participant_id == participant_id)
            .order_by(DiaryEntry.written_on.desc(), DiaryEntry.id.desc())
        )
    )
    record(
        ctx,
        AuditAction.VIEW,
        "diary",
        participant_id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        count=len(entries),
    )
    return entries
