"""Authorisation in one place: who may do what, in which territory, on which rows.

Every staff page lives under ``/t/<territory>/`` and declares one permission
with :func:`requires`. This module then

- refuses with 404 a territory where the user holds no role (another
  territory's pages and records are not confirmed to exist);
- refuses with 403 a permission the user's roles there do not grant;
- hands views their rows only through :func:`participants`, :func:`groups`,
  :func:`meetings` and :func:`get_visible`, which scope every query to the
  territory and, for facilitators, to the groups they run and their members.

A test enumerates the app's URL map and checks every route against every role.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from flask import abort, g
from flask_login import current_user
from sqlalchemy import Select, select

from amal.accounts.models import Role, User
from amal.groups.models import Enrolment, Group, group_facilitator
from amal.meetings.models import Meeting
from amal.participants.models import Participant
from amal.referrals.models import Referral


class Permission(enum.StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_PARTICIPANTS = "view_participants"
    EDIT_PARTICIPANTS = "edit_participants"  # intake, consent, transitions
    # Propose a transfer (origin) and accept or refuse one (destination).
    TRANSFER_PARTICIPANTS = "transfer_participants"
    # Merge a duplicate record into the one to keep (coordinators only).
    MERGE_PARTICIPANTS = "merge_participants"
    VIEW_GROUPS = "view_groups"
    MANAGE_GROUPS = "manage_groups"  # create, enrol, plan, start, conclude
    RECORD_ATTENDANCE = "record_attendance"
    FACILITATOR_NOTES = "facilitator_notes"
    RECORD_NEEDS = "record_needs"  # the group's needs, which training meetings answer
    RECORD_WELLBEING = "record_wellbeing"
    MANAGE_REFERRALS = "manage_referrals"
    RUN_REPORTS = "run_reports"  # live figures and rule violations
    VIEW_REPORTS = "view_reports"  # report list and submitted runs (what funders see)
    SUBMIT_REPORTS = "submit_reports"  # submit a run to the funder
    MANAGE_PROJECTS = "manage_projects"  # edit a project's dates, funders, targets
    DOWNLOAD_REGISTERS = "download_registers"  # PDF registers carry names
    VIEW_AUDIT = "view_audit"
    MANAGE_PRIVACY = "manage_privacy"  # notices, export, erasure
    MANAGE_TERRITORY = "manage_territory"  # partners directory, help-desk opening hours
    # The network coordination group: its members, meetings, register, minutes, decisions.
    VIEW_NETWORK = "view_network"
    MANAGE_NETWORK = "manage_network"
    # Keep, with a reason, what a date-sense rule warns about (amal.dates).
    OVERRIDE_CHECKS = "override_checks"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.COORDINATOR: frozenset(P),
    Role.INTAKE_OPERATOR: frozenset(
        {
            P.VIEW_DASHBOARD,
            P.VIEW_PARTICIPANTS,
            P.EDIT_PARTICIPANTS,
            P.MANAGE_REFERRALS,
            # Partner staff sit at the coordination table: they read its
            # meetings, minutes and decisions; coordinators write them.
            P.VIEW_NETWORK,
        }
    ),
    Role.FACILITATOR: frozenset(
        {
            P.VIEW_DASHBOARD,
            P.VIEW_PARTICIPANTS,
            P.VIEW_GROUPS,
            P.RECORD_ATTENDANCE,
            P.FACILITATOR_NOTES,
            P.RECORD_NEEDS,
            P.RECORD_WELLBEING,
        }
    ),
    # Funders see only what was submitted to them: never live figures or violations.
    Role.FUNDER_VIEWER: frozenset({P.VIEW_REPORTS}),
    Role.REGIONAL_VIEWER: frozenset(),
}
# Roles that see personal data at all; the others see aggregates only.
PERSONAL_DATA_ROLES = frozenset({Role.COORDINATOR, Role.INTAKE_OPERATOR, Role.FACILITATOR})


def principal():
    """Who is asking: an API token's principal, else the logged-in staff user."""
    return g.get("api_principal") or current_user


def roles_in(user: User, territory: str) -> set[Role]:
    return {r.role for r in user.roles if r.territory_code == territory}


def territories_of(user: User) -> list[str]:
    return sorted({r.territory_code for r in user.roles})


def holds(user: User, permission: Permission, territory: str) -> bool:
    """Whether ``user``'s roles in ``territory`` grant ``permission`` (also for the CLI)."""
    return any(permission in ROLE_PERMISSIONS[role] for role in roles_in(user, territory))


def can(permission: Permission, territory: str | None = None) -> bool:
    """Whether the current user holds ``permission`` in ``territory`` (default: the page's)."""
    territory = territory or g.get("territory")
    who = principal()
    if not who.is_authenticated or territory is None:
        return False
    return holds(who, permission, territory)


F = TypeVar("F", bound=Callable[..., Any])


def requires(
    permission: Permission, *, territories: Collection[str] | None = None
) -> Callable[[F], F]:
    """Mark a territory view with the permission it needs (checked before it runs).

    ``territories`` limits a view to some territories (a plugin's own pages, e.g.
    Lecco's help desk, on an instance hosting several): elsewhere it is a 404.
    """

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if territories is not None and g.territory not in territories:
                abort(404)
            if not roles_in(principal(), g.territory):
                abort(404)
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        checked.permission = permission  # type: ignore[attr-defined]
        checked.territories = territories  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate


def _is_only_facilitator() -> bool:
    roles = roles_in(principal(), g.territory)
    return Role.FACILITATOR in roles and Role.COORDINATOR not in roles


def _facilitated_groups() -> Select[tuple[int]]:
    return select(group_facilitator.c.group_id).where(group_facilitator.c.user_id == principal().id)


def participants() -> Select[tuple[Participant]]:
    """The participants the current user may see in the page's territory."""
    query = select(Participant).where(Participant.territory_code == g.territory)
    if _is_only_facilitator() and Role.INTAKE_OPERATOR not in roles_in(principal(), g.territory):
        query = query.where(
            Participant.id.in_(
                select(Enrolment.participant_id).where(
                    Enrolment.group_id.in_(_facilitated_groups())
                )
            )
        )
    return query


def groups() -> Select[tuple[Group]]:
    query = select(Group).where(Group.territory_code == g.territory)
    if _is_only_facilitator():
        query = query.where(Group.id.in_(_facilitated_groups()))
    return query


def meetings() -> Select[tuple[Meeting]]:
    query = select(Meeting).where(Meeting.territory_code == g.territory)
    if _is_only_facilitator():
        query = query.where(Meeting.group_id.in_(_facilitated_groups()))
    return query


def referrals() -> Select[tuple[Referral]]:
    return select(Referral).where(
        Referral.participant_id.in_(participants().with_only_columns(Participant.id))
    )


SCOPES: dict[type, Callable[[], Select[Any]]] = {
    Participant: participants,
    Group: groups,
    Meeting: meetings,
    Referral: referrals,
}

M = TypeVar("M")


def get_visible(session: Any, model: type[M], key: int) -> M:
    """One row the current user may see, or 404 (never 403: no confirmation it exists)."""
    query = SCOPES[model]().where(model.id == key)  # type: ignore[attr-defined]
    obj = session.scalar(query)
    if obj is None:
        abort(404)
    return obj
