"""Groups, enrolments, plans, meetings and attendance registers in the API."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask.views import MethodView
from sqlalchemy import func, select

from amal import access
from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.audit.services import record_read
from amal.groups.models import Facilitation, Group
from amal.groups.schemas import (
    EndFacilitationSchema,
    EnrolmentSchema,
    FacilitationSchema,
    GroupActionSchema,
    GroupSchema,
    GroupUpdateSchema,
    MeetingSchema,
    MemberExitSchema,
    RegisterSchema,
    ShiftSchema,
    WaitlistEntrySchema,
)
from amal.groups.services import (
    add_to_waitlist,
    assign_facilitator,
    conclude_group,
    create_group,
    end_facilitation,
    enrol,
    remove_member,
    reopen_group,
    start_group,
    update_group,
    waiting_list,
)
from amal.meetings.models import Meeting
from amal.meetings.services import generate_plan, record_register, shift_plan
from amal.participants.models import Participant
from amal.web.context import request_context

bp = api_blueprint("api_groups", __name__, "/groups", "Self-help groups and their meetings")
meetings_bp = api_blueprint(
    "api_meetings", __name__, "/meetings", "Meetings and attendance registers"
)


@bp.route("/")
class Groups(MethodView):
    @requires(Permission.VIEW_GROUPS)
    @bp.response(200, GroupSchema(many=True))
    @bp.paginate()
    def get(self, pagination_parameters):
        session = request_context().session
        statement = access.groups()
        pagination_parameters.item_count = session.scalar(
            select(func.count()).select_from(statement.subquery())
        )
        return session.scalars(
            statement.order_by(Group.id)
            .limit(pagination_parameters.page_size)
            .offset(pagination_parameters.first_item)
        ).all()

    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(GroupSchema)
    @bp.response(201, GroupSchema)
    def post(self, data: dict[str, Any]):
        """Create a group; size and plan come from the territory's policy."""
        return create_group(
            request_context(),
            g.territory,
            data["name"],
            composition=data["composition"],
            company_of_origin=data["company_of_origin"],
            start_date=data["start_date"],
            location=data["location"],
            facilitator_ids=data["facilitator_ids"],
            meetings=data["planned_meetings"],
            project_id=data["project_id"],
        )


@bp.route("/<id:group_id>")
class GroupResource(MethodView):
    @requires(Permission.VIEW_GROUPS)
    @bp.etag
    @bp.response(200, GroupSchema)
    def get(self, group_id: int):
        return access.get_visible(request_context().session, Group, group_id)

    @requires(Permission.MANAGE_GROUPS)
    @bp.etag
    @bp.arguments(GroupUpdateSchema)
    @bp.response(200, GroupSchema)
    def patch(self, data: dict[str, Any], group_id: int):
        """Correct the name, place or first-meeting date (send the ETag in If-Match)."""
        group = access.get_visible(request_context().session, Group, group_id)
        bp.check_etag(group, GroupSchema)
        return update_group(request_context(), group.id, **data)


@bp.route("/<id:group_id>/enrolments")
class Enrolments(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(EnrolmentSchema)
    @bp.response(201, GroupSchema)
    def post(self, data: dict[str, Any], group_id: int):
        """Enrol an admitted participant (409 when the group is full or closed, or
        when a homogeneous group's company does not match without an override)."""
        session = request_context().session
        group = access.get_visible(session, Group, group_id)
        participant = access.get_visible(session, Participant, data["participant_id"])
        enrol(
            request_context(),
            group.id,
            participant.id,
            enrolled_on=data["enrolled_on"],
            homogeneity_override=data["homogeneity_override"],
        )
        return group


@bp.route("/<id:group_id>/members/<id:participant_id>/exit")
class MemberExitResource(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(MemberExitSchema)
    @bp.response(200, GroupSchema)
    def post(self, data: dict[str, Any], group_id: int, participant_id: int):
        """Take a member out with the date and the reason: dropped out, or moved
        to another group of the territory the same day (one transaction; 409 when
        the destination is full, closed, or of another company without an override)."""
        ctx = request_context()
        group = access.get_visible(ctx.session, Group, group_id)
        participant = access.get_visible(ctx.session, Participant, participant_id)
        if data["to_group_id"] is not None:
            access.get_visible(ctx.session, Group, data["to_group_id"])
        remove_member(
            ctx,
            group.id,
            participant.id,
            data["reason"],
            ended_on=data["ended_on"],
            outcome=data["outcome"],
            to_group_id=data["to_group_id"],
            homogeneity_override=data["homogeneity_override"],
        )
        return group


@bp.route("/<id:group_id>/facilitators")
class Facilitators(MethodView):
    @requires(Permission.VIEW_GROUPS)
    @bp.response(200, FacilitationSchema(many=True))
    def get(self, group_id: int):
        """Every assignment, past and current, in order of start."""
        return access.get_visible(request_context().session, Group, group_id).facilitations

    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(FacilitationSchema)
    @bp.response(201, FacilitationSchema)
    def post(self, data: dict[str, Any], group_id: int):
        """Add a facilitator, co-facilitator or mentor from a date: a staff member
        (user_id) or a person from a partner (name, partner_id)."""
        ctx = request_context()
        group = access.get_visible(ctx.session, Group, group_id)
        return assign_facilitator(
            ctx,
            group.id,
            role=data["role"],
            user_id=data["user_id"],
            name=data["name"],
            partner_id=data["partner_id"],
            from_on=data["from_on"],
        )


@bp.route("/<id:group_id>/facilitators/<id:facilitation_id>/end")
class FacilitationEnd(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(EndFacilitationSchema)
    @bp.response(200, FacilitationSchema)
    def post(self, data: dict[str, Any], group_id: int, facilitation_id: int):
        """End an assignment on a date, with the reason."""
        ctx = request_context()
        group = access.get_visible(ctx.session, Group, group_id)
        found = ctx.session.get(Facilitation, facilitation_id)
        if found is None or found.group_id != group.id:
            abort(404)
        return end_facilitation(ctx, found.id, to_on=data["to_on"], reason=data["reason"])


@bp.route("/<id:group_id>/<any(start, conclude, reopen, plan):action>")
class GroupActions(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(GroupActionSchema)
    @bp.response(200, GroupSchema)
    def post(self, data: dict[str, Any], group_id: int, action: str):
        """start, conclude (409 meetings_still_planned unless cancel_remaining with a
        reason), reopen (a conclusion made by mistake, within the territory's days),
        or plan (generate the meetings around holidays; replace: regenerate while
        none is held)."""
        ctx = request_context()
        group = access.get_visible(ctx.session, Group, group_id)
        if action == "start":
            start_group(
                ctx,
                group.id,
                override_reason=data["override_reason"],
                started_on=data["occurred_on"],
            )
        elif action == "conclude":
            conclude_group(
                ctx,
                group.id,
                concluded_on=data["occurred_on"],
                reason=data["reason"],
                cancel_remaining=data["cancel_remaining"],
            )
        elif action == "reopen":
            reopen_group(ctx, group.id, data["reason"])
        else:
            generate_plan(ctx, group.id, replace=data["replace"], start_date=data["start_date"])
        return group


@bp.route("/<id:group_id>/waitlist")
class Waitlist(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.response(200, WaitlistEntrySchema(many=True))
    def get(self, group_id: int):
        """The group's waiting list in order; ``offered_on`` marks who is offered a
        free place, and since when."""
        ctx = request_context()
        group = access.get_visible(ctx.session, Group, group_id)
        waiting = waiting_list(ctx, group.id)
        record_read(
            ctx,
            "group_waitlist",
            [w.participant.id for w in waiting],
            territory_code=group.territory_code,
            entity_id=group.id,
        )
        return [
            {
                "id": w.entry.id,
                "participant_id": w.participant.id,
                "added_on": w.entry.added_on,
                "offered_on": w.offered_on,
            }
            for w in waiting
        ]

    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(WaitlistEntrySchema)
    @bp.response(201, WaitlistEntrySchema)
    def post(self, data: dict[str, Any], group_id: int):
        """Put an admitted person on a full group's waiting list (409 places_free
        when the group is not full: enrol instead)."""
        ctx = request_context()
        group = access.get_visible(ctx.session, Group, group_id)
        participant = access.get_visible(ctx.session, Participant, data["participant_id"])
        entry = add_to_waitlist(ctx, group.id, participant.id, added_on=data["added_on"])
        offered = next(
            (w.offered_on for w in waiting_list(ctx, group.id) if w.entry.id == entry.id), None
        )
        return {
            "id": entry.id,
            "participant_id": participant.id,
            "added_on": entry.added_on,
            "offered_on": offered,
        }


@bp.route("/<id:group_id>/shift")
class ShiftPlan(MethodView):
    @requires(Permission.MANAGE_GROUPS)
    @bp.arguments(ShiftSchema)
    @bp.response(200, MeetingSchema(many=True))
    def post(self, data: dict[str, Any], group_id: int):
        """Shift the rest of the plan: meeting ``from_meeting`` and every later
        planned one move by ``days``, avoiding holidays; each keeps the reason."""
        ctx = request_context()
        group = access.get_visible(ctx.session, Group, group_id)
        return shift_plan(ctx, group.id, data["from_meeting"], data["days"], data["reason"])


@bp.route("/<id:group_id>/meetings")
class GroupMeetings(MethodView):
    @requires(Permission.VIEW_GROUPS)
    @bp.response(200, MeetingSchema(many=True))
    def get(self, group_id: int):
        session = request_context().session
        group = access.get_visible(session, Group, group_id)
        return session.scalars(
            select(Meeting)
            .where(Meeting.group_id == group.id)
            .order_by(Meeting.scheduled_on, Meeting.id)
        )


@meetings_bp.route("/<id:meeting_id>")
class MeetingResource(MethodView):
    @requires(Permission.RECORD_ATTENDANCE)
    @meetings_bp.response(200, MeetingSchema)
    def get(self, meeting_id: int):
        return access.get_visible(request_context().session, Meeting, meeting_id)


@meetings_bp.route("/<id:meeting_id>/register")
class Register(MethodView):
    @requires(Permission.RECORD_ATTENDANCE)
    @meetings_bp.arguments(RegisterSchema)
    @meetings_bp.response(200, MeetingSchema)
    def put(self, data: dict[str, Any], meeting_id: int):
        """Record the whole register in one transaction; the meeting becomes held."""
        ctx = request_context()
        meeting = access.get_visible(ctx.session, Meeting, meeting_id)
        lines = {
            line["participant_id"]: (line["presence"], line["hours"]) for line in data["lines"]
        }
        if len(lines) != len(data["lines"]):
            abort(422, "A participant appears twice in the register")
        return record_register(ctx, meeting.id, lines)
