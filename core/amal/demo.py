"""Demo data: realistic Italian data for every hosted territory, made through
the services (so every rule holds) with a fixed seed (so runs are repeatable).

Each territory gets candidates in every state, a concluded group, an active
group halfway through its plan, a forming group and a planned one, with
registers, WHO-5 and Rosenberg scores, needs, a training meeting, referrals,
outcomes, and the project's network coordination group with its meetings.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from faker import Faker
from sqlalchemy import func, select

from amal.accounts.models import Role, User
from amal.accounts.services import create_user
from amal.consent.models import ConsentPurpose
from amal.consent.services import current_notice, publish_notice, record_consents
from amal.db import ITALY
from amal.groups.models import GroupComposition
from amal.groups.services import (
    add_need,
    conclude_group,
    create_group,
    enrol,
    start_group,
)
from amal.meetings.models import MeetingKind, Presence
from amal.meetings.services import generate_plan, record_register, schedule_meeting
from amal.network.models import FollowUpOutcome
from amal.network.services import (
    PresenceLine,
    add_decision,
    add_member,
    create_body,
    follow_up_decision,
    record_organisations_register,
    schedule_network_meeting,
    update_network_meeting,
)
from amal.outcomes.models import ContractType, OutcomeMoment, Situation
from amal.outcomes.services import record_outcome
from amal.participants.models import EmploymentStatus, Participant, ParticipantStatus
from amal.participants.services import change_status, register_candidate
from amal.projects.services import current_project, territory_projects
from amal.referrals.models import ReferralStatus
from amal.referrals.services import advance_referral, propose_referral
from amal.services import Context, use_case
from amal.territories.services import add_representative, directory
from amal.wellbeing.instruments import ROSENBERG, WHO5
from amal.wellbeing.models import Phase
from amal.wellbeing.services import record_administration

SECTORS = [
    "metalmeccanico",
    "commercio",
    "logistica",
    "edilizia",
    "tessile",
    "servizi alle imprese",
    "informatica",
    "ristorazione",
]
SOURCES = [
    "sindacato",
    "centro per l'impiego",
    "passaparola",
    "servizi sociali del Comune",
    "sito web del Comune",
    "volantino in biblioteca",
]
NEEDS = [
    "Scrivere il curriculum",
    "Prepararsi al colloquio",
    "Usare i portali di ricerca lavoro",
    "Conoscere Dote Unica Lavoro e GOL",
    "Mettersi in proprio",
]
DEMO_PASSWORD = "demo-password"  # for the demo staff accounts only; printed by `amal demo`


@dataclass(frozen=True)
class DemoState:
    """Which territories a demo load would fill, and which hold real data."""

    to_fill: list[str]  # no participants yet
    demo: list[str]  # loaded by a demo already
    real: list[str]  # participants that no demo made: the demo stays away


def demo_state(ctx: Context) -> DemoState:
    counts = dict(
        ctx.session.execute(
            select(Participant.territory_code, func.count(Participant.id)).group_by(
                Participant.territory_code
            )
        ).all()
    )
    demo_users = set(
        ctx.session.scalars(select(User.username).where(User.username.like("facilitatore-%")))
    )
    state = DemoState([], [], [])
    for code in ctx.plugins.territories:
        if not counts.get(code):
            state.to_fill.append(code)
        elif _facilitator_name(code) in demo_users:
            state.demo.append(code)
        else:
            state.real.append(code)
    return state


def load_demo(
    ctx: Context,
    *,
    today: date | None = None,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fill every hosted territory that has no participants yet; returns how
    many participants each got. Each territory is one transaction, so an
    interrupted load leaves whole territories, and running it again finishes it.
    ``progress(code)`` is told after each territory."""
    today = today or date.today()
    created = {}
    pending = set(demo_state(ctx).to_fill)
    for index, code in enumerate(ctx.plugins.territories):
        if code in pending:
            created[code] = _load_territory(ctx, code, today, seed + index)
            if progress:
                progress(code)
    return created


@use_case
def _load_territory(ctx: Context, code: str, today: date, seed: int) -> int:
    return _Territory(ctx, code, today, seed).build()


def _facilitator_name(code: str) -> str:
    return f"facilitatore-{code}"


class _Territory:
    def __init__(self, ctx: Context, code: str, today: date, seed: int) -> None:
        self.ctx, self.code, self.today = ctx, code, today
        self.random = random.Random(seed)
        self.fake = Faker("it_IT")
        self.fake.seed_instance(seed)
        self.services = [s.code for s in ctx.plugins.service_catalogue(code)]
        self.count = 0

    def build(self) -> int:
        ctx = self.ctx
        if current_notice(ctx.session, self.code) is None:
            publish_notice(ctx, self.code, "1.0", _NOTICE)
        facilitator = self._facilitator()
        policy = ctx.plugins.group_policy(self.code)
        size = policy.min_size + 1

        # A concluded group, an active one halfway through, a forming one, a planned one.
        concluded_start = self.today - timedelta(days=policy.cadence_days * (policy.meetings + 6))
        active_start = self.today - timedelta(days=policy.cadence_days * (policy.meetings // 2))
        self._group(
            "Gruppo Brianza Ovest" if "monza" in self.code else "Gruppo Valmadrera 1",
            concluded_start,
            size,
            facilitator,
            conclude=True,
        )
        self._group(
            "Gruppo ex Agile" if "monza" in self.code else "Gruppo Lario",
            active_start,
            size,
            facilitator,
            homogeneous="monza" in self.code,
        )
        forming = create_group(
            ctx,
            self.code,
            "Gruppo in formazione",
            start_date=self.today + timedelta(days=21),
            facilitator_ids=[facilitator.id],
            location="Sala civica",
        )
        for participant in self._people(policy.min_size - 3, ParticipantStatus.ADMITTED):
            enrol(ctx, forming.id, participant.id)
        create_group(ctx, self.code, "Gruppo autunno", start_date=self.today + timedelta(days=60))

        # Candidates in every early state.
        self._people(4, ParticipantStatus.CANDIDATE)
        self._people(3, ParticipantStatus.SCREENED)
        self._people(3, ParticipantStatus.ADMITTED)
        self._people(2, ParticipantStatus.WAITLISTED)
        self._people(2, ParticipantStatus.NOT_ELIGIBLE)
        self._people(1, ParticipantStatus.WITHDRAWN)
        self._network()
        schedule_meeting(
            ctx,
            self.code,
            MeetingKind.INFO,
            self._working_day(self.today + timedelta(days=14)),
            topic="Incontro informativo per i nuovi candidati",
        )
        return self.count

    def _network(self) -> None:
        """The project's coordination group: every partner at the table, two
        meetings held (register, minutes, decisions followed up) and the next
        one planned."""
        ctx, today = self.ctx, self.today
        project = current_project(ctx.session, self.code, today) or next(
            iter(territory_projects(ctx.session, self.code)), None
        )
        if project is None:
            return
        body = create_body(ctx, self.code, project.id)
        partners = directory(ctx, self.code)
        joined = min(project.start_on, today)
        for partner in partners:
            person = partner.representatives[0] if partner.representatives else None
            if person is None:
                person = add_representative(
                    ctx,
                    self.code,
                    partner.id,
                    name=self.fake.name(),
                    position="Referente di progetto",
                )
            add_member(
                ctx, self.code, body.id, partner.id, representative_id=person.id, joined_on=joined
            )
        first_day, second_day = today - timedelta(days=70), today - timedelta(days=14)
        place = "Sede della Provincia" if "monza" in self.code else "Municipio di Valmadrera"
        held = []
        for day, agenda in (
            (first_day, "1. Avvio dei gruppi\n2. Comunicazione ai centri per l'impiego"),
            (second_day, "1. Verifica delle decisioni\n2. Andamento dei gruppi"),
        ):
            meeting = schedule_network_meeting(
                ctx, self.code, body.id, day, location=place, agenda=agenda
            )
            if day < project.start_on:
                continue  # a project not started yet: its meetings are only planned
            present = {
                p.id: PresenceLine(p.representatives[0].id)
                for p in partners
                if self.random.random() < 0.8
            } or {partners[0].id: PresenceLine(partners[0].representatives[0].id)}
            record_organisations_register(ctx, self.code, meeting.id, present)
            update_network_meeting(
                ctx,
                self.code,
                meeting.id,
                minutes="Il tavolo esamina l'avvio dei gruppi e le segnalazioni "
                "dei servizi. Si concordano le azioni riportate sotto.",
            )
            held.append(meeting)
        if held:
            flyer = add_decision(
                ctx,
                self.code,
                held[0].id,
                "Preparare un volantino per i centri per l'impiego",
                owner_partner_id=partners[0].id,
                due_on=held[0].meeting.scheduled_on + timedelta(days=30),
            )
            unions = add_decision(
                ctx,
                self.code,
                held[0].id,
                "Presentare il progetto alle rappresentanze sindacali aziendali",
                owner_partner_id=partners[-1].id,
                owner_person=partners[-1].representatives[0].name,
            )
        if len(held) == 2:
            follow_up_decision(
                ctx,
                self.code,
                flyer.id,
                held[1].id,
                FollowUpOutcome.DONE,
                note="Distribuito nei centri per l'impiego",
            )
            follow_up_decision(
                ctx,
                self.code,
                unions.id,
                held[1].id,
                FollowUpOutcome.CARRIED_OVER,
                note="Dopo le assemblee",
            )
            add_decision(
                ctx,
                self.code,
                held[1].id,
                "Raccogliere le offerte dei partner",
                owner_partner_id=partners[0].id,
                due_on=today + timedelta(days=21),
            )
        schedule_network_meeting(
            ctx,
            self.code,
            body.id,
            today + timedelta(days=10),
            location=place,
            agenda="1. Verifica delle decisioni aperte",
        )

    def _working_day(self, day: date) -> date:
        """``day``, or the next day that is not a holiday (meetings avoid them)."""
        holidays = self.ctx.plugins.holidays(self.code, {day.year, day.year + 1})
        while day in holidays:
            day += timedelta(days=1)
        return day

    def _facilitator(self) -> User:
        username = _facilitator_name(self.code)
        existing = self.ctx.session.scalar(select(User).where(User.username == username))
        return existing or create_user(
            self.ctx,
            username,
            DEMO_PASSWORD,
            display_name=self.fake.name(),
            roles=[(self.code, Role.FACILITATOR)],
        )

    def _people(
        self, n: int, status: ParticipantStatus, on: date | None = None, employer: str = ""
    ) -> list[Participant]:
        return [self._person(status, on, employer) for _ in range(n)]

    def _person(
        self, status: ParticipantStatus, on: date | None = None, employer: str = ""
    ) -> Participant:
        """A person whose every step so far happened ``on`` (default today)."""
        ctx, fake, rnd = self.ctx, self.fake, self.random
        female = rnd.random() < 0.45
        first = fake.first_name_female() if female else fake.first_name_male()
        birth = fake.date_of_birth(minimum_age=30, maximum_age=62)
        participant = register_candidate(
            ctx,
            self.code,
            allow_same_name=True,
            registered_on=on,
            first_name=first,
            last_name=fake.last_name(),
            birth_date=birth,
            gender="F" if female else "M",
            email=fake.free_email(),
            phone="+39 34" + fake.numerify("########"),  # a valid Italian mobile
            municipality=fake.city(),
            # the company is drawn even when unused: a seed keeps giving the same people
            last_employer=next(filter(None, (employer, fake.company()))),
            sector=rnd.choice(SECTORS),
            months_out_of_work=rnd.randint(1, 36),
            employment_status=rnd.choice(list(EmploymentStatus)),
            heard_from=rnd.choice(SOURCES),
        )
        self.count += 1
        if status == ParticipantStatus.CANDIDATE:
            return participant
        record_consents(ctx, participant.id, list(ConsentPurpose), granted_on=on)
        change_status(
            ctx, participant.id, ParticipantStatus.SCREENED, "Colloquio di accoglienza", on
        )
        steps = {
            ParticipantStatus.ADMITTED: [ParticipantStatus.ADMITTED],
            ParticipantStatus.WAITLISTED: [ParticipantStatus.WAITLISTED],
            ParticipantStatus.NOT_ELIGIBLE: [ParticipantStatus.NOT_ELIGIBLE],
            ParticipantStatus.WITHDRAWN: [ParticipantStatus.WITHDRAWN],
        }.get(status, [])
        for step in steps:
            reason = {
                ParticipantStatus.NOT_ELIGIBLE: "Già occupato a tempo pieno",
                ParticipantStatus.WITHDRAWN: "Trasferito in un'altra regione",
                ParticipantStatus.WAITLISTED: "Nessun gruppo con posti liberi",
            }.get(step, "")
            change_status(ctx, participant.id, step, reason, on)
        return participant

    def _group(
        self,
        name: str,
        start: date,
        size: int,
        facilitator: User,
        *,
        conclude: bool = False,
        homogeneous: bool = False,
    ) -> None:
        ctx, rnd = self.ctx, self.random
        group = create_group(
            ctx,
            self.code,
            name,
            start_date=start,
            facilitator_ids=[facilitator.id],
            composition=GroupComposition.HOMOGENEOUS
            if homogeneous
            else GroupComposition.HETEROGENEOUS,
            company_of_origin="Agile (ex Eutelia)" if homogeneous else "",
            location="Sala riunioni del Comune",
        )
        # Registered three weeks before the first meeting, enrolled the week before;
        # a homogeneous group's people come from its company (enrolment checks it).
        employer = "Eutelia S.p.A." if homogeneous else ""
        members = self._people(
            size, ParticipantStatus.ADMITTED, start - timedelta(days=21), employer
        )
        for participant in members:
            enrol(ctx, group.id, participant.id, enrolled_on=start - timedelta(days=7))
        start_group(ctx, group.id, started_on=start)
        for participant in members:
            record_administration(
                ctx,
                participant.id,
                WHO5.code,
                Phase.ENTRY,
                self._answers(WHO5, 1, 3),
                administered_on=start,
            )
            record_administration(
                ctx,
                participant.id,
                ROSENBERG.code,
                Phase.ENTRY,
                self._answers(ROSENBERG, 1, 2),
                administered_on=start,
            )
        need = add_need(ctx, group.id, rnd.choice(NEEDS), expressed_on=start)
        meetings = generate_plan(ctx, group.id)
        held = [m for m in meetings if m.scheduled_on < self.today]
        if held:
            schedule_meeting(
                ctx,
                self.code,
                MeetingKind.TRAINING,
                self._working_day(held[len(held) // 2].scheduled_on + timedelta(days=7)),
                group_id=group.id,
                topic=need.topic,
                need_ids=[need.id],
            )
        for index, meeting in enumerate(held):
            if index == 2 and not conclude:
                continue  # a held meeting still without a register: a rule to flag
            register = record_register(
                ctx, meeting.id, {p.id: self._presence() for p in members}, today=self.today
            )
            # Facilitators type the register in the day after the meeting (Monza's
            # funder checks it: amal_monza_brianza.rules.register_signed_late).
            typed_in = datetime.combine(meeting.scheduled_on + timedelta(days=1), time(10), ITALY)
            for line in register.attendance:
                line.recorded_at = typed_in
        dropout = members[-1]
        change_status(
            ctx,
            dropout.id,
            ParticipantStatus.DROPPED_OUT,
            "Nuovo lavoro a turni",
            held[len(held) // 2].scheduled_on if held else None,
        )
        if not conclude:
            return
        for participant in members[:-1]:
            record_administration(
                ctx,
                participant.id,
                WHO5.code,
                Phase.END,
                self._answers(WHO5, 2, 5),
                administered_on=held[-1].scheduled_on,
            )
            record_administration(
                ctx,
                participant.id,
                ROSENBERG.code,
                Phase.END,
                self._answers(ROSENBERG, 1, 3),
                administered_on=held[-1].scheduled_on,
            )
        conclude_group(
            ctx,
            group.id,
            concluded_on=held[-1].scheduled_on,
            cancel_remaining=True,
            reason="Percorso chiuso in anticipo (dati dimostrativi)",
        )
        for participant in members[:-1]:
            self._referral_and_outcome(participant, start)

    def _referral_and_outcome(self, participant: Participant, start: date) -> None:
        rnd = self.random
        if self.services:
            referral = propose_referral(
                ctx := self.ctx,
                participant.id,
                rnd.choice(self.services),
                on=start + timedelta(days=60),
            )
            path = [
                ReferralStatus.SENT,
                ReferralStatus.ACCEPTED,
                ReferralStatus.STARTED,
                ReferralStatus.COMPLETED,
            ][: rnd.randint(0, 4)]
            for offset, status in enumerate(path, start=1):
                advance_referral(
                    ctx, referral.id, status, on=start + timedelta(days=60 + offset * 14)
                )
        situation = rnd.choice(list(Situation))
        record_outcome(
            self.ctx,
            participant.id,
            OutcomeMoment.END,
            situation,
            contract_type=rnd.choice(list(ContractType))
            if situation == Situation.EMPLOYED
            else None,
            recorded_on=self.today - timedelta(days=30),
        )

    def _answers(self, scale, low: int, high: int) -> dict[int, int]:
        def answer(item) -> int:
            value = self.random.randint(max(scale.min_answer, low), min(scale.max_answer, high))
            return scale.max_answer + scale.min_answer - value if item.reverse else value

        return {item.number: answer(item) for item in scale.items}

    def _presence(self) -> tuple[Presence, None]:
        roll = self.random.random()
        presence = (
            Presence.PRESENT
            if roll < 0.8
            else Presence.JUSTIFIED
            if roll < 0.92
            else Presence.ABSENT
        )
        return presence, None


_NOTICE = """Informativa sul trattamento dei dati personali (artt. 13 e 14 Reg. UE 2016/679).
I dati sono trattati per gestire la partecipazione ai gruppi di auto mutuo aiuto lavoro.
I dati sul benessere (questionari WHO-5 e Rosenberg) sono trattati solo con il consenso
esplicito; la condivisione con gli operatori accreditati ai servizi al lavoro avviene solo
con il consenso dell'interessato."""
