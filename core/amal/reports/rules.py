"""Rule checks run with every report: what the coordinator must fix before
the funder sees the figures. Each names the record to fix.

The core's four rules are defaults; territory plugins add their funders' own
through ``amal_rule_checks`` and a report definition may pick which run. A
blocking violation stops submission unless it is justified in writing; a
warning is only shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import func, select

from amal.consent.models import Consent, ConsentPurpose
from amal.errors import PluginError
from amal.groups.models import Enrolment, Group, GroupStatus
from amal.meetings.models import Attendance, Meeting, MeetingStatus
from amal.participants.models import Participant, ParticipantStatus
from amal.plugins.definitions import RuleCheck, Severity
from amal.plugins.manager import PluginHost
from amal.reports.indicators import Window
from amal.reports.vocabulary import italian


@dataclass(frozen=True)
class Violation:
    rule: str
    message: str
    entity: str  # "meeting", "participant", "group", "attendance"
    entity_id: int
    severity: Severity = Severity.BLOCKING

    @property
    def key(self) -> str:
        """Stable name of this violation, to attach a justification to it."""
        return f"{self.rule}:{self.entity}:{self.entity_id}"

    @property
    def blocking(self) -> bool:
        return self.severity == Severity.BLOCKING


Rule = Callable[[Window], list[Violation]]
RULES: dict[str, RuleCheck] = {}


def rule(name: str, title: str, severity: Severity = Severity.BLOCKING) -> Callable[[Rule], Rule]:
    """Register a core default rule."""

    def register(fn: Rule) -> Rule:
        RULES[name] = RuleCheck(name, title, fn, severity)
        return fn

    return register


def available_rules(plugins: PluginHost, territory: str) -> dict[str, RuleCheck]:
    """The core's rules, then the territory plugins' (same name: the plugin's wins)."""
    return {**RULES, **{check.name: check for check in plugins.rule_checks(territory)}}


def pick_rules(
    plugins: PluginHost, territory: str, names: Sequence[str] | None = None
) -> list[RuleCheck]:
    """The rules a report definition picks (``None``: all of the territory's)."""
    available = available_rules(plugins, territory)
    if names is None:
        return list(available.values())
    unknown = [n for n in names if n not in available]
    if unknown:
        raise PluginError(
            f"Unknown rule checks {unknown} for territory {territory!r}; "
            f"known: {', '.join(sorted(available))}"
        )
    return [available[n] for n in names]


def check_rules(window: Window, checks: Sequence[RuleCheck]) -> list[Violation]:
    """Every rule's violations in the window, rule by rule, with the rule's severity."""
    return [
        replace(violation, rule=check.name, severity=check.severity)
        for check in checks
        for violation in check.check(window)
    ]


@rule("meeting_without_register", "Incontro senza registro presenze")
def meeting_without_register(scope: Window) -> list[Violation]:
    """A meeting of the period that took place (date passed, not cancelled) has no
    register: it does not count as held until one is recorded."""
    rows = scope.session.execute(
        select(Meeting.id, Meeting.scheduled_on, Meeting.kind, Group.name)
        .outerjoin(Group, Group.id == Meeting.group_id)
        .where(
            Meeting.territory_code == scope.territory,
            Meeting.status == MeetingStatus.PLANNED,
            Meeting.scheduled_on.between(scope.period.start, scope.period.end),
            Meeting.scheduled_on < scope.today,
        )
        .order_by(Meeting.scheduled_on)
    ).all()
    return [
        Violation(
            "meeting_without_register",
            f"{italian(kind).capitalize()} del {day:%d/%m/%Y}"
            f"{f' ({group})' if group else ''} senza registro presenze",
            "meeting",
            meeting_id,
        )
        for meeting_id, day, kind, group in rows
    ]


@rule("participant_without_consent", "Partecipante senza consenso al trattamento")
def participant_without_consent(scope: Window) -> list[Violation]:
    """Someone past intake has no active consent to the processing of their data."""
    consenting = select(Consent.participant_id).where(
        Consent.purpose == ConsentPurpose.PROCESSING, Consent.withdrawn_at.is_(None)
    )
    rows = scope.session.execute(
        select(Participant.id, Participant.status)
        .where(
            Participant.territory_code == scope.territory,
            Participant.status != ParticipantStatus.CANDIDATE,
            Participant.erased_at.is_(None),
            Participant.id.not_in(consenting),
        )
        .order_by(Participant.id)
    ).all()
    return [
        Violation(
            "participant_without_consent",
            f"Partecipante n. {pid} ({italian(status)}) senza consenso al trattamento dei dati",
            "participant",
            pid,
        )
        for pid, status in rows
    ]


@rule("group_below_minimum", "Gruppo sotto il numero minimo", Severity.WARNING)
def group_below_minimum(scope: Window) -> list[Violation]:
    """An active group has fewer members than its minimum size."""
    members = (
        select(func.count(Enrolment.id))
        .where(Enrolment.group_id == Group.id, Enrolment.ended_at.is_(None))
        .correlate(Group)
        .scalar_subquery()
    )
    rows = scope.session.execute(
        select(Group.id, Group.name, Group.min_size, members)
        .where(
            Group.territory_code == scope.territory,
            Group.status == GroupStatus.ACTIVE,
            members < Group.min_size,
        )
        .order_by(Group.name)
    ).all()
    return [
        Violation(
            "group_below_minimum",
            f"Il gruppo {name} ha {n} partecipanti, meno del minimo di {minimum}",
            "group",
            gid,
        )
        for gid, name, minimum, n in rows
    ]


@rule("register_hours_beyond_length", "Ore di registro oltre la durata dell'incontro")
def register_hours_beyond_length(scope: Window) -> list[Violation]:
    """A register line records more hours than the meeting lasted."""
    rows = scope.session.execute(
        select(
            Attendance.id,
            Meeting.id,
            Meeting.scheduled_on,
            Attendance.hours,
            Meeting.duration_minutes,
        )
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.territory_code == scope.territory,
            Meeting.scheduled_on.between(scope.period.start, scope.period.end),
            Attendance.hours * 60 > Meeting.duration_minutes,
        )
        .order_by(Meeting.scheduled_on)
    ).all()
    return [
        Violation(
            "register_hours_beyond_length",
            f"Registro del {day:%d/%m/%Y}: {hours} ore registrate, l'incontro è durato "
            f"{minutes / 60:g} ore",
            "meeting",
            meeting_id,
        )
        for _, meeting_id, day, hours, minutes in rows
    ]
