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
text and need no entry.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Enum, String, Table, Text, or_, select
from sqlalchemy.orm import Session

from amal.consent.models import Consent
from amal.db import Base
from amal.groups.models import Enrolment, Group, GroupNeed, GroupStatusChange, WaitlistEntry
from amal.meetings.models import Attendance, Meeting
from amal.outcomes.models import Outcome
from amal.participants.models import FieldChange, Participant, StatusChange, TerritoryTransfer
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
}

_STAFF = "a staff username or name (staff accounts are not participants)"
_PARTNER_PERSON = "a partner organisation's contact person (not a participant)"
_VISITOR = "a help-desk visitor's own record (not yet covered by participant erasure)"
NOT_PERSONAL: dict[str, str] = {
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
    "lecco_sportello_hours.place": "a help desk's address",
    "lecco_sportello_appointment.created_by": _STAFF,
    "lecco_sportello_contact.recorded_by": _STAFF,
    # Known gap: a help-desk visitor's own details (Lecco plugin) are not yet
    # reached by a participant's erasure, even when the visit became the
    # participant's intake; plugins have no hook to declare their columns yet.
    "lecco_sportello_appointment.first_name": _VISITOR,
    "lecco_sportello_appointment.last_name": _VISITOR,
    "lecco_sportello_appointment.phone": _VISITOR,
    "lecco_sportello_appointment.reason": _VISITOR,
    "lecco_sportello_contact.first_name": _VISITOR,
    "lecco_sportello_contact.last_name": _VISITOR,
    "lecco_sportello_contact.phone": _VISITOR,
    "lecco_sportello_contact.reason": _VISITOR,
    "lecco_sportello_contact.referred_to": _VISITOR,
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


def unclassified(tables: Iterable[Table] | None = None) -> list[str]:
    """Free-text columns this registry does not cover (should be none)."""
    covered = {f"{t}.{c}" for t, cols in OWNED.items() for c in cols}
    covered |= {f"{t}.{c}" for t, cols in SHARED.items() for c in cols}
    covered |= set(NOT_PERSONAL)
    tables = Base.metadata.sorted_tables if tables is None else tables
    return sorted(c for c in free_text_columns(tables) if c not in covered)


# --- Mentions of a person in shared text ------------------------------------------


@dataclass(frozen=True)
class Identifiers:
    """What would single the person out in a note."""

    names: tuple[str, ...]  # "Mario Rossi", "Rossi Mario", "Rossi", "Mario"
    contacts: tuple[str, ...]  # email, fiscal code
    phone_digits: str

    @classmethod
    def of(cls, participant: Participant) -> Identifiers:
        first, last = participant.first_name.strip(), participant.last_name.strip()
        names = [f"{first} {last}", f"{last} {first}", last, first]
        contacts = [c for c in (participant.email.strip(), participant.fiscal_code or "") if c]
        digits = re.sub(r"\D", "", participant.phone)
        if participant.phone.startswith("+39"):
            # Stored in E.164 (amal.participants.normalise); notes write the national number.
            digits = digits[2:]
        return cls(tuple(n for n in names if len(n.strip()) >= 3), tuple(contacts), digits)

    def pattern(self) -> re.Pattern[str] | None:
        parts = [re.escape(c) for c in self.contacts]
        if len(self.phone_digits) >= 6:
            # The number as written in a note: "333 123 4567", "333-1234567", "+39 333..."
            parts.append(r"(?:\+39[\s.-]?)?" + r"[\s./-]?".join(self.phone_digits))
        parts += [r"\b" + re.escape(n) + r"\b" for n in self.names]
        return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _shared_rows(session: Session, participant: Participant) -> Iterator[tuple[object, str]]:
    """Shared rows the person is linked to (their groups and meetings), with the
    columns to look at."""
    group_ids = select(Enrolment.group_id).where(Enrolment.participant_id == participant.id)
    meeting_ids = select(Attendance.meeting_id).where(Attendance.participant_id == participant.id)
    models = {
        Meeting: or_(Meeting.group_id.in_(group_ids), Meeting.id.in_(meeting_ids)),
        GroupNeed: GroupNeed.group_id.in_(group_ids),
        GroupStatusChange: GroupStatusChange.group_id.in_(group_ids),
        Group: Group.id.in_(group_ids),
    }
    for model, linked in models.items():
        columns = SHARED[model.__tablename__]
        for row in session.scalars(select(model).where(linked).order_by(model.id)):
            for column in columns:
                yield row, column


def mentions(session: Session, participant: Participant) -> list[dict[str, object]]:
    """Shared free text that names the person, for the export."""
    pattern = Identifiers.of(participant).pattern()
    if pattern is None:
        return []
    found = []
    for row, column in _shared_rows(session, participant):
        value = getattr(row, column) or ""
        if pattern.search(value):
            found.append({"table": row.__tablename__, "id": row.id, "field": column, "text": value})
    return found


def redact_mentions(session: Session, participant: Participant) -> int:
    """Replace the person's name, contacts and fiscal code in shared free text
    (call before the participant row is pseudonymised). Returns the fields changed."""
    pattern = Identifiers.of(participant).pattern()
    if pattern is None:
        return 0
    changed = 0
    for row, column in _shared_rows(session, participant):
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
        AdministrationCorrection,
        WaitlistEntry,
    )
}
