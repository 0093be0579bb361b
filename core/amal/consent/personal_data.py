"""THE list of where free text about a participant can live: what export
(GDPR art. 15) shows and erasure (art. 17) removes.

Every String/Text column of every model is in exactly one of three places
(tests/test_personal_data.py checks it against the models, so a new column
fails the suite until it is classified here):

- :data:`OWNED`: columns of rows that belong to one person (``participant_id``
  or the participant row itself). Exported whole; erasure replaces the value.
- :data:`SHARED`: free text on shared rows (a meeting's notes, a group's needs)
  that may name the person. Exported where it mentions them; erasure redacts
  the mentions (their name, contacts, fiscal code).
- :data:`NOT_PERSONAL`: columns that cannot hold a participant's data, with why.

Columns with a closed vocabulary (enums, foreign keys to codes) are not free
text and need no entry. Plugins declare their own tables the same way through
the ``amal_personal_data`` hook (:class:`amal.plugins.PersonalTable`).

Where mentions are searched: the shared rows linked to the person (their
groups, the meetings they attended) for any of their identifiers, first name
or surname alone included; every other shared row of the territories the
person belonged to (now, and before a transfer) for what singles them out
there: full name in either order, e-mail, fiscal code, phone number. That
search runs a fixed number of queries whatever the data size: SQL keeps the
rows containing the surname, a contact or the phone's digits in order
(``LIKE``), then the exact pattern decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Enum, String, Table, Text, false, func, or_, select
from sqlalchemy.orm import Session

from amal.consent.models import Consent
from amal.db import Base
from amal.errors import PluginError
from amal.groups.models import Enrolment, Group, GroupNeed, GroupStatusChange, WaitlistEntry
from amal.meetings.models import Attendance, InfoWalkIn, Meeting
from amal.outcomes.models import Outcome
from amal.participants.models import (
    DiaryEntry,
    DiaryRevision,
    FieldChange,
    Participant,
    StatusChange,
    TerritoryTransfer,
)
from amal.plugins.definitions import PersonalTable
from amal.plugins.manager import PluginHost
from amal.referrals.models import Referral
from amal.wellbeing.models import AdministrationCorrection

ERASED = "[cancellato]"

# table -> {column: value after erasure}. The participant row keeps a pseudonym.
OWNED: dict[str, dict[str, object]] = {
    "participant": {
        "first_name": "—",
        "last_name": None,  # "Cancellato #<id>", set by erase_person
        "fiscal_code": None,
        "gender": "",
        "email": "",
        "phone": "",
        "municipality": "",
        "last_employer": "",
        "sector": "",
        "heard_from": "",
        "needs": "",
    },
    "participant_status_change": {"reason": ""},
    # Corrections keep which field changed, when and by whom; the values go.
    "participant_field_change": {"old_value": "", "new_value": ""},
    "consent": {"withdrawal_reason": ""},
    "participant_transfer": {"reason": "", "decision_note": ""},
    "enrolment": {"end_reason": ""},
    "referral": {"notes": ""},
    "outcome": {"notes": ""},
    # A walk-in's name, once they registered (unlinked walk-ins are no participant).
    "info_walk_in": {"name": ERASED},
    "diary_entry": {"text": ERASED},
    "diary_revision": {"old_text": ERASED},
    # The old answers (JSON, not text) are wiped by erase_person with the current ones.
    "wellbeing_correction": {"reason": ""},
    "group_waitlist": {"end_reason": ""},
}

# table -> columns of free text on shared rows that may mention a participant.
SHARED: dict[str, tuple[str, ...]] = {
    "meeting": ("facilitator_notes", "plan_note", "cancel_reason", "topic"),
    "group_need": ("topic", "description"),
    "group_status_change": ("reason",),
    "self_help_group": ("name",),
    # The network coordination group's minutes and decisions may name people.
    "network_meeting": ("agenda", "minutes", "minutes_file_name"),
    "network_decision": ("text", "owner_person"),
    "network_follow_up": ("note",),
}
# Shared rows not linked to a person by any key (the network's minutes): read
# by territory, and matched on full names and contacts only, never on a bare
# first or last name that may belong to someone else at the table.
UNLINKED_SHARED = ("network_meeting", "network_decision", "network_follow_up")

_STAFF = "a staff username or name (staff accounts are not participants)"
_PARTNER_PERSON = "a partner organisation's contact person (not a participant)"
NOT_PERSONAL: dict[str, str] = {
    "diary_entry.created_by": _STAFF,
    "diary_entry.updated_by": _STAFF,
    "diary_revision.revised_by": _STAFF,
    "partner.email": "an organisation's contact",
    "partner.phone": "an organisation's contact",
    "partner.address": "an organisation's address",
    "partner.services_offered": "an organisation's services",
    "partner.plugin_key": "the plugin data file's name for a partner",
    "partner.updated_by": _STAFF,
    "partner_representative.name": _PARTNER_PERSON,
    "partner_representative.position": _PARTNER_PERSON,
    "partner_representative.email": _PARTNER_PERSON,
    "partner_representative.phone": _PARTNER_PERSON,
    "group_facilitation.name": _PARTNER_PERSON,
    "group_facilitation.end_reason": "why a facilitator's assignment ended (about staff)",
    "group_facilitation.recorded_by": _STAFF,
    "group_need.recorded_by": _STAFF,
    "audit_entry.actor": _STAFF,
    "audit_entry.entity": "an entity type name",
    "audit_entry.territory_code": "a territory code",
    "login_attempt.username": _STAFF,
    "login_attempt.remote_addr": "the staff member's network address",
    "territory.code": "a territory code",
    "territory.name": "a territory's name",
    "territory.region": "a region's name",
    "territory.province": "a province code",
    "user_account.username": _STAFF,
    "user_account.display_name": _STAFF,
    "user_account.email": _STAFF,
    "user_account.password_hash": "a password hash",
    "api_token.name": "a partner system's name",
    "api_token.token_hash": "a secret's hash",
    "api_token.created_by": _STAFF,
    "partner.name": "an organisation's name",
    "partner.description": "an organisation's description",
    "partner.website": "an organisation's website",
    "privacy_notice.version": "a notice version",
    "privacy_notice.text": "the text of a privacy notice",
    "report_run.report_code": "a report code",
    "report_run.period": "a period",
    "report_run.status": "a run status",
    "report_run.error": "a report engine's error message (figures only)",
    "report_run.created_by": _STAFF,
    "self_help_group.company_of_origin": "a company's name",
    "self_help_group.location": "a meeting place",
    "consent.recorded_by": _STAFF,
    "group_status_change.changed_by": _STAFF,
    "meeting.location": "a meeting place",
    "outcome.recorded_by": _STAFF,
    "participant_status_change.changed_by": _STAFF,
    "participant_field_change.changed_by": _STAFF,
    "participant_field_change.field": "the name of the corrected field",
    "participant_transfer.transferred_by": _STAFF,
    "participant_transfer.decided_by": _STAFF,
    "referral.service_code": "a catalogue code",
    "referral.service_title": "a catalogue service's title",
    "referral.service_url": "a catalogue service's address",
    "referral.operator": "the partner service's contact person (not the participant)",
    "referral.updated_by": _STAFF,
    "wellbeing_administration.instrument": "a questionnaire code",
    "wellbeing_administration.recorded_by": _STAFF,
    "wellbeing_correction.corrected_by": _STAFF,
    "group_waitlist.added_by": _STAFF,
    "attendance.recorded_by": _STAFF,
    "info_invitation.invited_by": _STAFF,
    "info_walk_in.recorded_by": _STAFF,
    "project.code": "a funded project's code",
    "project.title": "a funded project's title",
    "project.description": "a funded project's description",
    "report_submission.report_code": "a report code",
    "report_submission.period": "a period",
    "report_submission.sha256": "a file's checksum",
    "report_submission.submitted_by": _STAFF,
    "report_submission_file.format": "a file format",
    "report_submission_file.sha256": "a file's checksum",
    "user_session.id": "a staff session's random identifier",
    "rate_limit_counter.key": "a rate limit's key (a staff username or network address)",
    "network_body.name": "a coordination group's name",
    "network_body.created_by": _STAFF,
    "network_member.representative_name": _PARTNER_PERSON,
    "network_member.end_reason": "why an organisation left the table (about partners)",
    "network_member.recorded_by": _STAFF,
    "network_meeting.minutes_file": "a generated file name",
    "network_meeting.minutes_file_type": "a media type",
    "network_meeting.updated_by": _STAFF,
    "network_meeting.register_recorded_by": _STAFF,
    "network_presence.represented_by": _PARTNER_PERSON,
    "network_decision.recorded_by": _STAFF,
    "network_follow_up.recorded_by": _STAFF,
}


def free_text_columns(tables: Iterable[Table]) -> Iterator[str]:
    """``table.column`` of every String/Text column without a closed vocabulary."""
    for table in tables:
        for column in table.columns:
            if not isinstance(column.type, String | Text) or isinstance(column.type, Enum):
                continue
            if column.foreign_keys:
                continue
            yield f"{table.name}.{column.name}"


def _plugin_tables(plugins: PluginHost | None) -> list[PersonalTable]:
    return plugins.personal_tables() if plugins is not None else []


def declared(plugins: PluginHost | None = None) -> tuple[set[str], set[str], set[str]]:
    """``table.column`` names declared owned, shared and not personal, by the
    core and by the plugins' ``amal_personal_data``."""
    owned = {f"{t}.{c}" for t, cols in OWNED.items() for c in cols}
    shared = {f"{t}.{c}" for t, cols in SHARED.items() for c in cols}
    not_personal = set(NOT_PERSONAL)
    for table in _plugin_tables(plugins):
        owned |= {f"{table.table}.{c}" for c in table.owned}
        shared |= {f"{table.table}.{c}" for c in table.shared}
        not_personal |= {f"{table.table}.{c}" for c in table.not_personal}
    return owned, shared, not_personal


def unclassified(
    tables: Iterable[Table] | None = None, plugins: PluginHost | None = None
) -> list[str]:
    """Free-text columns this registry and the plugins' declarations do not
    cover (should be none)."""
    covered = set().union(*declared(plugins))
    tables = Base.metadata.sorted_tables if tables is None else tables
    return sorted(c for c in free_text_columns(tables) if c not in covered)


def declaration_errors(plugins: PluginHost) -> list[str]:
    """What is wrong in the plugins' ``amal_personal_data`` answers: unknown
    tables or columns, a column in two places, a table the core already lists."""
    errors = []
    core_tables = set(OWNED) | set(SHARED) | {name.split(".")[0] for name in NOT_PERSONAL}
    for table in _plugin_tables(plugins):
        found = Base.metadata.tables.get(table.table)
        if found is None:
            errors.append(f"{table.table}: no such table")
            continue
        if table.table in core_tables:
            errors.append(f"{table.table}: already classified by the core")
        names = [*table.owned, *table.shared, *table.not_personal]
        errors += [f"{table.table}.{c}: no such column" for c in names if c not in found.c]
        errors += [f"{table.table}.{c}: declared twice" for c in set(names) if names.count(c) > 1]
        if table.owned and isinstance(table.owner, str) and table.owner not in found.c:
            errors.append(f"{table.table}.{table.owner}: owner column does not exist")
        if table.shared and table.territory not in found.c:
            errors.append(f"{table.table}.{table.territory}: territory column does not exist")
    return errors


def check_plugin_declarations(plugins: PluginHost) -> None:
    """Stop start-up on a plugin's ``amal_personal_data`` naming tables or
    columns that do not exist (a typo would leave personal data unexported and
    unerased). Columns no one declares fail ``tests/test_personal_data.py``."""
    errors = declaration_errors(plugins)
    if errors:
        raise PluginError("amal_personal_data: " + "; ".join(errors))


def _model(table_name: str) -> Any:
    """The mapped class of a table (plugins' models are on the same ``Base``)."""
    for mapper in Base.registry.mappers:
        if mapper.local_table.name == table_name:
            return mapper.class_
    raise LookupError(f"No mapped class for table {table_name!r}")


def plugin_owned_rows(
    session: Session, plugins: PluginHost | None, participant_id: int
) -> Iterator[tuple[PersonalTable, list[Any]]]:
    """Each plugin table with owned columns and the person's rows in it."""
    for table in _plugin_tables(plugins):
        if not table.owned:
            continue
        model = _model(table.table)
        owner = (
            getattr(model, table.owner) == participant_id
            if isinstance(table.owner, str)
            else table.owner(participant_id)
        )
        yield table, list(session.scalars(select(model).where(owner).order_by(model.id)))


# --- Mentions of a person in shared text ------------------------------------------


@dataclass(frozen=True)
class Identifiers:
    """What would single the person out in a note."""

    full_names: tuple[str, ...]  # "Mario Rossi", "Rossi Mario"
    single_names: tuple[str, ...]  # "Rossi", "Mario"
    contacts: tuple[str, ...]  # email, fiscal code
    phone_digits: str
    surname: str

    @classmethod
    def of(cls, participant: Participant) -> Identifiers:
        first, last = participant.first_name.strip(), participant.last_name.strip()
        full = (f"{first} {last}", f"{last} {first}") if first and last else ()
        contacts = [c for c in (participant.email.strip(), participant.fiscal_code or "") if c]
        digits = re.sub(r"\D", "", participant.phone)
        if participant.phone.startswith("+39"):
            # Stored in E.164 (amal.participants.normalise); notes write the national number.
            digits = digits[2:]
        return cls(
            tuple(n for n in full if len(n) >= 5),
            tuple(n for n in (last, first) if len(n) >= 3),
            tuple(contacts),
            digits,
            last,
        )

    def pattern(self, *, full_names_only: bool = False) -> re.Pattern[str] | None:
        """Any identifier; with ``full_names_only`` a name counts only in full
        (first and last name, either order), as a surname alone may be someone else's."""
        parts = [re.escape(c) for c in self.contacts]
        if len(self.phone_digits) >= 6:
            # The number as written in a note: "333 123 4567", "333-1234567", "+39 333..."
            parts.append(r"(?:\+39[\s.-]?)?" + r"[\s./-]?".join(self.phone_digits))
        names = self.full_names if full_names_only else (*self.full_names, *self.single_names)
        parts += [r"\b" + re.escape(n) + r"\b" for n in names]
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None

    def prefilter(self, column: Any) -> ColumnElement[bool]:
        """A SQL condition true for every value the full-names pattern can match
        (and a few more): the surname, a contact, or the phone's digits in order."""
        terms = [_like(t) for t in (self.surname, *self.contacts) if t]
        if len(self.phone_digits) >= 6:
            terms.append("%" + "%".join(self.phone_digits) + "%")
        lowered = func.lower(column)
        return or_(false(), *(lowered.like(t.lower(), escape="\\") for t in terms))


def _in_network_territories(model: Any, territories: set[str]) -> ColumnElement[bool]:
    """Rows of a network table (looked up by name: the network area imports the
    domain packages this module belongs with) whose coordination group is in
    one of ``territories``."""
    body = _model("network_body")
    in_bodies = select(body.id).where(body.territory_code.in_(territories))
    if hasattr(model, "body_id"):
        return model.body_id.in_(in_bodies)
    meetings = _model("network_meeting")
    return model.network_meeting_id.in_(select(meetings.id).where(meetings.body_id.in_(in_bodies)))


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def territories_of(session: Session, participant: Participant) -> set[str]:
    """The territory the person belongs to and every one they were transferred from."""
    before = session.scalars(
        select(TerritoryTransfer.from_territory).where(
            TerritoryTransfer.participant_id == participant.id
        )
    )
    return {participant.territory_code, *before}


def _sources(
    participant_id: int, territories: set[str], plugins: PluginHost | None
) -> Iterator[tuple[Any, tuple[str, ...], ColumnElement[bool] | None, ColumnElement[bool]]]:
    """Each model with shared text: its columns, the rows linked to the person
    (or None) and the rows in their territories."""
    group_ids = select(Enrolment.group_id).where(Enrolment.participant_id == participant_id)
    meeting_ids = select(Attendance.meeting_id).where(Attendance.participant_id == participant_id)
    territory_groups = select(Group.id).where(Group.territory_code.in_(territories))
    yield (
        Meeting,
        SHARED["meeting"],
        or_(Meeting.group_id.in_(group_ids), Meeting.id.in_(meeting_ids)),
        Meeting.territory_code.in_(territories),
    )
    for model in (GroupNeed, GroupStatusChange):
        yield (
            model,
            SHARED[model.__tablename__],
            model.group_id.in_(group_ids),
            model.group_id.in_(territory_groups),
        )
    yield Group, SHARED["self_help_group"], Group.id.in_(group_ids), Group.id.in_(territory_groups)
    for table in UNLINKED_SHARED:
        model = _model(table)
        yield model, SHARED[table], None, _in_network_territories(model, territories)
    for table in _plugin_tables(plugins):
        if table.shared:
            model = _model(table.table)
            yield model, table.shared, None, getattr(model, table.territory).in_(territories)


def _shared_rows(
    session: Session, participant: Participant, plugins: PluginHost | None
) -> Iterator[tuple[Any, str, re.Pattern[str]]]:
    """Shared rows that may name the person, each column with the pattern that
    decides: every identifier in rows linked to them, full names and contacts
    elsewhere in their territories. Two queries per model with shared text."""
    identifiers = Identifiers.of(participant)
    everything = identifiers.pattern()
    strong = identifiers.pattern(full_names_only=True)
    territories = territories_of(session, participant)
    for model, columns, linked, in_territories in _sources(participant.id, territories, plugins):
        seen: set[int] = set()
        if linked is not None and everything is not None:
            for row in session.scalars(select(model).where(linked).order_by(model.id)):
                seen.add(row.id)
                for column in columns:
                    yield row, column, everything
        if strong is None:
            continue
        maybe = or_(*(identifiers.prefilter(getattr(model, c)) for c in columns))
        for row in session.scalars(select(model).where(in_territories, maybe).order_by(model.id)):
            if row.id not in seen:
                for column in columns:
                    yield row, column, strong


def mentions(
    session: Session, participant: Participant, plugins: PluginHost | None = None
) -> list[dict[str, object]]:
    """Shared free text that names the person, for the export."""
    found = []
    for row, column, pattern in _shared_rows(session, participant, plugins):
        value = getattr(row, column) or ""
        if pattern.search(value):
            found.append({"table": row.__tablename__, "id": row.id, "field": column, "text": value})
    return found


def redact_mentions(
    session: Session, participant: Participant, plugins: PluginHost | None = None
) -> int:
    """Replace the person's name, contacts and fiscal code in shared free text
    (call before the participant row is pseudonymised). Returns the fields changed."""
    changed = 0
    for row, column, pattern in _shared_rows(session, participant, plugins):
        value = getattr(row, column) or ""
        redacted = pattern.sub(ERASED, value)
        if redacted != value:
            setattr(row, column, redacted)
            changed += 1
    return changed


OWNED_MODELS = {
    model.__tablename__: model
    for model in (
        StatusChange,
        FieldChange,
        TerritoryTransfer,
        Enrolment,
        Referral,
        Outcome,
        Consent,
        InfoWalkIn,
        DiaryEntry,
        DiaryRevision,
        AdministrationCorrection,
        WaitlistEntry,
    )
}
