"""Everyday tools of issue 15: the blank sign-in sheet of a meeting, contacts on
the participant page, the case diary, the absence alert, the month calendar,
the printable member list, list exports."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from test_reports import pdf_pages

from amal.audit.models import AuditEntry
from amal.groups.services import create_group, enrol
from amal.meetings.services import generate_plan
from amal.services import Context
from amal.testing import staff_facilitator


def lecco_group(ctx: Context, person, size: int = 2, start: date | None = None):
    """A Lecco group starting in three weeks (its members enrolled today)."""
    group = create_group(
        ctx,
        "lecco",
        "Lario",
        start_date=start or date.today() + timedelta(days=21),
        facilitator_ids=[staff_facilitator(ctx, "lecco")],
    )
    members = [person("lecco") for _ in range(size)]
    for member in members:
        enrol(ctx, group.id, member.id)
    return group, members, generate_plan(ctx, group.id)


def test_blank_sign_in_sheet_from_the_meeting_page(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    _, members, plan = lecco_group(ctx, person)
    page = client.get(f"/t/lecco/groups/meetings/{plan[0].id}").get_data(as_text=True)
    link = f"/t/lecco/reports/meetings/{plan[0].id}/sign-in.pdf"
    assert link in page and "foglio firme" in page
    response = client.get(link)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    [text] = pdf_pages(response.data)
    assert "Foglio firme" in text and "Lario" in text and "Pagina 1 di 1" in text
    assert all(m.last_name in text for m in members)
    assert f"{plan[0].scheduled_on:%d/%m/%Y}" in text
    audit = ctx.session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "register").order_by(AuditEntry.id.desc())
    ).first()
    assert audit is not None and sorted(audit.details["ids"]) == sorted(m.id for m in members)
    elsewhere = client.get(f"/t/monza-brianza/reports/meetings/{plan[0].id}/sign-in.pdf")
    assert elsewhere.status_code == 404
