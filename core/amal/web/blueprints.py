"""The staff web app's blueprints, one per area, registered by the app factory."""

from __future__ import annotations

from flask import Flask

from amal.accounts.web import bp as accounts
from amal.api import init_api
from amal.api.plugins import bp as api_plugins
from amal.audit.web import bp as audit
from amal.consent.web import bp as privacy
from amal.groups.api import bp as api_groups
from amal.groups.api import meetings_bp as api_meetings
from amal.groups.web import bp as groups
from amal.meetings.api import bp as api_info_meetings
from amal.meetings.web import bp as info_meetings
from amal.network.api import bp as api_network
from amal.network.web import bp as network
from amal.participants.api import bp as api_participants
from amal.participants.web import bp as participants
from amal.projects.api import bp as api_projects
from amal.projects.web import bp as projects
from amal.referrals.api import bp as api_referrals
from amal.referrals.web import bp as referrals
from amal.reports.api import bp as api_reports
from amal.reports.web import bp as reports
from amal.territories.api import bp as api_territory
from amal.territories.web import bp as partners
from amal.web.dashboard import bp as dashboard
from amal.web.pages import bp as core
from amal.web.setup import csrf, init_web

BLUEPRINTS = (
    core,
    accounts,
    dashboard,
    participants,
    groups,
    info_meetings,
    partners,
    network,
    referrals,
    projects,
    reports,
    audit,
    privacy,
)


def register_web(app: Flask) -> None:
    init_web(app)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    api_blueprints = init_api(
        app,
        [
            api_participants,
            api_groups,
            api_meetings,
            api_info_meetings,
            api_territory,
            api_reports,
            api_projects,
            api_referrals,
            api_network,
            api_plugins,
        ],
    )
    for blueprint in api_blueprints:
        csrf.exempt(blueprint)
