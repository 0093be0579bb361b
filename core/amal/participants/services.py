"""Participant use cases: intake, updates, the lifecycle state machine."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.dates import check_birth_date, check_fiscal_code
from amal.db import prefix_match, utcnow
from amal.errors import DomainError
from amal.events import event_date
from amal.groups.models import Enrolment
from amal.participants.models import (
    EmploymentStatus,
    FieldChange,
    Participant,
    ParticipantStatus,
    StatusChange,
    TerritoryTransfer,
    TransferStatus,
)
from amal.participants.normalise import email as normalise_email
from amal.participants.normalise import fiscal_code as normalise_fiscal_code
from amal.participants.normalise import phone as normalise_phone
from amal.services import ConflictError, Context, fetch, use_case

S = ParticipantStatus

# The lifecycle. Anything not listed here is refused.
TRANSITIONS: dict[ParticipantStatus, frozenset[ParticipantStatus]] = {
    S.CANDIDATE: frozenset({S.SCREENED, S.WITHDRAWN}),
    S.SCREENED: frozenset({S.ADMITTED, S.WAITLISTED, S.NOT_ELIGIBLE, S.WITHDRAWN}),
    S.WAITLISTED: frozenset({S.ADMITTED, S.NOT_ELIGIBLE, S.WITHDRAWN}),
    S.NOT_ELIGIBLE: frozenset({S.SCREENED}),  # re-screening when the situation changes
    S.ADMITTED: frozenset({S.ENROLLED, S.WAITLISTED, S.WITHDRAWN}),
    S.ENROLLED: frozenset({S.ACTIVE, S.ADMITTED, S.WITHDRAWN}),  # → admitted: left the group
    S.ACTIVE: frozenset({S.COMPLETED, S.WITHDRAWN, S.DROPPED_OUT}),
    S.COMPLETED: frozenset(),
    S.WITHDRAWN: frozenset(),
    S.DROPPED_OUT: frozenset(),
}
OPEN_STATES = frozenset(s for s, targets in TRANSITIONS.items() if S.WITHDRAWN in targets)
# Transitions that must say why.
REASON_REQUIRED = frozenset({S.WITHDRAWN, S.DROPPED_OUT, S.NOT_ELIGIBLE})
# Transitions the group services make (enrolment, activation, conclusion).
GROUP_DRIVEN = frozenset({S.ENROLLED, S.ACTIVE, S.COMPLETED})

NULLABLE_FIELDS = frozenset({"fiscal_code", "birth_date", "months_out_of_work"})
EDITABLE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "fiscal_code",
        "birth_date",
        "gender",
        "email",
        "phone",
        "municipality",
        "last_employer",
        "sector",
        "months_out_of_work",
        "employment_status",
        "heard_from",
        "needs",
    }
)


def find_duplicates(
    ctx: Context,
    *,
    territory_code: str,
    fiscal_code: str | None,
    first_name: str,
    last_name: str,
    birth_date: date | None,
    exclude_id: int | None = None,
) -> list[Participant]:
    """People of the territory who may be the same person: same fiscal code, or
    same name and birth date. Only this territory: whoever registers here must
    not learn that a person is known elsewhere (moving a person between
    territories is the transfer's job, by someone who may see both)."""
    conditions = []
    if fiscal_code:
        conditions.append(Participant.fiscal_code == fiscal_code)
    if birth_date:
        conditions.append(
            (func.lower(Participant.first_name) == first_name.strip().lower())
            & (func.lower(Participant.last_name) == last_name.strip().lower())
            & (Participant.birth_date == birth_date)
        )
    if not conditions:
        return []
    query = select(Participant).where(
        or_(*conditions),
        Participant.territory_code == territory_code,
        Participant.erased_at.is_(None),
    )
    if exclude_id is not None:
        query = query.where(Participant.id != exclude_id)
    return list(ctx.session.scalars(query.order_by(Participant.id)))


def _refuse_duplicates(
    ctx: Context, fields: dict[str, Any], exclude_id: int | None, allow_same_name: bool
) -> None:
    for other in find_duplicates(
        ctx,
        territory_code=fields["territory_code"],
        fiscal_code=fields.get("fiscal_code"),
        first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name", ""),
        birth_date=fields.get("birth_date"),
        exclude_id=exclude_id,
    ):
        same_code = fields.get("fiscal_code") and other.fiscal_code == fields["fiscal_code"]
        if not same_code and allow_same_name:
            continue
        raise DomainError(
            "duplicate_participant",
            f"Possible duplicate of participant {other.id}: same "
            + ("fiscal code" if same_code else "name and birth date"),
            duplicate_of=other.id,
        )


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise DomainError("unknown_field", f"Unknown field(s): {', '.join(sorted(unknown))}")
    # Text fields are never NULL: a missing value is empty text.
    cleaned = {k: ("" if v is None and k not in NULLABLE_FIELDS else v) for k, v in fields.items()}
    for name in ("first_name", "last_name"):
        if name in cleaned:
            cleaned[name] = (cleaned[name] or "").strip()
            if not cleaned[name]:
                raise DomainError("required_field", f"{name} is required", field=name)
    # Identifiers and contacts: one normalisation for web, API and CLI.
    for name, normalise in (
        ("fiscal_code", normalise_fiscal_code),
        ("email", normalise_email),
        ("phone", normalise_phone),
    ):
        if name in fields:
            cleaned[name] = normalise(fields[name])
    if "employment_status" in cleaned:
        try:
            cleaned["employment_status"] = EmploymentStatus(cleaned["employment_status"])
        except ValueError:
            raise DomainError(
                "invalid_value", "Unknown employment status", field="employment_status"
            ) from None
    months = cleaned.get("months_out_of_work")
    if months is not None and months < 0:
        raise DomainError(
            "invalid_value", "Months out of work cannot be negative", field="months_out_of_work"
        )
    return cleaned


def _check_identity(
    ctx: Context,
    territory_code: str,
    values: dict[str, Any],
    identity_override: str,
) -> list[str]:
    """The date-sense rules on a person's identity (:mod:`amal.dates`): birth
    date not in the future nor under the territory's minimum age; fiscal code
    consistent with birth date and sex unless ``identity_override`` says why.
    Returns the inconsistencies accepted with the reason."""
    check_birth_date(
        values.get("birth_date"),
        minimum_age=ctx.plugins.group_policy(territory_code).minimum_age,
    )
    return check_fiscal_code(
        values.get("fiscal_code"),
        values.get("birth_date"),
        values.get("gender"),
        override_reason=identity_override,
    )


def _audit_identity_override(
    ctx: Context, participant: Participant, conflicts: list[str], reason: str
) -> None:
    if conflicts:
        record(
            ctx,
            AuditAction.UPDATE,
            "participant",
            participant.id,
            participant_id=participant.id,
            territory_code=participant.territory_code,
            identity_override=reason.strip(),
            conflicts=conflicts,
        )


@use_case
def register_candidate(
    ctx: Context,
    territory_code: str,
    *,
    allow_same_name: bool = False,
    registered_on: date | None = None,
    identity_override: str = "",
    **fields: Any,
) -> Participant:
    """Register a new candidate (on ``registered_on``, default today). Refuses a
    fiscal code already registered, and a same name and birth date unless
    ``allow_same_name`` (homonyms exist); refuses a birth date that makes no
    sense, and a fiscal code contradicting birth date or sex unless
    ``identity_override`` gives the reason (audited)."""
    ctx.plugins.territory(territory_code)
    cleaned = _clean(fields)
    for name in ("first_name", "last_name"):
        if name not in cleaned:
            raise DomainError("required_field", f"{name} is required", field=name)
    conflicts = _check_identity(ctx, territory_code, cleaned, identity_override)
    _refuse_duplicates(ctx, {**cleaned, "territory_code": territory_code}, None, allow_same_name)
    participant = Participant(territory_code=territory_code, status=S.CANDIDATE, **cleaned)
    ctx.session.add(participant)
    ctx.session.flush()
    day = event_date(
        ctx,
        registered_on,
        event="registration",
        entity="participant",
        entity_id=participant.id,
        participant_id=participant.id,
        territory_code=territory_code,
    )
    participant.history.append(
        StatusChange(
            from_status=None,
            to_status=S.CANDIDATE,
            occurred_on=day,
            changed_by=ctx.actor,
            reason="Registrazione",
        )
    )
    record(
        ctx,
        AuditAction.CREATE,
        "participant",
        participant.id,
        participant_id=participant.id,
        territory_code=territory_code,
    )
    _audit_identity_override(ctx, participant, conflicts, identity_override)
    return participant


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(getattr(value, "value", value))


@use_case
def update_participant(
    ctx: Context,
    participant_id: int,
    *,
    allow_same_name: bool = False,
    expected_version: int | None = None,
    identity_override: str = "",
    **fields: Any,
) -> Participant:
    """Change some fields. With ``expected_version`` (the version of the caller's
    copy) the row is locked and a newer version is refused, even when the change
    would be empty: the caller's copy is stale. A change of birth date, sex or
    fiscal code passes the same date-sense rules as a registration."""
    participant = _open_record(ctx, participant_id, for_update=expected_version is not None)
    if expected_version is not None and participant.version != expected_version:
        raise ConflictError()
    cleaned = _clean(fields)
    conflicts: list[str] = []
    identity = ("fiscal_code", "birth_date", "gender")
    if any(k in cleaned and cleaned[k] != getattr(participant, k) for k in identity):
        conflicts = _check_identity(
            ctx,
            participant.territory_code,
            {k: cleaned.get(k, getattr(participant, k)) for k in identity},
            identity_override,
        )
    if {"fiscal_code", "first_name", "last_name", "birth_date"} & cleaned.keys():
        merged = {
            key: cleaned.get(key, getattr(participant, key))
            for key in ("fiscal_code", "first_name", "last_name", "birth_date")
        }
        _refuse_duplicates(
            ctx,
            {**merged, "territory_code": participant.territory_code},
            participant.id,
            allow_same_name,
        )
    changed = sorted(k for k, v in cleaned.items() if getattr(participant, k) != v)
    for key in changed:
        # The correction history shown on the record: old and new value, who, when.
        ctx.session.add(
            FieldChange(
                participant_id=participant.id,
                changed_by=ctx.actor,
                field=key,
                old_value=_shown(getattr(participant, key)),
                new_value=_shown(cleaned[key]),
            )
        )
        setattr(participant, key, cleaned[key])
    if changed:
        record(
            ctx,
            AuditAction.UPDATE,
            "participant",
            participant.id,
            participant_id=participant.id,
            territory_code=participant.territory_code,
            fields=changed,
        )
    _audit_identity_override(ctx, participant, conflicts, identity_override)
    return participant


@use_case
def view_participant(ctx: Context, participant_id: int) -> Participant:
    """Load a participant record for display, leaving a trace in the audit log."""
    participant = fetch(ctx, Participant, participant_id)
    record(
        ctx,
        AuditAction.VIEW,
        "participant",
        participant_id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    return participant


def matching(
    statement: Select[tuple[Participant]],
    *,
    text: str = "",
    status: ParticipantStatus | None = None,
    group_id: int | None = None,
) -> Select[tuple[Participant]]:
    """Narrow a participant query: every word of ``text`` begins the first name,
    the last name or the fiscal code (a whole code is looked up as it is), a
    status, current members of a group. The caller scopes it first
    (``amal.access.participants()``)."""
    for word in text.split():
        # Prefixes, answered from indexes (migration perf0001idx): a name's start
        # (lower case), a fiscal code's start (stored upper case).
        statement = statement.where(
            prefix_match(func.lower(Participant.last_name), word.lower())
            | prefix_match(func.lower(Participant.first_name), word.lower())
            | (
                (Participant.fiscal_code == word.upper())
                if len(word) == 16
                else prefix_match(Participant.fiscal_code, word.upper())
            )
        )
    if status is not None:
        statement = statement.where(Participant.status == status)
    if group_id is not None:
        statement = statement.where(
            Participant.id.in_(
                select(Enrolment.participant_id).where(
                    Enrolment.group_id == group_id, Enrolment.ended_at.is_(None)
                )
            )
        )
    return statement


# --- Lifecycle ------------------------------------------------------------------------


def _open_record(ctx: Context, participant_id: int, *, for_update: bool = False) -> Participant:
    participant = fetch(ctx, Participant, participant_id, for_update=for_update)
    if participant.erased_at is not None:
        raise DomainError(
            "participant_erased", f"Participant {participant_id} was erased and cannot change"
        )
    return participant


def last_event_on(ctx: Context, participant_id: int) -> date | None:
    """The day of the person's latest status change or accepted transfer: a new
    step of their path cannot be dated before it."""
    change = ctx.session.scalar(
        select(func.max(StatusChange.occurred_on)).where(
            StatusChange.participant_id == participant_id
        )
    )
    moved = ctx.session.scalar(
        select(func.max(TerritoryTransfer.transferred_on)).where(
            TerritoryTransfer.participant_id == participant_id,
            TerritoryTransfer.status == TransferStatus.ACCEPTED,
        )
    )
    days = [d for d in (change, moved) if d is not None]
    return max(days) if days else None


def apply_transition(
    ctx: Context,
    participant: Participant,
    to_status: ParticipantStatus,
    reason: str = "",
    occurred_on: date | None = None,
) -> StatusChange:
    """Move ``participant`` to ``to_status`` inside the caller's transaction, on
    ``occurred_on`` (default today; checked by :func:`amal.events.event_date`).

    Used by :func:`change_status` and by the group services; checks the
    lifecycle, the reason, and eligibility on admission.
    """
    from_status = participant.status
    if to_status not in TRANSITIONS[from_status]:
        allowed = ", ".join(sorted(t.value for t in TRANSITIONS[from_status])) or "none"
        raise DomainError(
            "illegal_transition",
            f"A participant cannot go from {from_status.value} to {to_status.value} "
            f"(allowed: {allowed})",
            from_status=from_status.value,
            to_status=to_status.value,
        )
    reason = reason.strip()
    if (to_status in REASON_REQUIRED or from_status == S.NOT_ELIGIBLE) and not reason:
        raise DomainError(
            "reason_required", f"Moving to {to_status.value} needs a reason", field="reason"
        )
    if to_status == S.ADMITTED and from_status in (S.SCREENED, S.WAITLISTED):
        problems = ctx.plugins.eligibility_problems(participant)
        if problems:
            raise DomainError(
                "not_eligible",
                "The participant cannot be admitted: " + "; ".join(problems),
                problems=problems,
            )
    day = event_date(
        ctx,
        occurred_on,
        event=f"status_change:{to_status.value}",
        entity="participant",
        entity_id=participant.id,
        not_before=last_event_on(ctx, participant.id),
        not_before_what="the previous step of this person's path",
        participant_id=participant.id,
        territory_code=participant.territory_code,
    )
    if to_status in (S.WITHDRAWN, S.DROPPED_OUT):
        for enrolment in ctx.session.scalars(
            select(Enrolment).where(
                Enrolment.participant_id == participant.id, Enrolment.ended_at.is_(None)
            )
        ):
            enrolment.ended_at = utcnow()
            enrolment.ended_on = day
            enrolment.end_reason = reason
    participant.status = to_status
    change = StatusChange(
        from_status=from_status,
        to_status=to_status,
        occurred_on=day,
        changed_by=ctx.actor,
        reason=reason,
    )
    participant.history.append(change)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.TRANSITION,
        "participant",
        participant.id,
        participant_id=participant.id,
        territory_code=participant.territory_code,
        from_status=from_status.value,
        to_status=to_status.value,
    )
    ctx.plugins.participant_status_changed(participant, change)
    return change


@use_case
def change_status(
    ctx: Context,
    participant_id: int,
    to_status: ParticipantStatus | str,
    reason: str = "",
    occurred_on: date | None = None,
) -> Participant:
    """A coordinator's transition (screen, admit, waitlist, withdraw, ...) on
    ``occurred_on`` (default today).

    Enrolment, activation and completion go through the group services, which
    keep membership and status together.
    """
    try:
        to_status = ParticipantStatus(to_status)
    except ValueError:
        raise DomainError(
            "invalid_value", f"Unknown status {to_status!r}", field="status"
        ) from None
    participant = _open_record(ctx, participant_id, for_update=True)
    if to_status in GROUP_DRIVEN or (participant.status == S.ENROLLED and to_status == S.ADMITTED):
        raise DomainError(
            "use_group_action",
            f"Moving to {to_status.value} happens through the group (enrol, start, conclude)",
        )
    apply_transition(ctx, participant, to_status, reason, occurred_on)
    return participant


@use_case
def intake(
    ctx: Context,
    territory_code: str,
    consents: Sequence[Any],
    *,
    registered_on: date | None = None,
    **fields: Any,
) -> Participant:
    """Register a candidate and the consents they gave (both on ``registered_on``,
    default today), in one transaction. Consent to processing is required:
    nothing is recorded without it."""
    from amal.consent.models import ConsentPurpose
    from amal.consent.services import record_consents

    purposes = [ConsentPurpose(p) for p in consents]
    if ConsentPurpose.PROCESSING not in purposes:
        raise DomainError(
            "consent_required",
            "Consent to the processing of personal data is required",
            field="consents",
        )
    participant = register_candidate(ctx, territory_code, registered_on=registered_on, **fields)
    record_consents(ctx, participant.id, purposes, granted_on=registered_on)
    return participant
