"""Regional data at scale, for benchmarks: ``amal demo --scale N`` fills the
hosted territories with N participants, their groups, meetings, attendance
registers, questionnaires, referrals and outcomes, years of them.

The demo (:mod:`amal.demo`) goes through the services, one rule check at a time:
right for a few hundred people, hours for a hundred thousand. This generator
writes the rows directly in bulk (COPY on PostgreSQL, ``executemany`` on SQLite),
in batches of groups so that memory stays flat, with the shapes the services
would have produced: a person's path candidate → screened → admitted →
enrolled → active → completed or dropped out, dated; groups meeting on their
cadence with holidays moved, registers typed in a day to weeks late, dropouts,
entry and end questionnaires, referrals and end outcomes. It writes no audit
entries (nobody read or back-dated anything) and never touches a territory
that already has participants.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from faker.providers.person.it_IT import Provider as ItalianNames
from sqlalchemy import Connection, Table, func, select, text
from sqlalchemy.orm import Session
from stdnum.it import codicefiscale

from amal.accounts.models import Role, User
from amal.accounts.services import create_user
from amal.consent.models import Consent, ConsentPurpose
from amal.consent.services import current_notice, publish_notice
from amal.groups.models import (
    Enrolment,
    Facilitation,
    FacilitatorRole,
    Group,
    GroupComposition,
    GroupStatus,
    GroupStatusChange,
    group_facilitator,
)
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, Presence
from amal.outcomes.models import ContractType, Outcome, OutcomeMoment, Situation
from amal.participants.models import EmploymentStatus, Participant, ParticipantStatus, StatusChange
from amal.projects.models import Project
from amal.referrals.models import Referral, ReferralStatus
from amal.services import Context
from amal.wellbeing.instruments import ROSENBERG, WHO5, Instrument
from amal.wellbeing.models import Administration, Phase

YEARS = 5  # groups start over this many years before today
IN_GROUPS = 0.75  # share of the people who get into a group; the rest stay candidates
DROPOUT = 0.12
BATCH_GROUPS = 100  # groups written per batch: memory stays flat whatever N
RECORDER = "scala"
# Municipality codes (codice catastale) of Brianza and Lecco towns, for fiscal codes.
TOWNS = {
    "F704": "Monza",
    "B729": "Carate Brianza",
    "D286": "Desio",
    "L511": "Usmate Velate",
    "E507": "Lecco",
    "L581": "Valmadrera",
    "C933": "Colico",
    "F133": "Merate",
}
SECTORS = ("metalmeccanico", "commercio", "logistica", "edilizia", "tessile", "servizi")
SOURCES = ("sindacato", "centro per l'impiego", "passaparola", "servizi sociali del Comune")
EMPLOYERS = ("Eutelia S.p.A.", "Candy S.p.A.", "Lucchini RS", "Brianza Plastica", "Fiocchi")
# Fixed national holidays (month, day); Easter Monday is left to chance.
HOLIDAYS = {(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)}
MONTH_LETTERS = "ABCDEHLMPRST"
CANDIDATE_STATES = [
    ParticipantStatus.CANDIDATE,
    ParticipantStatus.SCREENED,
    ParticipantStatus.ADMITTED,
    ParticipantStatus.WAITLISTED,
    ParticipantStatus.NOT_ELIGIBLE,
    ParticipantStatus.WITHDRAWN,
]


def _in_break(day: date) -> bool:
    """The summer and Christmas breaks, when groups do not meet."""
    return (
        (day.month == 8 and day.day <= 25)
        or (day.month, day.day) >= (12, 22)
        or (day.month == 1 and day.day <= 6)
    )


@dataclass
class _Rows:
    """Rows of one batch, per table, in the order foreign keys need."""

    tables: dict[str, list[tuple[Any, ...]]] = field(default_factory=dict)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.tables.setdefault(table, []).append(row)


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# The columns written, per table (the rest take their NULL).
COLUMNS: dict[Table, tuple[str, ...]] = {
    Participant.__table__: _cols(
        "id territory_code status first_name last_name fiscal_code birth_date gender email "
        "phone municipality last_employer sector months_out_of_work employment_status "
        "heard_from needs created_at updated_at version"
    ),
    StatusChange.__table__: _cols(
        "id participant_id from_status to_status occurred_on changed_at changed_by reason"
    ),
    Consent.__table__: _cols(
        "id participant_id notice_id purpose granted_on granted_at recorded_by withdrawal_reason"
    ),
    Group.__table__: _cols(
        "id territory_code name status composition company_of_origin min_size max_size "
        "planned_meetings cadence_days meeting_minutes start_date started_on concluded_on "
        "location project_id created_at version"
    ),
    GroupStatusChange.__table__: _cols(
        "id group_id from_status to_status occurred_on changed_at changed_by reason"
    ),
    Facilitation.__table__: _cols(
        "id group_id user_id name role from_on to_on end_reason recorded_by"
    ),
    group_facilitator: ("group_id", "user_id"),
    Enrolment.__table__: _cols(
        "id group_id participant_id enrolled_on ended_on enrolled_at ended_at end_reason"
    ),
    Meeting.__table__: _cols(
        "id territory_code group_id kind sequence scheduled_on starts_at duration_minutes "
        "location topic status plan_note cancel_reason facilitator_notes created_at"
    ),
    Attendance.__table__: _cols(
        "id meeting_id participant_id presence hours recorded_by recorded_at"
    ),
    Administration.__table__: _cols(
        "id participant_id group_id instrument phase administered_on answers raw_score score "
        "recorded_by recorded_at"
    ),
    Referral.__table__: _cols(
        "id participant_id territory_code service_code service_title service_url operator "
        "status proposed_on sent_on accepted_on started_on completed_on declined_on notes "
        "updated_by created_at"
    ),
    Outcome.__table__: _cols(
        "id participant_id moment follow_up_month recorded_on situation contract_type notes "
        "recorded_by"
    ),
}
ORDER = [table.name for table in COLUMNS]


class _Writer:
    """Bulk rows into the session's transaction: COPY on PostgreSQL,
    ``executemany`` on SQLite (which needs dates and times as text)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self.tables = {table.name: table for table in COLUMNS}
        self.rows = 0

    def write(self, rows: _Rows) -> None:
        raw = self.session.connection().connection.driver_connection
        for name in ORDER:
            lines = rows.tables.get(name)
            if not lines:
                continue
            columns = COLUMNS[self.tables[name]]
            if self.postgres:
                statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
                with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
                    for line in lines:
                        copy.write_row(line)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor = raw.cursor()  # type: ignore[union-attr]
                cursor.executemany(
                    f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                    [tuple(map(_sqlite_value, line)) for line in lines],
                )
                cursor.close()
            self.rows += len(lines)

    def fix_sequences(self) -> None:
        """PostgreSQL: ids were given explicitly, so move each sequence past them."""
        if not self.postgres:
            return
        for table in COLUMNS:
            if "id" in table.c:
                self.session.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table.name}), false)"
                    )
                )


def _sqlite_value(value: Any) -> Any:
    # The text SQLAlchemy's SQLite types store and read back.
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


@dataclass
class ScaleResult:
    people: int
    groups: int
    meetings: int
    attendance: int
    rows: int
    per_territory: dict[str, int]


class _Ids:
    """Next id per table, from the current maximum."""

    def __init__(self, connection: Connection) -> None:
        self.next = {
            table.name: (connection.scalar(select(func.max(table.c.id))) or 0) + 1
            for table in COLUMNS
            if "id" in table.c
        }

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def generate(
    ctx: Context,
    people: int,
    *,
    today: date | None = None,
    seed: int = 7,
    progress: Callable[[int], None] | None = None,
) -> ScaleResult:
    """Write ``people`` participants (split over the hosted territories that have
    none yet) with years of groups, meetings and registers; commits once per
    batch of groups. ``progress(n)`` is told each time n more people are written."""
    today = today or date.today()
    session = ctx.session
    counts = dict(
        session.execute(
            select(Participant.territory_code, func.count(Participant.id)).group_by(
                Participant.territory_code
            )
        ).all()
    )
    territories = [code for code in ctx.plugins.territories if not counts.get(code)]
    if not territories:
        raise ValueError("every hosted territory has participants: scale data goes into empty ones")
    # Staff and notices through the services: a handful of rows.
    facilitators = {}
    for code in territories:
        if current_notice(session, code) is None:
            publish_notice(ctx, code, "1.0", "Informativa sul trattamento dei dati personali.")
        name = f"facilitatore-scala-{code}"
        user = session.scalar(select(User).where(User.username == name))
        facilitators[code] = (
            user
            or create_user(ctx, name, secrets.token_urlsafe(16), roles=[(code, Role.FACILITATOR)])
        ).id
    session.commit()
    result = ScaleResult(0, 0, 0, 0, 0, {})
    writer = _Writer(session)
    ids = _Ids(session.connection())
    share, rest = divmod(people, len(territories))
    for index, code in enumerate(territories):
        n = share + (1 if index < rest else 0)
        notice = current_notice(session, code)
        projects = session.execute(
            select(Project.id, Project.start_on)
            .where(Project.territory_code == code)
            .order_by(Project.start_on)
        ).all()
        builder = _Territory(
            ctx,
            code,
            today,
            random.Random(seed + index),
            ids,
            notice.id if notice else None,
            facilitators[code],
            list(projects),
        )
        before = 0
        for batch, written in builder.batches(n):
            writer.write(batch)
            session.commit()
            if progress:
                progress(written - before)
            before = written
        result.per_territory[code] = n
        result.people += n
        result.groups += builder.groups
        result.meetings += builder.meetings
        result.attendance += builder.attendance
    writer.fix_sequences()
    session.commit()
    result.rows = writer.rows
    return result


class _Territory:
    def __init__(
        self,
        ctx: Context,
        code: str,
        today: date,
        rnd: random.Random,
        ids: _Ids,
        notice_id: int | None,
        facilitator_id: int,
        projects: Sequence[tuple[int, date]],
    ) -> None:
        self.code, self.today, self.rnd, self.ids = code, today, rnd, ids
        self.notice_id, self.facilitator_id, self.projects = notice_id, facilitator_id, projects
        self.policy = ctx.plugins.group_policy(code)
        self.services = ctx.plugins.service_catalogue(code)
        self.fiscal_codes: set[str] = set()
        self.groups = self.meetings = self.attendance = 0

    # --- batches ---------------------------------------------------------------------

    def batches(self, people: int) -> Iterable[tuple[_Rows, int]]:
        """Batches of rows: groups with their members first, then the candidates
        who never got into a group."""
        policy = self.policy
        in_groups = int(people * IN_GROUPS)
        size = (policy.min_size + policy.max_size) // 2
        n_groups = max(1, in_groups // size)
        first = self.today - timedelta(days=365 * YEARS)
        span = (self.today + timedelta(days=60) - first).days
        # Evenly spread starts (a few in the future: forming and planned groups).
        starts = sorted(first + timedelta(days=span * i // n_groups) for i in range(n_groups))
        placed = 0
        for offset in range(0, n_groups, BATCH_GROUPS):
            rows = _Rows()
            for number, start in enumerate(starts[offset : offset + BATCH_GROUPS], offset + 1):
                members = size + self.rnd.randint(-2, 2) if number < n_groups else 0
                members = max(policy.min_size, min(policy.max_size, members))
                members = min(members, in_groups - placed) if number < n_groups else 0
                members = in_groups - placed if number == n_groups else members
                self._group(rows, number, start, members)
                placed += members
            yield rows, placed
        # The people who never got into a group, and the monthly information
        # meetings open to candidates (a few of them at each).
        info_days = [first + timedelta(days=30 * k) for k in range(span // 30 - 2)]
        done, chunks = placed, max(1, -(-(people - placed) // 5000))
        for chunk in range(chunks):
            rows = _Rows()
            candidates = []
            for _ in range(min(5000, people - done)):
                registered = first + timedelta(days=self.rnd.randrange(span - 60))
                status = self.rnd.choices(CANDIDATE_STATES, [4, 3, 3, 2, 2, 1])[0]
                candidates.append((self._person(rows, status, registered), None))
                done += 1
            for day in info_days[chunk::chunks]:
                attending = self.rnd.sample(candidates, min(len(candidates), 12))
                self._meeting(rows, None, MeetingKind.INFO, None, day, attending)
            yield rows, done

    # --- people ----------------------------------------------------------------------

    def _person(
        self,
        rows: _Rows,
        status: ParticipantStatus,
        registered: date,
        path: Sequence[tuple[ParticipantStatus, date, str]] = (),
        employer: str = "",
    ) -> int:
        rnd = self.rnd
        pid = self.ids.take("participant")
        female = rnd.random() < 0.45
        first = rnd.choice(
            ItalianNames.first_names_female if female else ItalianNames.first_names_male
        )
        last = rnd.choice(ItalianNames.last_names)
        birth = registered - timedelta(days=rnd.randint(30 * 365, 62 * 365))
        town = rnd.choice(list(TOWNS))
        at = _moment(registered, 10)
        steps: list[tuple[ParticipantStatus, date, str]] = [
            (ParticipantStatus.CANDIDATE, registered, "")
        ]
        if status != ParticipantStatus.CANDIDATE:
            screened = min(registered + timedelta(days=rnd.randint(0, 10)), self.today)
            steps.append((ParticipantStatus.SCREENED, screened, "Colloquio di accoglienza"))
            if not path and status != ParticipantStatus.SCREENED:
                steps.append((status, screened, ""))
            steps.extend(path)
        rows.add(
            "participant",
            (
                pid,
                self.code,
                steps[-1][0].value,
                first,
                last,
                self._fiscal_code(first, last, birth, female, town),
                birth,
                "F" if female else "M",
                f"{first}.{last}{pid}@esempio.it".lower().replace(" ", "").replace("'", ""),
                f"+3934{rnd.randrange(10**7, 10**8)}",
                TOWNS[town],
                employer or rnd.choice(EMPLOYERS),
                rnd.choice(SECTORS),
                rnd.randint(1, 36),
                rnd.choice(list(EmploymentStatus)).value,
                rnd.choice(SOURCES),
                "",
                at,
                _moment(steps[-1][1], 11),
                1,
            ),
        )
        previous = None
        for to_status, day, reason in steps:
            rows.add(
                "participant_status_change",
                (
                    self.ids.take("participant_status_change"),
                    pid,
                    previous.value if previous else None,
                    to_status.value,
                    day,
                    _moment(day, 11),
                    RECORDER,
                    reason,
                ),
            )
            previous = to_status
        if status != ParticipantStatus.CANDIDATE and self.notice_id is not None:
            for purpose in ConsentPurpose:
                rows.add(
                    "consent",
                    (
                        self.ids.take("consent"),
                        pid,
                        self.notice_id,
                        purpose.value,
                        steps[1][1],
                        _moment(steps[1][1], 11),
                        RECORDER,
                        "",
                    ),
                )
        return pid

    def _fiscal_code(
        self, first: str, last: str, birth: date, female: bool, town: str
    ) -> str | None:
        def letters(name: str, given: bool) -> str:
            name = "".join(c for c in name.upper() if c.isalpha() and c.isascii())
            consonants = [c for c in name if c not in "AEIOU"]
            if given and len(consonants) > 3:
                consonants = [consonants[0], *consonants[2:4]]
            return ("".join(consonants) + "".join(c for c in name if c in "AEIOU") + "XXX")[:3]

        day = birth.day + (40 if female else 0)
        stem = (
            f"{letters(last, False)}{letters(first, True)}{birth.year % 100:02d}"
            f"{MONTH_LETTERS[birth.month - 1]}{day:02d}{town}"
        )
        code = stem + codicefiscale.calc_check_digit(stem)
        if code in self.fiscal_codes:
            return None  # a namesake born the same day in the same town: no code on file
        self.fiscal_codes.add(code)
        return code

    # --- groups ----------------------------------------------------------------------

    def _project(self, day: date) -> int | None:
        covering = None
        for project_id, start in self.projects:
            if start <= day or covering is None:
                covering = project_id
        return covering

    def _plan(self, start: date) -> list[tuple[date, str]]:
        """The group's meeting days on its cadence, a holiday or a break moving a
        meeting (and those after it) on."""
        days, day = [], start
        for _ in range(self.policy.meetings):
            note = ""
            while _in_break(day) or (day.month, day.day) in HOLIDAYS:
                day += timedelta(days=7)
                note = "Spostato per la pausa festiva"
            days.append((day, note))
            day += timedelta(days=self.policy.cadence_days)
        return days

    def _group(self, rows: _Rows, number: int, start: date, size: int) -> None:
        rnd, policy, today = self.rnd, self.policy, self.today
        gid = self.ids.take("self_help_group")
        self.groups += 1
        plan = self._plan(start)
        created = start - timedelta(days=45)
        homogeneous = rnd.random() < 0.15
        employer = rnd.choice(EMPLOYERS) if homogeneous else ""
        started = start <= today
        concluded = plan[-1][0] < today
        status = (
            GroupStatus.CONCLUDED
            if concluded
            else GroupStatus.ACTIVE
            if started
            else GroupStatus.FORMING
            if start - today < timedelta(days=30)
            else GroupStatus.PLANNED
        )
        rows.add(
            "self_help_group",
            (
                gid,
                self.code,
                f"Gruppo {number} {start:%Y}",
                status.value,
                (
                    GroupComposition.HOMOGENEOUS if homogeneous else GroupComposition.HETEROGENEOUS
                ).value,
                employer,
                policy.min_size,
                policy.max_size,
                policy.meetings,
                policy.cadence_days,
                policy.meeting_minutes,
                start,
                start if started else None,
                plan[-1][0] if concluded else None,
                "Sala civica",
                self._project(start),
                _moment(created, 9),
                1,
            ),
        )
        moves = [(GroupStatus.PLANNED, created)]
        if status != GroupStatus.PLANNED:
            moves.append((GroupStatus.FORMING, min(start - timedelta(days=28), today)))
        if started:
            moves.append((GroupStatus.ACTIVE, start))
        if concluded:
            moves.append((GroupStatus.CONCLUDED, plan[-1][0]))
        previous = None
        for to_status, day in moves:
            rows.add(
                "group_status_change",
                (
                    self.ids.take("group_status_change"),
                    gid,
                    previous.value if previous else None,
                    to_status.value,
                    day,
                    _moment(day, 12),
                    RECORDER,
                    "",
                ),
            )
            previous = to_status
        rows.add(
            "group_facilitation",
            (
                self.ids.take("group_facilitation"),
                gid,
                self.facilitator_id,
                "",
                FacilitatorRole.FACILITATOR.value,
                created,
                plan[-1][0] if concluded else None,
                "Gruppo concluso" if concluded else "",
                RECORDER,
            ),
        )
        if not concluded:
            rows.add("group_facilitator", (gid, self.facilitator_id))

        # Members: registered three weeks before the start, enrolled the week before.
        members: list[tuple[int, date | None]] = []  # (id, day they dropped out)
        held = [day for day, _ in plan if day < today]
        for _ in range(size):
            registered = min(start - timedelta(days=21 + rnd.randint(0, 30)), today)
            admitted = min(registered + timedelta(days=7), today)
            enrolled = min(start - timedelta(days=7), today)
            path = [
                (ParticipantStatus.ADMITTED, admitted, ""),
                (ParticipantStatus.ENROLLED, enrolled, f"Iscrizione al gruppo {number}"),
            ]
            dropped = None
            if started:
                path.append((ParticipantStatus.ACTIVE, start, f"Avvio Gruppo {number}"))
                if held and rnd.random() < DROPOUT:
                    dropped = rnd.choice(held)
                    path.append((ParticipantStatus.DROPPED_OUT, dropped, "Nuovo lavoro a turni"))
                elif concluded:
                    path.append((ParticipantStatus.COMPLETED, plan[-1][0], "Gruppo concluso"))
            pid = self._person(rows, path[-1][0], registered, path, employer)
            members.append((pid, dropped))
            rows.add(
                "enrolment",
                (
                    self.ids.take("enrolment"),
                    gid,
                    pid,
                    enrolled,
                    dropped,
                    _moment(enrolled, 15),
                    _moment(dropped, 15) if dropped else None,
                    "Nuovo lavoro a turni" if dropped else "",
                ),
            )
            if started:
                self._scores(rows, pid, gid, Phase.ENTRY, start, 1, 3)
                if concluded and dropped is None:
                    self._scores(rows, pid, gid, Phase.END, plan[-1][0], 2, 5)
                    self._referral_and_outcome(rows, pid, start, plan[-1][0])

        for sequence, (day, note) in enumerate(plan, 1):
            self._meeting(rows, gid, MeetingKind.GROUP, sequence, day, members, note)
        if len(held) > 4:
            # A training meeting on the group's needs, halfway through.
            self._meeting(
                rows,
                gid,
                MeetingKind.TRAINING,
                None,
                held[len(held) // 2] + timedelta(days=7),
                members,
            )

    def _meeting(
        self,
        rows: _Rows,
        gid: int | None,
        kind: MeetingKind,
        sequence: int | None,
        day: date,
        members: Sequence[tuple[int, date | None]],
        note: str = "",
    ) -> None:
        rnd, today = self.rnd, self.today
        mid = self.ids.take("meeting")
        self.meetings += 1
        minutes = self.policy.meeting_minutes
        # Past meetings are held with a register, except a few still waiting for it.
        held = day < today and (day < today - timedelta(days=45) or rnd.random() < 0.8)
        rows.add(
            "meeting",
            (
                mid,
                self.code,
                gid,
                kind.value,
                sequence,
                day,
                time(17, 0),
                minutes,
                "Sala civica",
                "Incontro informativo per i candidati" if kind == MeetingKind.INFO else "",
                (MeetingStatus.HELD if held else MeetingStatus.PLANNED).value,
                note,
                "",
                "",
                _moment(day - timedelta(days=40), 9),
            ),
        )
        if not held:
            return
        # Typed in the day after, or weeks late from the paper register.
        late = rnd.random() < 0.1
        typed = _moment(day + timedelta(days=rnd.randint(15, 40) if late else 1), 10)
        hours = minutes / 60
        for pid, dropped in members:
            if dropped is not None and dropped < day:
                continue
            roll = rnd.random()
            presence = (
                Presence.PRESENT
                if roll < 0.8
                else Presence.JUSTIFIED
                if roll < 0.92
                else Presence.ABSENT
            )
            rows.add(
                "attendance",
                (
                    self.ids.take("attendance"),
                    mid,
                    pid,
                    presence.value,
                    hours if presence == Presence.PRESENT else 0,
                    RECORDER,
                    typed,
                ),
            )
            self.attendance += 1

    # --- questionnaires, referrals, outcomes -----------------------------------------

    def _scores(
        self, rows: _Rows, pid: int, gid: int, phase: Phase, day: date, low: int, high: int
    ) -> None:
        for scale in (WHO5, ROSENBERG):
            answers = self._answers(scale, low, high)
            raw = scale.raw_score(answers)
            rows.add(
                "wellbeing_administration",
                (
                    self.ids.take("wellbeing_administration"),
                    pid,
                    gid,
                    scale.code,
                    phase.value,
                    day,
                    json.dumps({str(k): v for k, v in answers.items()}),
                    raw,
                    raw * scale.score_multiplier,
                    RECORDER,
                    _moment(day, 18),
                ),
            )

    def _answers(self, scale: Instrument, low: int, high: int) -> dict[int, int]:
        low, high = max(scale.min_answer, low), min(scale.max_answer, high)
        return {item.number: self.rnd.randint(low, high) for item in scale.items}

    def _referral_and_outcome(self, rows: _Rows, pid: int, start: date, end: date) -> None:
        rnd = self.rnd
        if self.services and rnd.random() < 0.6:
            service = rnd.choice(self.services)
            proposed = start + timedelta(days=60)
            steps = rnd.randint(0, 4)
            days = [proposed + timedelta(days=14 * k) if k <= steps else None for k in range(1, 5)]
            days = [d if d is None or d <= self.today else None for d in days]
            reached = [
                ReferralStatus.PROPOSED,
                ReferralStatus.SENT,
                ReferralStatus.ACCEPTED,
                ReferralStatus.STARTED,
                ReferralStatus.COMPLETED,
            ][sum(d is not None for d in days)]
            rows.add(
                "referral",
                (
                    self.ids.take("referral"),
                    pid,
                    self.code,
                    service.code,
                    service.title,
                    service.url,
                    service.operator,
                    reached.value,
                    proposed,
                    *days,
                    None,
                    "",
                    RECORDER,
                    _moment(proposed, 16),
                ),
            )
        situation = rnd.choice(list(Situation))
        rows.add(
            "outcome",
            (
                self.ids.take("outcome"),
                pid,
                OutcomeMoment.END.value,
                None,
                min(end + timedelta(days=30), self.today),
                situation.value,
                rnd.choice(list(ContractType)).value if situation == Situation.EMPLOYED else None,
                "",
                RECORDER,
            ),
        )


def _moment(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), UTC)
