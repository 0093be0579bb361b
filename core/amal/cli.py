"""The ``amal`` command, built on Flask's click integration.

Every command works on one instance folder (``--instance`` or ``AMAL_INSTANCE``).
Errors a person can fix are printed as ``Error: ...`` with exit status 1.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, NoAppException, ScriptInfo
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from werkzeug.serving import run_simple

from amal import backup, jobs, migrate
from amal.access import Permission, holds
from amal.accounts.models import ApiToken, Role, User
from amal.accounts.services import (
    create_token,
    create_user,
    find_role,
    normalise_username,
    remove_role,
    revoke_token,
    set_password,
)
from amal.app import create_app
from amal.audit.services import record_read
from amal.config import load_config, write_secret_key
from amal.consent.models import Consent, ConsentPurpose
from amal.consent.services import (
    DEPENDENTS,
    erase_person,
    export_person,
    outdated_consents,
    publish_notice,
    record_consents,
    renew_consents,
    withdraw_consent,
)
from amal.db import get_session, is_unavailable
from amal.demo import DEMO_PASSWORD, demo_state, load_demo
from amal.errors import AmalError, DomainError
from amal.groups.models import Group, MemberExit
from amal.groups.services import members as group_members_of
from amal.groups.services import remove_member
from amal.network.services import bodies as network_bodies
from amal.network.services import body_meetings, current_members, open_decisions
from amal.participants import importing
from amal.participants.merge import merge_records, preview_merge
from amal.participants.models import EmploymentStatus, Participant, TerritoryTransfer
from amal.participants.services import intake, update_participant, view_participant
from amal.participants.transfers import (
    accept_transfer,
    cancel_transfer,
    incoming_transfers,
    propose_transfer,
    refuse_transfer,
)
from amal.projects.services import project_progress, territory_projects
from amal.referrals.models import Referral, ReferralStatus
from amal.referrals.services import ReferralFilters, referral_overview
from amal.reports.engine import definitions as report_definitions
from amal.reports.engine import run_report, start_run
from amal.reports.outputs import export_report
from amal.reports.submissions import submit_run
from amal.runtime import service_context, state
from amal.scaffold import NewTerritory, scaffold
from amal.scale import generate
from amal.services import Context
from amal.stats import instance_counts
from amal.territories.services import sync_territories

CLI_ACTOR = "cli"
NO_SECRET_COMMANDS = frozenset({"plugins"})  # (init and territory new load no app)


class InstanceError(NoAppException):
    """The instance cannot start: a configuration problem, not a usage mistake.
    (A NoAppException, so that ``amal --help`` still lists the built-in commands.)"""

    exit_code = 1

    def show(self, file=None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


def _app_from_cli() -> Flask:
    info = click.get_current_context().find_object(ScriptInfo)
    instance = info.data.get("instance") if info else None
    click_ctx = click.get_current_context()
    # Listing the commands (help) and the plugins need no secret; the others
    # work on an initialised instance and say how to make one.
    listing = isinstance(click_ctx.command, click.Group)
    try:
        return create_app(
            instance, require_secret=not (listing or click_ctx.info_name in NO_SECRET_COMMANDS)
        )
    except AmalError as exc:
        raise InstanceError(str(exc)) from exc


def _remember_instance(ctx: click.Context, _param: click.Parameter, value: Path) -> Path:
    ctx.ensure_object(ScriptInfo).data["instance"] = value
    return value


class AmalGroup(FlaskGroup):
    """Turns AMAL's own errors into clean CLI errors instead of tracebacks."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in commands, and the instance's when it loads; a broken
        instance is reported once and makes ``--help`` exit 1."""
        names = set(click.Group.list_commands(self, ctx))
        try:
            names.update(ctx.ensure_object(ScriptInfo).load_app().cli.list_commands(ctx))
        except NoAppException as exc:
            ctx.meta["amal_instance_error"] = exc.format_message()
        return sorted(names)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_help(ctx, formatter)
        if "amal_instance_error" in ctx.meta:
            formatter.write_paragraph()
            formatter.write_text(f"Error: {ctx.meta['amal_instance_error']}")

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is None:
            return None

        def show_help(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
            if not value or ctx.resilient_parsing:
                return
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(1 if "amal_instance_error" in ctx.meta else 0)

        option.callback = show_help
        return option

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AmalError as exc:
            raise click.ClickException(str(exc)) from exc
        except DBAPIError as exc:
            if not is_unavailable(exc):
                raise
            # One line: the driver's message may span several.
            reason = " ".join(str(exc.orig).split())
            raise click.ClickException(
                f"Database unavailable or too slow ({reason}); check the database and "
                "AMAL_DATABASE_URL, then try again."
            ) from exc


@click.group(
    cls=AmalGroup,
    create_app=_app_from_cli,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    set_debug_flag=False,
)
@click.option(
    "--instance",
    envvar="AMAL_INSTANCE",
    default="instance",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    callback=_remember_instance,
    expose_value=False,
    is_eager=True,
    help="Instance folder (amal.toml, secret key, SQLite file). Env: AMAL_INSTANCE.",
)
@click.version_option(package_name="amal")
def cli() -> None:
    """AMAL: case management for Auto Mutuo Aiuto Lavoro self-help groups."""


# FlaskGroup adds --app/--env-file/--debug; AMAL instances are chosen by --instance.
cli.params = [p for p in cli.params if p.name not in {"app", "env_file", "debug"}]


def _ctx():
    return service_context(current_app, CLI_ACTOR)


# --- init ---------------------------------------------------------------------------


@cli.command("init", with_appcontext=False)
@click.option("--admin-username", default="admin", show_default=True)
@click.option("--admin-password", help="Asked for when omitted (unless --generate-password).")
@click.option(
    "--generate-password", is_flag=True, help="Generate a random admin password and print it."
)
@click.pass_context
def init_command(
    click_ctx: click.Context,
    admin_username: str,
    admin_password: str | None,
    generate_password: bool,
) -> None:
    """Create the instance: secret key, database schema, territories, first admin.

    Safe to run again: it keeps an existing secret, upgrades the schema and
    skips the admin when that user exists.
    """
    instance = click_ctx.find_object(ScriptInfo).data["instance"]
    config = load_config(instance)
    secret = write_secret_key(config.instance_path)
    click.echo(f"Secret key: {secret}")
    app = create_app(instance, create_database=True)
    with app.app_context():
        migrate.upgrade(app)
        created = sync_territories(get_session(), state(app).plugins)
        click.echo(
            f"Database at head; territories: {', '.join(state(app).plugins.territories)}"
            + (f" (new: {', '.join(created)})" if created else "")
        )
        session = get_session()
        if session.scalar(
            select(User.id).where(User.username == normalise_username(admin_username))
        ):
            click.echo(f"Admin {admin_username!r} already exists.")
            return
        if generate_password:
            admin_password = secrets.token_urlsafe(12)
        elif admin_password is None:
            if not sys.stdin.isatty():
                raise click.UsageError(
                    "No admin password: pass --admin-password or --generate-password."
                )
            admin_password = click.prompt(
                "Password for the admin", hide_input=True, confirmation_prompt=True
            )
        roles = [(code, Role.COORDINATOR) for code in state(app).plugins.territories]
        create_user(_ctx(), admin_username, admin_password, is_admin=True, roles=roles)
        click.echo(f"Admin user {admin_username!r} created.")
        if generate_password:
            click.echo(f"Generated password (shown once): {admin_password}")


# --- db -------------------------------------------------------------------------------


@cli.group("db")
def db_group() -> None:
    """Database schema migrations (core and plugin branches)."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (every branch's head by default)."""
    migrate.upgrade(current_app, revision)
    click.echo(f"Upgraded to {revision}.")


@db_group.command("downgrade")
@click.option("--revision", default="-1", show_default=True, help="'base' removes everything.")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION."""
    migrate.downgrade(current_app, revision)
    click.echo(f"Downgraded to {revision}.")


@db_group.command("current")
def db_current() -> None:
    """Show the applied revisions and whether the schema is up to date."""
    current = migrate.current_heads(current_app)
    heads = migrate.script_heads(current_app)
    click.echo(f"applied: {', '.join(sorted(current)) or '(empty database)'}")
    click.echo(f"heads:   {', '.join(sorted(heads))}")
    click.echo("up to date" if current == heads else "upgrade needed: amal db upgrade")


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option(
    "--head",
    default=f"{migrate.CORE_BRANCH}@head",
    show_default=True,
    help="Branch to extend, e.g. 'myplugin@head'.",
)
def db_revision(message: str, head: str) -> None:
    """(Developers) autogenerate a revision from the models."""
    migrate.revision(current_app, message, head)


# --- plugins --------------------------------------------------------------------------


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_command(as_json: bool) -> None:
    """List the loaded plugins with version and the hooks each implements."""
    infos = state(current_app).plugins.describe()
    if as_json:
        click.echo(json.dumps([asdict(i) for i in infos], indent=2))
        return
    for info in infos:
        kind = "built-in" if info.builtin else info.distribution
        click.echo(f"{info.name} {info.version} ({kind}, {info.module})")
        for hook in info.hooks:
            click.echo(f"    {hook}")


# --- serve ------------------------------------------------------------------------------


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug", is_flag=True, help="Reloader and debugger (never in production).")
@click.option(
    "--production",
    is_flag=True,
    help="gunicorn with the settings shipped in amal.gunicorn_conf (workers, JSON logs, "
    "graceful reload on SIGHUP).",
)
@click.option("--workers", type=click.IntRange(min=1), help="gunicorn workers (--production).")
def serve_command(host: str, port: int, debug: bool, production: bool, workers: int | None) -> None:
    """Run the web server: gunicorn with --production, else the development server."""
    if not migrate.is_up_to_date(current_app):
        raise click.ClickException("The database schema is not up to date: run 'amal db upgrade'.")
    if production:
        if debug:
            raise click.UsageError("--debug is for the development server, not --production.")
        _exec_gunicorn(host, port, workers)
    if state(current_app).config.is_production:
        click.echo(
            "Warning: this is the development server; use 'amal serve --production'.", err=True
        )
    # Flask's app.run() refuses to run under its own CLI, so call werkzeug directly.
    run_simple(
        host,
        port,
        current_app._get_current_object(),
        use_reloader=debug,
        use_debugger=debug,
        threaded=True,
    )


def _exec_gunicorn(host: str, port: int, workers: int | None) -> NoReturn:
    """Replace this process with gunicorn's master, so that signals from systemd
    or the operator (HUP: graceful reload, TERM: graceful stop) reach it."""
    env = dict(os.environ)
    env["AMAL_INSTANCE"] = str(state(current_app).config.instance_path)
    env["AMAL_BIND"] = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    if workers:
        env["AMAL_WORKERS"] = str(workers)
    argv = [sys.executable, "-m", "gunicorn", "--config", "python:amal.gunicorn_conf"]
    sys.stdout.flush()
    os.execve(sys.executable, argv, env)


@cli.command("worker")
@click.option(
    "--concurrency", default=1, show_default=True, type=click.IntRange(min=1), help="Jobs at once."
)
@click.option("--once", is_flag=True, help="Stop when the queue is empty.")
@click.option(
    "--heartbeat",
    default=lambda: float(os.environ.get("AMAL_WORKER_HEARTBEAT", "10")),
    type=click.FloatRange(min=0.1),
    help="Seconds between the worker's heartbeats [AMAL_WORKER_HEARTBEAT, 10]; a worker "
    "silent for 3 heartbeats is taken for dead and its job is performed again.",
)
def worker_command(concurrency: int, once: bool, heartbeat: float) -> None:
    """Perform background jobs (report runs) from the database queue until stopped
    (SIGTERM or Ctrl-C: the running job finishes first). Start as many as you like,
    on any machine that reaches the database."""
    if jobs.queue_kind(current_app) == "thread":
        raise click.ClickException(
            "This instance runs its jobs inside the web process (SQLite, or job_queue = "
            "'thread'): no worker is needed."
        )
    if not migrate.is_up_to_date(current_app):
        raise click.ClickException("The database schema is not up to date: run 'amal db upgrade'.")
    click.echo(f"Worker started (concurrency {concurrency}, heartbeat {heartbeat:g} s).")
    jobs.run_worker(
        current_app._get_current_object(),
        concurrency=concurrency,
        heartbeat=heartbeat,
        stalled_after=3 * heartbeat,
        wait_for_jobs=not once,
    )
    click.echo("Worker stopped.")


@cli.command("jobs")
def jobs_command() -> None:
    """The background jobs waiting, running, done and failed."""
    kind = jobs.queue_kind(current_app)
    if kind == "thread":
        click.echo("Jobs run in the web process (job_queue = thread): no queue to show.")
        return
    found = jobs.counts(current_app)
    for status in ("todo", "doing", "succeeded", "failed", "cancelled", "aborted"):
        click.echo(f"{status}: {found.get(status, 0)}")


# --- backup ------------------------------------------------------------------------------


@cli.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(file: Path) -> None:
    """Write a backup of the instance (database, stored files, manifest) to FILE."""
    manifest = backup.create_backup(current_app, file)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(
        f"Backup written to {file}: {manifest['dialect']}, schema "
        f"{', '.join(manifest['schema_revisions']) or '(none)'}, "
        f"{len(manifest['tables'])} tables, {rows} rows, {len(manifest['files'])} files."
    )


@cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask: the instance's data is replaced.")
def restore_command(file: Path, yes: bool) -> None:
    """Replace the instance's database and stored files with the backup in FILE.

    Stop the web app first. A backup of an older schema is migrated; one of a
    newer schema is refused."""
    manifest = backup.read_manifest(file)
    if not yes:
        click.confirm(
            f"Replace every record of this instance with the backup of "
            f"{manifest['created_at']} ({manifest['instance']})?",
            abort=True,
        )
    result = backup.restore_backup(current_app, file)
    rows = sum(t["rows"] for t in result.manifest["tables"].values())
    click.echo(
        f"Restored {result.tables} tables ({rows} rows, every table identical to the "
        f"backup) and {result.files} files."
    )
    if result.migrated_from is not None:
        click.echo(f"Migrated from schema {', '.join(result.migrated_from) or '(none)'} to head.")


# --- users -------------------------------------------------------------------------------


@cli.group("user")
def user_group() -> None:
    """Staff accounts."""


@user_group.command("create")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--territory", "territories", multiple=True, help="Repeatable.")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="coordinator", show_default=True
)
@click.option("--admin", is_flag=True, help="Instance admin.")
@click.option("--display-name", default="")
def user_create(
    username: str,
    password: str,
    territories: tuple[str, ...],
    role: str,
    admin: bool,
    display_name: str,
) -> None:
    """Create a staff user with ROLE in each --territory."""
    create_user(
        _ctx(),
        username,
        password,
        display_name=display_name,
        is_admin=admin,
        roles=[(t, Role(role)) for t in territories],
    )
    click.echo(f"User {username!r} created.")


@user_group.command("remove-role")
@click.argument("username")
@click.option("--territory", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
def user_remove_role(username: str, territory: str, role: str) -> None:
    """Take ROLE in --territory away from USERNAME (their other roles stay)."""
    ctx = _ctx()
    found = find_role(ctx, username, territory, Role(role))
    remove_role(ctx, found.user_id, found.id)
    click.echo(f"Role {role} in {territory} removed from {normalise_username(username)!r}.")


@user_group.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def user_set_password(username: str, password: str) -> None:
    """Reset a user's password (e.g. a lost admin password)."""
    set_password(_ctx(), username, password)
    click.echo(f"Password of {username!r} changed.")


# --- territories, demo, stats ---------------------------------------------------------------


@cli.group("territory")
def territory_group() -> None:
    """Territories hosted by this instance."""


@territory_group.command("sync")
def territory_sync() -> None:
    """Create the rows of newly enabled territories and seed their partners."""
    created = sync_territories(get_session(), state(current_app).plugins)
    click.echo(f"New territories: {', '.join(created) or 'none'}")


@cli.command("demo")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing (and succeed) when there is nothing to fill."
)
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--scale",
    type=click.IntRange(min=1),
    help="Instead: N participants with years of groups, meetings and registers, "
    "written in bulk (benchmarks; see benchmarks/bench.py).",
)
def demo_command(if_empty: bool, seed: int, scale: int | None) -> None:
    """Fill every territory without participants with realistic demo data (then
    shows the counts). One transaction per territory: an interrupted run is
    finished by running it again. Never touches an instance with real data."""
    ctx = _ctx()
    sync_territories(ctx.session, ctx.plugins)
    if scale is not None:
        _demo_at_scale(ctx, scale, seed)
        return
    pending = demo_state(ctx)
    refusal = None
    if pending.real:
        refusal = (
            f"Territories {', '.join(pending.real)} hold real participants; "
            "demo data goes into an empty instance only."
        )
    elif not pending.to_fill:
        refusal = "Demo data is loaded in every territory already."
    if refusal:
        if if_empty:
            click.echo(f"Demo data not loaded: {refusal}")
            return
        raise click.ClickException(refusal)
    if pending.demo:
        click.echo(f"Finishing an interrupted demo load (done: {', '.join(pending.demo)}).")
    with click.progressbar(
        length=len(pending.to_fill), label="Loading demo data", file=sys.stderr
    ) as bar:
        created = load_demo(ctx, seed=seed, progress=lambda _code: bar.update(1))
    for code, n in created.items():
        click.echo(f"{code}: {n} demo participants")
    click.echo(f"Demo staff accounts (facilitators) use the password {DEMO_PASSWORD!r}.")
    click.get_current_context().invoke(stats_command)


def _demo_at_scale(ctx: Context, people: int, seed: int) -> None:
    if demo_state(ctx).real:
        raise click.ClickException("Scale data goes into territories without participants only.")
    started = time.perf_counter()
    with click.progressbar(length=people, label="Participants") as bar:
        try:
            result = generate(ctx, people, seed=seed, progress=bar.update)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{result.people} participants, {result.groups} groups, {result.meetings} meetings, "
        f"{result.attendance} register lines ({result.rows} rows) "
        f"in {time.perf_counter() - started:.1f} s"
    )


@cli.group("participant")
def participant_group() -> None:
    """Participants: register and correct them (the web's intake and record
    correction), the rights of access and erasure (GDPR) as in the web, and
    transfers between the territories of this instance."""


@participant_group.command("export")
@click.argument("participant_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
def participant_export(participant_id: int, out: Path | None) -> None:
    """Everything held about one person, as JSON (the read is audited)."""
    data = json.dumps(export_person(_ctx(), participant_id), ensure_ascii=False, indent=2)
    if out is None:
        click.echo(data)
    else:
        out.write_text(data + "\n", encoding="utf-8")
        click.echo(f"Written {out}")


@participant_group.command("erase")
@click.argument("participant_id", type=int)
@click.option("--reason", required=True, help="The request's reference (audited).")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def participant_erase(participant_id: int, reason: str, yes: bool) -> None:
    """Erase a person's identity, contacts and free text; counts are kept."""
    if not yes:
        click.confirm(f"Erase the personal data of participant {participant_id}?", abort=True)
    erase_person(_ctx(), participant_id, reason)
    click.echo(f"Participant {participant_id}: personal data erased; counts kept.")


@participant_group.command("merge")
@click.argument("keep_id", type=int)
@click.argument("duplicate_id", type=int)
@click.option("--reason", required=True, help="Why the two records are the same person.")
@click.option("--as", "username", required=True, help="A coordinator of the territory.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def participant_merge(keep_id: int, duplicate_id: int, reason: str, username: str, yes: bool):
    """Merge the duplicate record DUPLICATE_ID into KEEP_ID (as the web's "Merge a
    duplicate"): its rows move, the duplicate disappears; audited as --as."""
    keep = get_session().get(Participant, keep_id)
    if keep is None:
        raise click.ClickException(f"No participant {keep_id}")
    ctx = _coordinator(username, keep.territory_code, Permission.MERGE_PARTICIPANTS)
    preview = preview_merge(ctx, keep_id, duplicate_id)
    for table, count in preview.moves.items():
        click.echo(f"  {table}: {count}")
    for name in preview.fills:
        click.echo(f"  {name}: filled from {duplicate_id}")
    if not yes:
        click.confirm(f"Merge participant {duplicate_id} into {keep_id}?", abort=True)
    moved = merge_records(ctx, keep_id, duplicate_id, reason)
    click.echo(
        f"Participant {duplicate_id} merged into {keep_id} ({sum(moved.values())} rows moved)."
    )


@territory_group.command("new", with_appcontext=False)
@click.argument("code")
@click.option("--name", required=True, help='e.g. "Provincia di Bergamo"')
@click.option("--province", required=True, help="ISO province code, e.g. BG")
@click.option("--region", default="Lombardia", show_default=True)
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Repository root holding plugins/ and territories/.",
)
def territory_new(code: str, name: str, province: str, region: str, root: Path) -> None:
    """Scaffold a territory: plugin distribution in plugins/ and instance in territories/."""
    territory = NewTerritory(code=code, name=name, province=province.upper(), region=region)
    for path in scaffold(territory, root):
        click.echo(f"created {path}")
    click.echo(
        f"\nNext: pip install -e {root / 'plugins' / territory.distribution_folder}, edit its "
        f"data files, then: amal --instance {root / 'territories' / code} init"
    )


@cli.command("stats")
@click.option("--json", "as_json", is_flag=True)
def stats_command(as_json: bool) -> None:
    """Counts of participants, groups, meetings and referrals per status."""
    counts = instance_counts(get_session())
    if as_json:
        click.echo(json.dumps(counts, indent=2, sort_keys=True))
        return
    for territory in state(current_app).plugins.territories:
        click.echo(f"[{territory}]")
        for table, per_status in counts.get(territory, {}).items():
            figures = ", ".join(f"{status}={n}" for status, n in per_status.items())
            click.echo(f"  {table}: {figures}")


@cli.group("token")
def token_group() -> None:
    """API tokens for partner systems (one territory and one role each)."""


@token_group.command("create")
@click.argument("name")
@click.option("--territory", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--days", default=90, show_default=True, type=int)
def token_create(name: str, territory: str, role: str, days: int) -> None:
    """Create a token; its secret is printed once and stored only as a hash."""
    token, secret = create_token(_ctx(), name, territory, Role(role), days)
    click.echo(
        f"Token {token.id} {name!r} for {territory} as {role}, expires {token.expires_at:%Y-%m-%d}."
    )
    click.echo(f"Secret (shown once): {secret}")


@token_group.command("list")
def token_list() -> None:
    """List tokens (never their secrets)."""
    for token in get_session().scalars(select(ApiToken).order_by(ApiToken.id)):
        state_ = "revoked" if token.revoked_at else f"expires {token.expires_at:%Y-%m-%d}"
        click.echo(f"{token.id} {token.name} {token.territory_code} {token.role.value} {state_}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    revoke_token(_ctx(), token_id)
    click.echo(f"Token {token_id} revoked.")


@cli.group("report")
def report_group() -> None:
    """Funding reports defined by the territory plugins."""


@report_group.command("list")
@click.argument("territory", required=False)
def report_list(territory: str | None) -> None:
    """List the reports of TERRITORY (or of every hosted territory)."""
    plugins = state(current_app).plugins
    for code in [territory] if territory else list(plugins.territories):
        for definition in report_definitions(plugins, code).values():
            click.echo(
                f"{code} {definition.code}: {definition.title} ({definition.funder}; "
                f"{definition.period_kind}; {', '.join(definition.formats)})"
            )


@report_group.command("run")
@click.argument("territory")
@click.argument("report")
@click.option("--period", required=True, help="2026-Q1, 2026-S2, project or 2026-01-01..2026-06-30")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx", "pdf"]),
    default="xlsx",
    show_default=True,
    help="pdf: attendance registers for signature",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def report_run(territory: str, report: str, period: str, fmt: str, out: Path) -> None:
    """Run REPORT of TERRITORY for a period, show rule violations, write the file."""
    ctx = _ctx()
    with click.progressbar(length=100, label="Computing", file=sys.stderr) as bar:
        result = run_report(
            ctx, territory, report, period, progress=lambda percent: bar.update(percent - bar.pos)
        )
        bar.update(100 - bar.pos)
    content = export_report(ctx, result, fmt)
    out.write_bytes(content)
    click.echo(f"{result.definition.title} - {result.period.label}: {out} ({len(content)} bytes)")
    for table in result.tables:
        click.echo(f"  {table.title}: {len(table.rows)} rows")
    click.echo(f"Rule violations: {len(result.violations)}")
    for violation in result.violations:
        click.echo(f"  [{violation.rule}, {violation.severity}] {violation.message}")


@participant_group.group("transfer")
def transfer_group() -> None:
    """Transfer a person: the origin's coordinator proposes, the destination's accepts.

    Each command acts as a named coordinator (--as), who must hold that role in
    the territory concerned; the steps are audited under that name."""


def _coordinator(
    username: str, territory: str, permission: Permission = Permission.TRANSFER_PARTICIPANTS
):
    """A service context acting as ``username``, a coordinator of ``territory``."""
    user = get_session().scalar(select(User).where(User.username == normalise_username(username)))
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user {username!r}")
    if not holds(user, permission, territory):
        raise click.ClickException(f"{username} is not a coordinator of {territory}")
    return service_context(current_app, username)


def _transfer(transfer_id: int) -> TerritoryTransfer:
    transfer = get_session().get(TerritoryTransfer, transfer_id)
    if transfer is None:
        raise click.ClickException(f"No transfer {transfer_id}")
    return transfer


def _show_transfer(transfer: TerritoryTransfer) -> str:
    return (
        f"Transfer {transfer.id}: participant {transfer.participant_id} "
        f"{transfer.from_territory} -> {transfer.to_territory} from "
        f"{transfer.transferred_on:%d/%m/%Y}, {transfer.status.value}"
    )


DATE = click.DateTime(formats=["%Y-%m-%d"])


@transfer_group.command("propose")
@click.argument("participant_id", type=int)
@click.option("--to", "to_territory", required=True, help="Destination territory code.")
@click.option("--reason", required=True)
@click.option("--on", "on", type=DATE, help="Day the person moves, YYYY-MM-DD (default today).")
@click.option("--as", "username", required=True, help="A coordinator of the origin territory.")
def transfer_propose(
    participant_id: int, to_territory: str, reason: str, on: datetime | None, username: str
) -> None:
    """Propose moving PARTICIPANT_ID to another territory."""
    participant = get_session().get(Participant, participant_id)
    if participant is None:
        raise click.ClickException(f"No participant {participant_id}")
    ctx = _coordinator(username, participant.territory_code)
    transfer = propose_transfer(
        ctx, participant.id, to_territory, reason, transferred_on=on.date() if on else None
    )
    click.echo(_show_transfer(transfer))


@transfer_group.command("list")
@click.argument("territory")
@click.option("--as", "username", required=True, help="A coordinator of TERRITORY.")
def transfer_list(territory: str, username: str) -> None:
    """Transfers waiting for TERRITORY's decision (the read is audited)."""
    transfers = incoming_transfers(_coordinator(username, territory), territory)
    for transfer in transfers:
        person = transfer.participant
        click.echo(f"{_show_transfer(transfer)}: {person.full_name}, {transfer.reason}")
    if not transfers:
        click.echo(f"No transfer is waiting for {territory}.")


@transfer_group.command("decide")
@click.argument("transfer_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "refuse", "cancel"]))
@click.option("--note", default="", help="Why (required to refuse).")
@click.option(
    "--as",
    "username",
    required=True,
    help="A coordinator of the destination (accept, refuse) or of the origin (cancel).",
)
def transfer_decide(transfer_id: int, decision: str, note: str, username: str) -> None:
    """Accept or refuse TRANSFER_ID (destination), or cancel it (origin)."""
    transfer = _transfer(transfer_id)
    territory = transfer.from_territory if decision == "cancel" else transfer.to_territory
    decide = {"accept": accept_transfer, "refuse": refuse_transfer, "cancel": cancel_transfer}
    done = decide[decision](
        _coordinator(username, territory), transfer.id, territory_code=territory, note=note
    )
    click.echo(_show_transfer(done))


# --- groups ---------------------------------------------------------------------------


@cli.group("group")
def group_group() -> None:
    """A group's members: list them, take one out (dropped out or moved).

    Each command acts as a named coordinator (--as) of the group's territory."""


def _group_and_manager(group_id: int, username: str) -> tuple[Group, Any]:
    group = get_session().get(Group, group_id)
    if group is None:
        raise click.ClickException(f"No group {group_id}")
    user = get_session().scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        raise click.ClickException(f"No active user {username!r}")
    if not holds(user, Permission.MANAGE_GROUPS, group.territory_code):
        raise click.ClickException(f"{username} does not manage groups in {group.territory_code}")
    return group, service_context(current_app, username)


@group_group.command("members")
@click.argument("group_id", type=int)
@click.option("--as", "username", required=True, help="A coordinator of the group's territory.")
def group_members(group_id: int, username: str) -> None:
    """The current members of GROUP_ID (the read is audited)."""
    group, ctx = _group_and_manager(group_id, username)
    people = group_members_of(ctx, group.id)
    record_read(
        ctx,
        "group",
        [p.id for p in people],
        territory_code=group.territory_code,
        entity_id=group.id,
    )
    ctx.session.commit()
    click.echo(f"Group {group.id} {group.name} ({group.status.value}): {len(people)} members")
    for person in people:
        click.echo(f"  {person.id}\t{person.full_name}\t{person.status.value}")


@group_group.command("remove")
@click.argument("group_id", type=int)
@click.argument("participant_id", type=int)
@click.option("--reason", required=True, help="Why the person leaves.")
@click.option(
    "--moved-to", "to_group_id", type=int, help="The group they move to (else: dropped out)."
)
@click.option("--on", "on", type=DATE, help="The day, YYYY-MM-DD (default today).")
@click.option(
    "--override", default="", help="Reason to move into a homogeneous group of another company."
)
@click.option("--as", "username", required=True, help="A coordinator of the group's territory.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def group_remove(
    group_id: int,
    participant_id: int,
    reason: str,
    to_group_id: int | None,
    on: datetime | None,
    override: str,
    username: str,
    yes: bool,
) -> None:
    """Take PARTICIPANT_ID out of GROUP_ID: dropped out, or moved to another group."""
    group, ctx = _group_and_manager(group_id, username)
    where = f"moves to group {to_group_id}" if to_group_id else "leaves the group"
    if not yes:
        click.confirm(f"Participant {participant_id} {where} ({group.name}): confirm?", abort=True)
    remove_member(
        ctx,
        group.id,
        participant_id,
        reason,
        ended_on=on.date() if on else None,
        outcome=MemberExit.MOVED if to_group_id else MemberExit.DROPPED_OUT,
        to_group_id=to_group_id,
        homogeneity_override=override,
    )
    participant = get_session().get(Participant, participant_id)
    click.echo(f"Participant {participant_id} {where}; now {participant.status.value}.")


# --- participants and consent -------------------------------------------------------

# Record fields the CLI can set (the same normalisation as web and API, in the service).
PERSON_OPTIONS = (
    ("first_name", str),
    ("last_name", str),
    ("fiscal_code", str),
    ("birth_date", click.DateTime(["%Y-%m-%d", "%d/%m/%Y"])),
    ("gender", click.Choice(["F", "M", "X"])),
    ("email", str),
    ("phone", str),
    ("municipality", str),
    ("last_employer", str),
    ("sector", str),
    ("months_out_of_work", int),
    ("employment_status", click.Choice([e.value for e in EmploymentStatus])),
    ("needs", str),
)
DAY = click.DateTime(["%Y-%m-%d", "%d/%m/%Y"])


def _person_options(command):
    for name, kind in reversed(PERSON_OPTIONS):
        command = click.option(f"--{name.replace('_', '-')}", name, type=kind)(command)
    command = click.option(
        "--identity-override",
        "identity_override",
        help="Reason to keep a fiscal code that contradicts the birth date or sex (audited).",
    )(command)
    return click.option(
        "--no-fiscal-code", is_flag=True, help="The person has no fiscal code (stored as none)."
    )(command)


def _person_fields(options: dict[str, Any]) -> dict[str, Any]:
    fields = {k: v for k, v in options.items() if v is not None and k != "no_fiscal_code"}
    if "birth_date" in fields:
        fields["birth_date"] = fields["birth_date"].date()
    if options.get("no_fiscal_code"):
        if "fiscal_code" in fields:
            raise click.UsageError("Give --fiscal-code or --no-fiscal-code, not both.")
        fields["fiscal_code"] = None
    return fields


def _show_person(participant: Participant) -> None:
    click.echo(
        f"{participant.id} {participant.full_name} [{participant.territory_code}, "
        f"{participant.status.value}] fiscal code: {participant.fiscal_code or 'none'}"
        f"{f', e-mail: {participant.email}' if participant.email else ''}"
        f"{f', phone: {participant.phone}' if participant.phone else ''}"
    )


# (The ``participant`` group is defined above: one group, every participant command.)


@participant_group.command("add")
@click.argument("territory")
@_person_options
@click.option(
    "--consent",
    "consents",
    multiple=True,
    type=click.Choice([p.value for p in ConsentPurpose]),
    help="A consent given (processing is required); repeat for each.",
)
def participant_add(territory: str, consents: tuple[str, ...], **options: Any) -> None:
    """Register a candidate in TERRITORY with the consents they signed."""
    participant = intake(_ctx(), territory, list(consents), **_person_fields(options))
    _show_person(participant)


@participant_group.command("import")
@click.argument("territory")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only check every row; save nothing.")
def participant_import(territory: str, file: Path, check: bool) -> None:
    """Register the candidates of a CSV or XLSX FILE (as the web's import): every
    row is checked, and nothing is saved unless every row is right."""
    ctx = _ctx()
    content = file.read_bytes()
    report = importing.preview(ctx, territory, file.name, content)
    for row in report.rows:
        if row.errors:
            click.echo(f"row {row.number} ({row.name or '-'}): {'; '.join(row.errors)}", err=True)
    if report.unknown_columns:
        click.echo(f"columns ignored: {', '.join(report.unknown_columns)}")
    if not report.ok:
        raise click.ClickException(
            f"{report.errors} of {len(report.rows)} rows have problems: nothing imported"
        )
    if check:
        click.echo(f"All {len(report.rows)} rows are right (nothing saved: --check).")
        return
    done = importing.import_file(ctx, territory, file.name, content)
    click.echo(f"Imported {len(done.rows)} candidates into {territory}.")


@participant_group.command("edit")
@click.argument("participant_id", type=int)
@_person_options
def participant_edit(participant_id: int, **options: Any) -> None:
    """Correct fields of a participant's record (each change goes to its history)."""
    fields = _person_fields(options)
    if not fields:
        raise click.UsageError("Nothing to change: give at least one field option.")
    _show_person(update_participant(_ctx(), participant_id, **fields))


@cli.group("referral")
def referral_group() -> None:
    """Referrals to the territory's employment services (as the web's Referrals page)."""


@referral_group.command("list")
@click.argument("territory")
@click.option("--status", type=click.Choice([s.value for s in ReferralStatus]))
@click.option("--service", default="", help="A catalogue service code.")
@click.option("--operator", default="", help="The operator's name, as in the catalogue.")
@click.option(
    "--waiting", type=click.IntRange(min=0), help="Open for more than N days in their state."
)
def referral_list(
    territory: str, status: str | None, service: str, operator: str, waiting: int | None
) -> None:
    """TERRITORY's referrals: with whom, since when, days in each state (the read is audited)."""
    ctx = _ctx()
    ctx.plugins.territory(territory)
    filters = ReferralFilters(
        status=ReferralStatus(status) if status else None,
        service=service,
        operator=operator,
        waiting_more_than=waiting,
    )
    scope = select(Referral).where(
        Referral.participant_id.in_(
            select(Participant.id).where(Participant.territory_code == territory)
        )
    )
    lines = referral_overview(ctx, scope, filters)
    record_read(
        ctx,
        "referral_list",
        [line.referral.participant_id for line in lines],
        territory_code=territory,
        query=filters.describe(),
    )
    for line in lines:
        r = line.referral
        spans = ", ".join(f"{s.value} {days}d" for s, days in line.time_in_states)
        waiting_for = f", waiting {line.waiting_days}d" if line.waiting_days is not None else ""
        since = f" since {line.since:%d/%m/%Y}" if line.since else ""
        click.echo(
            f"{r.id} {r.participant.full_name}: {r.service_title} ({r.operator or '-'}) "
            f"{r.status.value}{since}{waiting_for} [{spans}]"
        )
    click.echo(f"{len(lines)} referrals.")


@cli.group("consent")
def consent_group() -> None:
    """A participant's consents: list, add, withdraw, renew on a new notice."""


@consent_group.command("list")
@click.argument("participant_id", type=int)
def consent_list(participant_id: int) -> None:
    """The consent history of a participant, per purpose (the read is audited)."""
    ctx = _ctx()
    participant = view_participant(ctx, participant_id)
    rows = ctx.session.scalars(
        select(Consent)
        .where(Consent.participant_id == participant.id)
        .order_by(Consent.purpose, Consent.id)
    )
    for c in rows:
        end = (
            f"withdrawn {c.withdrawn_on:%d/%m/%Y}: {c.withdrawal_reason}"
            if c.withdrawn_on
            else f"replaced {c.superseded_on:%d/%m/%Y}"
            if c.superseded_on
            else "in force"
        )
        click.echo(
            f"{c.purpose.value}: given {c.granted_on:%d/%m/%Y} (notice {c.notice.version}), {end}"
        )


@consent_group.command("add")
@click.argument("participant_id", type=int)
@click.argument(
    "purposes", nargs=-1, required=True, type=click.Choice([p.value for p in ConsentPurpose])
)
@click.option("--on", type=DAY, help="Day signed (default today).")
def consent_add(participant_id: int, purposes: tuple[str, ...], on: Any) -> None:
    """Record consent to PURPOSES on the territory's current notice."""
    added = record_consents(_ctx(), participant_id, purposes, granted_on=on.date() if on else None)
    click.echo(f"Recorded: {', '.join(c.purpose.value for c in added) or 'nothing new'}.")


@consent_group.command("withdraw")
@click.argument("participant_id", type=int)
@click.argument("purpose", type=click.Choice([p.value for p in ConsentPurpose]))
@click.option("--reason", required=True)
@click.option("--on", type=DAY, help="Day of the withdrawal (default today).")
def consent_withdraw(participant_id: int, purpose: str, reason: str, on: Any) -> None:
    """Withdraw consent to PURPOSE: what depends on it stops from that day."""
    consent = withdraw_consent(
        _ctx(), participant_id, purpose, reason=reason, withdrawn_on=on.date() if on else None
    )
    stopped = ", ".join(DEPENDENTS[consent.purpose])
    click.echo(f"Withdrawn {purpose} from {consent.withdrawn_on:%d/%m/%Y}; stopped: {stopped}.")


@consent_group.command("renew")
@click.argument("participant_id", type=int)
@click.option("--on", type=DAY, help="Day the current notice was signed (default today).")
def consent_renew(participant_id: int, on: Any) -> None:
    """Re-consent on the current privacy notice (old consents stay in the history)."""
    renewed = renew_consents(_ctx(), participant_id, on=on.date() if on else None)
    click.echo(f"Renewed on notice {renewed[0].notice.version}: {len(renewed)} consents.")


@consent_group.command("notice")
@click.argument("territory")
@click.argument("version")
@click.option("--text-file", type=click.File(encoding="utf-8"), required=True)
def consent_notice(territory: str, version: str, text_file: Any) -> None:
    """Publish VERSION of TERRITORY's privacy notice (new consents refer to it)."""
    ctx = _ctx()
    publish_notice(ctx, territory, version, text_file.read())
    flagged = len(outdated_consents(ctx.session, territory))
    click.echo(f"Notice {version} published; {flagged} people to ask for a re-consent.")


@consent_group.command("outdated")
@click.argument("territory")
def consent_outdated(territory: str) -> None:
    """People of TERRITORY whose consent is on an older privacy notice."""
    ctx = _ctx()
    flagged = outdated_consents(ctx.session, territory)
    record_read(ctx, "reconsent_list", [p.id for p in flagged], territory_code=territory)
    for person, consents in flagged.items():
        versions = ", ".join(sorted({c.notice.version for c in consents}))
        click.echo(f"{person.id} {person.full_name}: notice {versions}")
    click.echo(f"{len(flagged)} to renew.")


def main() -> None:
    cli.main(prog_name="amal")


@report_group.command("submit")
@click.argument("territory")
@click.argument("report")
@click.option("--period", required=True, help="As for `amal report run`")
@click.option(
    "--justify",
    "justifications",
    multiple=True,
    metavar="KEY=TEXT",
    help="Justification of a blocking violation (its key is printed when refused). Repeatable.",
)
def report_submit(
    territory: str, report: str, period: str, justifications: tuple[str, ...]
) -> None:
    """Run REPORT now and submit it to the funder; refused while a blocking
    violation has no justification."""
    texts = dict(j.split("=", 1) for j in justifications if "=" in j)
    ctx = _ctx()
    run = start_run(ctx, territory, report, period)
    if run.status != "done":
        raise click.ClickException(run.error)
    try:
        submission = submit_run(ctx, territory, run.id, texts)
    except DomainError as exc:
        for key in exc.details.get("violations", []):
            click.echo(f"  blocking: {key}", err=True)
        raise
    click.echo(
        f"Submitted {report} {period} (submission {submission.id}), SHA-256 {submission.sha256}"
    )


@cli.group("project")
def project_group() -> None:
    """Projects: dates, funders and targets (edited in the web or the API)."""


@project_group.command("list")
@click.argument("territory", required=False)
def project_list(territory: str | None) -> None:
    """List the projects of TERRITORY (or of every hosted territory) with their progress."""
    ctx = _ctx()
    for code in [territory] if territory else list(ctx.plugins.territories):
        for project in territory_projects(ctx.session, code):
            progress = project_progress(ctx.session, project)
            funders = ", ".join(f.name for f in project.funders) or "-"
            click.echo(
                f"{code} {project.code}: {project.title} "
                f"({project.start_on:%d/%m/%Y}-{project.end_on:%d/%m/%Y}; {funders})"
            )
            names = {"groups": "groups", "people": "people", "meetings": "group meetings held"}
            for key, actual, target in progress.summary:
                click.echo(f"  {names[key]}: {actual:g} of {target:g}")


@cli.group("network")
def network_group() -> None:
    """The network coordination group of each project (kept in the web or the API)."""


@network_group.command("list")
@click.argument("territory", required=False)
def network_list(territory: str | None) -> None:
    """Each project's coordination group in TERRITORY (or every hosted territory):
    organisations at the table, meetings with how many organisations came, open
    decisions (counted: their text is read in the web or the API, audited)."""
    ctx = _ctx()
    for code in [territory] if territory else list(ctx.plugins.territories):
        ctx.plugins.territory(code)
        for project, body in network_bodies(ctx.session, code):
            if body is None:
                click.echo(f"{code} {project.code}: no coordination group yet")
                continue
            members = [m for m in current_members(ctx.session, body.id) if m.left_on is None]
            click.echo(f"{code} {project.code}: {body.name}")
            click.echo(f"  at the table: {', '.join(m.partner.name for m in members) or '-'}")
            for _, meeting, present in reversed(body_meetings(ctx.session, body.id)):
                count = f", {present} organisations" if meeting.status.value == "held" else ""
                click.echo(f"  {meeting.scheduled_on:%d/%m/%Y} {meeting.status.value}{count}")
            click.echo(f"  open decisions: {len(open_decisions(ctx.session, body.id))}")
