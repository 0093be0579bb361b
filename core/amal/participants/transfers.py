"""Moving a person between territories hosted by one instance.

The origin territory's coordinator proposes (with the day the person moves and
why); the destination's coordinator accepts or refuses; the origin may cancel a
proposal not yet decided. Every step is audited. Until acceptance the person
stays in the origin, and the destination sees only what it needs to decide
(name, birth date, status, reason): see :mod:`amal.access`.

History rules (also in the plugin manual):

- events before ``transferred_on`` count in the origin's figures, events from
  that day on in the destination's (:func:`amal.participants.history.territory_on`);
- referrals count for the territory that proposed them, in the period of their
  proposal, for ever; open ones are followed up by the destination;
- consents move with the record unchanged (dates and notice version kept).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from amal.audit.models import AuditAction
from amal.audit.services import record, record_read
from amal.db import utcnow
from amal.errors import DomainError, NotFound
from amal.events import event_date
from amal.participants.models import ParticipantStatus, TerritoryTransfer, TransferStatus
from amal.participants.services import _open_record, last_event_on
from amal.services import Context, fetch, use_case

IN_GROUP = frozenset({ParticipantStatus.ENROLLED, ParticipantStatus.ACTIVE})


def pending_transfer(ctx: Context, participant_id: int) -> TerritoryTransfer | None:
    return ctx.session.scalar(
        select(TerritoryTransfer).where(
            TerritoryTransfer.participant_id == participant_id,
            TerritoryTransfer.status == TransferStatus.PROPOSED,
        )
    )


def _refuse_in_group(status: ParticipantStatus) -> None:
    if status in IN_GROUP:
        raise DomainError("in_group", "Remove the participant from their group before transfer")


@use_case
def propose_transfer(
    ctx: Context,
    participant_id: int,
    to_territory: str,
    reason: str,
    *,
    transferred_on: date | None = None,
) -> TerritoryTransfer:
    """The origin proposes moving the person to ``to_territory`` on ``transferred_on``
    (default today; not before the last step of their path)."""
    if to_territory not in ctx.plugins.territories:
        raise DomainError(
            "unknown_territory",
            f"Territory {to_territory!r} is not hosted by this instance",
            field="to_territory",
        )
    target = to_territory
    participant = _open_record(ctx, participant_id, for_update=True)
    if not reason.strip():
        raise DomainError("reason_required", "A transfer needs a reason", field="reason")
    if participant.territory_code == target:
        raise DomainError("same_territory", f"Participant is already in {target}")
    _refuse_in_group(participant.status)
    if pending_transfer(ctx, participant.id) is not None:
        raise DomainError(
            "transfer_pending", "A transfer of this participant is already waiting for a decision"
        )
    day = event_date(
        ctx,
        transferred_on,
        event="transfer",
        entity="participant",
        entity_id=participant.id,
        not_before=last_event_on(ctx, participant.id),
        not_before_what="the previous step of this person's path",
        participant_id=participant.id,
        territory_code=participant.territory_code,
    )
    transfer = TerritoryTransfer(
        participant_id=participant.id,
        from_territory=participant.territory_code,
        to_territory=target,
        status=TransferStatus.PROPOSED,
        transferred_on=day,
        transferred_by=ctx.actor,
        reason=reason.strip(),
    )
    ctx.session.add(transfer)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.TRANSFER,
        "transfer",
        transfer.id,
        participant_id=participant.id,
        territory_code=participant.territory_code,
        step="proposed",
        to_territory=target,
        transferred_on=day.isoformat(),
    )
    return transfer


def _open_transfer(ctx: Context, transfer_id: int, territory_code: str, side: str):
    """A proposal still waiting, seen from ``side`` ("to_territory" or
    "from_territory") of ``territory_code``; other territories get NotFound."""
    transfer = fetch(ctx, TerritoryTransfer, transfer_id, for_update=True)
    if getattr(transfer, side) != territory_code:
        raise NotFound("TerritoryTransfer", transfer_id)
    if transfer.status != TransferStatus.PROPOSED:
        raise DomainError("transfer_decided", f"This transfer was already {transfer.status.value}")
    return transfer


def _decide(ctx: Context, transfer: TerritoryTransfer, status: TransferStatus, note: str) -> None:
    transfer.status = status
    transfer.decided_at = utcnow()
    transfer.decided_by = ctx.actor
    transfer.decision_note = note.strip()
    record(
        ctx,
        AuditAction.TRANSFER,
        "transfer",
        transfer.id,
        participant_id=transfer.participant_id,
        territory_code=transfer.to_territory
        if status != TransferStatus.CANCELLED
        else transfer.from_territory,
        step=status.value,
        from_territory=transfer.from_territory,
        to_territory=transfer.to_territory,
        transferred_on=transfer.transferred_on.isoformat(),
    )


@use_case
def accept_transfer(
    ctx: Context, transfer_id: int, *, territory_code: str, note: str = ""
) -> TerritoryTransfer:
    """The destination (``territory_code``) accepts: from ``transferred_on`` on the
    person belongs to it."""
    transfer = _open_transfer(ctx, transfer_id, territory_code, "to_territory")
    participant = _open_record(ctx, transfer.participant_id, for_update=True)
    _refuse_in_group(participant.status)
    latest = last_event_on(ctx, participant.id)
    if latest is not None and latest > transfer.transferred_on:
        # The origin recorded a later step meanwhile: the move cannot predate it.
        raise DomainError(
            "event_before_record",
            f"The transfer date ({transfer.transferred_on.isoformat()}) is before the "
            f"participant's latest step ({latest.isoformat()}): ask the origin for a new proposal",
            event="transfer",
        )
    _decide(ctx, transfer, TransferStatus.ACCEPTED, note)
    participant.territory_code = transfer.to_territory
    return transfer


@use_case
def refuse_transfer(
    ctx: Context, transfer_id: int, *, territory_code: str, note: str
) -> TerritoryTransfer:
    """The destination refuses, saying why; the person stays in the origin."""
    if not note.strip():
        raise DomainError("reason_required", "Refusing a transfer needs a reason", field="note")
    transfer = _open_transfer(ctx, transfer_id, territory_code, "to_territory")
    _decide(ctx, transfer, TransferStatus.REFUSED, note)
    return transfer


@use_case
def cancel_transfer(
    ctx: Context, transfer_id: int, *, territory_code: str, note: str = ""
) -> TerritoryTransfer:
    """The origin withdraws a proposal the destination has not decided yet."""
    transfer = _open_transfer(ctx, transfer_id, territory_code, "from_territory")
    _decide(ctx, transfer, TransferStatus.CANCELLED, note)
    return transfer


@use_case
def incoming_transfers(ctx: Context, territory_code: str) -> list[TerritoryTransfer]:
    """Proposals waiting for ``territory_code``'s decision, oldest first. The
    destination reads a few personal details of people not yet its own: each
    read is audited in the person's history, and the list itself is one read
    (as every list of people, :func:`amal.audit.services.record_read`)."""
    transfers = list(
        ctx.session.scalars(
            select(TerritoryTransfer)
            .where(
                TerritoryTransfer.to_territory == territory_code,
                TerritoryTransfer.status == TransferStatus.PROPOSED,
            )
            .order_by(TerritoryTransfer.transferred_at, TerritoryTransfer.id)
        )
    )
    for transfer in transfers:
        record(
            ctx,
            AuditAction.VIEW,
            "transfer",
            transfer.id,
            participant_id=transfer.participant_id,
            territory_code=territory_code,
        )
    record_read(
        ctx,
        "transfer_list",
        [t.participant_id for t in transfers],
        territory_code=territory_code,
        transfers=[t.id for t in transfers],
    )
    return transfers


def transfers_of(ctx: Context, participant_id: int) -> list[TerritoryTransfer]:
    """Every transfer proposed for one person, oldest first (for their record)."""
    return list(
        ctx.session.scalars(
            select(TerritoryTransfer)
            .where(TerritoryTransfer.participant_id == participant_id)
            .order_by(TerritoryTransfer.transferred_at, TerritoryTransfer.id)
        )
    )
