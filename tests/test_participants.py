from datetime import date

import pytest
from sqlalchemy import select

from amal.audit.models import AuditAction, AuditEntry
from amal.consent.models import ConsentPurpose
from amal.errors import DomainError
from amal.groups.services import create_group, enrol, start_group
from amal.participants.models import Participant
from amal.participants.models import ParticipantStatus as S
from amal.participants.services import (
    GROUP_DRIVEN,
    TRANSITIONS,
    apply_transition,
    change_status,
    matching,
    register_candidate,
    update_participant,
    view_participant,
)
from amal.plugins import hookimpl
from amal.plugins.manager import PluginHost
from amal.services import Context
from amal.testing import staff_facilitator
from amal.testing import valid_fiscal_code as fiscal_code

ILLEGAL = [(a, b) for a in S for b in S if b not in TRANSITIONS[a]]


def test_the_lifecycle_table_covers_every_state() -> None:
    assert set(TRANSITIONS) == set(S)
    assert len(ILLEGAL) == 100 - sum(len(t) for t in TRANSITIONS.values())


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL, ids=lambda s: s.value)
def test_every_illegal_transition_is_refused(ctx: Context, person, from_status, to_status):
    participant = person(status=S.CANDIDATE)
    participant.status = from_status  # put it there directly: only the rule is under test
    ctx.session.flush()
    with pytest.raises(DomainError) as error:
        apply_transition(ctx, participant, to_status, reason="because")
    assert error.value.code == "illegal_transition"
    assert from_status.value in error.value.message


def test_history_records_who_when_why(ctx: Context, person) -> None:
    participant = person(status=S.SCREENED)
    change_status(ctx, participant.id, S.WAITLISTED)
    change_status(ctx, participant.id, S.WITHDRAWN, "Ha trovato lavoro")
    steps = [(c.from_status, c.to_status, c.changed_by, c.reason) for c in participant.history]
    assert steps == [
        (None, S.CANDIDATE, "tester", "Registrazione"),
        (S.CANDIDATE, S.SCREENED, "tester", ""),
        (S.SCREENED, S.WAITLISTED, "tester", ""),
        (S.WAITLISTED, S.WITHDRAWN, "tester", "Ha trovato lavoro"),
    ]
    assert all(c.changed_at is not None for c in participant.history)


def test_waitlisted_can_be_reactivated_to_admitted(ctx: Context, person) -> None:
    participant = person(status=S.SCREENED)
    change_status(ctx, participant.id, S.WAITLISTED)
    change_status(ctx, participant.id, S.ADMITTED)
    assert participant.status == S.ADMITTED


@pytest.mark.parametrize("target", [S.WITHDRAWN, S.NOT_ELIGIBLE])
def test_closing_transitions_need_a_reason(ctx: Context, person, target) -> None:
    participant = person(status=S.SCREENED)
    with pytest.raises(DomainError, match="needs a reason") as error:
        change_status(ctx, participant.id, target, "  ")
    assert error.value.code == "reason_required"
    ctx.session.refresh(participant)
    assert participant.status == S.SCREENED


@pytest.mark.parametrize("target", sorted(GROUP_DRIVEN))
def test_group_driven_states_are_reached_through_the_group(ctx, person, target) -> None:
    participant = person()
    with pytest.raises(DomainError) as error:
        change_status(ctx, participant.id, target)
    assert error.value.code in {"use_group_action", "illegal_transition"}


def test_admission_without_consent_lists_the_reasons(ctx: Context, person) -> None:
    participant = person(status=S.SCREENED, consents=(), birth_date=None)
    with pytest.raises(DomainError) as error:
        change_status(ctx, participant.id, S.ADMITTED)
    assert error.value.code == "not_eligible"
    assert error.value.details["problems"] == [
        "No active consent to the processing of personal data",
        "Birth date missing",
    ]
    ctx.session.refresh(participant)
    assert participant.status == S.SCREENED


def test_plugin_eligibility_checks_block_admission(app, ctx: Context, person) -> None:
    class ResidencePlugin:
        @hookimpl
        def amal_eligibility_problems(self, participant, territory):
            if territory.code == "lecco" and not participant.municipality:
                return ["Comune di residenza mancante"]
            return []

    plugins = PluginHost(["monza-brianza", "lecco"], extra=[("residence", ResidencePlugin())])
    strict = Context(ctx.session, "tester", plugins)
    lecco_person = person("lecco", status=S.SCREENED)
    with pytest.raises(DomainError, match="Comune di residenza mancante"):
        change_status(strict, lecco_person.id, S.ADMITTED)
    monza_person = person("monza-brianza", status=S.SCREENED)
    change_status(strict, monza_person.id, S.ADMITTED)  # the plugin only speaks for lecco
    update_participant(strict, lecco_person.id, municipality="Valmadrera")
    change_status(strict, lecco_person.id, S.ADMITTED)


def test_minors_are_not_eligible(ctx: Context, person) -> None:
    today = date.today()
    participant = person(status=S.SCREENED, birth_date=date(today.year - 17, 1, 1))
    with pytest.raises(DomainError, match="Younger than 18"):
        change_status(ctx, participant.id, S.ADMITTED)


def test_withdrawal_from_an_active_group_ends_the_membership(ctx: Context, person) -> None:
    group = create_group(
        ctx, "monza-brianza", "G", facilitator_ids=[staff_facilitator(ctx, "monza-brianza")]
    )
    members = [person() for _ in range(10)]
    for m in members:
        enrol(ctx, group.id, m.id)
    start_group(ctx, group.id)
    change_status(ctx, members[0].id, S.DROPPED_OUT, "Non si presenta da due mesi")
    assert members[0].status == S.DROPPED_OUT
    assert count(ctx, matching(select(Participant), group_id=group.id)) == 9


def test_fiscal_code_is_validated_and_normalised(ctx: Context) -> None:
    code = fiscal_code("RSSMRA80A01F205")
    participant = register_candidate(
        ctx, "lecco", first_name="Mario", last_name="Rossi", fiscal_code=code.lower()
    )
    assert participant.fiscal_code == code
    wrong_check = code[:-1] + ("A" if code[-1] != "A" else "B")
    for bad in (wrong_check, "RSSMRA80A01F20", "12345"):
        with pytest.raises(DomainError) as error:
            register_candidate(ctx, "lecco", first_name="X", last_name="Y", fiscal_code=bad)
        assert error.value.code == "invalid_fiscal_code"


def test_duplicates_are_found_inside_the_territory_only(ctx: Context) -> None:
    """Issue 12 #19: Lecco must not learn that a person is known in Monza."""
    code = fiscal_code("VRDLGU75C41F704")
    first = register_candidate(
        ctx, "monza-brianza", first_name="Luigia", last_name="Verdi", fiscal_code=code
    )
    with pytest.raises(DomainError, match="same fiscal code") as e:
        register_candidate(
            ctx, "monza-brianza", first_name="Luigia", last_name="Verdi", fiscal_code=code
        )
    assert e.value.details["duplicate_of"] == first.id
    elsewhere = register_candidate(
        ctx, "lecco", first_name="Luigia", last_name="Verdi", fiscal_code=code
    )
    assert elsewhere.territory_code == "lecco"


def test_duplicates_by_name_and_birth_date_unless_confirmed(ctx: Context) -> None:
    born = date(1968, 3, 4)
    register_candidate(ctx, "lecco", first_name="Anna", last_name="Bianchi", birth_date=born)
    with pytest.raises(DomainError, match="same name and birth date"):
        register_candidate(ctx, "lecco", first_name="ANNA ", last_name="bianchi", birth_date=born)
    homonym = register_candidate(
        ctx, "lecco", first_name="Anna", last_name="Bianchi", birth_date=born, allow_same_name=True
    )
    assert homonym.id


def test_update_refuses_unknown_fields_and_audits_changes(ctx: Context, person) -> None:
    participant = person()
    with pytest.raises(DomainError, match="Unknown field"):
        update_participant(ctx, participant.id, status="completed")
    update_participant(ctx, participant.id, phone="333 1234567", sector="logistica")
    entry = ctx.session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.UPDATE, AuditEntry.participant_id == participant.id
        )
    ).one()
    assert entry.details["fields"] == ["phone", "sector"]


def count(ctx: Context, statement) -> int:
    return len(ctx.session.scalars(statement).all())


def test_matching_by_name_or_fiscal_code(ctx: Context) -> None:
    code = fiscal_code("BNCGPP60D15E507")
    register_candidate(ctx, "lecco", first_name="Giuseppe", last_name="Bianchi", fiscal_code=code)
    register_candidate(ctx, "monza-brianza", first_name="Giuseppe", last_name="Neri")
    lecco = select(Participant).where(Participant.territory_code == "lecco")
    found = ctx.session.scalars(matching(lecco, text="giuseppe")).all()
    assert [p.last_name for p in found] == ["Bianchi"]
    assert count(ctx, matching(select(Participant), text="GIUSEPPE")) == 2
    assert count(ctx, matching(lecco, text=code[:6])) == 1
    assert count(ctx, matching(lecco, text="giuseppe rossi")) == 0  # every word must match
    assert count(ctx, matching(lecco, status=S.ADMITTED)) == 0


def test_viewing_a_record_is_audited(ctx: Context, person) -> None:
    participant = person(consents=(ConsentPurpose.PROCESSING,))
    view_participant(ctx, participant.id)
    actions = ctx.session.scalars(
        select(AuditEntry.action).where(AuditEntry.participant_id == participant.id)
    ).all()
    assert actions[-1] == AuditAction.VIEW
