"""The value types that hook implementations return. Plain frozen dataclasses:
a plugin builds them from code or from its own data files."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class PartnerRole(enum.StrEnum):
    FUNDER = "funder"
    CO_FUNDER = "co_funder"
    LEAD = "lead"  # capofila
    PARTNER = "partner"
    TRADE_UNION = "trade_union"
    EMPLOYMENT_OPERATOR = "employment_operator"  # operatore accreditato ai servizi al lavoro
    SOCIAL_COOPERATIVE = "social_cooperative"
    MENTOR = "mentor"
    INSTITUTION = "institution"


@dataclass(frozen=True)
class TerritoryDefinition:
    """A territory: the unit of data isolation.

    ``province`` is the ISO 3166-2:IT province code (``MB``, ``LC``); the core
    derives the holiday calendar from it (national holidays plus the patron saint
    of the province's capital) unless a plugin adds more through ``amal_holidays``.
    """

    code: str
    name: str
    region: str
    province: str
    locale: str = "it"


@dataclass(frozen=True)
class GroupPolicy:
    """How groups are run in a territory. The defaults are the programme's own."""

    min_size: int = 10
    max_size: int = 15
    meetings: int = 16
    max_meetings: int = 16  # a coordinator may plan up to this many
    cadence_days: int = 14
    meeting_minutes: int = 120
    # The territory's open information meeting comes before the group's first
    # meeting (amal.meetings.services.generate_plan says how it is found or planned).
    opening_info_meeting: bool = False
    # Follow-ups after the end outcome, in months (each one recorded and kept).
    follow_up_months: tuple[int, ...] = (3, 6, 12)
    # Group meetings missed in a row that put a member on the dashboard's alert list.
    absence_alert: int = 3
    # Youngest age at registration (amal.dates: a birth date giving less is refused).
    minimum_age: int = 16
    # Days after its conclusion during which a coordinator may reopen a group.
    reopen_days: int = 30

    def __post_init__(self) -> None:
        if not 1 <= self.min_size <= self.max_size:
            raise ValueError("GroupPolicy needs 1 <= min_size <= max_size")
        if not 1 <= self.meetings <= self.max_meetings:
            raise ValueError("GroupPolicy needs 1 <= meetings <= max_meetings")
        if self.cadence_days < 1 or self.meeting_minutes < 1:
            raise ValueError("GroupPolicy cadence_days and meeting_minutes must be positive")
        months = self.follow_up_months
        if any(m < 1 for m in months) or list(months) != sorted(set(months)):
            raise ValueError("GroupPolicy follow_up_months must be increasing positive months")
        if self.absence_alert < 1:
            raise ValueError("GroupPolicy absence_alert must be at least 1 meeting")
        if self.minimum_age < 0 or self.reopen_days < 0:
            raise ValueError("GroupPolicy minimum_age and reopen_days cannot be negative")


@dataclass(frozen=True)
class RepresentativeDefinition:
    name: str
    position: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class PartnerDefinition:
    """A partner as the plugin's data file describes it (the seed of the
    partners directory; see ``amal_partners`` for how updates merge)."""

    name: str
    role: PartnerRole
    description: str = ""
    website: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    services_offered: str = ""
    representatives: tuple[RepresentativeDefinition, ...] = ()


# What a service's ``url`` points to.
URL_KINDS = (
    "service",  # the service's own page
    "programme",  # the programme's public page (Regione Lombardia), the service has none
    "operator_programme",  # the operator's page for the programme, listing what it delivers
    "operator",  # only the operator's site
    "none",  # no public page found: ``url`` is empty
)


@dataclass(frozen=True)
class ServiceDefinition:
    """A service of the regional employment system a participant can be referred to."""

    code: str
    title: str
    programme: str  # e.g. "GOL percorso 1", "Dote Unica Lavoro"
    url: str
    description: str = ""
    operator: str = ""  # the accredited operator that delivers it
    # What ``url`` points to (:data:`URL_KINDS`).
    url_kind: str = "service"
    url_verified: bool = True  # False: written without checking it online
    operator_url: str = ""  # the operator's own site
    url_source: str = ""  # where the address came from (and when it was seen)

    def __post_init__(self) -> None:
        if self.url_kind not in URL_KINDS:
            raise ValueError(f"url_kind must be one of {', '.join(URL_KINDS)}")
        if (self.url_kind == "none") != (not self.url):
            raise ValueError("url is empty exactly when url_kind is 'none'")


@dataclass(frozen=True)
class ReportDefinition:
    """A funder's report: who receives it, for which period, with which figures.

    ``funder`` names one of the territory's partners. ``period_kind`` is one of
    ``quarter``, ``semester``, ``project``, ``custom``. ``indicators`` are names
    from :data:`amal.reports.indicators.INDICATORS`. ``formats`` are ``csv`` and
    ``xlsx`` (figures) and ``pdf`` (attendance registers for signature, one page
    per meeting: the only output with names, because signatures need them).
    ``min_presence`` is the share of meetings a person must attend to count as
    having attended; ``meeting_kinds`` are the meetings that count for hours and
    registers.
    """

    code: str
    title: str
    funder: str
    period_kind: str
    indicators: tuple[str, ...]
    formats: tuple[str, ...] = ("csv", "xlsx")
    min_presence: float = 0.7
    meeting_kinds: tuple[str, ...] = ("group", "training")
    description: str = ""
    # Rule checks run before submission, by name (core defaults and plugins'
    # ``amal_rule_checks``); ``None`` means every rule the territory has.
    rules: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.period_kind not in ("quarter", "semester", "project", "custom"):
            raise ValueError(f"report {self.code}: unknown period_kind {self.period_kind!r}")
        unknown = set(self.formats) - {"csv", "xlsx", "pdf"}
        if unknown:
            raise ValueError(f"report {self.code}: unknown formats {sorted(unknown)}")
        if not 0 < self.min_presence <= 1:
            raise ValueError(f"report {self.code}: min_presence must be in (0, 1]")


@dataclass(frozen=True)
class NavigationEntry:
    """A link in the staff menu. ``endpoint`` is a Flask endpoint name."""

    endpoint: str
    label: str
    roles: tuple[str, ...] = field(default_factory=tuple)  # empty: every staff role


@dataclass(frozen=True)
class PersonalTable:
    """Where one of a plugin's tables can hold a participant's data (``amal_personal_data``).

    Every free-text column of the table is declared in exactly one place:

    - ``owned``: columns of rows that belong to one participant, with the value
      each takes on erasure. Exported with the person; replaced when they are erased.
    - ``shared``: free text on rows that belong to nobody in particular but may
      name a participant (a note). Exported where it mentions the person; the
      mentions (full name, contacts, fiscal code, phone) are redacted on erasure.
    - ``not_personal``: columns that cannot hold a participant's data, with why.

    ``owner`` says which rows belong to a participant: the name of a column of
    the table holding the participant's id (default ``participant_id``), or a
    function of the participant's id returning a SQLAlchemy condition on the
    table, for rows linked through another table. ``territory`` names the
    column with the row's territory code: shared text is searched in the
    territories the person belonged to.
    """

    table: str
    owned: dict[str, object] = field(default_factory=dict)
    owner: str | Callable[[int], Any] = "participant_id"
    shared: tuple[str, ...] = ()
    not_personal: dict[str, str] = field(default_factory=dict)
    territory: str = "territory_code"


class Severity(enum.StrEnum):
    BLOCKING = "blocking"  # submission refused unless each violation is justified
    WARNING = "warning"  # shown, never blocks


@dataclass(frozen=True)
class RuleCheck:
    """A rule the figures must respect before a report is submitted.

    ``check(window)`` receives an :class:`amal.reports.indicators.Window`
    (``session``, ``territory``, ``period``, ``today``) and returns
    :class:`amal.reports.rules.Violation` objects, each naming the record to fix.
    It must cost a fixed number of queries whatever the data size.
    """

    name: str
    title: str  # Italian, shown next to each violation
    check: Callable[[Any], list[Any]]
    severity: Severity = Severity.BLOCKING

    def __post_init__(self) -> None:
        # A plain "warning" from a data file becomes the enum; anything else fails here.
        object.__setattr__(self, "severity", Severity(self.severity))


@dataclass(frozen=True)
class ProjectTarget:
    """A plugin-defined target of a project, e.g. the network coordination
    meetings. With ``meeting_kind`` the project page counts the held meetings of
    that kind (``info``, ``group``, ``training``, ``network``) against ``value``."""

    code: str
    label: str  # Italian
    value: int
    meeting_kind: str | None = None


@dataclass(frozen=True)
class ProjectDefinition:
    """What a funder pays for in a territory: dates, funders (names of the
    territory's partners) and targets. Seeded once when the territory is set
    up; the coordinator edits it afterwards."""

    code: str
    title: str
    start_on: date
    end_on: date
    funders: tuple[str, ...] = ()
    target_groups: int = 0
    min_people_per_group: int = 10
    max_people_per_group: int = 15
    meetings_per_group: int = 16
    cycle_months: int = 0
    people_reached: int = 0
    extra_targets: tuple[ProjectTarget, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if self.end_on < self.start_on:
            raise ValueError(f"project {self.code}: ends before it starts")
        if not 0 < self.min_people_per_group <= self.max_people_per_group:
            raise ValueError(f"project {self.code}: needs 0 < min people <= max people")
