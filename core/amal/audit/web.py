"""The audit log of a territory, newest first, filterable by participant and user."""

from __future__ import annotations

from flask import g, render_template, request
from sqlalchemy import select

from amal.access import Permission, requires
from amal.audit.models import AuditEntry
from amal.audit.services import record_read
from amal.web.context import request_context
from amal.web.setup import record_id, territory_blueprint

bp = territory_blueprint("audit", __name__, "/audit")
PAGE_SIZE = 100


@bp.get("/")
@requires(Permission.VIEW_AUDIT)
def index():
    query = select(AuditEntry).where(AuditEntry.territory_code == g.territory)
    participant_id = request.args.get("participant", type=record_id)
    actor = request.args.get("actor", "").strip()
    if participant_id:
        query = query.where(AuditEntry.participant_id == participant_id)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    before = request.args.get("before", type=record_id)
    if before:
        query = query.where(AuditEntry.id < before)
    ctx = request_context()
    entries = ctx.session.scalars(query.order_by(AuditEntry.id.desc()).limit(PAGE_SIZE)).all()
    # The log names who was read and changed: reading it is itself a read to audit.
    record_read(
        ctx,
        "audit_log",
        {e.participant_id for e in entries if e.participant_id is not None},
        territory_code=g.territory,
        query={"participant": participant_id, "actor": actor, "before": before},
        entries=len(entries),
    )
    return render_template(
        "audit/index.html",
        entries=entries,
        participant_id=participant_id,
        actor=actor,
        page_size=PAGE_SIZE,
    )
