"""Keeping the territory and partner tables in step with the enabled plugins,
and the coordinator's partners directory.

How plugin updates merge into the directory (``sync_territories``, run by
``amal init``, ``amal demo`` and ``amal territory sync``): the plugin's data
file seeds the directory; afterwards the database is the reference. A partner
the data file lists and the database does not know (by the name the file gave
it, ``Partner.plugin_key``) is added with its representatives; a partner already
seeded is left exactly as the coordinators keep it (edits, renames and
representatives win over the file); a partner removed from the file stays.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from amal.audit.models import AuditAction
from amal.audit.services import record
from amal.db import utcnow
from amal.errors import DomainError, NotFound
from amal.plugins.definitions import PartnerDefinition, PartnerRole
from amal.plugins.manager import PluginHost
from amal.projects.services import seed_projects
from amal.services import Context, fetch, use_case
from amal.territories.models import Partner, PartnerRepresentative, Territory

PARTNER_FIELDS = (
    "name",
    "role",
    "description",
    "website",
    "email",
    "phone",
    "address",
    "services_offered",
)
REPRESENTATIVE_FIELDS = ("name", "position", "email", "phone")


def _seed(code: str, partner: PartnerDefinition) -> Partner:
    row = Partner(
        territory_code=code,
        plugin_key=partner.name,
        **{f: getattr(partner, f) for f in PARTNER_FIELDS},
    )
    row.representatives = [
        PartnerRepresentative(**{f: getattr(r, f) for f in REPRESENTATIVE_FIELDS})
        for r in partner.representatives
    ]
    return row


def sync_territories(session: Session, plugins: PluginHost) -> list[str]:
    """Create missing territory rows, add the plugin's partners the directory
    does not have yet (see the module's docstring for the merge), then the
    projects not yet in the database (groups without a project join one).
    Returns the codes of the territories created. Commits."""
    created = []
    for code, definition in plugins.territories.items():
        territory = session.get(Territory, code)
        if territory is None:
            territory = Territory(code=code)
            session.add(territory)
            created.append(code)
        territory.name = definition.name
        territory.region = definition.region
        territory.province = definition.province
        session.flush()
        rows = session.execute(
            select(Partner.plugin_key, Partner.name).where(Partner.territory_code == code)
        ).all()
        known = {key for key, _ in rows if key} | {name for _, name in rows}
        for partner in plugins.partners(code):
            if partner.name not in known:
                session.add(_seed(code, partner))
                known.add(partner.name)
        session.flush()
        seed_projects(session, plugins, code)
    session.commit()
    return created


def _clean(fields: dict[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise DomainError("unknown_field", f"Unknown field(s): {', '.join(sorted(unknown))}")
    cleaned = {k: (v or "").strip() if k != "role" else v for k, v in fields.items()}
    if "name" in cleaned and not cleaned["name"]:
        raise DomainError("required_field", "name is required", field="name")
    if "role" in cleaned:
        try:
            cleaned["role"] = PartnerRole(cleaned["role"])
        except ValueError:
            raise DomainError("invalid_value", "Unknown partner role", field="role") from None
    return cleaned


def _refuse_same_name(ctx: Context, territory: str, name: str, exclude: int | None) -> None:
    query = select(Partner.id).where(Partner.territory_code == territory, Partner.name == name)
    if exclude is not None:
        query = query.where(Partner.id != exclude)
    if ctx.session.scalar(query) is not None:
        raise DomainError(
            "duplicate_partner", f"A partner named {name!r} already exists", field="name"
        )


def partner_in(ctx: Context, territory: str, partner_id: int) -> Partner:
    partner = fetch(ctx, Partner, partner_id)
    if partner.territory_code != territory:
        raise NotFound("Partner", partner_id)
    return partner


@use_case
def add_partner(ctx: Context, territory: str, **fields: Any) -> Partner:
    ctx.plugins.territory(territory)
    cleaned = _clean(fields, PARTNER_FIELDS)
    if "role" not in cleaned:
        raise DomainError("required_field", "role is required", field="role")
    _refuse_same_name(ctx, territory, cleaned.get("name", ""), None)
    partner = Partner(
        territory_code=territory, updated_at=utcnow(), updated_by=ctx.actor, **cleaned
    )
    ctx.session.add(partner)
    ctx.session.flush()
    record(ctx, AuditAction.CREATE, "partner", partner.id, territory_code=territory)
    return partner


@use_case
def update_partner(ctx: Context, territory: str, partner_id: int, **fields: Any) -> Partner:
    partner = partner_in(ctx, territory, partner_id)
    cleaned = _clean(fields, PARTNER_FIELDS)
    if "name" in cleaned:
        _refuse_same_name(ctx, territory, cleaned["name"], partner.id)
    changed = sorted(k for k, v in cleaned.items() if getattr(partner, k) != v)
    for key in changed:
        setattr(partner, key, cleaned[key])
    if changed:
        partner.updated_at = utcnow()
        partner.updated_by = ctx.actor
        record(
            ctx, AuditAction.UPDATE, "partner", partner.id, territory_code=territory, fields=changed
        )
    return partner


@use_case
def add_representative(
    ctx: Context, territory: str, partner_id: int, **fields: Any
) -> PartnerRepresentative:
    partner = partner_in(ctx, territory, partner_id)
    cleaned = _clean(fields, REPRESENTATIVE_FIELDS)
    if not cleaned.get("name"):
        raise DomainError("required_field", "name is required", field="name")
    person = PartnerRepresentative(**cleaned)
    partner.representatives.append(person)
    partner.updated_at = utcnow()
    partner.updated_by = ctx.actor
    ctx.session.flush()
    return person


@use_case
def remove_representative(ctx: Context, territory: str, partner_id: int, person_id: int) -> None:
    partner = partner_in(ctx, territory, partner_id)
    person = next((p for p in partner.representatives if p.id == person_id), None)
    if person is None:
        raise NotFound("PartnerRepresentative", person_id)
    partner.representatives.remove(person)
    partner.updated_at = utcnow()
    partner.updated_by = ctx.actor


def directory(ctx: Context, territory: str) -> list[Partner]:
    return list(
        ctx.session.scalars(
            select(Partner)
            .where(Partner.territory_code == territory)
            .options(selectinload(Partner.representatives))
            .order_by(Partner.name)
        )
    )
