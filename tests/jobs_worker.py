"""``amal worker`` for tests/test_jobs.py, each SQL statement slowed by DELAY
seconds so that a kill -9 lands in the middle of a job.

    python tests/jobs_worker.py INSTANCE DATABASE_URL DELAY
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import event

from amal import jobs
from amal.app import create_app
from amal.runtime import state


def main() -> None:
    instance, url, delay = sys.argv[1], sys.argv[2], float(sys.argv[3])
    app = create_app(
        instance,
        config_overrides={
            "environment": "testing",
            "database_url": url,
            "secret_key": "jobs",
            "job_queue": "database",
            "plugins": ["monza-brianza"],
        },
    )
    if delay:
        event.listen(state(app).engine, "before_cursor_execute", lambda *_: time.sleep(delay))
    print("ready", flush=True)
    jobs.run_worker(app, heartbeat=0.5, stalled_after=1.5)


if __name__ == "__main__":
    main()
