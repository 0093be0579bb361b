"""The network coordination group's rules: who sits at the table and when,
meetings with their organisations' register, minutes (text and a file), and
decisions followed up at later meetings.

Dates follow :func:`amal.events.event_date`: a membership starts or ends, a
meeting is held (its register recorded) and a decision is followed up on a
day that is not in the future, audited when back-dated. A meeting may be
planned for a future day; its register waits for that day.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.utils import secure_filename

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.backup import FILES_DIR
from amal.db import utcnow
from amal.errors import DomainError, NotFound
from amal.events import event_date
from amal.meetings.models import Meeting, MeetingKind, MeetingStatus
from amal.meetings.services import cancel_meeting
from amal.network.models import (
    DecisionStatus,
    FollowUpOutcome,
    NetworkBody,
    NetworkDecision,
    NetworkFollowUp,
    NetworkMeeting,
    NetworkMember,
    NetworkPresence,
)
from amal.projects.models import Project
from amal.services import Context, fetch, use_case
from amal.territories.models import Partner, PartnerRepresentative

# Uploaded minutes: kept under <instance>/files/ (so `amal backup` carries
# them), at most this size (the instance's request limit, 2 MB by default,
# refuses larger requests before they are read), of these types (recognised by
# their first bytes, not by the name the browser sends).
MINUTES_FOLDER = "network"
MAX_MINUTES_BYTES = 2 * 1024 * 1024
MINUTES_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".txt": ("text/plain", ()),
}


def minutes_root(instance_path: Path) -> Path:
    """Where uploaded minutes live: inside the instance's stored files."""
    return instance_path / FILES_DIR / MINUTES_FOLDER


# --- reading ------------------------------------------------------------------------


def body_in(ctx: Context, territory: str, body_id: int) -> NetworkBody:
    body = fetch(ctx, NetworkBody, body_id)
    if body.territory_code != territory:
        raise NotFound("NetworkBody", body_id)
    return body


def network_meeting_in(ctx: Context, territory: str, network_meeting_id: int) -> NetworkMeeting:
    found = fetch(ctx, NetworkMeeting, network_meeting_id)
    if found.body.territory_code != territory:
        raise NotFound("NetworkMeeting", network_meeting_id)
    return found


def member_in(ctx: Context, territory: str, member_id: int) -> NetworkMember:
    member = fetch(ctx, NetworkMember, member_id)
    if member.body.territory_code != territory:
        raise NotFound("NetworkMember", member_id)
    return member


def body_in_territory(session: Session, body_id: int) -> str | None:
    return session.scalar(select(NetworkBody.territory_code).where(NetworkBody.id == body_id))


def bodies(session: Session, territory: str) -> list[tuple[Project, NetworkBody | None]]:
    """Every project of the territory with its coordination group, if set up."""
    rows = session.execute(
        select(Project, NetworkBody)
        .outerjoin(NetworkBody, NetworkBody.project_id == Project.id)
        .where(Project.territory_code == territory)
        .order_by(Project.start_on, Project.id)
    ).all()
    return [(project, body) for project, body in rows]


def body_meetings(session: Session, body_id: int) -> list[tuple[NetworkMeeting, Meeting, int]]:
    """The body's meetings, latest first, with how many organisations came."""
    present = (
        select(func.count(NetworkPresence.id))
        .where(NetworkPresence.network_meeting_id == NetworkMeeting.id)
        .correlate(NetworkMeeting)
        .scalar_subquery()
    )
    rows = session.execute(
        select(NetworkMeeting, Meeting, present)
        .join(Meeting, Meeting.id == NetworkMeeting.meeting_id)
        .where(NetworkMeeting.body_id == body_id)
        .order_by(Meeting.scheduled_on.desc(), NetworkMeeting.id.desc())
    ).all()
    return [(nm, m, n) for nm, m, n in rows]


def current_members(session: Session, body_id: int) -> list[NetworkMember]:
    return list(
        session.scalars(
            select(NetworkMember)
            .where(NetworkMember.body_id == body_id)
            .options(selectinload(NetworkMember.partner))
            .order_by(NetworkMember.joined_on, NetworkMember.id)
        )
    )


def members_on(session: Session, body_id: int, day: date) -> list[NetworkMember]:
    """Who sat at the table on ``day`` (the register's expected organisations)."""
    return [
        m
        for m in current_members(session, body_id)
        if m.joined_on <= day and (m.left_on is None or m.left_on > day)
    ]


def _earlier(nm: NetworkMeeting):
    """Meetings of the same body before ``nm`` (by date, then by id)."""
    return (
        select(NetworkMeeting.id)
        .join(Meeting, Meeting.id == NetworkMeeting.meeting_id)
        .where(
            NetworkMeeting.body_id == nm.body_id,
            or_(
                Meeting.scheduled_on < nm.meeting.scheduled_on,
                and_(Meeting.scheduled_on == nm.meeting.scheduled_on, NetworkMeeting.id < nm.id),
            ),
        )
    )


def decisions_to_follow(session: Session, nm: NetworkMeeting) -> list[NetworkDecision]:
    """Decisions of earlier meetings to look at in ``nm``: those still open,
    and those this meeting closed (so its page shows what it decided about them)."""
    closed_here = select(NetworkFollowUp.decision_id).where(
        NetworkFollowUp.network_meeting_id == nm.id
    )
    return list(
        session.scalars(
            select(NetworkDecision)
            .where(
                NetworkDecision.network_meeting_id.in_(_earlier(nm)),
                or_(
                    NetworkDecision.status == DecisionStatus.OPEN,
                    NetworkDecision.id.in_(closed_here),
                ),
            )
            .options(
                selectinload(NetworkDecision.follow_ups),
                selectinload(NetworkDecision.owner_partner),
                selectinload(NetworkDecision.network_meeting).selectinload(NetworkMeeting.meeting),
            )
            .order_by(NetworkDecision.due_on.is_(None), NetworkDecision.due_on, NetworkDecision.id)
        )
    )


def open_decisions(session: Session, body_id: int) -> list[NetworkDecision]:
    return list(
        session.scalars(
            select(NetworkDecision)
            .where(
                NetworkDecision.body_id == body_id, NetworkDecision.status == DecisionStatus.OPEN
            )
            .options(selectinload(NetworkDecision.owner_partner))
            .order_by(NetworkDecision.due_on.is_(None), NetworkDecision.due_on, NetworkDecision.id)
        )
    )


def next_meeting(session: Session, nm: NetworkMeeting) -> NetworkMeeting | None:
    later = session.scalars(
        select(NetworkMeeting)
        .join(Meeting, Meeting.id == NetworkMeeting.meeting_id)
        .where(
            NetworkMeeting.body_id == nm.body_id,
            NetworkMeeting.id != nm.id,
            ~NetworkMeeting.id.in_(_earlier(nm)),
        )
        .order_by(Meeting.scheduled_on, NetworkMeeting.id)
        .limit(1)
    )
    return later.first()


# --- the body and its members ---------------------------------------------------------


def _text(value: str | None, field: str, *, required: bool = False, limit: int = 0) -> str:
    cleaned = (value or "").strip()
    if required and not cleaned:
        raise DomainError("required_field", f"{field} is required", field=field)
    if limit and len(cleaned) > limit:
        raise DomainError("too_long", f"{field} is longer than {limit} characters", field=field)
    return cleaned


@use_case
def create_body(ctx: Context, territory: str, project_id: int, name: str = "") -> NetworkBody:
    """Set up a project's coordination group (one per project)."""
    project = fetch(ctx, Project, project_id)
    if project.territory_code != territory:
        raise NotFound("Project", project_id)
    exists = ctx.session.scalar(select(NetworkBody.id).where(NetworkBody.project_id == project.id))
    if exists is not None:
        raise DomainError(
            "network_exists", "This project already has its coordination group", field="project_id"
        )
    body = NetworkBody(
        territory_code=territory,
        project_id=project.id,
        name=_text(name, "name", limit=200) or f"Gruppo di coordinamento di rete - {project.title}",
        created_by=ctx.actor,
    )
    ctx.session.add(body)
    ctx.session.flush()
    record(ctx, AuditAction.CREATE, "network_body", body.id, territory_code=territory)
    return body


def _representative(
    ctx: Context, partner: Partner, representative_id: int | None
) -> PartnerRepresentative | None:
    if representative_id is None:
        return None
    person = ctx.session.get(PartnerRepresentative, representative_id)
    if person is None or person.partner_id != partner.id:
        raise DomainError(
            "other_partner",
            "The representative is not one of the organisation's people",
            field="representative_id",
        )
    return person


def _partner(ctx: Context, territory: str, partner_id: int, field: str = "partner_id") -> Partner:
    partner = ctx.session.get(Partner, partner_id)
    if partner is None or partner.territory_code != territory:
        raise DomainError("not_a_partner", "No such partner in this territory", field=field)
    return partner


@use_case
def add_member(
    ctx: Context,
    territory: str,
    body_id: int,
    partner_id: int,
    *,
    representative_id: int | None = None,
    joined_on: date | None = None,
) -> NetworkMember:
    """An organisation of the partners directory joins the table from ``joined_on``."""
    body = body_in(ctx, territory, body_id)
    partner = _partner(ctx, territory, partner_id)
    person = _representative(ctx, partner, representative_id)
    already = ctx.session.scalar(
        select(NetworkMember.id).where(
            NetworkMember.body_id == body.id,
            NetworkMember.partner_id == partner.id,
            NetworkMember.left_on.is_(None),
        )
    )
    if already is not None:
        raise DomainError(
            "already_member", f"{partner.name} already sits at the table", field="partner_id"
        )
    day = event_date(
        ctx, joined_on, event="network_member_joined", entity="network_body",
        entity_id=body.id, territory_code=territory,
    )  # fmt: skip
    member = NetworkMember(
        body_id=body.id,
        partner_id=partner.id,
        representative_id=person.id if person else None,
        representative_name=person.name if person else "",
        joined_on=day,
        recorded_by=ctx.actor,
    )
    ctx.session.add(member)
    ctx.session.flush()
    record(ctx, AuditAction.CREATE, "network_member", member.id, territory_code=territory)
    return member


def _close(ctx: Context, member: NetworkMember, on: date | None, reason: str, event: str) -> date:
    if member.left_on is not None:
        raise DomainError("membership_ended", "This membership has already ended")
    day = event_date(
        ctx, on, event=event, entity="network_member", entity_id=member.id,
        not_before=member.joined_on, not_before_what="the day the organisation joined",
        territory_code=member.body.territory_code,
    )  # fmt: skip
    member.left_on = day
    member.end_reason = reason
    return day


@use_case
def end_membership(
    ctx: Context, territory: str, member_id: int, left_on: date | None, reason: str
) -> NetworkMember:
    """The organisation leaves the table from ``left_on`` (kept in the history)."""
    member = member_in(ctx, territory, member_id)
    _close(ctx, member, left_on, _text(reason, "reason", required=True), "network_member_left")
    record(ctx, AuditAction.UPDATE, "network_member", member.id, territory_code=territory)
    return member


@use_case
def change_representative(
    ctx: Context, territory: str, member_id: int, representative_id: int, on: date | None = None
) -> NetworkMember:
    """Another person speaks for the organisation from ``on``: the current row
    ends that day and a new one starts."""
    member = member_in(ctx, territory, member_id)
    person = _representative(ctx, member.partner, representative_id)
    assert person is not None
    if person.id == member.representative_id:
        raise DomainError(
            "same_representative", "This person already represents the organisation",
            field="representative_id",
        )  # fmt: skip
    day = _close(ctx, member, on, f"Nuovo referente: {person.name}", "network_representative")
    successor = NetworkMember(
        body_id=member.body_id,
        partner_id=member.partner_id,
        representative_id=person.id,
        representative_name=person.name,
        joined_on=day,
        recorded_by=ctx.actor,
    )
    ctx.session.add(successor)
    ctx.session.flush()
    record(ctx, AuditAction.UPDATE, "network_member", successor.id, territory_code=territory)
    return successor


# --- meetings -------------------------------------------------------------------------


@use_case
def schedule_network_meeting(
    ctx: Context,
    territory: str,
    body_id: int,
    on: date,
    *,
    starts_at: time = time(10, 0),
    duration_minutes: int = 120,
    location: str = "",
    agenda: str = "",
) -> NetworkMeeting:
    """A coordination meeting on ``on`` (may be a future day: it is planned)."""
    body = body_in(ctx, territory, body_id)
    if not 0 < duration_minutes <= 12 * 60:
        raise DomainError(
            "invalid_value", "Duration must be between 1 and 720 minutes", field="duration_minutes"
        )
    meeting = Meeting(
        territory_code=territory,
        kind=MeetingKind.NETWORK,
        scheduled_on=on,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=_text(location, "location", limit=200),
        topic=body.name[:200],
    )
    ctx.session.add(meeting)
    ctx.session.flush()
    found = NetworkMeeting(
        body_id=body.id, meeting_id=meeting.id, agenda=_text(agenda, "agenda"), updated_by=ctx.actor
    )
    ctx.session.add(found)
    ctx.session.flush()
    record(ctx, AuditAction.CREATE, "network_meeting", found.id, territory_code=territory)
    return found


def _held_on(ctx: Context, nm: NetworkMeeting, day: date) -> date:
    return event_date(
        ctx, day, event="network_meeting_held", entity="network_meeting", entity_id=nm.id,
        not_before=nm.body.project.start_on, not_before_what="the project's start",
        territory_code=nm.body.territory_code,
    )  # fmt: skip


@use_case
def update_network_meeting(
    ctx: Context,
    territory: str,
    network_meeting_id: int,
    *,
    on: date | None = None,
    starts_at: time | None = None,
    duration_minutes: int | None = None,
    location: str | None = None,
    agenda: str | None = None,
    minutes: str | None = None,
) -> NetworkMeeting:
    """Correct a meeting's day, time, place, agenda or minutes text. A held
    meeting's day keeps the event-date rules."""
    nm = network_meeting_in(ctx, territory, network_meeting_id)
    meeting = nm.meeting
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("meeting_cancelled", "The meeting was cancelled")
    changed = []
    if on is not None and on != meeting.scheduled_on:
        if meeting.status == MeetingStatus.HELD:
            on = _held_on(ctx, nm, on)
        meeting.scheduled_on = on
        changed.append("scheduled_on")
    if starts_at is not None and starts_at != meeting.starts_at:
        meeting.starts_at = starts_at
        changed.append("starts_at")
    if duration_minutes is not None and duration_minutes != meeting.duration_minutes:
        if not 0 < duration_minutes <= 12 * 60:
            raise DomainError(
                "invalid_value",
                "Duration must be between 1 and 720 minutes",
                field="duration_minutes",
            )
        meeting.duration_minutes = duration_minutes
        changed.append("duration_minutes")
    if location is not None and location.strip() != meeting.location:
        meeting.location = _text(location, "location", limit=200)
        changed.append("location")
    for name, value in (("agenda", agenda), ("minutes", minutes)):
        if value is not None and value.strip() != getattr(nm, name):
            setattr(nm, name, value.strip())
            changed.append(name)
    if changed:
        nm.updated_by = ctx.actor
        record(
            ctx, AuditAction.UPDATE, "network_meeting", nm.id, territory_code=territory,
            fields=changed,
        )  # fmt: skip
    return nm


@use_case
def cancel_network_meeting(
    ctx: Context, territory: str, network_meeting_id: int, reason: str
) -> NetworkMeeting:
    """A planned meeting that will not take place, with the reason (kept)."""
    nm = network_meeting_in(ctx, territory, network_meeting_id)
    cancel_meeting(ctx, nm.meeting_id, reason)
    record(ctx, AuditAction.UPDATE, "network_meeting", nm.id, territory_code=territory,
           fields=["status"])  # fmt: skip
    return nm


@dataclass(frozen=True)
class PresenceLine:
    """Who came for an organisation: a person of the directory, or a name typed in."""

    representative_id: int | None = None
    represented_by: str = ""


@use_case
def record_organisations_register(
    ctx: Context, territory: str, network_meeting_id: int, lines: Mapping[int, PresenceLine]
) -> NetworkMeeting:
    """The organisations' register (``{partner id: who came}``), replacing any
    earlier one; the meeting then counts as held on its day."""
    nm = network_meeting_in(ctx, territory, network_meeting_id)
    meeting = fetch(ctx, Meeting, nm.meeting_id, for_update=True)
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("meeting_cancelled", "The meeting was cancelled")
    if not lines:
        raise DomainError(
            "empty_register", "Tick at least one organisation that came", field="lines"
        )
    _held_on(ctx, nm, meeting.scheduled_on)
    nm.presences.clear()
    ctx.session.flush()
    for partner_id, line in lines.items():
        partner = _partner(ctx, territory, partner_id, field="lines")
        person = _representative(ctx, partner, line.representative_id)
        name = _text(line.represented_by, "represented_by", limit=200)
        nm.presences.append(
            NetworkPresence(
                partner_id=partner.id,
                representative_id=person.id if person else None,
                represented_by=name or (person.name if person else ""),
            )
        )
    meeting.status = MeetingStatus.HELD
    nm.register_recorded_at = utcnow()
    nm.register_recorded_by = ctx.actor
    record(
        ctx, AuditAction.UPDATE, "network_meeting", nm.id, territory_code=territory,
        register=sorted(lines),
    )  # fmt: skip
    return nm


def check_minutes_file(filename: str, content: bytes) -> tuple[str, str, str]:
    """``(safe name, extension, media type)`` of an upload, or a refusal."""
    safe = secure_filename(filename or "")[:200]
    extension = Path(safe).suffix.lower()
    if extension not in MINUTES_TYPES:
        raise DomainError(
            "file_type",
            "Minutes must be a PDF, ODT, DOCX, DOC or TXT file",
            field="file",
        )
    if not content:
        raise DomainError("file_empty", "The file is empty", field="file")
    if len(content) > MAX_MINUTES_BYTES:
        raise DomainError(
            "file_too_large", "The file is larger than 2 MB", field="file", limit=MAX_MINUTES_BYTES
        )
    media_type, signatures = MINUTES_TYPES[extension]
    if signatures and not content.startswith(signatures):
        raise DomainError("file_type", f"The file is not a real {extension} file", field="file")
    if not signatures:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            raise DomainError("file_type", "A .txt file must be UTF-8 text", field="file") from None
    return safe, extension, media_type


@use_case
def _attach_minutes(
    ctx: Context, territory: str, network_meeting_id: int, stored: str, name: str, kind: str,
    size: int,
) -> tuple[NetworkMeeting, str]:  # fmt: skip
    nm = network_meeting_in(ctx, territory, network_meeting_id)
    previous = nm.minutes_file
    nm.minutes_file = stored
    nm.minutes_file_name = name
    nm.minutes_file_type = kind
    nm.minutes_file_size = size
    nm.minutes_uploaded_at = utcnow()
    nm.updated_by = ctx.actor
    record(
        ctx, AuditAction.UPDATE, "network_meeting", nm.id, territory_code=territory,
        fields=["minutes_file"],
    )  # fmt: skip
    return nm, previous


def attach_minutes_file(
    ctx: Context,
    territory: str,
    network_meeting_id: int,
    filename: str,
    content: bytes,
    root: Path,
) -> NetworkMeeting:
    """Store the uploaded minutes under ``root`` (see :func:`minutes_root`) by
    a generated name; the one it replaces is removed once the change is saved."""
    network_meeting_in(ctx, territory, network_meeting_id)
    safe, extension, media_type = check_minutes_file(filename, content)
    root.mkdir(parents=True, exist_ok=True)
    stored = f"{uuid.uuid4().hex}{extension}"
    target = root / stored
    target.write_bytes(content)
    try:
        nm, previous = _attach_minutes(
            ctx, territory, network_meeting_id, stored, safe, media_type, len(content)
        )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if previous:
        (root / previous).unlink(missing_ok=True)
    return nm


def minutes_path(nm: NetworkMeeting, root: Path) -> Path | None:
    if not nm.minutes_file:
        return None
    path = root / nm.minutes_file
    return path if path.is_file() else None


# --- decisions ----------------------------------------------------------------------


@use_case
def add_decision(
    ctx: Context,
    territory: str,
    network_meeting_id: int,
    text: str,
    *,
    owner_partner_id: int | None = None,
    owner_person: str = "",
    due_on: date | None = None,
) -> NetworkDecision:
    """A decision taken at a meeting, owned by an organisation and/or a person."""
    nm = network_meeting_in(ctx, territory, network_meeting_id)
    meeting = nm.meeting
    if meeting.status == MeetingStatus.CANCELLED:
        raise DomainError("meeting_cancelled", "The meeting was cancelled")
    if meeting.scheduled_on > date.today():
        raise DomainError(
            "meeting_not_held",
            "Decisions are recorded once the meeting has taken place",
        )
    owner = (
        _partner(ctx, territory, owner_partner_id, "owner_partner_id") if owner_partner_id else None
    )
    person = _text(owner_person, "owner_person", limit=200)
    if owner is None and not person:
        raise DomainError(
            "owner_required", "Give who carries the decision out: an organisation or a person",
            field="owner_partner_id",
        )  # fmt: skip
    if due_on is not None and due_on < meeting.scheduled_on:
        raise DomainError(
            "due_before_meeting", "The due date is before the meeting", field="due_on"
        )
    decision = NetworkDecision(
        body_id=nm.body_id,
        network_meeting_id=nm.id,
        text=_text(text, "text", required=True),
        owner_partner_id=owner.id if owner else None,
        owner_person=person,
        due_on=due_on,
        recorded_by=ctx.actor,
    )
    ctx.session.add(decision)
    ctx.session.flush()
    record(ctx, AuditAction.CREATE, "network_decision", decision.id, territory_code=territory)
    return decision


@use_case
def correct_decision(
    ctx: Context,
    territory: str,
    decision_id: int,
    *,
    text: str,
    owner_partner_id: int | None = None,
    owner_person: str = "",
    due_on: date | None = None,
) -> NetworkDecision:
    """Correct a decision's text, owner or due date; the audit log keeps which
    fields changed, who changed them and the earlier owner and due date."""
    decision = fetch(ctx, NetworkDecision, decision_id, for_update=True)
    if body_in_territory(ctx.session, decision.body_id) != territory:
        raise NotFound("NetworkDecision", decision_id)
    owner = (
        _partner(ctx, territory, owner_partner_id, "owner_partner_id") if owner_partner_id else None
    )
    person = _text(owner_person, "owner_person", limit=200)
    if owner is None and not person:
        raise DomainError(
            "owner_required", "Give who carries the decision out: an organisation or a person",
            field="owner_partner_id",
        )  # fmt: skip
    if due_on is not None and due_on < decision.network_meeting.meeting.scheduled_on:
        raise DomainError(
            "due_before_meeting", "The due date is before the meeting", field="due_on"
        )
    new = {
        "text": _text(text, "text", required=True),
        "owner_partner_id": owner.id if owner else None,
        "owner_person": person,
        "due_on": due_on,
    }
    before = {k: getattr(decision, k) for k in new if getattr(decision, k) != new[k]}
    for key in before:
        setattr(decision, key, new[key])
    if before:
        record(
            ctx, AuditAction.UPDATE, "network_decision", decision.id, territory_code=territory,
            fields=sorted(before),
            # Earlier owner and due date; never the free text, which may name a
            # person and must stay erasable (the audit log is never rewritten).
            before={
                k: v.isoformat() if isinstance(v, date) else v
                for k, v in before.items()
                if k in ("owner_partner_id", "due_on")
            },
        )  # fmt: skip
    return decision


@use_case
def follow_up_decision(
    ctx: Context,
    territory: str,
    decision_id: int,
    network_meeting_id: int,
    outcome: FollowUpOutcome | str,
    *,
    on: date | None = None,
    note: str = "",
) -> NetworkFollowUp:
    """At a later meeting: the decision is done, carried over (stays open, shown
    again at the next meeting) or dropped (with a reason), on ``on``."""
    try:
        outcome = FollowUpOutcome(outcome)
    except ValueError:
        raise DomainError("invalid_value", "Unknown follow-up", field="outcome") from None
    decision = fetch(ctx, NetworkDecision, decision_id, for_update=True)
    if body_in_territory(ctx.session, decision.body_id) != territory:
        raise NotFound("NetworkDecision", decision_id)
    nm = network_meeting_in(ctx, territory, network_meeting_id)
    if nm.body_id != decision.body_id or nm.id == decision.network_meeting_id:
        raise DomainError(
            "not_a_later_meeting", "A decision is followed up at a later meeting of its group",
            field="network_meeting_id",
        )  # fmt: skip
    taken_on = decision.network_meeting.meeting.scheduled_on
    if nm.meeting.scheduled_on < taken_on:
        raise DomainError(
            "not_a_later_meeting", "This meeting is before the one that took the decision",
            field="network_meeting_id",
        )  # fmt: skip
    if decision.status != DecisionStatus.OPEN:
        raise DomainError("decision_closed", "This decision is already done or dropped")
    if any(f.network_meeting_id == nm.id for f in decision.follow_ups):
        raise DomainError("already_followed_up", "This meeting already followed the decision up")
    cleaned = _text(note, "note")
    if outcome == FollowUpOutcome.DROPPED and not cleaned:
        raise DomainError("reason_required", "Say why the decision is dropped", field="note")
    day = event_date(
        ctx, on or min(nm.meeting.scheduled_on, date.today()), event="network_follow_up",
        entity="network_decision", entity_id=decision.id, not_before=taken_on,
        not_before_what="the meeting that took the decision", territory_code=territory,
    )  # fmt: skip
    follow = NetworkFollowUp(
        decision_id=decision.id,
        network_meeting_id=nm.id,
        outcome=outcome,
        occurred_on=day,
        note=cleaned,
        recorded_by=ctx.actor,
    )
    decision.follow_ups.append(follow)
    if outcome != FollowUpOutcome.CARRIED_OVER:
        decision.status = DecisionStatus(outcome.value)
        decision.closed_on = day
    ctx.session.flush()
    record(
        ctx, AuditAction.UPDATE, "network_decision", decision.id, territory_code=territory,
        outcome=outcome.value,
    )  # fmt: skip
    return follow
