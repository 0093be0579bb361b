"""The regional comparison: territories side by side, anonymised.

Only counts of *people* are personal data: a count below :data:`SMALL_CELL`
(1 to 4) is hidden, and so is a complementary cell wherever the hidden one
could otherwise be recovered by subtraction from a total shown on the page
(a column of people by status with its total). Counts of groups and meetings
describe activities, not people, and are shown as they are. Figures computed
over people (attendance rate, wellbeing change) are shown only when at least
:data:`SMALL_CELL` people are behind them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import mean

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from amal.groups.models import Group, GroupStatus
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, Presence
from amal.outcomes.models import Outcome, Situation
from amal.participants.models import Participant, ParticipantStatus
from amal.wellbeing.instruments import INSTRUMENTS
from amal.wellbeing.models import Administration, Phase

SMALL_CELL = 5  # counts of people below this are hidden


@dataclass(frozen=True)
class Cell:
    """One figure; ``hidden`` says why it is not shown ('' when it is)."""

    value: object
    hidden: str = ""  # "small" (below the threshold) or "complementary"


def suppress(counts: Mapping[Hashable, int], threshold: int = SMALL_CELL) -> dict[object, Cell]:
    """Counts of people in one column that is shown with its total (key ``None``).

    Hides 1..threshold-1; if exactly one cell is hidden, the total minus the
    others would give it back, so the smallest other non-zero cell is hidden
    too; the total is hidden when it is itself small.
    """
    small = {k for k, n in counts.items() if 0 < n < threshold}
    complementary: set[Hashable] = set()
    if len(small) == 1:
        others = sorted((n, str(k), k) for k, n in counts.items() if k not in small and n > 0)
        if others:
            complementary.add(others[0][2])
    total = sum(counts.values())
    cells: dict[object, Cell] = {
        k: Cell(n, "small" if k in small else "complementary" if k in complementary else "")
        for k, n in counts.items()
    }
    cells[None] = Cell(total, "small" if 0 < total < threshold else "")
    return cells


@dataclass(frozen=True)
class Column:
    code: str
    name: str
    groups: dict[object, Cell]  # by GroupStatus, None = total
    meetings_held: Cell
    people: dict[object, Cell]  # by ParticipantStatus, None = total
    attendance_rate: Cell  # share of register lines "present" at held group meetings
    wellbeing_people: Cell
    wellbeing_change: Cell  # mean WHO-5 change, entry to latest
    outcomes: dict[object, Cell]  # latest outcome's Situation per person, None = total


def _by_territory(session: Session, model, territories: Sequence[str]) -> dict:
    found: dict[str, Counter] = defaultdict(Counter)
    for code, status, n in session.execute(
        select(model.territory_code, model.status, func.count())
        .where(model.territory_code.in_(territories))
        .group_by(model.territory_code, model.status)
    ):
        found[code][status] = n
    return found


def compare(session: Session, territories: Mapping[str, str]) -> list[Column]:
    """One column per territory (``{code: name}``); a fixed number of queries."""
    codes = list(territories)
    groups = _by_territory(session, Group, codes)
    people = _by_territory(session, Participant, codes)
    held = Counter(
        dict(
            session.execute(
                select(Meeting.territory_code, func.count())
                .where(Meeting.territory_code.in_(codes), Meeting.status == MeetingStatus.HELD)
                .group_by(Meeting.territory_code)
            ).all()
        )
    )

    lines: dict[str, Counter] = defaultdict(Counter)
    register_people: dict[str, set[int]] = defaultdict(set)
    for code, participant_id, presence in session.execute(
        select(Meeting.territory_code, Attendance.participant_id, Attendance.presence)
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .where(
            Meeting.territory_code.in_(codes),
            Meeting.status == MeetingStatus.HELD,
            Meeting.kind == MeetingKind.GROUP,
        )
    ):
        lines[code][presence] += 1
        register_people[code].add(participant_id)

    who5 = INSTRUMENTS["who5"]
    scores: dict[tuple[str, int], dict[Phase, int]] = defaultdict(dict)
    for code, participant_id, phase, score in session.execute(
        select(
            Participant.territory_code,
            Administration.participant_id,
            Administration.phase,
            Administration.score,
        )
        .join(Participant, Participant.id == Administration.participant_id)
        .where(Participant.territory_code.in_(codes), Administration.instrument == who5.code)
    ):
        scores[(code, participant_id)][phase] = score
    changes: dict[str, list[int]] = defaultdict(list)
    for (code, _), phases in scores.items():
        later = phases.get(Phase.END, phases.get(Phase.MIDWAY))
        if Phase.ENTRY in phases and later is not None:
            changes[code].append(later - phases[Phase.ENTRY])

    latest = (
        select(func.max(Outcome.id)).group_by(Outcome.participant_id).scalar_subquery()
    )  # each person's latest outcome
    outcomes: dict[str, Counter] = defaultdict(Counter)
    for code, situation, n in session.execute(
        select(Participant.territory_code, Outcome.situation, func.count())
        .join(Participant, Participant.id == Outcome.participant_id)
        .where(Outcome.id.in_(latest), Participant.territory_code.in_(codes))
        .group_by(Participant.territory_code, Outcome.situation)
    ):
        outcomes[code][situation] = n

    columns = []
    for code, name in territories.items():
        group_counts = {s: groups[code][s] for s in GroupStatus}
        total_lines = sum(lines[code].values())
        enough_registers = len(register_people[code]) >= SMALL_CELL
        rate = lines[code][Presence.PRESENT] / total_lines if total_lines else None
        change = changes[code]
        columns.append(
            Column(
                code=code,
                name=name,
                groups={
                    **{s: Cell(n) for s, n in group_counts.items()},
                    None: Cell(sum(group_counts.values())),
                },
                meetings_held=Cell(held[code]),
                people=suppress({s: people[code][s] for s in ParticipantStatus}),
                attendance_rate=Cell(rate, "" if enough_registers or rate is None else "small"),
                wellbeing_people=suppress({"n": len(change)})[None],
                wellbeing_change=Cell(
                    round(mean(change), 1) if change else None,
                    "small" if 0 < len(change) < SMALL_CELL else "",
                ),
                outcomes=suppress({s: outcomes[code][s] for s in Situation}),
            )
        )
    return columns


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    fill: str
    label: str
    label_x: float


@dataclass(frozen=True)
class Chart:
    """Geometry of a horizontal grouped bar chart, drawn as inline SVG by the
    template (no script: the CSP forbids inline scripts)."""

    width: int
    height: int
    rows: list[tuple[float, str]]  # (y, row label)
    bars: list[Bar]
    legend: list[tuple[float, str, str]]  # (y, colour, territory)


COLOURS = ("#1f5fa8", "#d9822b", "#3a8f3a", "#8e44ad")


def people_chart(columns: Sequence[Column], row_labels: Mapping[object, str]) -> Chart:
    """People by status, territories side by side; hidden cells get no bar, only "<5"."""
    left, plot, bar_h, gap = 180, 420, 14, 10
    keys = list(row_labels)
    shown = [
        c.people[k].value for c in columns for k in keys if not c.people[k].hidden
    ]  # scale on what is shown only
    top = max([v for v in shown if isinstance(v, int)] + [1])
    bars, rows = [], []
    y = 10.0
    for key in keys:
        rows.append((y + bar_h * len(columns) / 2 + 4, str(row_labels[key])))
        for i, column in enumerate(columns):
            cell = column.people[key]
            colour = COLOURS[i % len(COLOURS)]
            if cell.hidden:
                bars.append(Bar(left, y, 0, bar_h, colour, f"<{SMALL_CELL}", left + 4))
            else:
                width = plot * int(cell.value) / top  # type: ignore[call-overload]
                bars.append(Bar(left, y, width, bar_h, colour, str(cell.value), left + width + 4))
            y += bar_h
        y += gap
    legend = [(y + 14 + 18 * i, COLOURS[i % len(COLOURS)], c.name) for i, c in enumerate(columns)]
    return Chart(left + plot + 60, int(y + 20 + 18 * len(columns)), rows, bars, legend)
