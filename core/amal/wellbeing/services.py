"""Recording questionnaires (with consent) and measuring change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from statistics import mean

from sqlalchemy import select

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.consent.models import ConsentPurpose
from amal.consent.services import require_consent
from amal.dates import check_questionnaire_date
from amal.errors import DomainError
from amal.groups.models import Enrolment
from amal.participants.models import Participant
from amal.services import Context, fetch, use_case
from amal.wellbeing.instruments import get_instrument
from amal.wellbeing.models import Administration, AdministrationCorrection, Phase


@use_case
def record_administration(
    ctx: Context,
    participant_id: int,
    instrument: str,
    phase: Phase | str,
    answers: Mapping[int, int],
    *,
    administered_on: date | None = None,
    group_id: int | None = None,
) -> Administration:
    """Score and store a questionnaire. Needs consent to particular-category data;
    one administration per person, instrument and phase (a mistake is corrected
    with :func:`correct_administration`); the phases' dates in order, none in
    the future (:func:`amal.dates.check_questionnaire_date`)."""
    participant = fetch(ctx, Participant, participant_id)
    if participant.erased_at is not None:
        raise DomainError("participant_erased", "This participant was erased")
    scale = get_instrument(instrument)
    try:
        phase = Phase(phase)
    except ValueError:
        raise DomainError("invalid_value", f"Unknown phase {phase!r}", field="phase") from None
    day = administered_on or date.today()
    recorded = _phase_dates(ctx, participant_id, scale.code)
    if phase.value in recorded:
        raise DomainError(
            "already_recorded",
            f"{scale.name} at {phase.value} is already recorded for this person: correct it",
            administration_id=recorded[phase.value][0],
        )
    check_questionnaire_date(day, phase.value, {k: v[1] for k, v in recorded.items()})
    # Consent must be in force on the day of the questionnaire (a withdrawal stops it from then).
    for purpose in (ConsentPurpose.PROCESSING, ConsentPurpose.PARTICULAR_CATEGORIES):
        require_consent(ctx.session, participant_id, purpose, day)
    answers = {int(k): v for k, v in answers.items()}
    raw = scale.raw_score(answers)
    if group_id is None:
        group_id = ctx.session.scalar(
            select(Enrolment.group_id)
            .where(Enrolment.participant_id == participant_id)
            .order_by(Enrolment.id.desc())
            .limit(1)
        )
    administration = Administration(
        participant_id=participant_id,
        group_id=group_id,
        instrument=scale.code,
        phase=phase,
        administered_on=day,
        answers={str(k): v for k, v in sorted(answers.items())},
        raw_score=raw,
        score=raw * scale.score_multiplier,
        recorded_by=ctx.actor,
    )
    ctx.session.add(administration)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "wellbeing_administration",
        administration.id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        instrument=scale.code,
        phase=phase.value,
    )
    return administration


def _phase_dates(
    ctx: Context, participant_id: int, instrument: str, *, excluding: int | None = None
) -> dict[str, tuple[int, date]]:
    """phase -> (administration id, date) of the person's questionnaires of ``instrument``."""
    rows = ctx.session.execute(
        select(Administration.phase, Administration.id, Administration.administered_on).where(
            Administration.participant_id == participant_id,
            Administration.instrument == instrument,
            Administration.id != (excluding or 0),
        )
    ).all()
    return {phase.value: (row_id, day) for phase, row_id, day in rows}


@use_case
def correct_administration(
    ctx: Context,
    administration_id: int,
    answers: Mapping[int, int],
    reason: str,
    *,
    administered_on: date | None = None,
) -> Administration:
    """Replace a mistyped questionnaire's answers (and date, if given): the
    previous version is kept with ``reason`` (:class:`AdministrationCorrection`)
    and the correction is audited. The same rules as a new one apply."""
    if not reason.strip():
        raise DomainError("reason_required", "A correction needs a reason", field="reason")
    administration = fetch(ctx, Administration, administration_id, for_update=True)
    participant = fetch(ctx, Participant, administration.participant_id)
    if participant.erased_at is not None:
        raise DomainError("participant_erased", "This participant was erased")
    scale = get_instrument(administration.instrument)
    day = administered_on or administration.administered_on
    others = _phase_dates(ctx, participant.id, scale.code, excluding=administration.id)
    check_questionnaire_date(day, administration.phase.value, {k: v[1] for k, v in others.items()})
    for purpose in (ConsentPurpose.PROCESSING, ConsentPurpose.PARTICULAR_CATEGORIES):
        require_consent(ctx.session, participant.id, purpose, day)
    answers = {int(k): v for k, v in answers.items()}
    raw = scale.raw_score(answers)
    ctx.session.add(
        AdministrationCorrection(
            administration_id=administration.id,
            participant_id=participant.id,
            old_administered_on=administration.administered_on,
            old_answers=administration.answers,
            old_score=administration.score,
            reason=reason.strip(),
            corrected_by=ctx.actor,
        )
    )
    old_score = administration.score
    administration.administered_on = day
    administration.answers = {str(k): v for k, v in sorted(answers.items())}
    administration.raw_score = raw
    administration.score = raw * scale.score_multiplier
    administration.recorded_by = ctx.actor
    ctx.session.flush()
    record(
        ctx,
        AuditAction.UPDATE,
        "wellbeing_administration",
        administration.id,
        participant_id=participant.id,
        territory_code=participant.territory_code,
        instrument=scale.code,
        phase=administration.phase.value,
        reason=reason.strip(),
        old_score=old_score,
        score=administration.score,
    )
    return administration


def corrections(ctx: Context, participant_id: int) -> list[AdministrationCorrection]:
    """The corrections of a person's questionnaires, latest first."""
    return list(
        ctx.session.scalars(
            select(AdministrationCorrection)
            .where(AdministrationCorrection.participant_id == participant_id)
            .order_by(AdministrationCorrection.id.desc())
        )
    )


@dataclass(frozen=True)
class Change:
    participant_id: int
    entry: int
    latest: int
    latest_phase: Phase

    @property
    def delta(self) -> int:
        return self.latest - self.entry


@dataclass(frozen=True)
class GroupChange:
    instrument: str
    changes: list[Change]
    meaningful_change: int

    @property
    def people(self) -> int:
        return len(self.changes)

    @property
    def mean_entry(self) -> float | None:
        return mean(c.entry for c in self.changes) if self.changes else None

    @property
    def mean_latest(self) -> float | None:
        return mean(c.latest for c in self.changes) if self.changes else None

    @property
    def improved(self) -> int:
        """People whose score rose by at least the instrument's meaningful change."""
        return sum(1 for c in self.changes if c.delta >= self.meaningful_change)


def changes(ctx: Context, instrument: str, *conditions) -> list[Change]:
    """Entry vs latest later score (end, else midway) per person with both."""
    scale = get_instrument(instrument)
    rows = ctx.session.execute(
        select(Administration.participant_id, Administration.phase, Administration.score).where(
            Administration.instrument == scale.code, *conditions
        )
    ).all()
    by_person: dict[int, dict[Phase, int]] = {}
    for participant_id, phase, score in rows:
        by_person.setdefault(participant_id, {})[phase] = score
    result = []
    for participant_id, scores in sorted(by_person.items()):
        later = Phase.END if Phase.END in scores else Phase.MIDWAY
        if Phase.ENTRY in scores and later in scores:
            result.append(Change(participant_id, scores[Phase.ENTRY], scores[later], later))
    return result


def participant_change(ctx: Context, participant_id: int, instrument: str) -> Change | None:
    found = changes(ctx, instrument, Administration.participant_id == participant_id)
    return found[0] if found else None


def group_change(ctx: Context, group_id: int, instrument: str) -> GroupChange:
    scale = get_instrument(instrument)
    return GroupChange(
        scale.code,
        changes(ctx, instrument, Administration.group_id == group_id),
        scale.meaningful_change,
    )
