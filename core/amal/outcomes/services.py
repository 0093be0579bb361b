"""Recording employment outcomes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.errors import DomainError
from amal.events import event_date
from amal.outcomes.models import ContractType, Outcome, OutcomeMoment, Situation
from amal.participants.history import registered_on
from amal.participants.models import Participant
from amal.services import Context, fetch, use_case

WITH_CONTRACT = frozenset({Situation.EMPLOYED})


@use_case
def record_outcome(
    ctx: Context,
    participant_id: int,
    moment: OutcomeMoment | str,
    situation: Situation | str,
    *,
    contract_type: ContractType | str | None = None,
    recorded_on: date | None = None,
    notes: str = "",
) -> Outcome:
    """Record (or correct) the situation at the end of the path or at follow-up,
    as of ``recorded_on`` (default today; not before the person's registration).
    An employed person needs a contract type; others must not have one."""

    participant = fetch(ctx, Participant, participant_id)
    try:
        moment, situation = OutcomeMoment(moment), Situation(situation)
        contract = ContractType(contract_type) if contract_type else None
    except ValueError as exc:
        raise DomainError("invalid_value", str(exc)) from None
    if situation in WITH_CONTRACT and contract is None:
        raise DomainError(
            "contract_type_required",
            "An employed person needs a contract type",
            field="contract_type",
        )
    if situation not in WITH_CONTRACT and contract is not None:
        raise DomainError(
            "contract_type_not_applicable",
            f"A contract type does not apply to {situation.value}",
            field="contract_type",
        )
    day = event_date(
        ctx,
        recorded_on,
        event=f"outcome_{moment.value}",
        entity="outcome",
        not_before=registered_on(ctx, participant_id),
        not_before_what="the person's registration",
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    outcome = ctx.session.scalar(
        select(Outcome).where(Outcome.participant_id == participant_id, Outcome.moment == moment)
    )
    if outcome is None:
        outcome = Outcome(participant_id=participant_id, moment=moment)
        ctx.session.add(outcome)
    outcome.situation, outcome.contract_type = situation, contract
    outcome.recorded_on = day
    outcome.notes, outcome.recorded_by = notes, ctx.actor
    ctx.session.flush()
    record(
        ctx,
        AuditAction.UPDATE,
        "outcome",
        outcome.id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        moment=moment.value,
    )
    return outcome
