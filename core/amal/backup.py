"""Backup and restore of an instance: ``amal backup FILE`` / ``amal restore FILE``.

A backup is one ``.tar.gz`` holding

- ``database.sqlite`` (SQLite's online backup API: consistent while the app
  runs) or ``database.pgdump`` (``pg_dump --format=custom`` of the instance's
  schema, restored with ``pg_restore``);
- ``files/``: the instance's stored files (``<instance>/files``: report files,
  uploads), when it has any;
- ``manifest.json``: schema revisions, AMAL and plugin versions, every table's
  row count and content hash, every file's hash.

Restore refuses a backup of a newer schema (revisions this AMAL does not know),
checks every table against the manifest, then migrates an older schema to the
current heads. The secret key is not in the backup (keep it apart, with the
instance's ``amal.toml``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, MetaData, select, text
from sqlalchemy.engine import make_url

from amal import migrate
from amal.errors import AmalError
from amal.runtime import state

FORMAT = 1
FILES_DIR = "files"


class BackupError(AmalError):
    """A backup that cannot be made or restored; the message is for the operator."""


@dataclass(frozen=True)
class RestoreResult:
    manifest: dict[str, Any]
    migrated_from: list[str] | None  # revisions before upgrading an older backup
    tables: int
    files: int


# --- fingerprints -------------------------------------------------------------------


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def table_fingerprints(engine: Engine) -> dict[str, dict[str, Any]]:
    """``{table: {"rows": n, "sha256": hash}}`` for every table of the database
    (plugins' and Alembic's too). Rows are hashed in primary-key order, so two
    databases of the same kind with the same content have the same hashes."""
    metadata = MetaData()
    metadata.reflect(engine)
    found = {}
    with engine.connect() as connection:
        for name, table in sorted(metadata.tables.items()):
            order = list(table.primary_key.columns) or list(table.columns)
            digest = hashlib.sha256()
            rows = 0
            for row in connection.execute(select(table).order_by(*order)):
                digest.update(json.dumps([repr(v) for v in row]).encode())
                digest.update(b"\n")
                rows += 1
            found[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return found


def _applied_revisions(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        if not engine.dialect.has_table(connection, "alembic_version"):
            return []
        return sorted(connection.scalars(text("SELECT version_num FROM alembic_version")))


def _files_dir(app: Flask) -> Path:
    return state(app).config.instance_path / FILES_DIR


# --- PostgreSQL ---------------------------------------------------------------------


def _pg_target(engine: Engine) -> tuple[list[str], dict[str, str], str]:
    """libpq arguments, environment (password) and the schema AMAL uses."""
    url = make_url(engine.url)
    args = ["--dbname", url.database or "", "--host", url.host or "localhost"]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    with engine.connect() as connection:
        schema = connection.scalar(text("SELECT current_schema()"))
    return args, env, schema


def _run_pg(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed (Debian: apt-get install postgresql-client)"
        )
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


# --- backup -------------------------------------------------------------------------


def create_backup(app: Flask, target: Path) -> dict[str, Any]:
    """Write the backup of ``app``'s instance to ``target``; returns its manifest."""
    amal = state(app)
    engine = amal.engine
    with tempfile.TemporaryDirectory(prefix="amal-backup-") as work_dir:
        work = Path(work_dir)
        if engine.dialect.name == "sqlite":
            dump = work / "database.sqlite"
            source = sqlite3.connect(str(make_url(engine.url).database))
            destination = sqlite3.connect(dump)
            with destination:
                source.backup(destination)
            source.close()
            destination.close()
        elif engine.dialect.name == "postgresql":
            dump = work / "database.pgdump"
            args, env, schema = _pg_target(engine)
            _run_pg(
                ["pg_dump", *args, "--format=custom", f"--schema={schema}", "--file", str(dump)],
                env,
            )
        else:
            raise BackupError(f"backups of {engine.dialect.name} databases are not supported")

        # Taken after the dump: on a busy database the figures may be newer than
        # the dump; restore checks the restored tables against them all the same,
        # so take backups of a quiet instance (or of a stopped one).
        files = {}
        source_files = _files_dir(app)
        if source_files.is_dir():
            for path in sorted(p for p in source_files.rglob("*") if p.is_file()):
                files[path.relative_to(source_files).as_posix()] = _sha256_file(path)
        manifest = {
            "format": FORMAT,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "instance": amal.config.name,
            "dialect": engine.dialect.name,
            "schema": _pg_target(engine)[2] if engine.dialect.name == "postgresql" else None,
            "database_file": dump.name,
            "database_sha256": _sha256_file(dump),
            "schema_revisions": _applied_revisions(engine),
            "versions": {p.name: p.version for p in amal.plugins.describe()},
            "tables": table_fingerprints(engine),
            "files": files,
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", "manifest.json")
            archive.add(dump, dump.name)
            for name in files:
                archive.add(source_files / name, f"{FILES_DIR}/{name}")
        partial.replace(target)  # never a half-written backup under the real name
    return manifest


# --- restore ------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        with tarfile.open(source, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest = json.load(member)
    except (OSError, tarfile.TarError, KeyError, ValueError) as exc:
        raise BackupError(f"{source} is not an AMAL backup ({exc})") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')} is not supported")
    return manifest


def _check_revisions(app: Flask, revisions: list[str]) -> bool:
    """True when the backup is older than this AMAL (needs migrating); refuses a
    backup of a newer schema."""
    from alembic.script import ScriptDirectory  # as amal.migrate: not at every start

    script = ScriptDirectory.from_config(migrate.alembic_config(app))
    known = {r.revision for r in script.walk_revisions()}
    unknown = [r for r in revisions if r not in known]
    if unknown:
        raise BackupError(
            f"The backup's database schema ({', '.join(unknown)}) is newer than this AMAL "
            "knows: install the AMAL version that made it (or a later one), then restore."
        )
    return set(revisions) != set(script.get_heads())


def restore_backup(app: Flask, source: Path) -> RestoreResult:
    """Replace the instance's database (and stored files) with the backup's."""
    manifest = read_manifest(source)
    engine = state(app).engine
    if manifest["dialect"] != engine.dialect.name:
        raise BackupError(
            f"The backup is of a {manifest['dialect']} database; this instance uses "
            f"{engine.dialect.name}."
        )
    needs_migration = _check_revisions(app, manifest["schema_revisions"])
    with tempfile.TemporaryDirectory(prefix="amal-restore-") as work_dir:
        work = Path(work_dir)
        with tarfile.open(source, "r:gz") as archive:
            archive.extractall(work, filter="data")
        dump = work / manifest["database_file"]
        if _sha256_file(dump) != manifest["database_sha256"]:
            raise BackupError(f"{source}: the database dump does not match its manifest hash")
        for name, digest in manifest["files"].items():
            if _sha256_file(work / FILES_DIR / name) != digest:
                raise BackupError(f"{source}: file {name} does not match its manifest hash")

        engine.dispose()
        if engine.dialect.name == "sqlite":
            source_db = sqlite3.connect(dump)
            target_db = sqlite3.connect(str(make_url(engine.url).database))
            with target_db:
                source_db.backup(target_db)
            source_db.close()
            target_db.close()
        else:
            args, env, schema = _pg_target(engine)
            if schema != manifest["schema"]:
                raise BackupError(
                    f"The backup is of schema {manifest['schema']!r}; this instance uses "
                    f"{schema!r}."
                )
            _restore_pg(engine, schema, dump, args, env, work)
        engine.dispose()

        restored = table_fingerprints(engine)
        if restored != manifest["tables"]:
            differing = sorted(
                name
                for name in set(restored) | set(manifest["tables"])
                if restored.get(name) != manifest["tables"].get(name)
            )
            raise BackupError(f"Restored tables differ from the backup: {', '.join(differing)}")

        target_files = _files_dir(app)
        if manifest["files"]:
            if target_files.exists():
                shutil.rmtree(target_files)
            shutil.copytree(work / FILES_DIR, target_files)

    migrated_from = None
    if needs_migration:
        migrated_from = manifest["schema_revisions"]
        migrate.upgrade(app)
    return RestoreResult(
        manifest=manifest,
        migrated_from=migrated_from,
        tables=len(restored),
        files=len(manifest["files"]),
    )


def _drop_schema_objects(engine: Engine, schema: str) -> None:
    """Empty the instance's schema; pg_restore then recreates every object.
    (Dropping the schema itself would need rights an application role rarely has.)"""
    with engine.begin() as connection:
        tables = connection.scalars(
            text("SELECT tablename FROM pg_tables WHERE schemaname = :s"), {"s": schema}
        ).all()
        if tables:
            names = ", ".join(f'"{schema}"."{t}"' for t in tables)
            connection.execute(text(f"DROP TABLE {names} CASCADE"))
        for sequence in connection.scalars(
            text(
                "SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = :s"
            ),
            {"s": schema},
        ).all():
            connection.execute(text(f'DROP SEQUENCE "{schema}"."{sequence}"'))
        # the job queue's functions and types (procrastinate's, on PostgreSQL)
        for function in connection.scalars(
            text(
                "SELECT format('%I.%I(%s)', n.nspname, p.proname, "
                "pg_get_function_identity_arguments(p.oid)) FROM pg_proc p "
                "JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = :s"
            ),
            {"s": schema},
        ).all():
            connection.execute(text(f"DROP FUNCTION IF EXISTS {function} CASCADE"))
        for kind in connection.scalars(
            text(
                "SELECT format('%I.%I', n.nspname, t.typname) FROM pg_type t "
                "JOIN pg_namespace n ON n.oid = t.typnamespace "
                "WHERE n.nspname = :s AND t.typtype IN ('e', 'c')"
            ),
            {"s": schema},
        ).all():
            connection.execute(text(f"DROP TYPE IF EXISTS {kind} CASCADE"))


def _restore_pg(
    engine: Engine, schema: str, dump: Path, args: list[str], env: dict[str, str], work: Path
) -> None:
    """Empty the schema and pg_restore everything but the schema itself (it
    exists, maybe owned by someone else). The dump is read before anything is dropped."""
    listing = subprocess.run(
        ["pg_restore", "--list", str(dump)], env=env, capture_output=True, text=True
    )
    if listing.returncode != 0:
        raise BackupError(f"pg_restore cannot read the dump: {listing.stderr.strip()}")
    _drop_schema_objects(engine, schema)
    kept = [line for line in listing.stdout.splitlines() if " SCHEMA - " not in line]
    (work / "restore.list").write_text("\n".join(kept) + "\n")
    _run_pg(
        [
            "pg_restore",
            *args,
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--use-list",
            str(work / "restore.list"),
            str(dump),
        ],
        env,
    )
