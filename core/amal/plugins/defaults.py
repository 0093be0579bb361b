"""The core's default hook implementations (registered as the built-in plugin
``amal.defaults``). They run last, so any plugin's answer comes first."""

from __future__ import annotations

from datetime import date

import holidays

from amal.plugins import hookimpl
from amal.plugins.definitions import GroupPolicy, TerritoryDefinition


@hookimpl(trylast=True)
def amal_group_policy(territory: TerritoryDefinition) -> GroupPolicy:
    return GroupPolicy()


@hookimpl(trylast=True)
def amal_holidays(territory: TerritoryDefinition, years: list[int]) -> dict[date, str]:
    """National holidays plus the patron saint of the province capital, in Italian."""
    calendar = holidays.country_holidays(
        "IT", subdiv=territory.province, years=years, language="it_IT"
    )
    return dict(calendar.items())
