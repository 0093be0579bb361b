"""Instance configuration: the instance folder's ``amal.toml`` plus environment variables.

An instance folder (for example ``territories/lecco/``) holds:

- ``amal.toml``: territory codes, enabled plugins, locale, branding, database default;
- ``secret_key``: written by ``amal init``, never committed;
- the SQLite database file when no other database is configured.

Environment variables win over the file:

``AMAL_INSTANCE``       the instance folder (the CLI's ``--instance``)
``AMAL_DATABASE_URL``   SQLAlchemy URL, e.g. ``postgresql+psycopg://user@host/db``
``AMAL_SECRET_KEY``     the session-signing secret
``AMAL_ENV``            ``production`` (default), ``development`` or ``testing``
``AMAL_PLUGINS``        comma-separated allow-list replacing the file's ``plugins``
``AMAL_DB_CONNECT_TIMEOUT``    seconds to wait for a database connection (default 10)
``AMAL_DB_STATEMENT_TIMEOUT``  seconds a statement (or SQLite's write lock) may take (default 30)
``AMAL_SESSION_TIMEOUT_MINUTES``  staff sessions end after this much inactivity (30)
``AMAL_RATELIMIT_STORAGE``  where rate-limit counters live, e.g. ``redis://host:6379``
                        (default: the instance database, shared by every worker)
``AMAL_MAX_CONTENT_LENGTH``  the largest request body accepted, in bytes (2 MB)
``AMAL_PROXY_HOPS``     reverse proxies in front of the app whose X-Forwarded-For
                        and X-Forwarded-Proto are trusted (0: none)
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from amal.errors import ConfigError

CONFIG_FILE = "amal.toml"
SECRET_FILE = "secret_key"
ENVIRONMENTS = ("production", "development", "testing")


@dataclass(frozen=True)
class InstanceConfig:
    """Everything an instance needs to start, already validated."""

    instance_path: Path
    name: str
    territories: tuple[str, ...]
    plugins: tuple[str, ...]
    database_url: str
    secret_key: str | None
    environment: str = "production"
    locale: str = "it"
    branding: dict[str, Any] = field(default_factory=dict)
    connect_timeout: float = 10
    statement_timeout: float = 30
    session_timeout_minutes: int = 30
    ratelimit_storage: str = ""
    max_content_length: int = 2 * 1024 * 1024
    proxy_hops: int = 0
    # "database" (procrastinate, PostgreSQL) or "thread" (in the process); "" chooses
    # by the database: see amal.jobs
    job_queue: str = ""
    # a read-only replica for report computations ("" = the main database)
    report_database_url: str = ""

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def load_config(
    instance_path: str | os.PathLike[str] | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> InstanceConfig:
    """Read the instance folder and the environment into an :class:`InstanceConfig`.

    ``overrides`` (used by tests and ``amal init``) win over both.
    """
    env = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    folder = Path(instance_path or env.get("AMAL_INSTANCE") or "instance").resolve()

    data: dict[str, Any] = {}
    config_file = folder / CONFIG_FILE
    if config_file.is_file():
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{config_file} is not valid TOML: {exc}") from exc
    section = data.get("instance", {})

    plugins: Any = section.get("plugins", [])
    if env.get("AMAL_PLUGINS") is not None:
        plugins = [p.strip() for p in env["AMAL_PLUGINS"].split(",") if p.strip()]
    plugins = overrides.pop("plugins", plugins)
    territories = overrides.pop("territories", section.get("territories", []))
    for key, value in (("plugins", plugins), ("territories", territories)):
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{config_file}: [instance] {key} must be a list of names")

    environment = overrides.pop("environment", env.get("AMAL_ENV", "production"))
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"AMAL_ENV={environment!r} is not one of {', '.join(ENVIRONMENTS)}")

    database_url = (
        overrides.pop("database_url", None)
        or env.get("AMAL_DATABASE_URL")
        or section.get("database_url")
        or "sqlite:///{instance}/amal.sqlite"
    ).replace("{instance}", folder.as_posix())

    secret_key = overrides.pop("secret_key", None) or env.get("AMAL_SECRET_KEY")
    if not secret_key and (folder / SECRET_FILE).is_file():
        secret_key = (folder / SECRET_FILE).read_text(encoding="utf-8").strip() or None

    timeouts = {
        key: _seconds(
            overrides.pop(key, None) or env.get(f"AMAL_DB_{key.upper()}") or section.get(key),
            default,
            key,
        )
        for key, default in (("connect_timeout", 10.0), ("statement_timeout", 30.0))
    }
    numbers = {}
    for key, default, least in (
        ("session_timeout_minutes", 30, 1),
        ("max_content_length", 2 * 1024 * 1024, 1),
        ("proxy_hops", 0, 0),
    ):
        raw = overrides.pop(key, env.get(f"AMAL_{key.upper()}", section.get(key, default)))
        try:
            numbers[key] = int(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{key} must be a whole number, not {raw!r}") from None
        if numbers[key] < least:
            raise ConfigError(f"{key} must be at least {least}")

    config = InstanceConfig(
        instance_path=folder,
        name=overrides.pop("name", section.get("name", "AMAL")),
        territories=tuple(territories),
        plugins=tuple(plugins),
        database_url=database_url,
        secret_key=secret_key,
        environment=environment,
        locale=overrides.pop("locale", section.get("locale", "it")),
        branding=overrides.pop("branding", data.get("branding", {})),
        **timeouts,
        ratelimit_storage=overrides.pop(
            "ratelimit_storage",
            env.get("AMAL_RATELIMIT_STORAGE", section.get("ratelimit_storage", "")),
        ),
        **numbers,
        job_queue=overrides.pop(
            "job_queue", env.get("AMAL_JOB_QUEUE", section.get("job_queue", ""))
        ),
        report_database_url=overrides.pop(
            "report_database_url",
            env.get("AMAL_REPORT_DATABASE_URL", section.get("report_database_url", "")),
        ),
    )
    if config.job_queue not in ("", "database", "thread"):
        raise ConfigError(f"job_queue must be 'database' or 'thread', not {config.job_queue!r}")
    if config.job_queue == "database" and not config.database_url.startswith("postgresql"):
        raise ConfigError("job_queue = 'database' needs PostgreSQL (SQLite runs jobs in a thread)")
    if overrides:
        raise ConfigError(f"unknown configuration keys: {', '.join(sorted(overrides))}")
    return config


def _seconds(value: Any, default: float, name: str) -> float:
    if value is None or value == "":
        return default
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = 0
    if not 0 < seconds <= 3600:
        raise ConfigError(f"{name} must be a number of seconds between 0 and 3600, not {value!r}")
    return seconds


def write_secret_key(instance_path: Path) -> Path:
    """Create the instance's secret key file (owner-readable only) unless it exists."""
    instance_path.mkdir(parents=True, exist_ok=True)
    target = instance_path / SECRET_FILE
    if not target.exists():
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
    return target
