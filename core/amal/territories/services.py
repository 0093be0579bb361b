"""Keeping the territory and partner tables in step with the enabled plugins."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from amal.plugins.manager import PluginHost
from amal.projects.services import seed_projects
from amal.territories.models import Partner, Territory


def sync_territories(session: Session, plugins: PluginHost) -> list[str]:
    """Create missing territory rows, seed partners of new territories and
    projects not yet in the database (then groups without a project join one).

    Existing partners and projects are left alone: the coordinator may have edited them.
    Returns the codes of the territories created. Commits.
    """
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
        has_partners = session.scalar(
            select(Partner.id).where(Partner.territory_code == code).limit(1)
        )
        if not has_partners:
            for partner in plugins.partners(code):
                session.add(
                    Partner(
                        territory_code=code,
                        name=partner.name,
                        role=partner.role,
                        description=partner.description,
                        website=partner.website,
                    )
                )
        session.flush()
        seed_projects(session, plugins, code)
    session.commit()
    return created
