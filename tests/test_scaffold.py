"""`amal territory new` end to end: scaffold, install, start, run its own tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from amal.cli import cli

BIN = Path(sys.executable).parent


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_new_territory_installs_starts_and_passes_its_own_tests(tmp_path: Path) -> None:
    created = CliRunner().invoke(
        cli,
        [
            "territory",
            "new",
            "alto-lario",
            "--name",
            "Comunità montana Alto Lario",
            "--province",
            "co",
            "--root",
            str(tmp_path),
        ],
    )
    assert created.exit_code == 0, created.output
    plugin = tmp_path / "plugins" / "amal-alto-lario"
    instance = tmp_path / "territories" / "alto-lario"
    assert (plugin / "amal_alto_lario" / "data" / "partners.toml").is_file()

    site = tmp_path / "site"
    install = run(
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-deps",
        "--no-build-isolation",
        "--target",
        str(site),
        str(plugin),
        env=os.environ.copy(),
        cwd=tmp_path,
    )
    assert install.returncode == 0, install.stderr
    env = {**os.environ, "PYTHONPATH": str(site), "AMAL_ENV": "production"}
    env.pop("AMAL_DATABASE_URL", None)

    init = run(
        str(BIN / "amal"),
        "--instance",
        str(instance),
        "init",
        "--generate-password",
        env=env,
        cwd=tmp_path,
    )
    assert init.returncode == 0, init.stderr
    listed = run(str(BIN / "amal"), "--instance", str(instance), "plugins", env=env, cwd=tmp_path)
    assert "alto-lario 0.1.0 (amal-alto-lario, amal_alto_lario.plugin)" in listed.stdout
    served = run(
        sys.executable,
        "-c",
        "from amal.app import create_app; import sys; "
        f"r = create_app({str(instance)!r}).test_client().get('/login'); "
        "print(r.status_code, 'Alto Lario' in r.get_data(as_text=True))",
        env=env,
        cwd=tmp_path,
    )
    assert served.stdout.split() == ["200", "True"], served.stderr

    own_tests = run(
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        str(plugin / "tests"),
        env=env,
        cwd=tmp_path,
    )
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    postgres_required = bool(os.environ.get("AMAL_TEST_REQUIRE_POSTGRES"))
    assert ("8 passed" if postgres_required else " passed") in own_tests.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bergamo", "--name", "X", "--province", "BG"], "must be lowercase"),
        (["bergamo", "--name", "X", "--province", "ZZ"], "not an Italian province"),
        (["bergamo", "--name", 'Il "Lago"', "--province", "BG"], "without double quotes"),
    ],
)
def test_bad_scaffold_arguments_are_refused(tmp_path: Path, args, message) -> None:
    result = CliRunner().invoke(cli, ["territory", "new", *args, "--root", str(tmp_path)])
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "plugins").exists()


def test_scaffold_never_overwrites(tmp_path: Path) -> None:
    args = [
        "territory",
        "new",
        "bergamo",
        "--name",
        "Bergamo",
        "--province",
        "BG",
        "--root",
        str(tmp_path),
    ]
    assert CliRunner().invoke(cli, args).exit_code == 0
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 1 and "already exists" in again.output
