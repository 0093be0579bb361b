"""Italian names of the domain's values in the files funders receive (reports
are Italian documents whatever the language of the person running them)."""

from __future__ import annotations

import enum

from amal.groups.models import GroupStatus
from amal.meetings.models import MeetingKind, MeetingStatus
from amal.outcomes.models import ContractType, OutcomeCategory, OutcomeMoment, Situation
from amal.participants.models import ParticipantStatus
from amal.referrals.models import ReferralStatus

# Keyed by (class, value): members of different enums may share a value.
_PAIRS: list[tuple[enum.Enum, str]] = [
    (ParticipantStatus.CANDIDATE, "candidato"),
    (ParticipantStatus.SCREENED, "valutato"),
    (ParticipantStatus.ADMITTED, "ammesso"),
    (ParticipantStatus.WAITLISTED, "in lista d'attesa"),
    (ParticipantStatus.NOT_ELIGIBLE, "non idoneo"),
    (ParticipantStatus.ENROLLED, "iscritto"),
    (ParticipantStatus.ACTIVE, "attivo"),
    (ParticipantStatus.COMPLETED, "percorso concluso"),
    (ParticipantStatus.WITHDRAWN, "ritirato"),
    (ParticipantStatus.DROPPED_OUT, "abbandono"),
    (GroupStatus.PLANNED, "previsto"),
    (GroupStatus.FORMING, "in formazione"),
    (GroupStatus.ACTIVE, "in corso"),
    (GroupStatus.CONCLUDED, "concluso"),
    (GroupStatus.CANCELLED, "annullato"),
    (MeetingStatus.PLANNED, "previsto"),
    (MeetingStatus.HELD, "svolto"),
    (MeetingStatus.CANCELLED, "annullato"),
    (MeetingKind.INFO, "incontro informativo"),
    (MeetingKind.GROUP, "incontro di gruppo"),
    (MeetingKind.TRAINING, "incontro formativo"),
    (MeetingKind.NETWORK, "coordinamento di rete"),
    (ReferralStatus.PROPOSED, "proposto"),
    (ReferralStatus.SENT, "inviato"),
    (ReferralStatus.ACCEPTED, "accettato"),
    (ReferralStatus.STARTED, "avviato"),
    (ReferralStatus.COMPLETED, "concluso"),
    (ReferralStatus.DECLINED, "rifiutato"),
    (OutcomeMoment.END, "fine percorso"),
    (OutcomeMoment.FOLLOW_UP, "follow-up"),
    (Situation.EMPLOYED, "occupato"),
    (Situation.SELF_EMPLOYED, "lavoro autonomo"),
    (Situation.IN_TRAINING, "in formazione"),
    (Situation.LOOKING, "in cerca di lavoro"),
    (Situation.INACTIVE, "inattivo"),
    (Situation.OTHER, "altro"),
    (OutcomeCategory.EMPLOYED_OPEN_ENDED, "occupato a tempo indeterminato"),
    (OutcomeCategory.EMPLOYED_FIXED_TERM, "occupato a tempo determinato"),
    (OutcomeCategory.APPRENTICESHIP, "occupato in apprendistato"),
    (OutcomeCategory.SELF_EMPLOYED, "lavoratore autonomo"),
    (OutcomeCategory.TRAINING, "in formazione"),
    (OutcomeCategory.ACTIVE_SEARCH, "in cerca attiva di lavoro"),
    (OutcomeCategory.INACTIVE, "inattivo"),
    (ContractType.PERMANENT, "tempo indeterminato"),
    (ContractType.FIXED_TERM, "tempo determinato"),
    (ContractType.APPRENTICESHIP, "apprendistato"),
    (ContractType.TEMPORARY_AGENCY, "somministrazione"),
    (ContractType.OTHER, "altro"),
]
ITALIAN: dict[tuple[type, str], str] = {(type(m), m.value): text for m, text in _PAIRS}


def italian(value: enum.Enum | None) -> str:
    return "-" if value is None else ITALIAN[(type(value), value.value)]
