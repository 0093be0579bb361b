"""Employment outcomes: one at the end of the path, when the person leaves a
group, then follow-ups at the months of the territory's schedule, each kept."""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, case, exists, func, literal, select, true, union_all
from sqlalchemy.orm import aliased

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.errors import DomainError
from amal.events import event_date
from amal.groups.models import Enrolment, GroupStatus
from amal.outcomes.models import (
    CATEGORY_FIELDS,
    ContractType,
    Outcome,
    OutcomeCategory,
    OutcomeMoment,
    Situation,
)
from amal.participants.history import registered_on
from amal.participants.models import Participant
from amal.services import Context, fetch, use_case

WITH_CONTRACT = frozenset({Situation.EMPLOYED})


def _situation(
    situation: Situation | str | None,
    contract_type: ContractType | str | None,
    category: OutcomeCategory | str | None,
) -> tuple[Situation, ContractType | None]:
    try:
        if category:
            if situation or contract_type:
                raise DomainError(
                    "invalid_value", "Give either a category or a situation, not both"
                )
            return CATEGORY_FIELDS[OutcomeCategory(category)]
        if not situation:
            raise DomainError("required_field", "An outcome needs a category", field="category")
        situation = Situation(situation)
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
    return situation, contract


def end_outcome(ctx: Context, participant_id: int) -> Outcome | None:
    return ctx.session.scalar(
        select(Outcome).where(
            Outcome.participant_id == participant_id, Outcome.moment == OutcomeMoment.END
        )
    )


@use_case
def record_outcome(
    ctx: Context,
    participant_id: int,
    moment: OutcomeMoment | str,
    situation: Situation | str | None = None,
    *,
    category: OutcomeCategory | str | None = None,
    contract_type: ContractType | str | None = None,
    follow_up_month: int | None = None,
    recorded_on: date | None = None,
    notes: str = "",
) -> Outcome:
    """Record the situation at the end of the path (once, and only after the
    person left a group) or at a follow-up month of the territory's schedule
    (once per month, never replacing an earlier answer), as of ``recorded_on``
    (default today; not before the person's registration, a follow-up not before
    the end outcome). Give a ``category`` or a ``situation`` with its contract type."""
    # Locked: two simultaneous requests cannot both record the same outcome.
    participant = fetch(ctx, Participant, participant_id, for_update=True)
    try:
        moment = OutcomeMoment(moment)
    except ValueError as exc:
        raise DomainError("invalid_value", str(exc), field="moment") from None
    situation, contract = _situation(situation, contract_type, category)
    end = end_outcome(ctx, participant_id)
    not_before, not_before_what = registered_on(ctx, participant_id), "the person's registration"
    if moment == OutcomeMoment.END:
        follow_up_month = None
        enrolments = ctx.session.scalars(
            select(Enrolment).where(Enrolment.participant_id == participant_id)
        ).all()
        if not enrolments:
            raise DomainError(
                "never_in_group",
                "An end outcome is recorded when a person leaves a group: "
                f"participant {participant_id} was never in one",
            )
        # Left: the membership ended (withdrawal, drop-out, removal) or the group concluded.
        if all(e.ended_at is None and e.group.status != GroupStatus.CONCLUDED for e in enrolments):
            raise DomainError(
                "still_in_group",
                f"Participant {participant_id} is still in a group: record the outcome "
                "when they leave it",
            )
        if end is not None:
            raise DomainError(
                "outcome_exists", "The end outcome is already recorded for this person"
            )
    else:
        schedule = ctx.plugins.group_policy(participant.territory_code).follow_up_months
        if end is None:
            raise DomainError("end_outcome_missing", "Record the end outcome before any follow-up")
        if follow_up_month not in schedule:
            raise DomainError(
                "invalid_follow_up_month",
                f"Follow-ups in this territory are at months {', '.join(map(str, schedule))}",
                field="follow_up_month",
            )
        taken = ctx.session.scalar(
            select(Outcome.id).where(
                Outcome.participant_id == participant_id,
                Outcome.moment == OutcomeMoment.FOLLOW_UP,
                Outcome.follow_up_month == follow_up_month,
            )
        )
        if taken:
            raise DomainError(
                "outcome_exists",
                f"The {follow_up_month}-month follow-up is already recorded for this person",
                field="follow_up_month",
            )
        not_before, not_before_what = end.recorded_on, "the end outcome"
    day = event_date(
        ctx,
        recorded_on,
        event=f"outcome_{moment.value}",
        entity="outcome",
        not_before=not_before,
        not_before_what=not_before_what,
        participant_id=participant_id,
        territory_code=participant.territory_code,
    )
    outcome = Outcome(
        participant_id=participant_id,
        moment=moment,
        follow_up_month=follow_up_month,
        situation=situation,
        contract_type=contract,
        recorded_on=day,
        notes=notes.strip(),
        recorded_by=ctx.actor,
    )
    ctx.session.add(outcome)
    ctx.session.flush()
    record(
        ctx,
        AuditAction.CREATE,
        "outcome",
        outcome.id,
        participant_id=participant_id,
        territory_code=participant.territory_code,
        moment=moment.value,
        follow_up_month=follow_up_month,
    )
    return outcome


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class FollowUpDue:
    participant: Participant
    month: int
    due_on: date

    @property
    def week(self) -> date:
        """The Monday of the week it is due."""
        return self.due_on - timedelta(days=self.due_on.weekday())


@dataclass(frozen=True)
class FollowUpsOverview:
    """What the dashboard shows: how many are due, per week, and the first few."""

    total: int
    per_week: list[tuple[date, int]]
    first: list[FollowUpDue]


def _due(
    ctx: Context,
    territory_code: str,
    people: Select[tuple[Participant]],
    today: date,
    weeks_ahead: int,
) -> list[tuple[date, str, int, int]]:
    """(due on, last name, participant id, month) of every follow-up due, in
    order: from plain rows, no record loaded (thousands at regional scale)."""
    schedule = ctx.plugins.group_policy(territory_code).follow_up_months
    horizon = today + timedelta(weeks=weeks_ahead)
    visible = select(people.where(Participant.erased_at.is_(None)).subquery().c.id)
    ends: dict[int, tuple[str, date]] = {}
    for participant_id, last_name, ended in ctx.session.execute(
        select(Outcome.participant_id, Participant.last_name, Outcome.recorded_on)
        .join(Participant, Participant.id == Outcome.participant_id)
        .where(Outcome.participant_id.in_(visible), Outcome.moment == OutcomeMoment.END)
        .order_by(Outcome.participant_id, Outcome.id)
    ):
        ends[participant_id] = (last_name, ended)
    done = set(
        ctx.session.execute(
            select(Outcome.participant_id, Outcome.follow_up_month).where(
                Outcome.participant_id.in_(visible), Outcome.moment != OutcomeMoment.END
            )
        ).tuples()
    )
    return sorted(
        (add_months(ended, month), last_name, participant_id, month)
        for participant_id, (last_name, ended) in ends.items()
        for month in schedule
        if (participant_id, month) not in done and add_months(ended, month) <= horizon
    )


def _with_records(ctx: Context, keys: list[tuple[date, str, int, int]]) -> list[FollowUpDue]:
    ids = sorted({participant_id for _, _, participant_id, _ in keys})
    records: dict[int, Participant] = {}
    for start in range(0, len(ids), 500):  # SQLite's limit on bound values
        records.update(
            (p.id, p)
            for p in ctx.session.scalars(
                select(Participant).where(Participant.id.in_(ids[start : start + 500]))
            )
        )
    return [FollowUpDue(records[pid], month, day) for day, _, pid, month in keys]


def follow_ups_due(
    ctx: Context,
    territory_code: str,
    people: Select[tuple[Participant]],
    *,
    today: date,
    weeks_ahead: int = 4,
) -> list[FollowUpDue]:
    """The follow-ups not yet recorded that are due by ``weeks_ahead`` weeks from
    ``today`` (overdue ones included), earliest first. ``people`` is the
    caller's scoped participant query."""
    return _with_records(ctx, _due(ctx, territory_code, people, today, weeks_ahead))


def _last_end_for(day: date, months: int) -> date:
    """The last end day whose follow-up at ``months`` falls on or before ``day``
    (month ends clamp: Jan 29-31 + 1 month are all Feb 28)."""
    last = add_months(day, -months)
    while add_months(last + timedelta(days=1), months) <= day:
        last += timedelta(days=1)
    return last


def _missing_follow_ups(
    ctx: Context, territory_code: str, people: Select[tuple[Participant]], by: date
) -> tuple[Any, Any, Any]:
    """SQL pieces: the schedule's months as rows, and the condition "this END
    outcome's follow-up at that month is due by ``by`` and not recorded"."""
    schedule = ctx.plugins.group_policy(territory_code).follow_up_months
    months = union_all(*(select(literal(m).label("month")) for m in schedule)).subquery()
    visible = select(people.where(Participant.erased_at.is_(None)).subquery().c.id)
    recorded = aliased(Outcome)
    condition = and_(
        Outcome.moment == OutcomeMoment.END,
        Outcome.participant_id.in_(visible),
        Outcome.recorded_on
        <= case(*((months.c.month == m, _last_end_for(by, m)) for m in schedule)),
        ~exists().where(
            recorded.participant_id == Outcome.participant_id,
            recorded.moment != OutcomeMoment.END,
            recorded.follow_up_month == months.c.month,
        ),
    )
    return months, condition, schedule


def follow_ups_overview(
    ctx: Context,
    territory_code: str,
    people: Select[tuple[Participant]],
    *,
    today: date,
    weeks_ahead: int = 4,
    shown: int = 30,
) -> FollowUpsOverview:
    """As :func:`follow_ups_due`, counted per week, with the first ``shown``:
    counted by the database per end day, so that the cost does not grow with
    the people due (thousands of overdue ones at regional scale)."""
    horizon = today + timedelta(weeks=weeks_ahead)
    months, condition, _ = _missing_follow_ups(ctx, territory_code, people, horizon)
    per_day: Counter[date] = Counter()
    for month, ended, n in ctx.session.execute(
        select(months.c.month, Outcome.recorded_on, func.count())
        .select_from(Outcome)
        .join(months, true())
        .where(condition)
        .group_by(months.c.month, Outcome.recorded_on)
    ):
        per_day[add_months(ended, month)] += n
    weeks: Counter[date] = Counter()
    for day, n in per_day.items():
        weeks[day - timedelta(days=day.weekday())] += n
    # The first ones: those due by the day the first ``shown`` reach.
    cutoff, reached = None, 0
    for day in sorted(per_day):
        cutoff, reached = day, reached + per_day[day]
        if reached >= shown:
            break
    first: list[FollowUpDue] = []
    if cutoff is not None:
        months, condition, _ = _missing_follow_ups(ctx, territory_code, people, cutoff)
        rows = ctx.session.execute(
            select(Participant, months.c.month, Outcome.recorded_on)
            .select_from(Outcome)
            .join(months, true())
            .join(Participant, Participant.id == Outcome.participant_id)
            .where(condition)
        ).all()
        first = sorted(
            (FollowUpDue(p, month, add_months(ended, month)) for p, month, ended in rows),
            key=lambda d: (d.due_on, d.participant.last_name, d.participant.id, d.month),
        )[:shown]
    return FollowUpsOverview(sum(per_day.values()), sorted(weeks.items()), first)
