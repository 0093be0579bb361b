from pathlib import Path

import pytest

from amal.app import create_app
from amal.config import load_config, write_secret_key
from amal.errors import ConfigError


def write_config(folder: Path, body: str) -> Path:
    (folder / "amal.toml").write_text(body, encoding="utf-8")
    return folder


def test_production_refuses_to_start_without_secret(tmp_path: Path) -> None:
    write_config(tmp_path, '[instance]\nplugins = ["lecco"]\n')
    with pytest.raises(ConfigError, match=r"No secret key.*amal --instance .* init"):
        create_app(tmp_path, config_overrides={"environment": "production"})


def test_development_starts_without_secret_with_a_random_one(tmp_path: Path) -> None:
    write_config(tmp_path, '[instance]\nplugins = ["lecco"]\n')
    first = create_app(tmp_path, config_overrides={"environment": "development"})
    second = create_app(tmp_path, config_overrides={"environment": "development"})
    assert first.secret_key and first.secret_key != second.secret_key


def test_secret_file_is_private_and_kept(tmp_path: Path) -> None:
    path = write_secret_key(tmp_path)
    secret = path.read_text()
    assert path.stat().st_mode & 0o777 == 0o600
    write_secret_key(tmp_path)
    assert path.read_text() == secret
    app = create_app(tmp_path, config_overrides={"environment": "production"})
    assert app.secret_key == secret.strip()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_environment_overrides_file(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        '[instance]\nname = "X"\nplugins = ["lecco"]\ndatabase_url = "sqlite:///{instance}/a.db"\n',
    )
    config = load_config(
        tmp_path,
        environ={"AMAL_DATABASE_URL": "postgresql+psycopg://h/db", "AMAL_PLUGINS": "a, b"},
    )
    assert config.database_url == "postgresql+psycopg://h/db"
    assert config.plugins == ("a", "b")
    assert load_config(tmp_path, environ={}).database_url == f"sqlite:///{tmp_path}/a.db"


@pytest.mark.parametrize(
    ("body", "environ", "message"),
    [
        ("[instance\n", {}, "not valid TOML"),
        ('[instance]\nplugins = "lecco"\n', {}, "plugins must be a list"),
        ("", {"AMAL_ENV": "staging"}, "AMAL_ENV='staging'"),
    ],
)
def test_bad_configuration_is_explained(
    tmp_path: Path, body: str, environ: dict[str, str], message: str
) -> None:
    write_config(tmp_path, body)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path, environ=environ)
