"""Background jobs: long work (report runs) off the web request.

Two queues, chosen per instance by ``job_queue`` (``AMAL_JOB_QUEUE``):

- ``database``, the default on PostgreSQL: procrastinate's queue, in the same
  database (its tables come with the migrations). Any app process enqueues,
  ``amal worker`` processes (one or several, on any machine) perform. A job
  whose worker died (kill -9, power cut) is found by a live worker once the dead
  one stops sending heartbeats, and performed again.
- ``thread``, the default on SQLite: a thread of the process that enqueued, so
  that ``make run`` stays one command and needs no worker.

A job is a registered name with JSON arguments (:func:`job`). Handlers are
idempotent: a job may be performed more than once (again after a crash), so a
handler recognises work already finished and never redoes it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy.engine import make_url

from amal.runtime import state

log = logging.getLogger("amal.jobs")
TASK = "amal.job"
MAX_ATTEMPTS = 3  # a job failing with an unexpected error is tried this many times


@dataclass(frozen=True)
class Handler:
    perform: Callable[[Flask, dict[str, Any]], None]
    # called once the job is given up (its last attempt failed unexpectedly)
    give_up: Callable[[Flask, dict[str, Any], BaseException], None] | None = None


HANDLERS: dict[str, Handler] = {}


def job(
    name: str, *, give_up: Callable[[Flask, dict[str, Any], BaseException], None] | None = None
) -> Callable[[Callable[[Flask, dict[str, Any]], None]], Callable[[Flask, dict[str, Any]], None]]:
    """Register ``fn(app, args)`` as the job ``name``."""

    def register(
        fn: Callable[[Flask, dict[str, Any]], None],
    ) -> Callable[[Flask, dict[str, Any]], None]:
        HANDLERS[name] = Handler(fn, give_up)
        return fn

    return register


def queue_kind(app: Flask) -> str:
    config = state(app).config
    if config.job_queue:
        return config.job_queue
    return "database" if config.database_url.startswith("postgresql") else "thread"


def enqueue(app: Flask, name: str, args: dict[str, Any], *, lock: str | None = None) -> None:
    """Have job ``name`` performed with ``args``; ``lock``: no two jobs with the
    same lock run at once, nor wait twice in the queue."""
    if name not in HANDLERS:
        raise KeyError(f"no job {name!r}")
    # the app itself, not Flask's current_app proxy: the job outlives the request
    app = getattr(app, "_get_current_object", lambda: app)()
    if queue_kind(app) == "thread":
        _runner(app).submit(name, args)
        return
    from procrastinate import exceptions

    deferrer = procrastinate_app(app).tasks[TASK].configure(lock=lock, queueing_lock=lock)
    with suppress(exceptions.AlreadyEnqueued):  # the same work already waits in the queue
        deferrer.defer(name=name, args=args)


def _perform(app: Flask, name: str, args: dict[str, Any], *, last_attempt: bool) -> None:
    handler = HANDLERS[name]
    with app.app_context():
        try:
            handler.perform(app, args)
        except Exception as error:
            log.exception("job %s failed", name, extra={"job": name})
            if last_attempt and handler.give_up is not None:
                handler.give_up(app, args, error)
            raise


class _ThreadRunner:
    """One thread per process performing jobs in order (SQLite has one writer)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="amal-job")
        self.pending: set[Future[None]] = set()
        self.lock = threading.Lock()

    def submit(self, name: str, args: dict[str, Any]) -> None:
        future = self.executor.submit(self._run, name, args)
        with self.lock:
            self.pending.add(future)
        future.add_done_callback(self._forget)

    def _run(self, name: str, args: dict[str, Any]) -> None:
        with suppress(Exception):  # logged and given up by _perform: no retry in a thread
            _perform(self.app, name, args, last_attempt=True)

    def _forget(self, future: Future[None]) -> None:
        with self.lock:
            self.pending.discard(future)

    def drain(self, timeout: float | None) -> bool:
        with self.lock:
            pending = set(self.pending)
        return not wait(pending, timeout=timeout).not_done


_runners_lock = threading.Lock()


def _runner(app: Flask) -> _ThreadRunner:
    with _runners_lock:
        jobs = app.extensions.setdefault("amal_jobs", {})
        if "thread" not in jobs:
            jobs["thread"] = _ThreadRunner(app)
        return jobs["thread"]


def drain(app: Flask, timeout: float | None = 30) -> bool:
    """Wait for this process's in-thread jobs (tests, the CLI); True when none is left."""
    runner = app.extensions.get("amal_jobs", {}).get("thread")
    return runner.drain(timeout) if runner else True


def conninfo(database_url: str) -> str:
    """libpq's form of an SQLAlchemy PostgreSQL URL (its options, e.g. a
    search_path, kept)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(False)


def procrastinate_app(app: Flask) -> Any:
    """The procrastinate app of this AMAL app, opened for deferring (its
    synchronous pool, for requests and commands)."""
    queue = _queue(app)
    with _runners_lock:
        jobs = app.extensions["amal_jobs"]
        if not jobs.get("deferring"):
            queue.open()
            jobs["deferring"] = True
    return queue


def _queue(app: Flask) -> Any:
    with _runners_lock:
        jobs = app.extensions.setdefault("amal_jobs", {})
        if "procrastinate" in jobs:
            return jobs["procrastinate"]
        import procrastinate

        queue = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=conninfo(state(app).config.database_url), min_size=1, max_size=4
            )
        )

        @queue.task(
            name=TASK,
            pass_context=True,
            retry=procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS - 1, wait=5),
        )
        def amal_job(context: Any, name: str, args: dict[str, Any]) -> None:
            attempts = context.job.attempts if context.job else 0
            _perform(app, name, args, last_attempt=attempts + 1 >= MAX_ATTEMPTS)

        jobs["procrastinate"] = queue
        return queue


def run_worker(
    app: Flask,
    *,
    concurrency: int = 1,
    heartbeat: float = 10.0,
    stalled_after: float = 30.0,
    wait_for_jobs: bool = True,
) -> None:
    """Perform queued jobs until stopped (SIGINT/SIGTERM: the running jobs finish
    first). ``wait_for_jobs=False``: stop when the queue is empty."""
    asyncio.run(
        _work(
            app,
            concurrency=concurrency,
            heartbeat=heartbeat,
            stalled_after=stalled_after,
            wait_for_jobs=wait_for_jobs,
        )
    )


async def _work(
    app: Flask, *, concurrency: int, heartbeat: float, stalled_after: float, wait_for_jobs: bool
) -> None:
    queue = _queue(app)
    async with queue.open_async():
        await _retry_stalled(queue, stalled_after)
        sweeper = asyncio.create_task(_sweep(queue, heartbeat, stalled_after))
        try:
            await queue.run_worker_async(
                concurrency=concurrency,
                wait=wait_for_jobs,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled_after,
                install_signal_handlers=True,
            )
        finally:
            sweeper.cancel()


async def _sweep(queue: Any, every: float, stalled_after: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await _retry_stalled(queue, stalled_after)
        except Exception:  # the database away for a moment: next round
            log.warning("could not look for stalled jobs", exc_info=True)


async def _retry_stalled(queue: Any, stalled_after: float) -> None:
    """Jobs left 'doing' by a worker that stopped sending heartbeats (killed)
    go back to the queue."""
    await queue.job_manager.prune_stalled_workers(stalled_after)
    for stalled in await queue.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        log.warning("job %s of a dead worker queued again", stalled.id, extra={"job": stalled.id})
        await queue.job_manager.retry_job(stalled)


def counts(app: Flask) -> dict[str, int]:
    """Jobs per status in the database queue (empty for the thread queue)."""
    if queue_kind(app) == "thread":
        return {}
    rows = (
        procrastinate_app(app)
        .job_manager.connector.get_sync_connector()
        .execute_query_all(
            "SELECT status::text AS status, count(*) AS n FROM procrastinate_jobs GROUP BY status"
        )
    )
    return {row["status"]: row["n"] for row in rows}
