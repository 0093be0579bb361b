"""The indicators a report definition can ask for.

Each indicator is a function of a :class:`Scope` returning a :class:`Table` of
aggregates (never names). Each costs a fixed number of queries whatever the
data size. Labels are Italian: the tables go to Italian funders as they are.

One attribution rule for all of them: a figure for a period counts what
happened in that period, by the day it happened (the ``*_on`` dates), never by
when it was typed in; a person's events count for the territory they belonged
to on that day (:func:`amal.participants.history.territory_on`), so a transfer
leaves every closed period as it was. The plugin manual states the rule per
indicator.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.orm import Session, aliased

from amal.groups.models import Enrolment, Group, GroupStatus, GroupStatusChange
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, Presence
from amal.network.models import NetworkMeeting, NetworkPresence
from amal.outcomes.models import Outcome, OutcomeCategory, OutcomeMoment, category_of
from amal.participants.history import ever_in, territory_on
from amal.participants.models import StatusChange
from amal.plugins.definitions import ReportDefinition
from amal.referrals.models import Referral, ReferralStatus
from amal.reports.periods import Period
from amal.reports.vocabulary import italian
from amal.tabular import Day, Share
from amal.territories.models import Partner
from amal.wellbeing.instruments import INSTRUMENTS
from amal.wellbeing.models import Administration, Phase


@dataclass(frozen=True)
class Window:
    """Where and when: what the rule checks need."""

    session: Session
    territory: str
    period: Period
    today: date


@dataclass(frozen=True)
class Scope(Window):
    """A window plus the report asking: what the indicators need."""

    definition: ReportDefinition


@dataclass(frozen=True)
class Table:
    indicator: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


Indicator = Callable[[Scope], Table]
INDICATORS: dict[str, Indicator] = {}


def make_indicator(
    name: str, title: str, *columns: str
) -> Callable[[Callable[..., list]], Indicator]:
    """Turn ``fn(scope) -> rows`` into indicator ``name`` (a plugin's, see
    ``amal_indicators``); the result carries its ``name``."""

    def build(fn: Callable[[Scope], list[tuple[Any, ...]]]) -> Indicator:
        def run(scope: Scope) -> Table:
            return Table(name, title, columns, fn(scope))

        run.__doc__ = fn.__doc__
        run.name = name  # type: ignore[attr-defined]
        return run

    return build


def indicator(name: str, title: str, *columns: str) -> Callable[[Callable[..., list]], Indicator]:
    """Register ``fn(scope) -> rows`` as the core's indicator ``name``."""

    def register(fn: Callable[[Scope], list[tuple[Any, ...]]]) -> Indicator:
        run = make_indicator(name, title, *columns)(fn)
        INDICATORS[name] = run
        return run

    return register


def _counted_meetings(scope: Scope, kinds: tuple[str, ...] | None = None):
    """Held meetings of the period of the kinds the report counts."""
    return select(Meeting.id).where(
        Meeting.territory_code == scope.territory,
        Meeting.status == MeetingStatus.HELD,
        Meeting.scheduled_on.between(scope.period.start, scope.period.end),
        Meeting.kind.in_(kinds or scope.definition.meeting_kinds),
    )


def _people_present():
    """Per meeting (correlated): how many register lines say present."""
    return (
        select(func.count(Attendance.id))
        .where(Attendance.meeting_id == Meeting.id, Attendance.presence == Presence.PRESENT)
        .correlate(Meeting)
        .scalar_subquery()
    )


def _share(part: int, whole: int) -> Share | str:
    return Share(part / whole) if whole else "-"


@indicator("participants_by_status", "Partecipanti per stato a fine periodo", "Stato", "Persone")
def participants_by_status(scope: Scope) -> list[tuple[Any, ...]]:
    """Each person's status on the last day of the period (their latest step dated
    by then), for the territory they belonged to that day."""
    # Each person's latest step by then, ranked by the database (one pass over
    # the steps of the people ever in the territory); the territory of that day
    # is then asked once per person, not once per step.
    ranked = (
        select(
            StatusChange.participant_id,
            StatusChange.to_status,
            func.row_number()
            .over(
                partition_by=StatusChange.participant_id,
                order_by=(StatusChange.occurred_on.desc(), StatusChange.id.desc()),
            )
            .label("rank"),
        )
        .where(
            StatusChange.occurred_on <= scope.period.end,
            StatusChange.participant_id.in_(ever_in(scope.territory)),
        )
        .subquery()
    )
    rows = scope.session.execute(
        select(ranked.c.to_status, func.count())
        .where(
            ranked.c.rank == 1,
            territory_on(ranked.c.participant_id, scope.period.end) == scope.territory,
        )
        .group_by(ranked.c.to_status)
        .order_by(ranked.c.to_status)
    ).all()
    return [(italian(status), n) for status, n in rows]


@indicator(
    "participants_by_group", "Partecipanti per gruppo nel periodo", "Gruppo", "Stato", "Persone"
)
def participants_by_group(scope: Scope) -> list[tuple[Any, ...]]:
    """Members whose membership (enrolment day to the day they left or the group
    concluded) overlaps the period, per group, with the group's status on the
    period's last day."""
    until = func.coalesce(Enrolment.ended_on, Group.concluded_on)
    # The group's status on the period's last day, not today's.
    status_then = (
        select(GroupStatusChange.to_status)
        .where(
            GroupStatusChange.group_id == Group.id,
            GroupStatusChange.occurred_on <= scope.period.end,
        )
        .order_by(GroupStatusChange.occurred_on.desc(), GroupStatusChange.id.desc())
        .limit(1)
        .correlate(Group)
        .scalar_subquery()
    )
    rows = scope.session.execute(
        select(Group.name, func.coalesce(status_then, Group.status), func.count(Enrolment.id))
        .join(Enrolment, Enrolment.group_id == Group.id)
        .where(
            Group.territory_code == scope.territory,
            Enrolment.enrolled_on <= scope.period.end,
            until.is_(None) | (until >= scope.period.start),
        )
        .group_by(Group.id, Group.name, Group.status)
        .order_by(Group.name)
    ).all()
    return [(name, italian(GroupStatus(status)), n) for name, status, n in rows]


@indicator("new_enrolments", "Nuove iscrizioni ai gruppi", "Indicatore", "Valore")
def new_enrolments(scope: Scope) -> list[tuple[Any, ...]]:
    """Enrolments dated in the period."""
    n = scope.session.scalar(
        select(func.count(Enrolment.id))
        .join(Group, Group.id == Enrolment.group_id)
        .where(
            Group.territory_code == scope.territory,
            Enrolment.enrolled_on.between(scope.period.start, scope.period.end),
        )
    )
    return [("Iscrizioni nel periodo", n or 0)]


@indicator("groups", "Gruppi", "Indicatore", "Gruppi")
def groups(scope: Scope) -> list[tuple[Any, ...]]:
    """Groups formed, started, concluded and cancelled in the period; active at its end."""
    moves = dict(
        scope.session.execute(
            select(GroupStatusChange.to_status, func.count())
            .join(Group, Group.id == GroupStatusChange.group_id)
            .where(
                Group.territory_code == scope.territory,
                GroupStatusChange.occurred_on.between(scope.period.start, scope.period.end),
            )
            .group_by(GroupStatusChange.to_status)
        ).all()
    )
    return [
        ("Gruppi in formazione", moves.get(GroupStatus.FORMING, 0)),
        ("Gruppi avviati", moves.get(GroupStatus.ACTIVE, 0)),
        ("Gruppi conclusi", moves.get(GroupStatus.CONCLUDED, 0)),
        ("Gruppi annullati", moves.get(GroupStatus.CANCELLED, 0)),
    ]


@indicator("meetings", "Incontri per tipo e stato", "Tipo", "Previsti", "Svolti", "Annullati")
def meetings(scope: Scope) -> list[tuple[Any, ...]]:
    """Meetings scheduled in the period. A meeting counts as held only with a register."""
    counts: dict[MeetingKind, Counter[MeetingStatus]] = defaultdict(Counter)
    for kind, status, n in scope.session.execute(
        select(Meeting.kind, Meeting.status, func.count())
        .where(
            Meeting.territory_code == scope.territory,
            Meeting.scheduled_on.between(scope.period.start, scope.period.end),
        )
        .group_by(Meeting.kind, Meeting.status)
    ):
        counts[kind][status] = n
    return [
        (
            italian(kind),
            counts[kind][MeetingStatus.PLANNED],
            counts[kind][MeetingStatus.HELD],
            counts[kind][MeetingStatus.CANCELLED],
        )
        for kind in MeetingKind
    ]


@indicator("hours", "Ore erogate", "Indicatore", "Ore")
def hours(scope: Scope) -> list[tuple[Any, ...]]:
    """Facilitation hours (length of held meetings) and hours attended by participants."""
    minutes = scope.session.scalar(
        select(func.coalesce(func.sum(Meeting.duration_minutes), 0)).where(
            Meeting.id.in_(_counted_meetings(scope))
        )
    )
    attended = scope.session.scalar(
        select(func.coalesce(func.sum(Attendance.hours), 0)).where(
            Attendance.meeting_id.in_(_counted_meetings(scope))
        )
    )
    return [
        ("Ore di facilitazione", Decimal(minutes or 0) / 60),
        ("Ore di presenza dei partecipanti", Decimal(attended or 0)),
    ]


def _group_register_lines(scope: Scope) -> Any:
    """Register lines of the period's held group meetings (a WHERE clause)."""
    return Attendance.meeting_id.in_(_counted_meetings(scope, ("group",)))


@indicator("attendance_rate", "Tasso di presenza agli incontri di gruppo", "Indicatore", "Valore")
def attendance_rate(scope: Scope) -> list[tuple[Any, ...]]:
    # Counted by the database: memory does not grow with the register lines.
    lines: Counter[Presence] = Counter(
        dict(
            scope.session.execute(
                select(Attendance.presence, func.count())
                .where(_group_register_lines(scope))
                .group_by(Attendance.presence)
            ).all()
        )
    )
    total = sum(lines.values())
    return [
        ("Righe di registro", total),
        ("Presenze", lines[Presence.PRESENT]),
        ("Assenze giustificate", lines[Presence.JUSTIFIED]),
        ("Assenze", lines[Presence.ABSENT]),
        ("Tasso di presenza", _share(lines[Presence.PRESENT], total)),
    ]


@indicator("min_presence", "Persone con la presenza minima", "Indicatore", "Valore")
def min_presence(scope: Scope) -> list[tuple[Any, ...]]:
    """People present at no less than the report's ``min_presence`` share of the
    group meetings of the period they had a register line for."""
    threshold = scope.definition.min_presence
    present = func.sum(case((Attendance.presence == Presence.PRESENT, 1), else_=0))
    per_person = (
        select(
            Attendance.participant_id,
            present.label("present"),
            func.count().label("expected"),
        )
        .where(_group_register_lines(scope))
        .group_by(Attendance.participant_id)
        .subquery()
    )
    people, reaching = scope.session.execute(
        select(
            func.count(),
            func.coalesce(
                func.sum(
                    case(
                        # present / expected >= threshold, without division.
                        (per_person.c.present >= threshold * per_person.c.expected, 1),
                        else_=0,
                    )
                ),
                0,
            ),
        ).select_from(per_person)
    ).one()
    return [
        ("Soglia di presenza", Share(threshold, digits=0)),
        ("Persone con registro nel periodo", people),
        ("Persone che raggiungono la soglia", int(reaching)),
        ("Quota", _share(int(reaching), people)),
    ]


@indicator(
    "wellbeing_change",
    "Variazione del benessere (ingresso - ultima rilevazione)",
    "Strumento",
    "Persone",
    "Media ingresso",
    "Media ultima",
    "Variazione media",
    "Migliorati",
    "Quota migliorati",
    "Sotto soglia all'ingresso",
    "Sotto soglia ora",
)
def wellbeing_change(scope: Scope) -> list[tuple[Any, ...]]:
    """Per instrument: people with an entry and a later score by the period's end;
    improved = a rise of at least the instrument's meaningful change (10 for WHO-5).
    A person counts for the territory they belonged to on the day of the later score."""
    end = scope.period.end
    entry, later, final = (aliased(Administration) for _ in range(3))
    # The later score: the end one, else the midway one (both dated by the period's end).
    has_end = exists().where(
        final.participant_id == later.participant_id,
        final.instrument == later.instrument,
        final.phase == Phase.END,
        final.administered_on <= end,
    )

    def per_instrument(values: dict[str, int]) -> Any:
        return case(*((entry.instrument == code, value) for code, value in values.items()), else_=0)

    def how_many(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    meaningful = per_instrument({c: s.meaningful_change for c, s in INSTRUMENTS.items()})
    low = per_instrument({c: s.low_threshold for c, s in INSTRUMENTS.items()})
    # Aggregated by the database: one row per instrument, whatever the people.
    totals = {
        instrument: (n, entries, latest, improved, low_entry, low_now)
        for instrument, n, entries, latest, improved, low_entry, low_now in scope.session.execute(
            select(
                entry.instrument,
                func.count(),
                func.sum(entry.score),
                func.sum(later.score),
                how_many(later.score - entry.score >= meaningful),
                how_many(entry.score <= low),
                how_many(later.score <= low),
            )
            .join(
                later,
                (later.participant_id == entry.participant_id)
                & (later.instrument == entry.instrument),
            )
            .where(
                entry.participant_id.in_(ever_in(scope.territory)),
                entry.phase == Phase.ENTRY,
                entry.administered_on <= end,
                later.administered_on <= end,
                (later.phase == Phase.END) | ((later.phase == Phase.MIDWAY) & ~has_end),
                territory_on(later.participant_id, later.administered_on) == scope.territory,
            )
            .group_by(entry.instrument)
        )
    }
    rows = []
    for code, scale in INSTRUMENTS.items():
        n, entries, latest, improved, low_entry, low_now = totals.get(code, (0, 0, 0, 0, 0, 0))
        rows.append(
            (
                scale.name,
                n,
                round(int(entries) / n, 1) if n else "-",
                round(int(latest) / n, 1) if n else "-",
                round((int(latest) - int(entries)) / n, 1) if n else "-",
                int(improved),
                _share(int(improved), n),
                int(low_entry),
                int(low_now),
            )
        )
    return rows


@indicator(
    "referrals",
    "Invii ai servizi per il lavoro (proposti nel periodo)",
    "Servizio",
    "Stato",
    "Invii",
)
def referrals(scope: Scope) -> list[tuple[Any, ...]]:
    """Referrals the territory proposed in the period (they stay its own after a
    transfer), with the step each had reached on the period's last day."""
    end = scope.period.end
    # Later steps first: the furthest step dated by the period's end.
    status_then = case(
        (Referral.completed_on <= end, ReferralStatus.COMPLETED.value),
        (Referral.declined_on <= end, ReferralStatus.DECLINED.value),
        (Referral.started_on <= end, ReferralStatus.STARTED.value),
        (Referral.accepted_on <= end, ReferralStatus.ACCEPTED.value),
        (Referral.sent_on <= end, ReferralStatus.SENT.value),
        else_=ReferralStatus.PROPOSED.value,
    )
    rows = scope.session.execute(
        select(Referral.service_title, status_then, func.count())
        .where(
            Referral.territory_code == scope.territory,
            Referral.proposed_on.between(scope.period.start, end),
        )
        .group_by(Referral.service_title, status_then)
        .order_by(Referral.service_title, status_then)
    ).all()
    return [(title, italian(ReferralStatus(status)), n) for title, status, n in rows]


@indicator(
    "outcomes",
    "Esiti occupazionali registrati nel periodo (categorie dei servizi per il lavoro)",
    "Momento",
    "Categoria",
    "Persone",
)
def outcomes(scope: Scope) -> list[tuple[Any, ...]]:
    """Outcomes dated in the period, for the territory the person belonged to that day."""
    rows = scope.session.execute(
        select(
            Outcome.moment,
            Outcome.follow_up_month,
            Outcome.situation,
            Outcome.contract_type,
            func.count(),
        )
        .where(
            Outcome.participant_id.in_(ever_in(scope.territory)),
            Outcome.recorded_on.between(scope.period.start, scope.period.end),
            territory_on(Outcome.participant_id, Outcome.recorded_on) == scope.territory,
        )
        .group_by(Outcome.moment, Outcome.follow_up_month, Outcome.situation, Outcome.contract_type)
    ).all()
    counts: Counter[tuple[OutcomeMoment, int, OutcomeCategory]] = Counter()
    for moment, month, situation, contract, n in rows:
        counts[(moment, month or 0, category_of(situation, contract))] += n
    order = list(OutcomeCategory)
    return [
        (
            italian(moment) + (f" a {month} mesi" if month else ""),
            italian(category),
            n,
        )
        for (moment, month, category), n in sorted(
            counts.items(), key=lambda item: (item[0][0], item[0][1], order.index(item[0][2]))
        )
    ]


@indicator(
    "training_topics",
    "Incontri formativi sui bisogni dei gruppi",
    "Data",
    "Gruppo",
    "Tema",
    "Stato",
    "Presenti",
)
def training_topics(scope: Scope) -> list[tuple[Any, ...]]:
    present = _people_present()
    rows = scope.session.execute(
        select(Meeting.scheduled_on, Group.name, Meeting.topic, Meeting.status, present)
        .outerjoin(Group, Group.id == Meeting.group_id)
        .where(
            Meeting.territory_code == scope.territory,
            Meeting.kind == MeetingKind.TRAINING,
            Meeting.scheduled_on.between(scope.period.start, scope.period.end),
        )
        .order_by(Meeting.scheduled_on)
    ).all()
    return [(Day.of(d), g or "-", t, italian(s), n) for d, g, t, s, n in rows]


@indicator("info_meetings", "Incontri informativi aperti ai candidati", "Data", "Stato", "Presenti")
def info_meetings(scope: Scope) -> list[tuple[Any, ...]]:
    present = _people_present()
    rows = scope.session.execute(
        select(Meeting.scheduled_on, Meeting.status, present)
        .where(
            Meeting.territory_code == scope.territory,
            Meeting.kind == MeetingKind.INFO,
            Meeting.scheduled_on.between(scope.period.start, scope.period.end),
        )
        .order_by(Meeting.scheduled_on)
    ).all()
    return [(Day.of(d), italian(s), n) for d, s, n in rows]


@indicator(
    "network_meetings",
    "Incontri del gruppo di coordinamento di rete",
    "Data",
    "Organizzazioni presenti",
    "Organizzazioni",
)
def network_meetings(scope: Scope) -> list[tuple[Any, ...]]:
    """Held meetings of the network coordination group in the period (held: its
    organisations' register recorded), with the organisations present."""
    held = scope.session.execute(
        select(NetworkMeeting.id, Meeting.scheduled_on)
        .join(Meeting, Meeting.id == NetworkMeeting.meeting_id)
        .where(
            Meeting.territory_code == scope.territory,
            Meeting.kind == MeetingKind.NETWORK,
            Meeting.status == MeetingStatus.HELD,
            Meeting.scheduled_on.between(scope.period.start, scope.period.end),
        )
        .order_by(Meeting.scheduled_on, NetworkMeeting.id)
    ).all()
    present: dict[int, list[str]] = defaultdict(list)
    for meeting_id, name in scope.session.execute(
        select(NetworkPresence.network_meeting_id, Partner.name)
        .join(Partner, Partner.id == NetworkPresence.partner_id)
        .where(NetworkPresence.network_meeting_id.in_([i for i, _ in held]))
        .order_by(Partner.name)
    ):
        present[meeting_id].append(name)
    return [(Day.of(d), len(present[i]), ", ".join(present[i])) for i, d in held]
