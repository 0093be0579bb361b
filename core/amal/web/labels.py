"""Translated labels for the domain's enumerations, for templates (``label(x)``)."""

from __future__ import annotations

import enum
from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from wtforms.fields.choices import SelectChoice

from amal.accounts.models import Role
from amal.consent.models import ConsentPurpose
from amal.groups.models import FacilitatorRole, GroupComposition, GroupStatus
from amal.meetings.models import MeetingKind, MeetingStatus, Presence
from amal.outcomes.models import ContractType, OutcomeMoment, Situation
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
    (Situation.OTHER, _l("other")),
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


def label(value: enum.Enum | None) -> object:
    if value is None:
        return ""
    return LABELS.get((type(value), getattr(value, "value", value)), getattr(value, "value", value))


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Form choices from ``(value, label)`` pairs (WTForms wants SelectChoice)."""
    return [SelectChoice(str(value), text) for value, text in pairs]


def choices(enum_class: type[enum.Enum]) -> list[SelectChoice]:
    return options((member.value, label(member)) for member in enum_class)
