"""The AMAL hook specification: the contract between the core and plugins.

This module is the manual for partner IT. A plugin is a module (or object) whose
functions are decorated with :data:`amal.plugins.hookimpl` and named after the
hooks below. It is shipped as its own Python distribution and registered under
the entry-point group ``amal``::

    # pyproject.toml of the plugin
    [project.entry-points.amal]
    lecco = "amal_lecco.plugin"

An instance enables it by the entry-point name in its ``amal.toml``
(``plugins = ["lecco"]``). At start-up the core refuses — with a message that
names the plugin — a plugin that is enabled but not installed, a function
marked ``@hookimpl`` whose name is not a hook listed here, and an
implementation that asks for an argument the hook does not pass. An
implementation may take any subset of a hook's arguments, in any order.

Hooks that ask about one territory receive its :class:`TerritoryDefinition`.
One instance can host several territories, so a territory plugin answers only
for its own codes and returns ``None`` for the others.

Every hook has a default in the core (``amal.plugins.defaults``): a territory
plugin with nothing but ``amal_territories`` works.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from flask import Blueprint, Flask

    from amal.plugins.definitions import (
        GroupPolicy,
        NavigationEntry,
        PartnerDefinition,
        PersonalTable,
        ProjectDefinition,
        ReportDefinition,
        RuleCheck,
        ServiceDefinition,
        TerritoryDefinition,
    )

hookspec = pluggy.HookspecMarker("amal")


# --- Territory ------------------------------------------------------------------


@hookspec
def amal_territories() -> list[TerritoryDefinition]:
    """Return the territories this plugin defines.

    Called once at start-up. Every code must be unique across enabled plugins;
    the instance's ``territories`` setting picks which of them it hosts.

    Example::

        @hookimpl
        def amal_territories():
            return [TerritoryDefinition(code="lecco", name="Lecco - Valmadrera",
                                        region="Lombardia", province="LC")]
    """


@hookspec
def amal_holidays(territory: TerritoryDefinition, years: list[int]) -> dict[date, str] | None:
    """Return extra non-working days for ``territory`` in ``years``.

    Called when a meeting plan is generated. The results of all plugins are
    merged with the core's calendar (Italian national holidays and the patron
    saint of the province capital, from the ``holidays`` package). Meetings
    falling on any of these dates move to the next week's same weekday.

    Example (a town's own patron saint)::

        @hookimpl
        def amal_holidays(territory, years):
            if territory.code == "lecco":
                return {date(y, 8, 4): "Patrono di Valmadrera" for y in years}
    """


# --- Partners, policy, eligibility, services --------------------------------------


@hookspec
def amal_partners(territory: TerritoryDefinition) -> list[PartnerDefinition] | None:
    """Return the partners of ``territory``'s project (funder, lead, unions...).

    Called when a territory is set up (``amal init``, ``amal demo``, ``amal
    territory sync``). The answer seeds the partners directory; after that the
    database is the reference and coordinators edit it (Partners page). How a
    later plugin update merges: a partner whose name the directory has never
    seen (matched on the name the plugin first gave it, so a renamed partner is
    recognised) is added with its representatives; partners already there keep
    the coordinators' edits; partners dropped from the plugin stay.

    Example::

        @hookimpl
        def amal_partners(territory):
            if territory.code == "lecco":
                return [PartnerDefinition("Comune di Valmadrera", PartnerRole.FUNDER)]
    """


@hookspec(firstresult=True)
def amal_group_policy(territory: TerritoryDefinition) -> GroupPolicy | None:
    """Return how groups are run in ``territory``; the first non-None answer wins.

    Called when a group is created (its size bounds and meeting plan are copied
    from the policy then, so later policy changes do not alter running groups),
    and for the follow-up schedule: ``follow_up_months`` are the months after a
    person's end outcome at which their situation is asked again (each answer
    is kept; the dashboard lists the follow-ups due), and for the absence alert:
    the dashboard lists the members of running groups absent at their group's
    last ``absence_alert`` held meetings in a row.
    Fields: ``min_size``, ``max_size``, ``meetings``, ``max_meetings``,
    ``cadence_days``, ``meeting_minutes``, ``opening_info_meeting``,
    ``follow_up_months``, ``absence_alert``, ``minimum_age`` (the youngest a
    person registered may be: an earlier birth date is refused), ``reopen_days``
    (how long after its conclusion a coordinator may reopen a group concluded by
    mistake).
    Default: 10-15 people, 16 meetings every 14 days, 2 hours each; follow-ups
    at 3, 6 and 12 months; an alert after 3 meetings missed in a row; minimum
    age 16; reopening within 30 days.

    Example::

        @hookimpl
        def amal_group_policy(territory):
            if territory.code == "monza-brianza":
                return GroupPolicy(meetings=16, max_meetings=18, follow_up_months=(3, 6, 12))
    """


@hookspec
def amal_eligibility_problems(participant: Any, territory: TerritoryDefinition) -> list[str] | None:
    """Return the reasons why ``participant`` cannot be admitted (empty: none).

    Called on the ``screened → admitted`` transition, after the core's own
    checks (consent to processing, adult age, not in work). The reasons of all
    plugins are collected; any reason blocks admission and is shown to the
    coordinator. ``participant`` is the :class:`amal.participants.models.Participant`.

    Example::

        @hookimpl
        def amal_eligibility_problems(participant, territory):
            if territory.code == "lecco" and not participant.municipality:
                return ["Comune di residenza mancante"]
    """


@hookspec
def amal_service_catalogue(territory: TerritoryDefinition) -> list[ServiceDefinition] | None:
    """Return the regional employment services (Dote Lavoro / GOL) offered in ``territory``.

    Called when a referral is proposed and when the catalogue is shown. Each
    service carries the address of its public page. Keep it in a data file of
    the plugin so the territory can correct it without code changes.
    """


@hookspec
def amal_report_definitions(territory: TerritoryDefinition) -> list[ReportDefinition] | None:
    """Return the funding reports owed by ``territory`` (funder, period, indicators).

    Called when the reports page or ``amal report`` lists what can be run.
    A definition's ``rules`` picks the rule checks run before submission (by
    name, from the core's defaults and ``amal_rule_checks``); ``None``: all.
    """


@hookspec
def amal_rule_checks(territory: TerritoryDefinition) -> list[RuleCheck] | None:
    """Return ``territory``'s own rule checks, drawn from its funders' practice.

    Called whenever rules run (report runs, submission, the dashboard). Each
    :class:`RuleCheck` has a unique ``name``, an Italian ``title``, a
    ``severity`` (``blocking``: submission is refused unless each violation gets
    a written justification; ``warning``: shown only) and ``check(window)``
    returning :class:`amal.reports.rules.Violation` objects for the
    ``window.period``. The core's four rules come first; a plugin rule with the
    same name as a core rule replaces it (e.g. to lower its severity).

    Example::

        @hookimpl
        def amal_rule_checks(territory):
            if territory.code == "lecco":
                return [RuleCheck("info_meeting_first", "Incontro informativo prima del gruppo",
                                  info_meeting_first, Severity.BLOCKING)]
    """


@hookspec
def amal_projects(territory: TerritoryDefinition) -> list[ProjectDefinition] | None:
    """Return the projects funded in ``territory``: dates, funders, targets.

    Called when a territory is set up or synchronised (``amal init``, ``amal
    demo``, ``amal territory sync``): a project whose code is not yet in the
    database is created; existing ones are left alone, because coordinators edit
    them in the web and API. ``funders`` name partners of the territory. Targets:
    groups, people per group (min/max), meetings per group, cycle length in
    months, people reached, plus ``extra_targets`` (:class:`ProjectTarget`).
    New groups join the territory's current project (the one running today).

    Example::

        @hookimpl
        def amal_projects(territory):
            if territory.code == "monza-brianza":
                return [ProjectDefinition("pilota", "Progetto pilota AMAL",
                                          date(2026, 1, 1), date(2027, 6, 30),
                                          funders=("Provincia di Monza e Brianza",),
                                          target_groups=6)]
    """


@hookspec
def amal_indicators() -> dict[str, Any] | None:
    """Return report indicators of the plugin's own, by name (e.g. figures about
    the plugin's tables), for report definitions to ask for.

    Called once at start-up (report definitions are checked against the core's
    indicators plus these) and when a report runs. Build each with
    :func:`amal.reports.indicators.make_indicator`: a function of a
    :class:`~amal.reports.indicators.Scope` (session, territory, period, report)
    returning rows of aggregates, never names. A name already used by the core or
    another plugin stops start-up. Prefix names with the plugin's.

    Example::

        @hookimpl
        def amal_indicators():
            @make_indicator("lecco_sportello_contacts", "Contatti allo sportello",
                            "Esito", "Contatti")
            def contacts(scope):
                return [("informazioni", 12), ("candidato registrato", 4)]
            return {contacts.name: contacts}
    """


@hookspec
def amal_personal_data() -> list[PersonalTable] | None:
    """Return where this plugin's tables hold participants' personal data.

    Called when a person's data is exported (GDPR art. 15) or erased (art. 17),
    and by the core's test that every free-text column of every table is
    classified (``tests/test_personal_data.py``): a plugin table with a String
    or Text column that no :class:`PersonalTable` declares fails it. Declare
    each table once, every free-text column of it in one of ``owned`` (rows
    belonging to one participant, found through ``owner``: exported with them,
    replaced by the given value on erasure), ``shared`` (notes that may name a
    participant: searched in the territories the person belonged to, exported
    where they mention them, the mentions redacted) or ``not_personal`` (with
    why). Checked at start-up: a table declared by two plugins, or a table or
    column that does not exist, stops it with a :class:`~amal.errors.PluginError`.

    Example (a help-desk contact that became a participant's intake)::

        @hookimpl
        def amal_personal_data():
            return [
                PersonalTable(
                    "lecco_sportello_contact",
                    owned={"first_name": "—", "last_name": "[cancellato]", "phone": ""},
                    owner="participant_id",
                    not_personal={"recorded_by": "a staff username"},
                )
            ]
    """


# --- Lifecycle events -------------------------------------------------------------


@hookspec
def amal_participant_status_changed(participant: Any, change: Any) -> None:
    """Called after a participant's status changed, inside the same transaction.

    ``change`` is the :class:`amal.participants.models.StatusChange` just
    recorded (``from_status``, ``to_status``, ``reason``, ``changed_by``). Raising
    an exception aborts the transition: keep slow work (e-mail, HTTP) out of it
    and queue it instead. Return value is ignored.
    """


@hookspec
def amal_group_status_changed(group: Any, change: Any) -> None:
    """Called after a group's status changed (e.g. ``active → concluded``),
    inside the same transaction. Same rules as ``amal_participant_status_changed``."""


# --- Web, CLI, storage -----------------------------------------------------------


@hookspec
def amal_blueprints(app: Flask) -> list[Blueprint] | None:
    """Return Flask blueprints to register on the staff web app.

    Called once by the app factory. Prefix URLs and template folders with the
    plugin's name so they cannot clash with the core's.
    """


@hookspec
def amal_api_blueprints(api: Any) -> list[Any] | None:
    """Return flask-smorest blueprints to add to the JSON API (``/api/v1``).

    Called once by the app factory, after the core's API. ``api`` is the
    ``flask_smorest.Api``; the blueprints' schemas and routes appear in the same
    OpenAPI document. Build them with :func:`amal.api.api_blueprint` so that
    token authentication, the territory in the URL and problem+json errors work
    as in the core; declare permissions with :func:`amal.access.requires`.

    Example::

        @hookimpl
        def amal_api_blueprints(api):
            bp = api_blueprint("lecco_sportello", __name__, "/sportello", "Sportello")
            ...
            return [bp]
    """


@hookspec
def amal_navigation(territory: TerritoryDefinition) -> list[NavigationEntry] | None:
    """Return menu entries to show to staff of ``territory`` (e.g. a plugin page).

    Called when a staff page is rendered; entries with ``roles`` are shown only
    to users holding one of them in that territory.

    Example::

        @hookimpl
        def amal_navigation(territory):
            if territory.code == "lecco":
                return [NavigationEntry("amal_lecco.sportello", "Sportello")]
    """


@hookspec
def amal_cli_commands() -> list[click.Command] | None:
    """Return click commands to add under ``amal``. Called once at start-up.

    Example::

        @hookimpl
        def amal_cli_commands():
            @click.command("lecco-export")
            def export(): ...
            return [export]
    """


@hookspec
def amal_migration_locations() -> list[Path] | None:
    """Return folders holding this plugin's Alembic revisions.

    Called by every ``amal db`` command (and ``amal init``) to build Alembic's
    ``version_locations``.

    A plugin with tables keeps its own migration branch: its first revision has
    ``down_revision = None``, ``branch_labels = ("<plugin>",)`` and
    ``depends_on = "amal_core"``. ``amal db upgrade`` applies every branch.
    Models subclass :class:`amal.db.Base` with table names prefixed by the plugin.
    """
