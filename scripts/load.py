"""``make load``: 50 staff users for 60 s on gunicorn + PostgreSQL, loopback
only, then requests, errors and p50/p95/p99 (exit 1 on any error).

A fresh database (``amal_load`` on AMAL_LOAD_POSTGRES_URL's server, dropped
after), an instance with demo data, 50 coordinators with their API tokens,
``amal serve --production`` and ``amal worker``; then locust, headless.
Figures, not a test: not in ``make test``."""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER = os.environ.get(
    "AMAL_LOAD_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DATABASE = "amal_load"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def amal(instance: Path, *args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(BIN / "amal"), "--instance", str(instance), *args],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"amal {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def staff(instance: Path, users: int, password: str) -> list[str]:
    """``users`` coordinators (load-01...) and an API token each; the tokens' secrets."""
    from amal.accounts.models import Role
    from amal.accounts.services import create_token, create_user
    from amal.app import create_app
    from amal.runtime import state
    from amal.services import Context

    app = create_app(instance)
    amal = state(app)
    secrets_ = []
    with amal.session_factory() as session:
        ctx = Context(session, "load", amal.plugins)
        for n in range(1, users + 1):
            name = f"load-{n:02d}"
            create_user(ctx, name, password, roles=[("monza-brianza", Role.COORDINATOR)])
            secrets_.append(create_token(ctx, name, "monza-brianza", Role.COORDINATOR)[1])
    amal.engine.dispose()
    return secrets_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    options = parser.parse_args()

    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {DATABASE}"))
    url = make_url(SERVER).set(database=DATABASE).render_as_string(hide_password=False)
    password = secrets.token_urlsafe(12)
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="amal-load-") as folder:
        instance = Path(folder)
        (instance / "amal.toml").write_text(
            '[instance]\nname = "AMAL load"\nplugins = ["monza-brianza"]\n'
            f'territories = ["monza-brianza"]\ndatabase_url = "{url}"\n',
            encoding="utf-8",
        )
        env = {**os.environ, "AMAL_ENV": "production", "AMAL_PROXY_HOPS": "1"}
        env.pop("AMAL_DATABASE_URL", None)
        amal(instance, "init", "--admin-password", password, env=env)
        amal(instance, "demo", env=env)
        tokens = staff(instance, options.users, password)
        port = free_port()
        host = f"http://127.0.0.1:{port}"
        log = open(instance / "server.log", "wb")  # noqa: SIM115
        processes.append(
            subprocess.Popen(
                [
                    str(BIN / "amal"),
                    "--instance",
                    str(instance),
                    "serve",
                    "--production",
                    "--port",
                    str(port),
                    "--workers",
                    str(options.workers),
                ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        processes.append(
            subprocess.Popen(
                [str(BIN / "amal"), "--instance", str(instance), "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{host}/readyz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        try:
            stats = instance / "load"
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    str(ROOT / "load" / "locustfile.py"),
                    "--headless",
                    "--users",
                    str(options.users),
                    "--spawn-rate",
                    "10",
                    "--run-time",
                    f"{options.seconds}s",
                    "--host",
                    host,
                    "--csv",
                    str(stats),
                    "--only-summary",
                    "--stop-timeout",
                    "10",
                ],
                env={**env, "LOAD_PASSWORD": password, "LOAD_TOKENS": ",".join(tokens)},
                check=False,
            )
            summary = Path(f"{stats}_stats.csv").read_text(encoding="utf-8")
            rows = list(csv.DictReader(summary.splitlines()))
            failures = Path(f"{stats}_failures.csv").read_text(encoding="utf-8")
        finally:
            for process in processes:
                process.send_signal(signal.SIGTERM)
            for process in processes:
                process.wait(timeout=60)
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
    admin.dispose()
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print(f"\n{'request':40} {'count':>7} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6} (ms)")
    for row in rows:
        print(
            f"{row['Type'] + ' ' + row['Name']:40.40} {row['Request Count']:>7} "
            f"{row['Failure Count']:>6} {row['50%']:>6} {row['95%']:>6} {row['99%']:>6}"
        )
    print(
        f"\n{options.users} users, {options.seconds} s, gunicorn {options.workers} workers + "
        f"1 job worker, PostgreSQL: {total['Request Count']} requests, "
        f"{total['Failure Count']} errors, {float(total['Requests/s']):.1f} req/s, "
        f"p50 {total['50%']} ms, p95 {total['95%']} ms, p99 {total['99%']} ms"
    )
    if int(total["Failure Count"]):
        print(failures)
        sys.exit(1)


if __name__ == "__main__":
    main()
