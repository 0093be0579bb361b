"""AMAL's benchmark with baselines: figures, never a pass/fail.

For each database (SQLite file, PostgreSQL) and each size (participants, default
1,000 and 10,000; ``--sizes 1000,10000,100000``) it builds a throwaway database
with ``amal.scale`` (the data of ``amal demo --scale N``) and measures, each
beside its baseline, runs interleaved (A, B, A, B...) and medians reported
because the machine is shared:

- pages as a coordinator (participant list: 50 rows, a filter, a sort; the API
  list; a record; a group; a register save; the dashboard) against a bare Flask
  + SQLAlchemy endpoint doing one indexed single-row select on the same
  database: throughput ratio (bare time / page time; target >= 0.5 for list
  and record), queries per page (target <= 10, the same at every size);
- the funders' reports (quarter, project) against one hand-written SQL
  aggregate of their main figures (people by status, meetings held,
  attendance rate): time ratio (target <= 2) and peak Python memory
  (tracemalloc; it must not grow with the register lines);
- search by name prefix and by fiscal code, with the database's plan;
- generation time (target: 100,000 people in <= 60 s on PostgreSQL);
- app start with both plugins against ``python -c "import flask"`` (<= 1.5 s).

    .venv/bin/python benchmarks/bench.py [--sizes 1000,10000] [--databases sqlite,postgresql]
        [--rounds 15] [--json bench.json]

PostgreSQL: ``AMAL_BENCH_POSTGRES_URL`` (default the test server's
``.../test``); the benchmark creates and DROPS databases named ``amal_bench_*``
there. Skipped with the reason when no server answers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from typing import Any

from flask import Flask, jsonify
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url

from amal.accounts.models import Role
from amal.accounts.services import create_token, create_user
from amal.app import create_app
from amal.db import Base
from amal.groups.models import Enrolment, Group, GroupStatus
from amal.meetings.models import Meeting, MeetingKind, MeetingStatus, Presence
from amal.participants.models import Participant
from amal.participants.services import matching
from amal.reports.engine import definitions, run_report
from amal.runtime import state
from amal.scale import generate
from amal.services import Context
from amal.territories.services import sync_territories
from amal.testing import csrf_token

TERRITORY = "lecco"
PASSWORD = "bench-password-123"
TARGETS = {"page_ratio": 0.5, "queries": 10, "report_ratio": 2.0, "start_s": 1.5, "gen_100k_s": 60}


@contextmanager
def counted(engine):  # type: ignore[no-untyped-def]
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def interleaved(a: Callable[[], Any], b: Callable[[], Any], rounds: int) -> tuple[float, float]:
    """Medians in ms of A and B run alternately."""
    times_a, times_b = [], []
    for _ in range(rounds):
        for fn, times in ((a, times_a), (b, times_b)):
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times_a), statistics.median(times_b)


def bare_app(url: str) -> Flask:
    """The ceiling of any page: Flask + SQLAlchemy, one indexed single-row select."""
    engine = create_engine(url)
    app = Flask("bare")

    @app.get("/one/<int:pid>")
    def one(pid: int):  # type: ignore[no-untyped-def]
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT id, last_name FROM participant WHERE id = :id"), {"id": pid}
            ).one()
        return jsonify(id=row.id, name=row.last_name)

    return app


def postgres_admin_url() -> str:
    return os.environ.get(
        "AMAL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )


@contextmanager
def database(kind: str, size: int):  # type: ignore[no-untyped-def]
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="amal-bench-")
        yield f"sqlite:///{folder}/bench.sqlite"
        return
    admin = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"amal_bench_{size}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield (
            make_url(postgres_admin_url()).set(database=name).render_as_string(hide_password=False)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def hand_sql(session, period, territory: str) -> tuple:  # type: ignore[no-untyped-def]
    """The reports' main figures in one hand-written aggregate: people by
    status at the period's end, group meetings held in it, attendance rate."""
    return session.execute(
        text(
            """
            WITH held AS (
                SELECT id FROM meeting
                WHERE territory_code = :t AND status = 'held' AND kind = 'group'
                  AND scheduled_on BETWEEN :start AND :end
            )
            SELECT
              (SELECT count(*) FROM held),
              (SELECT count(*) FROM attendance a JOIN held h ON h.id = a.meeting_id),
              (SELECT count(*) FROM attendance a JOIN held h ON h.id = a.meeting_id
                 WHERE a.presence = 'present'),
              (SELECT count(DISTINCT to_status) || ':' || sum(n) FROM
                 (SELECT to_status, count(*) AS n FROM
                   (SELECT s.to_status, row_number() OVER (PARTITION BY s.participant_id
                        ORDER BY s.occurred_on DESC, s.id DESC) AS latest
                    FROM participant_status_change s JOIN participant p
                      ON p.id = s.participant_id
                    WHERE p.territory_code = :t AND s.occurred_on <= :end) steps
                  WHERE latest = 1 GROUP BY to_status) by_status)
            """
        ),
        {"t": territory, "start": period.start, "end": period.end},
    ).one()


def measure(kind: str, size: int, rounds: int) -> dict[str, Any]:
    out: dict[str, Any] = {"database": kind, "size": size}
    with database(kind, size) as url:
        folder = tempfile.mkdtemp(prefix="amal-bench-app-")
        app = create_app(
            folder,
            config_overrides={
                "environment": "testing",
                "secret_key": "bench",
                "database_url": url,
                "plugins": ["monza-brianza", "lecco"],
            },
            create_database=True,
        )
        amal = state(app)
        Base.metadata.create_all(amal.engine)
        with amal.session_factory() as session:
            sync_territories(session, amal.plugins)
            session.commit()
            ctx = Context(session, "bench", amal.plugins)
            started = time.perf_counter()
            result = generate(ctx, size, seed=11)
            out["generation_s"] = round(time.perf_counter() - started, 2)
            out["rows"] = {
                "participants": result.people,
                "groups": result.groups,
                "meetings": result.meetings,
                "attendance": result.attendance,
                "all": result.rows,
            }
            create_user(ctx, "bench", PASSWORD, roles=[(TERRITORY, Role.COORDINATOR)])
            _, secret = create_token(ctx, "bench", TERRITORY, Role.COORDINATOR)
            session.commit()
            # Statistics for the planner, as an operator's maintenance would leave them.
            session.execute(text("ANALYZE"))
            session.commit()
            person = session.scalar(
                select(func.max(Participant.id)).where(Participant.territory_code == TERRITORY)
            )
            group_id, meeting_id = session.execute(
                select(Group.id, Meeting.id)
                .join(Meeting, Meeting.group_id == Group.id)
                .where(
                    Group.territory_code == TERRITORY,
                    Group.status == GroupStatus.ACTIVE,
                    Meeting.kind == MeetingKind.GROUP,
                    Meeting.status == MeetingStatus.HELD,
                )
                .order_by(Meeting.id.desc())
                .limit(1)
            ).one()
            members = session.scalars(
                select(Enrolment.participant_id).where(
                    Enrolment.group_id == group_id, Enrolment.ended_at.is_(None)
                )
            ).all()
            sample = session.execute(
                select(Participant.last_name, Participant.fiscal_code)
                .where(
                    Participant.territory_code == TERRITORY, Participant.fiscal_code.is_not(None)
                )
                .order_by(Participant.id)
                .limit(1)
            ).one()

        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        client.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
        bare = bare_app(url).test_client()

        def get(url_: str, **kw: Any) -> Callable[[], None]:
            def run() -> None:
                response = client.get(url_, **kw)
                assert response.status_code == 200, (url_, response.status_code)

            return run

        register_url = f"/t/{TERRITORY}/groups/meetings/{meeting_id}"
        form_token = csrf_token(client, register_url)

        def save_register() -> None:
            form = {"form": "register", "csrf_token": form_token}
            form.update({f"presence-{pid}": Presence.PRESENT.value for pid in members})
            response = client.post(register_url, data=form)
            assert response.status_code == 302, response.status_code  # saved, redirected

        def bare_get() -> None:
            assert bare.get(f"/one/{person}").status_code == 200

        pages = {
            "participant list (filter, sort)": get(
                f"/t/{TERRITORY}/participants/?status=completed&sort=name"
            ),
            "API participant list": get(
                f"/api/v1/territories/{TERRITORY}/participants/?page_size=50",
                headers={"Authorization": f"Bearer {secret}"},
            ),
            "participant record": get(f"/t/{TERRITORY}/participants/{person}"),
            "group page": get(f"/t/{TERRITORY}/groups/{group_id}"),
            "register save": save_register,
            "dashboard": get(f"/t/{TERRITORY}/"),
        }
        out["pages"] = {}
        for name, fn in pages.items():
            fn()  # warm-up (template compilation, caches)
            with counted(amal.engine) as statements:
                fn()
            page_ms, bare_ms = interleaved(fn, bare_get, rounds)
            out["pages"][name] = {
                "median_ms": round(page_ms, 2),
                "bare_ms": round(bare_ms, 2),
                "ratio": round(bare_ms / page_ms, 3),
                "queries": len(statements),
            }

        out["reports"] = {}
        with amal.session_factory() as session:
            ctx = Context(session, "bench", amal.plugins)
            reports = [
                (code, definition)
                for code in amal.plugins.territories
                for definition in definitions(amal.plugins, code).values()
            ]
            for territory, definition in reports:
                period_text = {
                    "quarter": f"{date.today().year - 1}-Q2",
                    "semester": f"{date.today().year - 1}-S1",
                    "project": "project",
                    "custom": f"{date.today().year - 2}-01-01..{date.today().year - 1}-12-31",
                }[definition.period_kind]
                period = run_report(ctx, territory, definition.code, period_text).period
                session.rollback()

                def report(
                    code: str = definition.code, p: str = period_text, t: str = territory
                ) -> None:
                    run_report(ctx, t, code, p)
                    session.rollback()

                def baseline(p=period, t=territory) -> None:  # type: ignore[no-untyped-def]
                    hand_sql(session, p, t)

                report_rounds = max(3, rounds // 3)
                report_ms, sql_ms = interleaved(report, baseline, report_rounds)
                tracemalloc.start()
                report()
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
                out["reports"][f"{definition.code} ({definition.period_kind})"] = {
                    "median_ms": round(report_ms, 1),
                    "hand_sql_ms": round(sql_ms, 1),
                    "ratio": round(report_ms / sql_ms, 2),
                    "peak_kib": round(peak / 1024),
                }

            out["search"] = {}
            for label, words in (
                ("name prefix", sample.last_name[:4]),
                ("fiscal code", sample.fiscal_code),
            ):
                statement = matching(
                    select(Participant).where(Participant.territory_code == TERRITORY),
                    text=words,
                ).limit(50)

                def search(s=statement) -> None:  # type: ignore[no-untyped-def]
                    session.scalars(s).all()

                search_ms, _ = interleaved(search, lambda: None, rounds)
                compiled = statement.compile(
                    dialect=amal.engine.dialect, compile_kwargs={"literal_binds": True}
                )
                explain = "EXPLAIN QUERY PLAN " if kind == "sqlite" else "EXPLAIN "
                plan = [
                    " ".join(str(c) for c in row)
                    for row in session.execute(text(explain + str(compiled))).all()
                ]
                out["search"][label] = {
                    "median_ms": round(search_ms, 2),
                    "plan": plan,
                    # The search's own indexes, not merely the territory's.
                    "index_used": any(
                        name in line
                        for line in plan
                        for name in ("ix_participant_search", "fiscal_code")
                    ),
                }
        amal.engine.dispose()
    return out


def app_start(rounds: int) -> dict[str, float]:
    folder = tempfile.mkdtemp(prefix="amal-bench-start-")
    amal = (
        "from amal.app import create_app; create_app("
        f"{folder!r}, config_overrides={{'environment': 'testing', 'secret_key': 'x', "
        "'plugins': ['monza-brianza', 'lecco']}, create_database=True)"
    )

    def run(code: str) -> Callable[[], None]:
        return lambda: subprocess.run([sys.executable, "-c", code], check=True)

    amal_ms, flask_ms = interleaved(run(amal), run("import flask"), rounds)
    return {
        "amal_s": round(amal_ms / 1000, 2),
        "import_flask_s": round(flask_ms / 1000, 2),
        "difference_s": round((amal_ms - flask_ms) / 1000, 2),
    }


def print_tables(results: list[dict[str, Any]], start: dict[str, float]) -> None:
    sizes = sorted({r["size"] for r in results})
    for kind in sorted({r["database"] for r in results}):
        mine = {r["size"]: r for r in results if r["database"] == kind}
        head = "".join(f"{s:>26,}" for s in sizes)
        print(f"\n== {kind}: pages (median ms / bare ms = ratio, queries)\n{'':34}{head}")
        for page in next(iter(mine.values()))["pages"]:
            cells = "".join(
                "{median_ms:>8.1f}/{bare_ms:<5.1f}={ratio:<5.2f} q{queries:<3}".format(
                    **mine[s]["pages"][page]
                ).rjust(26)
                for s in sizes
            )
            print(f"{page:34}{cells}")
        print(f"\n== {kind}: reports (median ms / hand SQL ms = ratio, peak KiB)\n{'':34}{head}")
        for report in next(iter(mine.values()))["reports"]:
            cells = "".join(
                "{median_ms:>8.0f}/{hand_sql_ms:<6.0f}={ratio:<5.1f} {peak_kib}K".format(
                    **mine[s]["reports"][report]
                ).rjust(26)
                for s in sizes
            )
            print(f"{report[:34]:34}{cells}")
        print(f"\n== {kind}: search (median ms, index used)\n{'':34}{head}")
        for label in next(iter(mine.values()))["search"]:
            cells = "".join(
                "{median_ms:>8.2f} {index_used}".format(**mine[s]["search"][label]).rjust(26)
                for s in sizes
            )
            print(f"{label:34}{cells}")
        print(
            f"{'generation s (attendance rows)':34}"
            + "".join(
                f"{mine[s]['generation_s']:>10.1f} ({mine[s]['rows']['attendance']:,})".rjust(26)
                for s in sizes
            )
        )
        largest = mine[sizes[-1]]
        for label, data in largest["search"].items():
            print(f"\n{kind} plan, {label} at {sizes[-1]:,}:")
            for line in data["plan"]:
                print(f"    {line}")
    print(
        f"\napp start with both plugins: {start['amal_s']} s, python -c 'import flask': "
        f"{start['import_flask_s']} s (target <= {TARGETS['start_s']} s)"
    )
    print(f"targets: {TARGETS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", default="bench.json")
    args = parser.parse_args()
    results = []
    for kind in args.databases.split(","):
        if kind == "postgresql":
            try:
                create_engine(postgres_admin_url()).connect().close()
            except Exception as exc:
                print(f"PostgreSQL skipped: {exc}")
                continue
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"measuring {kind} at {size:,} participants...", flush=True)
            results.append(measure(kind, size, args.rounds))
    start = app_start(max(3, args.rounds // 3))
    print_tables(results, start)
    with open(args.json, "w") as out:
        json.dump({"results": results, "app_start": start, "targets": TARGETS}, out, indent=2)
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
