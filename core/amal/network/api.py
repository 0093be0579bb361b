"""The network coordination group in the API: tables, members, meetings with
their organisations' register, agenda and minutes text, decisions and their
follow-ups. Reads of a meeting or a table (minutes and decisions may name
people) are audited. The minutes file is uploaded and downloaded in the web."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask.views import MethodView
from marshmallow import fields, validate

from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import EVENT_DAY, StrictSchema
from amal.audit.services import record_read
from amal.meetings.models import MeetingStatus
from amal.network.models import DecisionStatus, FollowUpOutcome
from amal.network.services import (
    PresenceLine,
    add_decision,
    add_member,
    bodies,
    body_in,
    body_meetings,
    cancel_network_meeting,
    correct_decision,
    create_body,
    current_members,
    decisions_to_follow,
    end_membership,
    follow_up_decision,
    member_in,
    network_meeting_in,
    open_decisions,
    record_organisations_register,
    schedule_network_meeting,
    update_network_meeting,
)
from amal.web.context import request_context

bp = api_blueprint(
    "api_network", __name__, "/network", "The network coordination group of each project"
)
TEXT = validate.Length(max=20000)


class NetworkMemberSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    partner_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    partner_name = fields.Function(lambda m: m.partner.name, dump_only=True)
    representative_id = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "One of the partner's representatives (partners directory)"},
    )  # fmt: skip
    representative_name = fields.Str(dump_only=True)
    joined_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    left_on = fields.Date(dump_only=True, allow_none=True)
    end_reason = fields.Str(dump_only=True)


class NetworkMemberEndSchema(StrictSchema):
    left_on = fields.Date(load_default=None, metadata=EVENT_DAY)
    reason = fields.Str(required=True, validate=validate.Length(1, 1000))


class NetworkDecisionSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    network_meeting_id = fields.Int(dump_only=True)
    text = fields.Str(required=True, validate=validate.Length(1, 20000))
    owner_partner_id = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(1, 2**31 - 1)
    )
    owner_person = fields.Str(load_default="", validate=validate.Length(max=200))
    due_on = fields.Date(allow_none=True, load_default=None)
    status = fields.Enum(DecisionStatus, by_value=True, dump_only=True)
    closed_on = fields.Date(dump_only=True, allow_none=True)


class NetworkFollowUpSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    decision_id = fields.Int(dump_only=True)
    network_meeting_id = fields.Int(
        required=True,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "The later meeting of the same table that follows it up"},
    )
    outcome = fields.Enum(FollowUpOutcome, by_value=True, required=True)
    occurred_on = fields.Date(
        load_default=None, data_key="on",
        metadata={"description": "Default: the meeting's day. " + EVENT_DAY["description"]},
    )  # fmt: skip
    note = fields.Str(
        load_default="", validate=validate.Length(max=1000),
        metadata={"description": "Required when the decision is dropped"},
    )  # fmt: skip


class NetworkBodySchema(StrictSchema):
    id = fields.Int(dump_only=True)
    project_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    name = fields.Str(load_default="", validate=validate.Length(max=200))


class NetworkBodyDetailSchema(NetworkBodySchema):
    members = fields.List(fields.Nested(NetworkMemberSchema), dump_only=True)
    open_decisions = fields.List(fields.Nested(NetworkDecisionSchema), dump_only=True)


class NetworkMeetingSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    body_id = fields.Int(dump_only=True)
    meeting_id = fields.Int(dump_only=True, metadata={"description": "The calendar's meeting"})
    scheduled_on = fields.Date(required=True)
    starts_at = fields.Time(load_default=None)
    duration_minutes = fields.Int(load_default=120, validate=validate.Range(1, 720))
    location = fields.Str(load_default="", validate=validate.Length(max=200))
    agenda = fields.Str(load_default="", validate=TEXT)
    status = fields.Enum(MeetingStatus, by_value=True, dump_only=True)
    organisations_present = fields.Int(dump_only=True)


class NetworkMeetingUpdateSchema(StrictSchema):
    scheduled_on = fields.Date()
    starts_at = fields.Time()
    duration_minutes = fields.Int(validate=validate.Range(1, 720))
    location = fields.Str(validate=validate.Length(max=200))
    agenda = fields.Str(validate=TEXT)
    minutes = fields.Str(validate=TEXT)


class NetworkPresenceSchema(StrictSchema):
    partner_id = fields.Int(required=True, validate=validate.Range(1, 2**31 - 1))
    partner_name = fields.Function(lambda p: p.partner.name, dump_only=True)
    representative_id = fields.Int(
        allow_none=True, load_default=None, validate=validate.Range(1, 2**31 - 1)
    )
    represented_by = fields.Str(load_default="", validate=validate.Length(max=200))


class NetworkRegisterSchema(StrictSchema):
    lines = fields.List(fields.Nested(NetworkPresenceSchema), required=True,
                        validate=validate.Length(1, 500))  # fmt: skip


class NetworkMeetingDetailSchema(NetworkMeetingSchema):
    minutes = fields.Str(dump_only=True)
    minutes_file_name = fields.Str(dump_only=True)
    register = fields.List(fields.Nested(NetworkPresenceSchema), dump_only=True)
    decisions = fields.List(fields.Nested(NetworkDecisionSchema), dump_only=True)
    decisions_to_follow = fields.List(fields.Nested(NetworkDecisionSchema), dump_only=True)


def _flat(nm, present: int | None = None) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    m = nm.meeting
    return {
        "id": nm.id,
        "body_id": nm.body_id,
        "meeting_id": m.id,
        "scheduled_on": m.scheduled_on,
        "starts_at": m.starts_at,
        "duration_minutes": m.duration_minutes,
        "location": m.location,
        "agenda": nm.agenda,
        "status": m.status,
        "organisations_present": len(nm.presences) if present is None else present,
    }


def _detail(nm) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    ctx = request_context()
    record_read(ctx, "network_meeting", [], territory_code=g.territory, entity_id=nm.id)
    return {
        **_flat(nm),
        "minutes": nm.minutes,
        "minutes_file_name": nm.minutes_file_name,
        "register": nm.presences,
        "decisions": nm.decisions,
        "decisions_to_follow": decisions_to_follow(ctx.session, nm),
    }


def _body(body_id: int):  # type: ignore[no-untyped-def]
    return body_in(request_context(), g.territory, body_id)


def _meeting(network_meeting_id: int):  # type: ignore[no-untyped-def]
    return network_meeting_in(request_context(), g.territory, network_meeting_id)


@bp.route("/")
class Bodies(MethodView):
    @requires(Permission.VIEW_NETWORK)
    @bp.response(200, NetworkBodySchema(many=True))
    def get(self):
        """The coordination groups of the territory's projects."""
        return [body for _, body in bodies(request_context().session, g.territory) if body]

    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkBodySchema)
    @bp.response(201, NetworkBodySchema)
    def post(self, data: dict[str, Any]):
        """Set up a project's coordination group (one per project)."""
        return create_body(request_context(), g.territory, data["project_id"], data["name"])


@bp.route("/<id:body_id>")
class Body(MethodView):
    @requires(Permission.VIEW_NETWORK)
    @bp.response(200, NetworkBodyDetailSchema)
    def get(self, body_id: int):
        """A table with its members over time and its open decisions."""
        ctx = request_context()
        body = _body(body_id)
        record_read(ctx, "network_body", [], territory_code=g.territory, entity_id=body.id)
        return {
            "id": body.id,
            "project_id": body.project_id,
            "name": body.name,
            "members": current_members(ctx.session, body.id),
            "open_decisions": open_decisions(ctx.session, body.id),
        }


@bp.route("/<id:body_id>/members")
class Members(MethodView):
    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkMemberSchema)
    @bp.response(201, NetworkMemberSchema)
    def post(self, data: dict[str, Any], body_id: int):
        """An organisation of the partners directory joins the table."""
        return add_member(
            request_context(), g.territory, _body(body_id).id, data["partner_id"],
            representative_id=data["representative_id"], joined_on=data["joined_on"],
        )  # fmt: skip


@bp.route("/members/<id:member_id>/end")
class MemberEnd(MethodView):
    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkMemberEndSchema)
    @bp.response(200, NetworkMemberSchema)
    def post(self, data: dict[str, Any], member_id: int):
        """The organisation leaves the table (kept in the history)."""
        member = member_in(request_context(), g.territory, member_id)
        return end_membership(
            request_context(), g.territory, member.id, data["left_on"], data["reason"]
        )


@bp.route("/<id:body_id>/meetings")
class Meetings(MethodView):
    @requires(Permission.VIEW_NETWORK)
    @bp.response(200, NetworkMeetingSchema(many=True))
    def get(self, body_id: int):
        """The table's meetings, latest first, with how many organisations came
        (agendas may name people: the read is audited)."""
        ctx = request_context()
        body = _body(body_id)
        rows = body_meetings(ctx.session, body.id)
        record_read(ctx, "network_meeting_list", [], territory_code=g.territory, entity_id=body.id)
        return [_flat(nm, n) for nm, _, n in rows]

    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkMeetingSchema)
    @bp.response(201, NetworkMeetingSchema)
    def post(self, data: dict[str, Any], body_id: int):
        """Plan a meeting (a future day is fine; its register waits for the day)."""
        extra = {"starts_at": data["starts_at"]} if data["starts_at"] else {}
        nm = schedule_network_meeting(
            request_context(), g.territory, _body(body_id).id, data["scheduled_on"],
            duration_minutes=data["duration_minutes"], location=data["location"],
            agenda=data["agenda"], **extra,
        )  # fmt: skip
        return _flat(nm)


@bp.route("/meetings/<id:network_meeting_id>")
class MeetingResource(MethodView):
    @requires(Permission.VIEW_NETWORK)
    @bp.response(200, NetworkMeetingDetailSchema)
    def get(self, network_meeting_id: int):
        """A meeting: agenda, minutes text, organisations' register, decisions
        taken and the earlier ones it follows up."""
        return _detail(_meeting(network_meeting_id))

    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkMeetingUpdateSchema)
    @bp.response(200, NetworkMeetingDetailSchema)
    def patch(self, data: dict[str, Any], network_meeting_id: int):
        """Correct the day, time, place, agenda or minutes text."""
        nm = _meeting(network_meeting_id)
        on = data.pop("scheduled_on", None)
        return _detail(update_network_meeting(request_context(), g.territory, nm.id, on=on, **data))


@bp.route("/meetings/<id:network_meeting_id>/register")
class Register(MethodView):
    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkRegisterSchema)
    @bp.response(200, NetworkMeetingDetailSchema)
    def put(self, data: dict[str, Any], network_meeting_id: int):
        """The organisations' register, replacing any earlier one: the meeting
        becomes held (on its day, which must not be in the future)."""
        nm = _meeting(network_meeting_id)
        lines = {
            line["partner_id"]: PresenceLine(line["representative_id"], line["represented_by"])
            for line in data["lines"]
        }
        if len(lines) != len(data["lines"]):
            abort(422, "An organisation appears twice in the register")
        return _detail(record_organisations_register(request_context(), g.territory, nm.id, lines))


@bp.route("/meetings/<id:network_meeting_id>/decisions")
class Decisions(MethodView):
    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkDecisionSchema)
    @bp.response(201, NetworkDecisionSchema)
    def post(self, data: dict[str, Any], network_meeting_id: int):
        """A decision with its owner (an organisation, a person, or both) and due date."""
        nm = _meeting(network_meeting_id)
        return add_decision(request_context(), g.territory, nm.id, data.pop("text"), **data)


class NetworkCancelSchema(StrictSchema):
    reason = fields.Str(required=True, validate=validate.Length(1, 1000))


@bp.route("/meetings/<id:network_meeting_id>/cancel")
class Cancel(MethodView):
    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkCancelSchema)
    @bp.response(200, NetworkMeetingDetailSchema)
    def post(self, data: dict[str, Any], network_meeting_id: int):
        """A planned meeting that will not take place, with the reason."""
        nm = _meeting(network_meeting_id)
        return _detail(
            cancel_network_meeting(request_context(), g.territory, nm.id, data["reason"])
        )


@bp.route("/decisions/<id:decision_id>")
class Decision(MethodView):
    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkDecisionSchema)
    @bp.response(200, NetworkDecisionSchema)
    def put(self, data: dict[str, Any], decision_id: int):
        """Correct a decision's text, owner or due date (the audit log keeps
        which fields changed)."""
        return correct_decision(request_context(), g.territory, decision_id, **data)


@bp.route("/decisions/<id:decision_id>/follow-ups")
class FollowUps(MethodView):
    @requires(Permission.MANAGE_NETWORK)
    @bp.arguments(NetworkFollowUpSchema)
    @bp.response(201, NetworkFollowUpSchema)
    def post(self, data: dict[str, Any], decision_id: int):
        """At a later meeting: done, carried over (stays open) or dropped (with a note)."""
        follow = follow_up_decision(
            request_context(), g.territory, decision_id, data["network_meeting_id"],
            data["outcome"], on=data["occurred_on"], note=data["note"],
        )  # fmt: skip
        return follow
