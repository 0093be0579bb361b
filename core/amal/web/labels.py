"""Translated labels for the domain's enumerations, for templates (``label(x)``)."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from amal.accounts.models import Role
from amal.audit.models import AuditAction
from amal.consent.models import ConsentPurpose
from amal.groups.models import FacilitatorRole, GroupComposition, GroupStatus, MemberExit
from amal.meetings.models import MeetingKind, MeetingStatus, Presence
from amal.network.models import DecisionStatus, FollowUpOutcome
from amal.outcomes.models import ContractType, OutcomeCategory, OutcomeMoment, Situation
from amal.participants.models import EmploymentStatus, ParticipantStatus, TransferStatus
from amal.plugins.definitions import PartnerRole
from amal.referrals.models import ReferralStatus
from amal.wellbeing.models import Phase

# Keyed by (class, value): members of different enums may share a value.
_PAIRS: list[tuple[enum.Enum, object]] = [
    (ParticipantStatus.CANDIDATE, _l("candidate")),
    (ParticipantStatus.SCREENED, _l("screened")),
    (ParticipantStatus.ADMITTED, _l("admitted")),
    (ParticipantStatus.WAITLISTED, _l("waiting list")),
    (ParticipantStatus.NOT_ELIGIBLE, _l("not eligible")),
    (ParticipantStatus.ENROLLED, _l("enrolled")),
    (ParticipantStatus.ACTIVE, _l("active")),
    (ParticipantStatus.COMPLETED, _l("completed")),
    (ParticipantStatus.WITHDRAWN, _l("withdrawn")),
    (ParticipantStatus.DROPPED_OUT, _l("dropped out")),
    (EmploymentStatus.DISMISSED, _l("dismissed")),
    (EmploymentStatus.BEING_DISMISSED, _l("being dismissed")),
    (EmploymentStatus.MOBILITY_LIST, _l("mobility list")),
    (EmploymentStatus.REDUNDANCY_FUND, _l("redundancy fund (cassa integrazione)")),
    (EmploymentStatus.NASPI, _l("NASpI unemployment benefit")),
    (EmploymentStatus.OTHER, _l("other")),
    (GroupStatus.PLANNED, _l("planned")),
    (GroupStatus.FORMING, _l("forming")),
    (GroupStatus.ACTIVE, _l("running")),
    (GroupStatus.CONCLUDED, _l("concluded")),
    (GroupStatus.CANCELLED, _l("cancelled")),
    (FacilitatorRole.FACILITATOR, _l("facilitator")),
    (FacilitatorRole.CO_FACILITATOR, _l("co-facilitator")),
    (FacilitatorRole.MENTOR, _l("mentor")),
    (MemberExit.DROPPED_OUT, _l("leaves the group (dropped out)")),
    (MemberExit.MOVED, _l("moves to another group")),
    (GroupComposition.HOMOGENEOUS, _l("homogeneous (same company)")),
    (GroupComposition.HETEROGENEOUS, _l("heterogeneous")),
    (MeetingKind.INFO, _l("information meeting")),
    (MeetingKind.GROUP, _l("group meeting")),
    (MeetingKind.TRAINING, _l("training meeting")),
    (MeetingKind.NETWORK, _l("network meeting")),
    (MeetingStatus.PLANNED, _l("planned")),
    (MeetingStatus.HELD, _l("held")),
    (MeetingStatus.CANCELLED, _l("cancelled")),
    (Presence.PRESENT, _l("present")),
    (Presence.ABSENT, _l("absent")),
    (Presence.JUSTIFIED, _l("justified absence")),
    (DecisionStatus.OPEN, _l("open")),
    (DecisionStatus.DONE, _l("done")),
    (DecisionStatus.DROPPED, _l("dropped")),
    (FollowUpOutcome.DONE, _l("done")),
    (FollowUpOutcome.CARRIED_OVER, _l("carried over")),
    (FollowUpOutcome.DROPPED, _l("dropped")),
    (ConsentPurpose.PROCESSING, _l("processing of personal data")),
    (ConsentPurpose.PARTICULAR_CATEGORIES, _l("wellbeing questionnaires (particular categories)")),
    (ConsentPurpose.SHARING, _l("sharing with partners and employment operators")),
    (ReferralStatus.PROPOSED, _l("proposed")),
    (ReferralStatus.SENT, _l("sent")),
    (ReferralStatus.ACCEPTED, _l("accepted")),
    (ReferralStatus.STARTED, _l("started")),
    (ReferralStatus.COMPLETED, _l("completed")),
    (ReferralStatus.DECLINED, _l("declined")),
    (TransferStatus.PROPOSED, _l("proposed")),
    (TransferStatus.ACCEPTED, _l("accepted")),
    (TransferStatus.REFUSED, _l("refused")),
    (TransferStatus.CANCELLED, _l("withdrawn by the origin")),
    (Phase.ENTRY, _l("entry")),
    (Phase.MIDWAY, _l("midway")),
    (Phase.END, _l("end")),
    (OutcomeMoment.END, _l("end of the path")),
    (OutcomeMoment.FOLLOW_UP, _l("follow-up")),
    (Situation.EMPLOYED, _l("employed")),
    (Situation.SELF_EMPLOYED, _l("self-employed")),
    (Situation.IN_TRAINING, _l("in training")),
    (Situation.LOOKING, _l("looking for work")),
    (Situation.INACTIVE, _l("inactive")),
    (Situation.OTHER, _l("other")),
    (OutcomeCategory.EMPLOYED_OPEN_ENDED, _l("employed, open-ended contract")),
    (OutcomeCategory.EMPLOYED_FIXED_TERM, _l("employed, fixed-term contract")),
    (OutcomeCategory.APPRENTICESHIP, _l("employed, apprenticeship")),
    (OutcomeCategory.SELF_EMPLOYED, _l("self-employed")),
    (OutcomeCategory.TRAINING, _l("in education or training")),
    (OutcomeCategory.ACTIVE_SEARCH, _l("actively looking for work")),
    (OutcomeCategory.INACTIVE, _l("inactive (not looking for work)")),
    (AuditAction.CREATE, _l("created")),
    (AuditAction.UPDATE, _l("changed")),
    (AuditAction.TRANSITION, _l("changed status")),
    (AuditAction.VIEW, _l("read")),
    (AuditAction.EXPORT, _l("exported")),
    (AuditAction.ERASE, _l("erased")),
    (AuditAction.TRANSFER, _l("transferred")),
    (AuditAction.BACKDATE, _l("back-dated")),
    (ContractType.PERMANENT, _l("permanent")),
    (ContractType.FIXED_TERM, _l("fixed term")),
    (ContractType.APPRENTICESHIP, _l("apprenticeship")),
    (ContractType.TEMPORARY_AGENCY, _l("temporary agency")),
    (ContractType.OTHER, _l("other")),
    (PartnerRole.FUNDER, _l("funder")),
    (PartnerRole.CO_FUNDER, _l("co-funder")),
    (PartnerRole.LEAD, _l("lead partner")),
    (PartnerRole.PARTNER, _l("partner")),
    (PartnerRole.TRADE_UNION, _l("trade union")),
    (PartnerRole.EMPLOYMENT_OPERATOR, _l("accredited employment operator")),
    (PartnerRole.SOCIAL_COOPERATIVE, _l("social cooperative")),
    (PartnerRole.MENTOR, _l("mentor")),
    (PartnerRole.INSTITUTION, _l("public institution")),
    (Role.COORDINATOR, _l("coordinator")),
    (Role.INTAKE_OPERATOR, _l("intake operator")),
    (Role.FACILITATOR, _l("facilitator")),
    (Role.FUNDER_VIEWER, _l("funder viewer")),
    (Role.REGIONAL_VIEWER, _l("regional viewer")),
]
LABELS: dict[tuple[type, str], object] = {(type(m), m.value): text for m, text in _PAIRS}


# The record's fields, for the correction history.
FIELDS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "fiscal_code": _l("Fiscal code"),
    "birth_date": _l("Birth date"),
    "gender": _l("Gender"),
    "email": _l("E-mail"),
    "phone": _l("Phone"),
    "municipality": _l("Municipality of residence"),
    "last_employer": _l("Last employer"),
    "sector": _l("Sector"),
    "months_out_of_work": _l("Months out of work"),
    "employment_status": _l("Employment situation"),
    "heard_from": _l("How they heard of the service"),
    "needs": _l("Needs expressed"),
    "merged_from": _l("Merged record"),
}
# What a merge moves from the duplicate record, by table (amal.participants.merge).
MERGE_TABLES = {
    "consent": _l("Consents"),
    "wellbeing_administration": _l("Wellbeing questionnaires"),
    "wellbeing_correction": _l("Corrections of the questionnaires"),
    "referral": _l("Referrals"),
    "diary_entry": _l("Notes of the case diary"),
    "diary_revision": _l("Earlier versions of the notes"),
    "participant_field_change": _l("Corrections to the record"),
    "info_invitation": _l("Invitations to information meetings"),
    "info_walk_in": _l("Walk-ins at information meetings"),
    "group_waitlist": _l("Places on waiting lists"),
    "participant_transfer": _l("Transfers"),
    "lecco_sportello_contact": _l("Help-desk contacts"),
}
# What audit entries are about (AuditEntry.entity).
ENTITIES = {
    "network_body": _l("network coordination group"),
    "network_member": _l("coordination group member"),
    "network_meeting": _l("coordination meeting"),
    "network_meeting_list": _l("list of coordination meetings"),
    "network_decision": _l("coordination group decision"),
    "network_minutes_file": _l("coordination meeting minutes (file)"),
    "participant": _l("participant record"),
    "participant_list": _l("participant list"),
    "consent": _l("consent"),
    "outcome": _l("outcome"),
    "referral": _l("referral"),
    "referral_list": _l("referral list"),
    "group": _l("group"),
    "meeting": _l("meeting register"),
    "wellbeing_administration": _l("questionnaire"),
    "attendance_register": _l("attendance register"),
    "enrolment": _l("group membership"),
    "report_run": _l("report"),
    "register": _l("attendance registers"),
    "audit_log": _l("audit log"),
    "dashboard": _l("dashboard (follow-ups due)"),
    "reconsent_list": _l("list of consents to renew"),
    "follow_up_list": _l("follow-ups due"),
    "group_list": _l("group list"),
    "transfer": _l("transfer between territories"),
    "transfer_list": _l("incoming transfers"),
    "partner": _l("partner"),
    "project": _l("project"),
    "report_submission": _l("report submission"),
    "lecco_sportello_appointment": _l("help-desk appointment"),
    "lecco_sportello_contact": _l("help-desk contact"),
    "group_waitlist": _l("group waiting list"),
    "meeting_plan": _l("group meeting plan"),
    "user": _l("staff account"),
}
# Words the code keeps in English: what a consent allows (on the record,
# amal.consent.services.DEPENDENTS) and the kinds of report period.
WORDS = {
    "admission": _l("admission"),
    "questionnaires": _l("questionnaires"),
    "referrals": _l("referrals"),
    "sharing with partners": _l("sharing with partners"),
    "quarter": _l("quarterly"),
    "semester": _l("half-yearly"),
    "project": _l("whole project"),
    "custom": _l("dates of your choice"),
}


def field_label(name: str) -> object:
    return FIELDS.get(name, name)


def entity_label(name: str) -> object:
    return ENTITIES.get(name, name)


def word(text: str) -> object:
    return WORDS.get(text, text)


def label(value: enum.Enum | None) -> object:
    if value is None:
        return ""
    return LABELS.get((type(value), getattr(value, "value", value)), getattr(value, "value", value))


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Form choices from ``(value, label)`` pairs (WTForms wants SelectChoice)."""
    return [SelectChoice(str(value), text) for value, text in pairs]


def choices(enum_class: type[enum.Enum]) -> list[SelectChoice]:
    return options((member.value, label(member)) for member in enum_class)
