"""Issue 12 #18: commands that sign nothing need no secret; errors exit non-zero."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from amal.cli import cli


@pytest.fixture
def no_instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with no instance at all: no amal.toml, no secret key (production)."""
    for name in ("AMAL_SECRET_KEY", "AMAL_ENV", "AMAL_INSTANCE", "AMAL_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_help_needs_no_secret(no_instance: Path) -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "No secret key" not in result.output and "Error" not in result.output
    assert "plugins" in result.output and "token" in result.output


def test_plugins_needs_no_secret(no_instance: Path) -> None:
    result = CliRunner().invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    assert "amal.plugins.defaults" in result.output


def test_territory_new_needs_no_secret(no_instance: Path) -> None:
    result = CliRunner().invoke(
        cli, ["territory", "new", "bergamo", "--name", "Bergamo", "--province", "BG"]
    )
    assert result.exit_code == 0, result.output
    assert (no_instance / "territories" / "bergamo" / "amal.toml").is_file()


def test_serving_still_needs_the_secret(no_instance: Path) -> None:
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert "No secret key" in result.output


def test_a_broken_instance_makes_help_exit_non_zero(no_instance: Path) -> None:
    (no_instance / "amal.toml").write_text("[instance\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["--instance", str(no_instance), "--help"])
    assert result.exit_code == 1
    assert "Usage:" in result.output and "not valid TOML" in result.output
