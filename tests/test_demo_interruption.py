"""`amal demo` is one transaction per territory: an interruption leaves whole
territories (never some of a territory's people), and running it again
(`make run` runs `demo --if-empty`) finishes the load."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from amal import demo
from amal.accounts.models import User
from amal.cli import cli
from amal.groups.models import Group
from amal.participants.models import Participant
from amal.services import Context


def _counts(ctx: Context) -> dict[str, tuple[int, int]]:
    ctx.session.expire_all()
    return {
        code: (
            ctx.session.scalar(
                select(func.count(Participant.id)).where(Participant.territory_code == code)
            ),
            ctx.session.scalar(select(func.count(Group.id)).where(Group.territory_code == code)),
        )
        for code in ctx.plugins.territories
    }


def test_a_failure_mid_territory_leaves_it_empty_and_a_rerun_finishes(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = list(ctx.plugins.territories)
    first, last = codes[0], codes[-1]
    original = demo._Territory._people
    calls = {"n": 0}

    def interrupted(self, *args):  # type: ignore[no-untyped-def]
        if self.code == last:
            calls["n"] += 1
            if calls["n"] > 3:  # some of the territory's people are already made
                raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(demo._Territory, "_people", interrupted)
    with pytest.raises(KeyboardInterrupt):
        demo.load_demo(ctx)
    after_interruption = _counts(ctx)
    assert after_interruption[first][0] > 40
    assert after_interruption[last] == (0, 0)
    assert ctx.session.scalar(select(User).where(User.username == f"facilitatore-{last}")) is None

    monkeypatch.undo()
    created = demo.load_demo(ctx)
    assert list(created) == [last]
    finished = _counts(ctx)
    assert finished[first] == after_interruption[first]
    assert finished[last][0] == created[last] > 40
    print(f"\ninterrupted: {after_interruption}; finished: {finished}")


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_kill_9_during_demo_then_demo_if_empty_finishes(
    tmp_path: Path, amal_database_url: str
) -> None:
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["monza-brianza", "lecco"]\n')
    env = {**os.environ, "AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "development"}
    runner_env = {"AMAL_DATABASE_URL": amal_database_url, "AMAL_ENV": "development"}
    init = CliRunner().invoke(
        cli, ["--instance", str(tmp_path), "init", "--generate-password"], env=runner_env
    )
    assert init.exit_code == 0, init.output
    database = tmp_path / "amal.sqlite"
    amal = [str(Path(sys.executable).parent / "amal"), "--instance", str(tmp_path)]

    process = subprocess.Popen([*amal, "demo"], env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    with sqlite3.connect(database, timeout=30) as connection:
        while time.monotonic() < deadline and process.poll() is None:
            if connection.execute("SELECT COUNT(*) FROM participant").fetchone()[0]:
                break  # the first territory is committed: kill during the second
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        at_kill = dict(
            connection.execute(
                "SELECT territory_code, COUNT(*) FROM participant GROUP BY territory_code"
            ).fetchall()
        )

    finish = subprocess.run([*amal, "demo", "--if-empty"], env=env, capture_output=True, text=True)
    assert finish.returncode == 0, finish.stderr
    stats = subprocess.run([*amal, "stats", "--json"], env=env, capture_output=True, text=True)
    final = {code: sum(v["participants"].values()) for code, v in json.loads(stats.stdout).items()}
    # Whole territories only: each was either complete or untouched when killed.
    whole = all(at_kill.get(code, 0) in (0, total) for code, total in final.items())
    assert whole, (at_kill, final)
    assert all(total > 40 for total in final.values())
    print(f"\nkill -9: participants at kill {at_kill}, after demo --if-empty {final}")
