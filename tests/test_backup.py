"""amal backup / amal restore on SQLite and PostgreSQL: every table comes back
identical (row counts and content hashes), older schemas are migrated, newer
ones refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text

from amal import migrate
from amal.backup import (
    BackupError,
    create_backup,
    read_manifest,
    restore_backup,
    table_fingerprints,
)
from amal.cli import cli
from amal.demo import load_demo
from amal.runtime import state
from amal.services import Context
from amal.territories.services import sync_territories


@pytest.fixture
def filled_app(empty_app: Flask) -> Flask:
    """A migrated instance with the demo data of every territory and a stored file."""
    amal = state(empty_app)
    with empty_app.app_context():
        migrate.upgrade(empty_app)
    with amal.session_factory() as session:
        sync_territories(session, amal.plugins)
        load_demo(Context(session, "tester", amal.plugins))
        session.commit()
    stored = amal.config.instance_path / "files" / "reports" / "registro.pdf"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(b"%PDF-1.4 registro presenze")
    return empty_app


def test_round_trip_gives_back_every_table_identical(
    filled_app: Flask, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    amal = state(filled_app)
    before = table_fingerprints(amal.engine)
    manifest = create_backup(filled_app, tmp_path / "backup.tar.gz")
    assert manifest["tables"] == before
    assert manifest["schema_revisions"] == sorted(migrate.script_heads(filled_app))
    assert manifest["versions"]["monza-brianza"]
    assert list(manifest["files"]) == ["reports/registro.pdf"]
    filled = [name for name, t in before.items() if t["rows"]]
    core_tables = {"participant", "self_help_group", "meeting", "attendance", "consent"}
    assert core_tables | {"audit_entry"} <= set(filled)

    # Lose everything: the tables and the stored files.
    with filled_app.app_context():
        migrate.downgrade(filled_app, "base")
    (amal.config.instance_path / "files" / "reports" / "registro.pdf").unlink()
    assert table_fingerprints(amal.engine) != before

    result = restore_backup(filled_app, tmp_path / "backup.tar.gz")
    assert result.migrated_from is None
    assert table_fingerprints(amal.engine) == before
    assert (amal.config.instance_path / "files" / "reports" / "registro.pdf").read_bytes() == (
        b"%PDF-1.4 registro presenze"
    )
    rows = sum(t["rows"] for t in before.values())
    with capsys.disabled():
        print(
            f"\n[{amal.engine.dialect.name}] round trip: {len(before)} tables, {rows} rows, "
            f"{len(filled)} non-empty tables, identical row counts and hashes after restore"
        )


def test_restore_refuses_a_backup_of_a_newer_schema(filled_app: Flask, tmp_path: Path) -> None:
    amal = state(filled_app)
    with amal.engine.begin() as connection:
        # The core's head only (plugin branches, such as Lecco's, have their own rows).
        connection.execute(
            text(
                "UPDATE alembic_version SET version_num = 'f00dfeed0001' "
                "WHERE version_num NOT LIKE 'lecco%'"
            )
        )
    create_backup(filled_app, tmp_path / "newer.tar.gz")
    with amal.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry"))
    before = table_fingerprints(amal.engine)
    with pytest.raises(BackupError, match="newer than this AMAL knows"):
        restore_backup(filled_app, tmp_path / "newer.tar.gz")
    assert table_fingerprints(amal.engine) == before  # nothing touched


def test_restore_migrates_a_backup_of_an_older_schema(filled_app: Flask, tmp_path: Path) -> None:
    amal = state(filled_app)
    with filled_app.app_context():
        migrate.downgrade(filled_app, f"{migrate.CORE_BRANCH}@-1")
        older = sorted(migrate.current_heads(filled_app))
    create_backup(filled_app, tmp_path / "older.tar.gz")
    with filled_app.app_context():
        migrate.upgrade(filled_app)
    participants = table_fingerprints(amal.engine)["participant"]

    result = restore_backup(filled_app, tmp_path / "older.tar.gz")
    assert result.migrated_from == older
    with filled_app.app_context():
        assert migrate.is_up_to_date(filled_app)
    assert table_fingerprints(amal.engine)["participant"] == participants


def test_cli_backup_and_restore(
    tmp_path: Path, amal_database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza"]\n')
    monkeypatch.setenv("AMAL_DATABASE_URL", amal_database_url)
    monkeypatch.delenv("AMAL_ENV", raising=False)

    def run(*args: str):
        return CliRunner().invoke(cli, ["--instance", str(instance), *args])

    assert run("init", "--admin-password", "a-long-password").exit_code == 0
    assert run("demo").exit_code == 0
    made = run("backup", str(tmp_path / "b.tar.gz"))
    assert made.exit_code == 0, made.output
    assert made.output.startswith(f"Backup written to {tmp_path / 'b.tar.gz'}: ")
    assert read_manifest(tmp_path / "b.tar.gz")["tables"]["participant"]["rows"] > 0

    restored = run("restore", "--yes", str(tmp_path / "b.tar.gz"))
    assert restored.exit_code == 0, restored.output
    assert "every table identical to the backup" in restored.output

    (tmp_path / "not-a-backup.tar.gz").write_text("hello")
    refused = run("restore", "--yes", str(tmp_path / "not-a-backup.tar.gz"))
    assert refused.exit_code == 1
    assert refused.output.startswith("Error: ")
    assert "is not an AMAL backup" in refused.output
    assert "Traceback" not in refused.output
