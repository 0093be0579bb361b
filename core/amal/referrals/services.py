"""Referrals to the territory's catalogue of employment services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, false, or_, select
from sqlalchemy.orm import joinedload

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.consent.models import ConsentPurpose
from amal.consent.services import require_consent
from amal.errors import DomainError
from amal.events import event_date
from amal.participants.history import registered_on
from amal.participants.models import Participant
from amal.referrals.models import Referral, ReferralStatus
from amal.services import Context, fetch, use_case

R = ReferralStatus
REFERRAL_TRANSITIONS: dict[ReferralStatus, frozenset[ReferralStatus]] = {
    R.PROPOSED: frozenset({R.SENT, R.DECLINED}),
    R.SENT: frozenset({R.ACCEPTED, R.DECLINED}),
    R.ACCEPTED: frozenset({R.STARTED, R.DECLINED}),
    R.STARTED: frozenset({R.COMPLETED}),
    R.COMPLETED: frozenset(),
    R.DECLINED: frozenset(),
}
DATE_FIELD = {
    R.SENT: "sent_on",
    R.ACCEPTED: "accepted_on",
    R.STARTED: "started_on",
    R.COMPLETED: "completed_on",
    R.DECLINED: "declined_on",
}


@use_case
def propose_referral(
    ctx: Context, participant_id: int, service_code: str, *, notes: str = "", on: date | None = None
) -> Referral:
    """Propose a service from the territory's catalogue, on ``on`` (default today;
    not before the person's registration). Sharing the person's data with
    employment operators needs their consent."""

    participant = fetch(ctx, Participant, participant_id)
    if participant.erased_at is not None:
        raise DomainError("participant_erased", "This participant was erased")
    catalogue = {s.code: s for s in ctx.plugins.service_catalogue(participant.territory_code)}
    service = catalogue.get(service_code)
    if service is None:
        raise DomainError(
            "unknown_service",
            f"Service {service_code!r} is not in this territory's catalogue",
            field="service_code",
        )
    # A form sent twice must not count the same referral twice in the funders' figures.
    open_one = ctx.session.scalar(
        select(Referral.id).where(
            Referral.participant_id == participant_id,
            Referral.service_code == service.code,
            Referral.status.in_(OPEN),
        )
    )
    if open_one is not None:
        raise DomainError(
            "duplicate_referral",
            f"{service.title!r} is already proposed to this person and still open",
            field="service_code",
            referral_id=open_one,
        )
    day = event_date(
        ctx,
        on,
        event="referral_proposed",
        entity="referral",
        not_before=registered_on(ctx, participant_id),
        not_before_what="the person's registration",
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    # Both consents must be in force on the day of the proposal.
    for purpose in (ConsentPurpose.PROCESSING, ConsentPurpose.SHARING):
        require_consent(ctx.session, participant_id, purpose, day)
    referral = Referral(
        participant_id=participant_id,
        territory_code=participant.territory_code,
        service_code=service.code,
        service_title=service.title,
        service_url=service.url,
        operator=service.operator,
        status=R.PROPOSED,
        proposed_on=day,
        notes=notes,
        updated_by=ctx.actor,
    )
    ctx.session.add(referral)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "referral",
        referral.id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        service=service.code,
    )
    return referral


@use_case
def advance_referral(
    ctx: Context,
    referral_id: int,
    to_status: ReferralStatus | str,
    *,
    on: date | None = None,
    notes: str | None = None,
    reason: str = "",
) -> Referral:
    """The referral's next step on ``on``. Declining it ends it for good: it
    needs the ``reason``, kept in its notes."""
    referral = fetch(ctx, Referral, referral_id, for_update=True)
    try:
        to_status = ReferralStatus(to_status)
    except ValueError:
        raise DomainError("invalid_value", f"Unknown status {to_status!r}") from None
    if to_status not in REFERRAL_TRANSITIONS[referral.status]:
        raise DomainError(
            "illegal_transition",
            f"A referral cannot go from {referral.status.value} to {to_status.value}",
            from_status=referral.status.value,
            to_status=to_status.value,
        )
    if to_status == R.DECLINED and not reason.strip():
        raise DomainError("reason_required", "Declining a referral needs a reason", field="reason")
    previous = max(
        d
        for d in (referral.proposed_on, *(getattr(referral, f) for f in DATE_FIELD.values()))
        if d is not None
    )
    day = event_date(
        ctx,
        on,
        event=f"referral_{to_status.value}",
        entity="referral",
        entity_id=referral.id,
        not_before=previous,
        not_before_what="the referral's previous step",
        participant_id=referral.participant_id,
        territory_code=referral.territory_code,
    )
    if to_status == R.SENT:
        # Sending passes the person's data to the operator: sharing must be in force that day.
        require_consent(ctx.session, referral.participant_id, ConsentPurpose.SHARING, day)
    setattr(referral, DATE_FIELD[to_status], day)
    referral.status = to_status
    referral.updated_by = ctx.actor
    if notes is not None:
        referral.notes = notes
    if to_status == R.DECLINED:
        referral.notes = f"{referral.notes}\nRifiutato: {reason.strip()}".strip()
    record(
        ctx,
        AuditAction.TRANSITION,
        "referral",
        referral.id,
        participant_id=referral.participant_id,
        territory_code=referral.territory_code,
        to_status=to_status.value,
    )
    return referral


@use_case
def edit_referral_notes(ctx: Context, referral_id: int, notes: str) -> Referral:
    """Correct a referral's notes (the change is audited; the text stays the person's)."""
    referral = fetch(ctx, Referral, referral_id, for_update=True)
    if referral.notes != notes.strip():
        referral.notes = notes.strip()
        referral.updated_by = ctx.actor
        record(
            ctx,
            AuditAction.UPDATE,
            "referral",
            referral.id,
            participant_id=referral.participant_id,
            territory_code=referral.territory_code,
            fields=["notes"],
        )
    return referral


# The order a referral's steps happen in (declined can end any open step).
STEPS = (R.PROPOSED, R.SENT, R.ACCEPTED, R.STARTED, R.COMPLETED)
OPEN = frozenset({R.PROPOSED, R.SENT, R.ACCEPTED, R.STARTED})


def entered_on(referral: Referral, status: ReferralStatus) -> date | None:
    """The day ``referral`` entered ``status`` (None if it never did)."""
    if status == R.PROPOSED:
        return referral.proposed_on
    value: date | None = getattr(referral, DATE_FIELD[status])
    return value


def time_in_states(referral: Referral, today: date) -> list[tuple[ReferralStatus, int]]:
    """Days spent in each state it went through, the current open one up to ``today``."""
    reached = [(s, entered_on(referral, s)) for s in STEPS]
    path = [(s, day) for s, day in reached if day is not None]
    if referral.declined_on is not None:
        path.append((R.DECLINED, referral.declined_on))
    spans = []
    for (status, start), following in zip(path, [*path[1:], None], strict=True):
        if following is not None:
            spans.append((status, (following[1] - start).days))
        elif status in OPEN:
            spans.append((status, (today - start).days))
    return spans


def waiting_days(referral: Referral, today: date) -> int | None:
    """Days since the last step of an open referral (None once it is closed)."""
    if referral.status not in OPEN:
        return None
    since = entered_on(referral, referral.status) or referral.proposed_on
    return (today - since).days


# --- The territory's overview -------------------------------------------------------

OVERVIEW_LIMIT = 500


@dataclass(frozen=True)
class ReferralFilters:
    """What the referrals overview (web page, API list, CLI) is asked for."""

    status: ReferralStatus | None = None
    service: str = ""
    operator: str = ""
    waiting_more_than: int | None = None  # days in the current, open state

    def describe(self) -> dict[str, Any]:
        return {
            "status": self.status.value if self.status else "",
            "service": self.service,
            "operator": self.operator,
            "waiting": self.waiting_more_than,
        }


@dataclass(frozen=True)
class ReferralLine:
    referral: Referral
    since: date | None  # the day it entered its current state
    waiting_days: int | None  # open referrals only
    time_in_states: list[tuple[ReferralStatus, int]]


def _waiting_longer(days: int, today: date) -> Any:
    """Open referrals whose current state began more than ``days`` days before today."""
    if days >= (today - date.min).days:
        return false()  # longer than the calendar goes back: nothing waits that long
    cutoff = today - timedelta(days=days)
    since = {
        R.PROPOSED: Referral.proposed_on,
        **{s: getattr(Referral, DATE_FIELD[s]) for s in OPEN if s != R.PROPOSED},
    }
    return or_(false(), *(and_(Referral.status == s, since[s] < cutoff) for s in OPEN))


def overview_query(
    scope: Select[tuple[Referral]], filters: ReferralFilters, today: date
) -> Select[tuple[Referral]]:
    """The referrals of ``scope`` (the caller's visible ones) matching
    ``filters``; every filter runs in SQL, so a limit cuts matching rows only."""
    query = scope
    if filters.status is not None:
        query = query.where(Referral.status == filters.status)
    if filters.service:
        query = query.where(Referral.service_code == filters.service)
    if filters.operator:
        query = query.where(Referral.operator == filters.operator)
    if filters.waiting_more_than is not None:
        query = query.where(_waiting_longer(filters.waiting_more_than, today))
    return query


def referral_overview(
    ctx: Context,
    scope: Select[tuple[Referral]],
    filters: ReferralFilters,
    *,
    today: date | None = None,
    limit: int = OVERVIEW_LIMIT,
    offset: int = 0,
) -> list[ReferralLine]:
    """The matching referrals (:func:`overview_query`), oldest proposal first,
    each with the day it entered its state, how long an open one has been
    waiting and the days it spent in each state. Two queries whatever the size."""
    today = today or date.today()
    rows = ctx.session.scalars(
        overview_query(scope, filters, today)
        .options(joinedload(Referral.participant))
        .order_by(Referral.proposed_on, Referral.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return [
        ReferralLine(r, entered_on(r, r.status), waiting_days(r, today), time_in_states(r, today))
        for r in rows
    ]
