"""Open information meetings in the API: schedule, invite, register, walk-ins
and a walk-in registering as a candidate."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from flask.views import MethodView
from marshmallow import fields, validate

from amal.access import Permission, requires
from amal.api import api_blueprint
from amal.api.schemas import StrictSchema
from amal.audit.services import record_read
from amal.consent.models import ConsentPurpose
from amal.errors import DomainError, NotFound
from amal.groups.schemas import MeetingSchema
from amal.meetings import info
from amal.meetings.models import InfoWalkIn, Meeting, Presence
from amal.meetings.services import cancel_meeting, reschedule
from amal.participants.schemas import ParticipantSchema
from amal.web.context import request_context

bp = api_blueprint(
    "api_info_meetings",
    __name__,
    "/info-meetings",
    "Open information meetings: invited candidates, register, walk-ins",
)


class InfoMeetingInSchema(StrictSchema):
    on = fields.Date(required=True, metadata={"description": "Never a holiday of the territory"})
    starts_at = fields.Time(load_default=None)
    duration_minutes = fields.Int(load_default=120, validate=validate.Range(15, 480))
    location = fields.Str(load_default="", validate=validate.Length(max=200))
    topic = fields.Str(load_default="", validate=validate.Length(max=200))


class InviteSchema(StrictSchema):
    participant_ids = fields.List(fields.Int(), required=True, validate=validate.Length(1, 500))


class InfoPresenceSchema(StrictSchema):
    participant_id = fields.Int(required=True)
    presence = fields.Enum(Presence, by_value=True, required=True)


class InfoRegisterInSchema(StrictSchema):
    lines = fields.List(
        fields.Nested(InfoPresenceSchema), required=True, validate=validate.Length(1, 500)
    )


class InfoChangeSchema(StrictSchema):
    on = fields.Date(
        load_default=None,
        metadata={"description": "reschedule: the new day (required; never a holiday)"},
    )
    reason = fields.Str(required=True, validate=validate.Length(1, 500))


class WalkInSchema(StrictSchema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(1, 200))
    participant_id = fields.Int(dump_only=True, allow_none=True)


class RegisterLineOutSchema(StrictSchema):
    participant_id = fields.Int()
    full_name = fields.Str()
    presence = fields.Enum(Presence, by_value=True, allow_none=True)


class InfoRegisterSchema(StrictSchema):
    meeting = fields.Nested(MeetingSchema)
    invited = fields.List(fields.Nested(RegisterLineOutSchema))
    walk_ins = fields.List(fields.Nested(WalkInSchema))
    came = fields.Int()


class WalkInCandidateSchema(StrictSchema):
    consents = fields.List(
        fields.Enum(ConsentPurpose, by_value=True),
        required=True,
        validate=validate.Length(1),
        metadata={"description": "Must include processing"},
    )
    first_name = fields.Str(load_default=None, validate=validate.Length(max=100))
    last_name = fields.Str(load_default=None, validate=validate.Length(max=100))
    fiscal_code = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "Codice fiscale; blanks and case are normalised"},
    )
    birth_date = fields.Date(load_default=None)
    email = fields.Str(load_default=None, validate=validate.Length(max=254))
    phone = fields.Str(load_default=None, validate=validate.Length(max=40))
    registered_on = fields.Date(load_default=None)


def _meeting(meeting_id: int) -> Meeting:
    try:
        meeting = info.info_meeting(request_context(), meeting_id)
    except (NotFound, DomainError):
        abort(404)
    if meeting.territory_code != g.territory:
        abort(404)
    return meeting


def _register(meeting: Meeting) -> dict[str, Any]:
    ctx = request_context()
    found = info.info_register(ctx, meeting.id)
    record_read(
        ctx,
        "info_meeting",
        [line.participant.id for line in found.invited]
        + [w.participant_id for w in found.walk_ins if w.participant_id],
        territory_code=g.territory,
        entity_id=meeting.id,
    )
    return {
        "meeting": meeting,
        "invited": [
            {
                "participant_id": line.participant.id,
                "full_name": line.participant.full_name,
                "presence": line.presence,
            }
            for line in found.invited
        ],
        "walk_ins": found.walk_ins,
        "came": found.came,
    }


@bp.route("/")
class InfoMeetings(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.response(200, MeetingSchema(many=True))
    def get(self):
        """The territory's information meetings, latest first (at most 100)."""
        return info.open_meetings(request_context(), g.territory)

    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(InfoMeetingInSchema)
    @bp.response(201, MeetingSchema)
    def post(self, data: dict[str, Any]):
        """Schedule an open information meeting (409 holiday on a holiday)."""
        extra = {"starts_at": data["starts_at"]} if data["starts_at"] else {}
        return info.schedule_info_meeting(
            request_context(),
            g.territory,
            data["on"],
            duration_minutes=data["duration_minutes"],
            location=data["location"],
            topic=data["topic"],
            **extra,
        )


@bp.route("/<id:meeting_id>")
class InfoMeetingResource(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.response(200, InfoRegisterSchema)
    def get(self, meeting_id: int):
        """The meeting with its register: invited candidates and walk-ins."""
        return _register(_meeting(meeting_id))


@bp.route("/<id:meeting_id>/invitations")
class Invitations(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(InviteSchema)
    @bp.response(200, InfoRegisterSchema)
    def post(self, data: dict[str, Any], meeting_id: int):
        """Invite candidates not yet in a group (409 not_invitable otherwise)."""
        meeting = _meeting(meeting_id)
        info.invite(request_context(), meeting.id, data["participant_ids"])
        return _register(meeting)


@bp.route("/<id:meeting_id>/register")
class InfoRegisterResource(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(InfoRegisterInSchema)
    @bp.response(200, InfoRegisterSchema)
    def put(self, data: dict[str, Any], meeting_id: int):
        """Who of the invited came, in one transaction; the meeting becomes held."""
        meeting = _meeting(meeting_id)
        presences = {line["participant_id"]: line["presence"] for line in data["lines"]}
        if len(presences) != len(data["lines"]):
            abort(422, "A participant appears twice in the register")
        info.record_info_register(request_context(), meeting.id, presences)
        return _register(meeting)


@bp.route("/<id:meeting_id>/<any(reschedule, cancel):action>")
class InfoMeetingChange(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(InfoChangeSchema)
    @bp.response(200, MeetingSchema)
    def post(self, data: dict[str, Any], meeting_id: int, action: str):
        """Move a planned meeting to another day (the reason is kept in its notes;
        409 holiday) or cancel it, with the reason."""
        meeting = _meeting(meeting_id)
        if action == "cancel":
            return cancel_meeting(request_context(), meeting.id, data["reason"])
        if data["on"] is None:
            abort(422, "reschedule needs the new day (on)")
        return reschedule(request_context(), meeting.id, data["on"], data["reason"])


@bp.route("/<id:meeting_id>/walk-ins")
class WalkIns(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(WalkInSchema)
    @bp.response(201, WalkInSchema)
    def post(self, data: dict[str, Any], meeting_id: int):
        """Someone from the public came: their name only."""
        return info.add_walk_in(request_context(), _meeting(meeting_id).id, data["name"])


@bp.route("/walk-ins/<id:walk_in_id>/candidate")
class WalkInCandidate(MethodView):
    @requires(Permission.EDIT_PARTICIPANTS)
    @bp.arguments(WalkInCandidateSchema)
    @bp.response(201, ParticipantSchema)
    def post(self, data: dict[str, Any], walk_in_id: int):
        """Register the walk-in as a candidate: the name comes from the register
        (first_name/last_name correct it); the visit becomes their first step."""
        ctx = request_context()
        found = ctx.session.get(InfoWalkIn, walk_in_id)
        if found is None or found.meeting.territory_code != g.territory:
            abort(404)
        consents = data.pop("consents")
        registered_on = data.pop("registered_on")
        return info.register_walk_in(ctx, found.id, consents, registered_on=registered_on, **data)
