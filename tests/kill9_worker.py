"""A worker process for tests/test_kill9.py: performs one kind of multi-row
write on a list of targets, printing ``start N`` / ``done N``, until the test
kills it with SIGKILL. Each statement is slowed a little, so that kills land
inside transactions more often. An idempotent client: a target whose write
already committed (before a kill hid the ``done``) is recognised, not redone.

    python tests/kill9_worker.py INSTANCE DATABASE_URL OP [ARG] -- TARGET...
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date

from sqlalchemy import event, select

from amal.app import create_app
from amal.consent.models import ConsentPurpose
from amal.consent.services import erase_person
from amal.errors import DomainError
from amal.groups.models import Enrolment
from amal.groups.services import enrol
from amal.meetings.models import Meeting, MeetingStatus, Presence
from amal.meetings.services import generate_plan, record_register
from amal.participants.services import intake
from amal.reports.engine import start_run
from amal.runtime import state
from amal.services import Context

TERRITORY = "monza-brianza"
ALREADY_DONE = {"plan_exists", "participant_erased", "duplicate_participant"}


def main() -> None:
    instance, url, op, *rest = sys.argv[1:]
    split = rest.index("--")
    args, targets = rest[:split], [int(t) for t in rest[split + 1 :]]
    app = create_app(
        instance,
        config_overrides={
            "environment": "testing",
            "database_url": url,
            "plugins": ["monza-brianza"],
            "secret_key": "kill9",
        },
    )
    amal = state(app)
    event.listen(
        amal.engine, "before_cursor_execute", lambda *_: time.sleep(random.uniform(0, 0.01))
    )
    print("ready", flush=True)
    for target in targets:
        print(f"start {target}", flush=True)
        with amal.session_factory() as session:
            ctx = Context(session, "kill9", amal.plugins)
            try:
                perform(ctx, op, args, target)
            except DomainError as error:
                if error.code not in ALREADY_DONE and error.code != "group_full":
                    raise
        print(f"done {target}", flush=True)


def perform(ctx: Context, op: str, args: list[str], target: int) -> None:
    if op == "plan":
        generate_plan(ctx, target)
    elif op == "register":
        meeting = ctx.session.get(Meeting, target)
        if meeting.status == MeetingStatus.HELD:
            return
        members = ctx.session.scalars(
            select(Enrolment.participant_id).where(Enrolment.group_id == meeting.group_id)
        ).all()
        record_register(ctx, target, {p: (Presence.PRESENT, None) for p in members})
    elif op == "enrol":
        group_id = int(args[0])
        if ctx.session.scalar(
            select(Enrolment.id).where(
                Enrolment.group_id == group_id, Enrolment.participant_id == target
            )
        ):
            return
        enrol(ctx, group_id, target)
    elif op == "intake":
        intake(
            ctx,
            TERRITORY,
            list(ConsentPurpose),
            first_name=f"Kill{target}",
            last_name="Nove",
            birth_date=date(1970, 1, 1 + target % 28),
        )
    elif op == "report":
        start_run(ctx, TERRITORY, args[0], args[1])
    elif op == "erase":
        erase_person(ctx, target, f"Richiesta n. {target}")
    else:
        raise SystemExit(f"unknown op {op}")


if __name__ == "__main__":
    main()
