"""Privacy notices, consent, and the rights of access and erasure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.consent import personal_data
from amal.consent.models import Consent, ConsentPurpose, PrivacyNotice
from amal.db import utcnow
from amal.errors import DomainError
from amal.events import event_date
from amal.groups.models import Enrolment
from amal.meetings.models import Attendance
from amal.outcomes.models import Outcome
from amal.participants.history import registered_on
from amal.participants.models import Participant, StatusChange, TerritoryTransfer
from amal.referrals.models import Referral
from amal.services import Context, fetch, use_case
from amal.wellbeing.models import Administration


@use_case
def publish_notice(ctx: Context, territory_code: str, version: str, text: str) -> PrivacyNotice:
    ctx.plugins.territory(territory_code)
    exists = ctx.session.scalar(
        select(PrivacyNotice.id).where(
            PrivacyNotice.territory_code == territory_code, PrivacyNotice.version == version
        )
    )
    if exists:
        raise DomainError(
            "notice_version_exists", f"Privacy notice version {version!r} already exists"
        )
    notice = PrivacyNotice(territory_code=territory_code, version=version, text=text)
    ctx.session.add(notice)
    ctx.session.flush()
    return notice


def current_notice(session: Session, territory_code: str) -> PrivacyNotice | None:
    return session.scalar(
        select(PrivacyNotice)
        .where(PrivacyNotice.territory_code == territory_code)
        .order_by(PrivacyNotice.published_at.desc(), PrivacyNotice.id.desc())
        .limit(1)
    )


def has_consent(session: Session, participant_id: int, purpose: ConsentPurpose) -> bool:
    return (
        session.scalar(
            select(Consent.id).where(
                Consent.participant_id == participant_id,
                Consent.purpose == purpose,
                Consent.withdrawn_at.is_(None),
            )
        )
        is not None
    )


def require_consent(session: Session, participant_id: int, purpose: ConsentPurpose) -> None:
    """Refuse to record data that needs ``purpose`` consent the person has not given."""
    if not has_consent(session, participant_id, purpose):
        raise DomainError(
            "consent_required",
            f"Participant {participant_id} has not consented to {purpose.value.replace('_', ' ')}",
            purpose=purpose.value,
        )


@use_case
def record_consents(
    ctx: Context,
    participant_id: int,
    purposes: Iterable[ConsentPurpose],
    *,
    granted_on: date | None = None,
) -> list[Consent]:
    """Record consent to each purpose against the territory's current notice,
    given on ``granted_on`` (default today; not before the person's registration).
    A purpose already consented to is left as it is."""
    participant = fetch(ctx, Participant, participant_id)
    notice = current_notice(ctx.session, participant.territory_code)
    if notice is None:
        raise DomainError(
            "no_privacy_notice",
            f"Territory {participant.territory_code} has no privacy notice: publish one first",
        )
    recorded = []
    try:
        wanted = [ConsentPurpose(p) for p in purposes]
    except ValueError as exc:
        raise DomainError("invalid_value", str(exc), field="purposes") from None
    wanted = [p for p in dict.fromkeys(wanted) if not has_consent(ctx.session, participant_id, p)]
    if wanted:
        granted_on = event_date(
            ctx,
            granted_on,
            event="consent_given",
            entity="consent",
            not_before=registered_on(ctx, participant_id),
            not_before_what="the person's registration",
            participant_id=participant_id,
            territory_code=participant.territory_code,
        )
    for purpose in wanted:
        consent = Consent(
            participant_id=participant_id,
            notice_id=notice.id,
            purpose=purpose,
            granted_on=granted_on,
            recorded_by=ctx.actor,
        )
        ctx.session.add(consent)
        recorded.append(consent)
    ctx.session.flush()
    if recorded:
        record(
            ctx,
            AuditAction.CREATE,
            "consent",
            None,
            participant_id=participant_id,
            territory_code=participant.territory_code,
            purposes=[c.purpose.value for c in recorded],
            notice=notice.version,
        )
    return recorded


@use_case
def withdraw_consent(
    ctx: Context,
    participant_id: int,
    purpose: ConsentPurpose,
    *,
    withdrawn_on: date | None = None,
) -> None:
    """Withdraw consent to ``purpose`` on ``withdrawn_on`` (default today; not
    before it was given)."""
    participant = fetch(ctx, Participant, participant_id)
    active = ctx.session.scalars(
        select(Consent).where(
            Consent.participant_id == participant_id,
            Consent.purpose == purpose,
            Consent.withdrawn_at.is_(None),
        )
    ).all()
    if not active:
        raise DomainError("no_active_consent", f"No active consent to {purpose.value}")
    day = event_date(
        ctx,
        withdrawn_on,
        event="consent_withdrawn",
        entity="consent",
        not_before=max(c.granted_on for c in active),
        not_before_what="the day the consent was given",
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    for consent in active:
        consent.withdrawn_at = utcnow()
        consent.withdrawn_on = day
    record(
        ctx,
        AuditAction.UPDATE,
        "consent",
        None,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        withdrawn=purpose.value,
    )


# --- Right of access ----------------------------------------------------------------


def _row(obj: Any, *exclude: str) -> dict[str, Any]:
    data = {}
    for column in obj.__table__.columns:
        if column.key in exclude:
            continue
        value = getattr(obj, column.key)
        data[column.key] = (
            value.isoformat()
            if hasattr(value, "isoformat")
            else (
                str(value)
                if value is not None and not isinstance(value, int | str | dict | list)
                else value
            )
        )
    return data


@use_case
def export_person(ctx: Context, participant_id: int) -> dict[str, Any]:
    """Everything AMAL holds about one person, as JSON-ready data (GDPR art. 15):
    their rows, and the shared notes that mention them (:mod:`amal.consent.personal_data`)."""
    participant = fetch(ctx, Participant, participant_id)
    session = ctx.session

    def rows(model: Any) -> list[dict[str, Any]]:
        return [
            _row(obj)
            for obj in session.scalars(
                select(model).where(model.participant_id == participant_id).order_by(model.id)
            )
        ]

    export = {
        "participant": _row(participant),
        "status_history": rows(StatusChange),
        "transfers": rows(TerritoryTransfer),
        "consents": rows(Consent),
        "enrolments": rows(Enrolment),
        "attendance": rows(Attendance),
        "wellbeing": rows(Administration),
        "referrals": rows(Referral),
        "outcomes": rows(Outcome),
        "mentions": personal_data.mentions(session, participant),
    }
    record(
        ctx,
        AuditAction.EXPORT,
        "participant",
        participant_id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    return export


# --- Right to erasure ---------------------------------------------------------------


@use_case
def erase_person(ctx: Context, participant_id: int, reason: str) -> Participant:
    """Pseudonymise a person (GDPR art. 17) while keeping funder counts exact.

    Identity, contacts, every free text listed in :mod:`amal.consent.personal_data`
    (their own rows, and mentions of them in shared notes) and questionnaire
    answers are removed; the row, its status, memberships, attendance, scores
    and outcome categories stay so that every indicator for past periods is unchanged.
    """
    if not reason.strip():
        raise DomainError("reason_required", "Erasure needs a reason (the request's reference)")
    participant = fetch(ctx, Participant, participant_id, for_update=True)
    if participant.erased_at is not None:
        raise DomainError("participant_erased", f"Participant {participant_id} is already erased")
    redacted = personal_data.redact_mentions(ctx.session, participant)
    for field, value in personal_data.OWNED["participant"].items():
        setattr(participant, field, value)
    participant.last_name = f"Cancellato #{participant.id}"
    participant.birth_date = None
    participant.months_out_of_work = None
    participant.erased_at = utcnow()
    for table, model in personal_data.OWNED_MODELS.items():
        for obj in ctx.session.scalars(select(model).where(model.participant_id == participant_id)):
            for field, value in personal_data.OWNED[table].items():
                setattr(obj, field, value)
    for administration in ctx.session.scalars(
        select(Administration).where(Administration.participant_id == participant_id)
    ):
        administration.answers = None
    record(
        ctx,
        AuditAction.ERASE,
        "participant",
        participant_id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        reason=reason,
        shared_texts_redacted=redacted,
    )
    return participant
