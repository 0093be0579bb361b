"""Imports every core model so that ``Base.metadata`` is complete (Alembic,
``create_all``, relationship resolution by name)."""

from amal.accounts.models import ApiToken, LoginAttempt, Role, TerritoryRole, User
from amal.audit.models import AuditAction, AuditEntry
from amal.consent.models import Consent, ConsentPurpose, PrivacyNotice
from amal.db import Base
from amal.groups.models import Enrolment, Group, GroupNeed, GroupStatus, GroupStatusChange
from amal.meetings.models import Attendance, Meeting, MeetingKind, MeetingStatus, Presence
from amal.network.models import (
    NetworkBody,
    NetworkDecision,
    NetworkFollowUp,
    NetworkMeeting,
    NetworkMember,
    NetworkPresence,
)
from amal.outcomes.models import Outcome
from amal.participants.models import (
    Participant,
    ParticipantStatus,
    StatusChange,
    TerritoryTransfer,
)
from amal.projects.models import Project
from amal.referrals.models import Referral, ReferralStatus
from amal.reports.models import ReportRun, ReportSubmission, SubmissionFile
from amal.territories.models import Partner, Territory
from amal.wellbeing.models import Administration

__all__ = [
    "Administration",
    "ApiToken",
    "Attendance",
    "AuditAction",
    "AuditEntry",
    "Base",
    "Consent",
    "ConsentPurpose",
    "Enrolment",
    "Group",
    "GroupNeed",
    "GroupStatus",
    "GroupStatusChange",
    "LoginAttempt",
    "Meeting",
    "MeetingKind",
    "MeetingStatus",
    "NetworkBody",
    "NetworkDecision",
    "NetworkFollowUp",
    "NetworkMeeting",
    "NetworkMember",
    "NetworkPresence",
    "Outcome",
    "Participant",
    "ParticipantStatus",
    "Partner",
    "Presence",
    "PrivacyNotice",
    "Project",
    "Referral",
    "ReferralStatus",
    "ReportRun",
    "ReportSubmission",
    "Role",
    "StatusChange",
    "SubmissionFile",
    "Territory",
    "TerritoryRole",
    "TerritoryTransfer",
    "User",
]
