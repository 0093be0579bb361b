import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from amal.cli import cli


@pytest.fixture
def instance(tmp_path: Path, amal_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "amal.toml").write_text(
        '[instance]\nname = "Test"\nplugins = ["monza-brianza", "lecco"]\n', encoding="utf-8"
    )
    monkeypatch.setenv("AMAL_DATABASE_URL", amal_database_url)
    monkeypatch.delenv("AMAL_SECRET_KEY", raising=False)
    monkeypatch.delenv("AMAL_ENV", raising=False)
    return tmp_path


def run(instance: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, ["--instance", str(instance), *args], input=input)


def test_init_creates_secret_schema_territories_admin_and_is_repeatable(instance: Path) -> None:
    result = run(instance, "init", "--admin-password", "a-long-password")
    assert result.exit_code == 0, result.output
    assert (instance / "secret_key").is_file()
    assert "territories: lecco, monza-brianza" in result.output
    assert "Admin user 'admin' created." in result.output
    again = run(instance, "init")
    assert again.exit_code == 0, again.output
    assert "Admin 'admin' already exists." in again.output
    current = run(instance, "db", "current")
    assert "up to date" in current.output


def test_init_without_password_and_without_terminal_fails_cleanly(instance: Path) -> None:
    result = run(instance, "init")
    assert result.exit_code == 2
    assert "--generate-password" in result.output


def test_plugins_lists_the_territory_plugins(instance: Path) -> None:
    run(instance, "init", "--generate-password")
    text = run(instance, "plugins")
    assert text.exit_code == 0
    assert "monza-brianza 0.1.0 (amal-monza-brianza, amal_monza_brianza.plugin)" in text.output
    assert "lecco 0.1.0 (amal-lecco, amal_lecco.plugin)" in text.output
    as_json = json.loads(run(instance, "plugins", "--json").output)
    lecco = next(p for p in as_json if p["name"] == "lecco")
    assert "amal_group_policy" in lecco["hooks"]


def test_missing_plugin_is_an_error_not_a_traceback(instance: Path) -> None:
    run(instance, "init", "--generate-password")
    result = CliRunner().invoke(
        cli, ["--instance", str(instance), "plugins"], env={"AMAL_PLUGINS": "lecco,trento"}
    )
    assert result.exit_code == 1 and "Usage:" not in result.output
    assert "Plugin 'trento' is enabled in the instance configuration but not installed" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_commands_without_secret_explain_how_to_init(instance: Path) -> None:
    result = run(instance, "db", "current")
    assert result.exit_code != 0
    assert "No secret key" in result.output and "init" in result.output


def test_demo_fills_every_state_then_refuses_a_second_load(instance: Path) -> None:
    run(instance, "init", "--generate-password")
    result = run(instance, "demo")
    assert result.exit_code == 0, result.output
    stats = json.loads(run(instance, "stats", "--json").output)
    for territory in ("monza-brianza", "lecco"):
        participants = stats[territory]["participants"]
        assert set(participants) == {
            "candidate",
            "screened",
            "admitted",
            "waitlisted",
            "not_eligible",
            "enrolled",
            "active",
            "completed",
            "withdrawn",
            "dropped_out",
        }
        assert set(stats[territory]["groups"]) == {"planned", "forming", "active", "concluded"}
        assert stats[territory]["meetings"]["held"] > 10
    assert run(instance, "demo").exit_code == 1
    assert "Demo data not loaded" in run(instance, "demo", "--if-empty").output


def test_user_create_refuses_a_weak_password(instance: Path) -> None:
    run(instance, "init", "--generate-password")
    result = run(
        instance,
        "user",
        "create",
        "maria",
        "--territory",
        "lecco",
        "--role",
        "facilitator",
        input="short\nshort\n",
    )
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    ok = run(
        instance,
        "user",
        "create",
        "maria",
        "--territory",
        "lecco",
        "--role",
        "facilitator",
        input="long-enough-pw\nlong-enough-pw\n",
    )
    assert ok.exit_code == 0, ok.output


def test_lost_admin_password_can_be_reset(instance: Path) -> None:
    run(instance, "init", "--generate-password")
    result = run(instance, "user", "set-password", "admin", input="new-long-password\n" * 2)
    assert result.exit_code == 0 and "Password of 'admin' changed." in result.output
    missing = run(instance, "user", "set-password", "nobody", input="new-long-password\n" * 2)
    assert missing.exit_code == 1 and "not found" in missing.output


def test_project_list_and_report_submission(instance: Path) -> None:
    assert run(instance, "init", "--admin-password", "a-long-password").exit_code == 0
    assert run(instance, "demo").exit_code == 0
    listing = run(instance, "project", "list", "monza-brianza")
    assert listing.exit_code == 0, listing.output
    assert "amal-pilota: Auto Mutuo Aiuto Lavoro - progetto pilota (01/01/2026-30/06/2027" in (
        listing.output
    )
    assert "groups: 2 of 6" in listing.output
    refused = run(
        instance, "report", "submit", "monza-brianza", "provincia-finale", "--period", "project"
    )
    assert refused.exit_code == 1 and "blocking_violations" in refused.output
    keys = [
        line.split("blocking: ")[1] for line in refused.output.splitlines() if "blocking: " in line
    ]
    assert keys
    justified = [f"--justify={key}=Registro cartaceo in arrivo" for key in keys]
    done = run(
        instance,
        "report",
        "submit",
        "monza-brianza",
        "provincia-finale",
        "--period",
        "project",
        *justified,
    )
    assert done.exit_code == 0, done.output
    assert "SHA-256" in done.output
