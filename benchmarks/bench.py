"""Prints how long the main pages and reports take, and how many queries they
cost, on an instance filled with demo data SCALE times (default 5: about 440
participants and 40 groups over two territories).

    .venv/bin/python benchmarks/bench.py [--scale 5] [--requests 20]

On SQLite it uses a temporary file. With AMAL_DATABASE_URL it uses that
database and DROPS AND RECREATES the AMAL tables there: give it a throwaway one.

Targets (on the 2-core reference machine): every page under 200 ms at the
median, every report run under 2 s. The script prints the figures and flags
what misses a target; it does not fail.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from contextlib import contextmanager

from sqlalchemy import event, func, select

from amal.accounts.models import Role
from amal.accounts.services import create_user
from amal.app import create_app
from amal.db import Base
from amal.demo import load_demo
from amal.participants.models import Participant
from amal.reports.engine import definitions, run_report
from amal.runtime import state
from amal.services import Context
from amal.territories.services import sync_territories

PAGE_TARGET_MS = 200
REPORT_TARGET_MS = 2000
PERIODS = {
    "quarter": "2026-Q3",
    "semester": "2026-S2",
    "project": "project",
    "custom": "2026-01-01..2026-12-31",
}


@contextmanager
def counted(engine):  # type: ignore[no-untyped-def]
    statements = []

    def count(*_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="amal-bench-")
    app = create_app(
        folder,
        config_overrides={
            "environment": "testing",
            "secret_key": "bench",
            "plugins": ["monza-brianza", "lecco"],
        },
    )
    amal = state(app)
    Base.metadata.drop_all(amal.engine)
    Base.metadata.create_all(amal.engine)
    with amal.session_factory() as session:
        sync_territories(session, amal.plugins)
        ctx = Context(session, "bench", amal.plugins)
        started = time.perf_counter()
        for round_ in range(args.scale):
            load_demo(ctx, seed=100 + round_)
        loaded = time.perf_counter() - started
        people = session.scalar(select(func.count(Participant.id)))
        create_user(ctx, "bench", "bench-password", roles=[("lecco", Role.COORDINATOR)])
        some_id = session.scalar(
            select(func.max(Participant.id)).where(Participant.territory_code == "lecco")
        )
    print(f"database: {amal.engine.url.render_as_string()}")
    print(f"demo data x{args.scale}: {people} participants in {loaded:.1f} s")

    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post(
        "/login", data={"username": "bench", "password": "bench-password", "csrf_token": token}
    )
    pages = [
        "/t/lecco/",
        "/t/lecco/participants/",
        f"/t/lecco/participants/{some_id}",
        "/t/lecco/groups/",
        "/t/lecco/audit/",
        "/t/lecco/reports/valoriamo-semestrale?period=2026-S2",
    ]
    print(f"\n{'page':58} {'median ms':>10} {'queries':>8}")
    for url in pages:
        timings = []
        for _ in range(args.requests):
            with counted(amal.engine) as statements:
                started = time.perf_counter()
                assert client.get(url).status_code == 200, url
                timings.append((time.perf_counter() - started) * 1000)
        median = statistics.median(timings)
        flag = "" if median <= PAGE_TARGET_MS else f"  over {PAGE_TARGET_MS} ms"
        print(f"{url:58} {median:10.1f} {len(statements):8}{flag}")

    print(f"\n{'report':42} {'ms':>8} {'queries':>8} {'violations':>10}")
    with amal.session_factory() as session:
        ctx = Context(session, "bench", amal.plugins)
        for code in amal.plugins.territories:
            for definition in definitions(amal.plugins, code).values():
                with counted(amal.engine) as statements:
                    started = time.perf_counter()
                    result = run_report(ctx, code, definition.code, PERIODS[definition.period_kind])
                    elapsed = (time.perf_counter() - started) * 1000
                flag = "" if elapsed <= REPORT_TARGET_MS else f"  over {REPORT_TARGET_MS} ms"
                print(
                    f"{code + ' ' + definition.code:42} {elapsed:8.1f} {len(statements):8} "
                    f"{len(result.violations):10}{flag}"
                )
    amal.engine.dispose()


if __name__ == "__main__":
    main()
