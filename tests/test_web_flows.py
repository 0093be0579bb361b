"""Web flows beyond the browser test: editing the plan, training on needs,
wellbeing errors next to the item, privacy actions, reports for funders."""

from datetime import date

from sqlalchemy import select

from amal.groups.services import add_need, create_group, enrol
from amal.meetings.models import Meeting, MeetingKind, MeetingStatus
from amal.meetings.services import generate_plan
from amal.participants.models import Participant
from amal.testing import csrf_token


def group_with_plan(ctx, person):
    group = create_group(ctx, "lecco", "Lario", start_date=date(2026, 3, 2))
    member = person("lecco")
    enrol(ctx, group.id, member.id)
    return group, member, generate_plan(ctx, group.id)


def test_coordinator_moves_and_cancels_meetings(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    _, _, plan = group_with_plan(ctx, person)
    page = f"/t/lecco/groups/meetings/{plan[3].id}"
    token = csrf_token(client, page)
    client.post(
        f"{page}/reschedule",
        data={"on": "2026-04-15", "reason": "Sala occupata", "csrf_token": token},
    )
    ctx.session.expire_all()
    assert plan[3].scheduled_on == date(2026, 4, 15) and "Sala occupata" in plan[3].plan_note
    refused = client.post(
        f"/t/lecco/groups/meetings/{plan[4].id}/cancel",
        data={"reason": "", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Indica il motivo" in refused.get_data(as_text=True)
    client.post(
        f"/t/lecco/groups/meetings/{plan[4].id}/cancel",
        data={"reason": "Sciopero", "csrf_token": token},
    )
    ctx.session.expire_all()
    assert plan[4].status == MeetingStatus.CANCELLED


def test_training_meeting_answers_a_group_need(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    group, _, _ = group_with_plan(ctx, person)
    need = add_need(ctx, group.id, "Colloquio di lavoro")
    token = csrf_token(client, f"/t/lecco/groups/{group.id}")
    client.post(
        f"/t/lecco/groups/{group.id}/training",
        data={"need_id": need.id, "on": "2026-05-20", "topic": "Simulazione", "csrf_token": token},
    )
    training = ctx.session.scalars(
        select(Meeting).where(Meeting.group_id == group.id, Meeting.kind == MeetingKind.TRAINING)
    ).one()
    assert training.scheduled_on == date(2026, 5, 20) and training.topic == "Simulazione"
    assert [n.id for n in training.needs] == [need.id]
    assert "Simulazione" in client.get(f"/t/lecco/groups/{group.id}").get_data(as_text=True)


def test_wellbeing_form_marks_the_missing_item(client, login, person) -> None:
    login("coordinator", "lecco")
    participant = person("lecco")
    url = f"/t/lecco/participants/{participant.id}/wellbeing/who5"
    answers = {f"item_{n}": "3" for n in (1, 2, 3, 5)}  # item 4 left empty
    page = client.post(
        url,
        data={
            **answers,
            "phase": "entry",
            "administered_on": "2026-02-02",
            "csrf_token": csrf_token(client, url),
        },
    )
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Rispondi a questa domanda" in text
    assert text.count('class="error"') == 1


def test_intake_form_shows_errors_next_to_the_field(client, login, ctx) -> None:
    from amal.consent.services import publish_notice

    publish_notice(ctx, "lecco", "1.0", "Informativa")
    login("coordinator", "lecco")
    url = "/t/lecco/participants/new"
    page = client.post(
        url,
        data={
            "first_name": "Anna",
            "last_name": "Neri",
            "employment_status": "naspi",
            "gender": "",
            "csrf_token": csrf_token(client, url),
        },
    )
    text = page.get_data(as_text=True)
    assert "La persona non ha prestato il consenso necessario" in text
    assert ctx.session.scalar(select(Participant).where(Participant.last_name == "Neri")) is None


def test_export_and_erasure_from_the_record(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    participant = person("lecco", last_name="Dacancellare")
    export = client.get(f"/t/lecco/participants/{participant.id}/export.json")
    assert export.status_code == 200 and export.json["participant"]["last_name"] == "Dacancellare"
    url = f"/t/lecco/participants/{participant.id}"
    token = csrf_token(client, url)
    client.post(f"{url}/erase", data={"reason": "Prot. 1", "confirm": "999", "csrf_token": token})
    ctx.session.expire_all()
    assert participant.erased_at is None  # wrong confirmation number: nothing erased
    client.post(
        f"{url}/erase",
        data={"reason": "Prot. 1", "confirm": str(participant.id), "csrf_token": token},
    )
    ctx.session.expire_all()
    assert participant.erased_at is not None and participant.last_name != "Dacancellare"


def test_funder_viewer_sees_no_live_figures_nor_registers(client, login) -> None:
    """Funders see only submitted runs (tests/test_projects_and_submissions.py):
    before a submission, nothing live, no violations, no live files."""
    login("funder_viewer", "monza-brianza")
    base = "/t/monza-brianza/reports/provincia-trimestrale"
    page = client.get(f"{base}?period=2026-Q1").get_data(as_text=True)
    assert "Nessun report è stato ancora inviato per questo periodo" in page
    assert "Violazioni delle regole" not in page and "registri presenze" not in page
    assert client.get(f"{base}/download.xlsx?period=2026-Q1").status_code == 403
    assert client.get(f"{base}/download.pdf?period=2026-Q1").status_code == 403
    bad = client.get(f"{base}?period=Q1").get_data(as_text=True)
    assert "Scrivi il periodo come" in bad and "2026-S1 (semestre)" in bad


def test_facilitator_notes_are_saved_and_shown(client, login, ctx, person) -> None:
    login("coordinator", "lecco")
    _, _, plan = group_with_plan(ctx, person)
    page = f"/t/lecco/groups/meetings/{plan[0].id}"
    client.post(
        page,
        data={
            "form": "notes",
            "notes-notes": "Clima sereno, Anna ha parlato",
            "csrf_token": csrf_token(client, page),
        },
    )
    ctx.session.expire_all()
    assert plan[0].facilitator_notes == "Clima sereno, Anna ha parlato"
    assert "Clima sereno" in client.get(page).get_data(as_text=True)


def test_admins_cannot_deactivate_themselves(client, login, ctx) -> None:
    from amal.accounts.models import User

    admin = login(None, "lecco", is_admin=True)
    client.post(
        f"/admin/users/{admin.id}/toggle", data={"csrf_token": csrf_token(client, "/admin/users")}
    )
    assert ctx.session.get(User, admin.id).is_active is True
    assert client.get("/admin/users").status_code == 200
