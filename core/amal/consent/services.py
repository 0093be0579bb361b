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
from amal.groups.models import Enrolment, WaitlistEntry
from amal.meetings.models import Attendance, InfoInvitation, InfoWalkIn
from amal.outcomes.models import Outcome
from amal.participants.history import registered_on
from amal.participants.models import (
    DiaryEntry,
    DiaryRevision,
    FieldChange,
    Participant,
    StatusChange,
    TerritoryTransfer,
)
from amal.referrals.models import Referral
from amal.services import Context, fetch, use_case
from amal.wellbeing.models import Administration, AdministrationCorrection


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


# What each purpose allows: withdrawing it stops these from its day on.
DEPENDENTS: dict[ConsentPurpose, tuple[str, ...]] = {
    ConsentPurpose.PROCESSING: ("admission", "questionnaires", "referrals"),
    ConsentPurpose.PARTICULAR_CATEGORIES: ("questionnaires",),
    ConsentPurpose.SHARING: ("referrals", "sharing with partners"),
}


def has_consent(
    session: Session, participant_id: int, purpose: ConsentPurpose, on: date | None = None
) -> bool:
    """Whether consent to ``purpose`` is in force now, or on the day ``on``
    (a questionnaire filled in before a withdrawal stays lawful)."""
    consents = session.scalars(
        select(Consent).where(Consent.participant_id == participant_id, Consent.purpose == purpose)
    ).all()
    if on is None:
        return any(c.is_active for c in consents)
    return any(c.covers(on) for c in consents)


def require_consent(
    session: Session, participant_id: int, purpose: ConsentPurpose, on: date | None = None
) -> None:
    """Refuse to record data that needs ``purpose`` consent the person has not
    given, or had withdrawn by the day ``on``."""
    if not has_consent(session, participant_id, purpose, on):
        raise DomainError(
            "consent_required",
            f"Participant {participant_id} has not consented to {purpose.value.replace('_', ' ')}"
            + (f" on {on.isoformat()}" if on else ""),
            purpose=purpose.value,
        )


def _purposes(purposes: Iterable[ConsentPurpose | str]) -> list[ConsentPurpose]:
    try:
        return [ConsentPurpose(p) for p in purposes]
    except ValueError as exc:
        raise DomainError("invalid_value", str(exc), field="purposes") from None


def _notice(ctx: Context, participant: Participant) -> PrivacyNotice:
    notice = current_notice(ctx.session, participant.territory_code)
    if notice is None:
        raise DomainError(
            "no_privacy_notice",
            f"Territory {participant.territory_code} has no privacy notice: publish one first",
        )
    return notice


@use_case
def record_consents(
    ctx: Context,
    participant_id: int,
    purposes: Iterable[ConsentPurpose | str],
    *,
    granted_on: date | None = None,
) -> list[Consent]:
    """Record consent to each purpose against the territory's current notice,
    signed on the day ``granted_on`` (today by default; not before the person's
    registration). A purpose already consented to is left as it is."""
    participant = fetch(ctx, Participant, participant_id)
    notice = _notice(ctx, participant)
    wanted = _purposes(purposes)
    new = [p for p in dict.fromkeys(wanted) if not has_consent(ctx.session, participant_id, p)]
    if not new:
        return []
    day = event_date(
        ctx,
        granted_on,
        event="consent_given",
        entity="consent",
        not_before=registered_on(ctx, participant_id),
        not_before_what="the person's registration",
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    recorded = []
    for purpose in new:
        consent = Consent(
            participant_id=participant_id,
            notice_id=notice.id,
            purpose=purpose,
            granted_on=day,
            recorded_by=ctx.actor,
        )
        ctx.session.add(consent)
        recorded.append(consent)
    ctx.session.flush()
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
    purpose: ConsentPurpose | str,
    *,
    reason: str,
    withdrawn_on: date | None = None,
) -> Consent:
    """The person withdraws consent to ``purpose`` on the day ``withdrawn_on``
    (today by default; not before it was given): what depends on it
    (:data:`DEPENDENTS`) is refused from that day."""
    participant = fetch(ctx, Participant, participant_id)
    (purpose,) = _purposes([purpose])
    if not reason.strip():
        raise DomainError("reason_required", "A withdrawal needs a reason", field="reason")
    consent = ctx.session.scalar(
        select(Consent).where(
            Consent.participant_id == participant_id,
            Consent.purpose == purpose,
            Consent.withdrawn_at.is_(None),
            Consent.superseded_on.is_(None),
        )
    )
    if consent is None:
        raise DomainError("no_active_consent", f"No active consent to {purpose.value}")
    consent.withdrawn_on = event_date(
        ctx,
        withdrawn_on,
        event="consent_withdrawn",
        entity="consent",
        entity_id=consent.id,
        not_before=consent.granted_on,
        not_before_what="the day the consent was given",
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    consent.withdrawn_at = utcnow()
    consent.withdrawal_reason = reason.strip()
    record(
        ctx,
        AuditAction.UPDATE,
        "consent",
        consent.id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        withdrawn=purpose.value,
        withdrawn_on=consent.withdrawn_on.isoformat(),
    )
    return consent


def outdated_consents(session: Session, territory_code: str) -> dict[Participant, list[Consent]]:
    """People whose consents in force refer to an older notice than the current
    one: they are asked to read the new notice and consent again."""
    notice = current_notice(session, territory_code)
    if notice is None:
        return {}
    rows = session.execute(
        select(Participant, Consent)
        .join(Consent, Consent.participant_id == Participant.id)
        .where(
            Participant.territory_code == territory_code,
            Participant.erased_at.is_(None),
            Consent.notice_id != notice.id,
            Consent.withdrawn_at.is_(None),
            Consent.superseded_on.is_(None),
        )
        .order_by(Participant.last_name, Participant.first_name, Participant.id, Consent.id)
    ).all()
    found: dict[Participant, list[Consent]] = {}
    for participant, consent in rows:
        found.setdefault(participant, []).append(consent)
    return found


@use_case
def renew_consents(ctx: Context, participant_id: int, *, on: date | None = None) -> list[Consent]:
    """Re-consent: the person signed the current notice on the day ``on``. Each
    consent in force on an older notice is replaced by one on the current
    notice (the old row stays in the history, marked as replaced)."""
    participant = fetch(ctx, Participant, participant_id)
    notice = _notice(ctx, participant)
    old = outdated_consents(ctx.session, participant.territory_code).get(participant, [])
    if not old:
        raise DomainError(
            "consent_up_to_date", "The consents in force already refer to the current notice"
        )
    day = event_date(
        ctx,
        on,
        event="re-consent",
        entity="consent",
        not_before=max(c.granted_on for c in old),
        not_before_what="the consent it replaces",
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    renewed = []
    for consent in old:
        consent.superseded_on = day
        renewed.append(
            Consent(
                participant_id=participant_id,
                notice_id=notice.id,
                purpose=consent.purpose,
                granted_on=day,
                recorded_by=ctx.actor,
            )
        )
    ctx.session.add_all(renewed)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "consent",
        None,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        purposes=[c.purpose.value for c in renewed],
        notice=notice.version,
        renewed=True,
    )
    return renewed


def blocks(session: Session, participant_id: int) -> list[tuple[ConsentPurpose, date | None]]:
    """The purposes without consent in force, with the day a withdrawal took
    effect (None: never given): the record says what is stopped."""
    consents = session.scalars(
        select(Consent).where(Consent.participant_id == participant_id).order_by(Consent.id)
    ).all()
    missing = []
    for purpose in ConsentPurpose:
        mine = [c for c in consents if c.purpose == purpose]
        if any(c.is_active for c in mine):
            continue
        withdrawn = [c.withdrawn_on for c in mine if c.withdrawn_on is not None]
        missing.append((purpose, max(withdrawn) if withdrawn else None))
    return missing


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
        "corrections": rows(FieldChange),
        "consents": rows(Consent),
        "enrolments": rows(Enrolment),
        "waiting_lists": rows(WaitlistEntry),
        "attendance": rows(Attendance),
        "information_meetings_invited": rows(InfoInvitation),
        "information_meetings_walk_in": rows(InfoWalkIn),
        "wellbeing": rows(Administration),
        "wellbeing_corrections": rows(AdministrationCorrection),
        "referrals": rows(Referral),
        "outcomes": rows(Outcome),
        "diary": rows(DiaryEntry),
        "diary_revisions": rows(DiaryRevision),
        "mentions": personal_data.mentions(session, participant, ctx.plugins),
        # Plugins' tables (amal_personal_data), e.g. the help-desk visit that became the intake.
        "plugin_records": {
            table.table: [_row(obj) for obj in objs]
            for table, objs in personal_data.plugin_owned_rows(session, ctx.plugins, participant_id)
        },
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
    redacted = personal_data.redact_mentions(ctx.session, participant, ctx.plugins)
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
    for table, objs in personal_data.plugin_owned_rows(ctx.session, ctx.plugins, participant_id):
        for obj in objs:
            for field, value in table.owned.items():
                setattr(obj, field, value)
    for administration in ctx.session.scalars(
        select(Administration).where(Administration.participant_id == participant_id)
    ):
        administration.answers = None
    for correction in ctx.session.scalars(
        select(AdministrationCorrection).where(
            AdministrationCorrection.participant_id == participant_id
        )
    ):
        correction.old_answers = None
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
