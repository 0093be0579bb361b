"""The JSON API: happy paths and the main refusals of each endpoint."""

from datetime import date, timedelta

import pytest

from amal.accounts.models import ApiToken, Role
from amal.accounts.services import create_token, revoke_token
from amal.consent.services import publish_notice
from amal.groups.services import create_group, enrol
from amal.meetings.services import generate_plan
from amal.participants.models import ParticipantStatus as S
from amal.services import Context
from amal.testing import finished_run

API = "/api/v1/territories"
PROBLEM = "application/problem+json"


@pytest.fixture
def bearer(ctx: Context):
    def make(role: str = "coordinator", territory: str = "monza-brianza") -> dict[str, str]:
        _, secret = create_token(ctx, f"{role}-{territory}", territory, Role(role))
        return {"Authorization": f"Bearer {secret}"}

    return make


def test_no_token_bad_token_revoked_or_expired_get_401(client, ctx, bearer) -> None:
    url = f"{API}/monza-brianza/participants/"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 401 and response.mimetype == PROBLEM
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    token, secret = create_token(ctx, "old", "monza-brianza", Role.COORDINATOR)
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    revoke_token(ctx, token.id)
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    other, secret = create_token(ctx, "short", "monza-brianza", Role.COORDINATOR, days=1)
    other.expires_at = other.expires_at - timedelta(days=2)
    ctx.session.commit()
    assert client.get(url, headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_tokens_are_stored_hashed(ctx) -> None:
    _, secret = create_token(ctx, "x", "lecco", Role.INTAKE_OPERATOR)
    stored = ctx.session.query(ApiToken).one()
    assert secret not in stored.token_hash and len(stored.token_hash) == 64


def test_intake_read_list_and_pagination(client, ctx, bearer) -> None:
    publish_notice(ctx, "monza-brianza", "1.0", "Informativa")
    headers = bearer()
    for n in range(3):
        created = client.post(
            f"{API}/monza-brianza/participants/",
            headers=headers,
            json={
                "first_name": f"Anna{n}",
                "last_name": "Rossi",
                "consents": ["processing"],
                "employment_status": "naspi",
            },
        )
        assert created.status_code == 201, created.json
    assert created.json["status"] == "candidate" and created.json["territory"] == "monza-brianza"
    page = client.get(
        f"{API}/monza-brianza/participants/?page_size=2&sort=-created", headers=headers
    )
    assert page.status_code == 200 and len(page.json) == 2
    assert page.json[0]["first_name"] == "Anna2"
    pagination = page.headers["X-Pagination"]
    assert '"total": 3' in pagination and '"next_page": 2' in pagination
    one = client.get(f"{API}/monza-brianza/participants/{created.json['id']}", headers=headers)
    assert one.status_code == 200 and one.headers["ETag"]


def test_422_for_unknown_fields_types_and_enumerations(client, ctx, bearer) -> None:
    publish_notice(ctx, "monza-brianza", "1.0", "Informativa")
    url = f"{API}/monza-brianza/participants/"
    for body, field in (
        (
            {"first_name": "A", "last_name": "B", "consents": ["processing"], "is_admin": True},
            "is_admin",
        ),
        ({"first_name": "A", "last_name": "B", "consents": ["marketing"]}, "consents"),
        (
            {
                "first_name": "A",
                "last_name": "B",
                "consents": ["processing"],
                "months_out_of_work": "many",
            },
            "months_out_of_work",
        ),
    ):
        response = client.post(url, headers=bearer(), json=body)
        assert response.status_code == 422 and response.mimetype == PROBLEM
        assert field in response.json["errors"]["json"]
    no_consent = client.post(
        url, headers=bearer(), json={"first_name": "A", "last_name": "B", "consents": []}
    )
    assert no_consent.status_code == 409 and no_consent.json["code"] == "consent_required"


def test_stale_write_gets_412_and_missing_if_match_428(client, person, bearer) -> None:
    participant = person()
    url = f"{API}/monza-brianza/participants/{participant.id}"
    headers = bearer()
    etag = client.get(url, headers=headers).headers["ETag"]
    assert client.patch(url, headers=headers, json={"phone": "1"}).status_code == 428
    first = client.patch(url, headers={**headers, "If-Match": etag}, json={"phone": "333 1234567"})
    assert first.status_code == 200 and first.json["phone"] == "+393331234567"
    stale = client.patch(url, headers={**headers, "If-Match": etag}, json={"phone": "02 12345678"})
    assert stale.status_code == 412 and stale.mimetype == PROBLEM
    fresh = client.patch(
        url, headers={**headers, "If-Match": first.headers["ETag"]}, json={"phone": "02 12345678"}
    )
    assert fresh.status_code == 200


def test_illegal_transition_is_409_with_the_domain_code(client, person, bearer) -> None:
    participant = person(status=S.CANDIDATE)
    url = f"{API}/monza-brianza/participants/{participant.id}/transitions"
    refused = client.post(url, headers=bearer(), json={"to_status": "waitlisted"})
    assert refused.status_code == 409 and refused.json["code"] == "illegal_transition"
    ok = client.post(url, headers=bearer(), json={"to_status": "screened"})
    assert ok.status_code == 200 and ok.json["status"] == "screened"
    needs_reason = client.post(url, headers=bearer(), json={"to_status": "not_eligible"})
    assert needs_reason.status_code == 422 and needs_reason.json["code"] == "reason_required"


def test_other_territory_is_404_and_roles_are_enforced(client, person, bearer) -> None:
    lecco_person = person("lecco")
    mine = person("monza-brianza")
    coordinator = bearer()
    assert client.get(f"{API}/lecco/participants/", headers=coordinator).status_code == 404
    assert (
        client.get(
            f"{API}/monza-brianza/participants/{lecco_person.id}", headers=coordinator
        ).status_code
        == 404
    )
    assert client.get(f"{API}/nowhere/participants/", headers=coordinator).status_code == 404
    funder = bearer("funder_viewer")
    denied = client.get(f"{API}/monza-brianza/participants/", headers=funder)
    assert denied.status_code == 403 and denied.mimetype == PROBLEM
    assert client.get(f"{API}/monza-brianza/reports/", headers=funder).status_code == 200
    intake = bearer("intake_operator")
    assert client.get(f"{API}/monza-brianza/groups/", headers=intake).status_code == 403
    assert (
        client.get(f"{API}/monza-brianza/participants/{mine.id}", headers=intake).json["last_name"]
        == mine.last_name
    )


def test_consents_wellbeing_referrals_outcomes(client, person, bearer) -> None:
    participant = person(consents=("processing",))
    base = f"{API}/monza-brianza/participants/{participant.id}"
    headers = bearer()
    answers = {str(n): 3 for n in range(1, 6)}
    body = {
        "instrument": "who5",
        "phase": "entry",
        "administered_on": "2026-02-02",
        "answers": answers,
    }
    refused = client.post(f"{base}/wellbeing", headers=headers, json=body)
    assert refused.status_code == 409 and refused.json["code"] == "consent_required"
    granted = client.post(
        f"{base}/consents", headers=headers, json={"purposes": ["particular_categories", "sharing"]}
    )
    assert granted.status_code == 201 and len(granted.json) == 2
    scored = client.post(f"{base}/wellbeing", headers=headers, json=body)
    assert scored.status_code == 201 and scored.json["score"] == 60
    bad = client.post(
        f"{base}/wellbeing",
        headers=headers,
        json={**body, "phase": "end", "answers": {**answers, "3": 9}},
    )
    assert bad.status_code == 422 and bad.json["code"] == "answer_out_of_range"
    assert bad.json["item"] == 3
    referral = client.post(f"{base}/referrals", headers=headers, json={"service_code": "gol-1"})
    assert referral.status_code == 201, referral.json
    assert referral.json["service_title"].startswith("GOL percorso 1")
    assert "service_url" in referral.json  # empty: no public page found for this path
    moved = client.post(
        f"{base}/referrals/{referral.json['id']}/transitions",
        headers=headers,
        json={"to_status": "sent"},
    )
    assert moved.status_code == 200 and moved.json["status"] == "sent"
    outcome = client.post(
        f"{base}/outcomes",
        headers=headers,
        json={"moment": "end", "situation": "employed", "contract_type": "permanent"},
    )
    # never in a group: no end outcome (tests/test_record.py records one after leaving)
    assert outcome.status_code == 409 and outcome.json["code"] == "never_in_group"
    missing = client.post(
        f"{base}/outcomes", headers=headers, json={"moment": "end", "situation": "employed"}
    )
    assert missing.status_code == 422 and missing.json["code"] == "contract_type_required"


def test_groups_enrolment_plan_and_register(client, person, bearer, ctx) -> None:
    headers = bearer()
    created = client.post(
        f"{API}/monza-brianza/groups/",
        headers=headers,
        json={"name": "Gruppo API", "start_date": "2026-01-13"},
    )
    assert created.status_code == 201 and created.json["max_size"] == 15
    group_id = created.json["id"]
    members = [person() for _ in range(2)]
    for member in members:
        enrolled = client.post(
            f"{API}/monza-brianza/groups/{group_id}/enrolments",
            headers=headers,
            json={"participant_id": member.id},
        )
        assert enrolled.status_code == 201
    again = client.post(
        f"{API}/monza-brianza/groups/{group_id}/enrolments",
        headers=headers,
        json={"participant_id": members[0].id},
    )
    assert again.status_code == 409 and again.json["code"] == "not_admitted"
    assert (
        client.post(
            f"{API}/monza-brianza/groups/{group_id}/plan", headers=headers, json={}
        ).status_code
        == 200
    )
    meetings = client.get(f"{API}/monza-brianza/groups/{group_id}/meetings", headers=headers)
    assert len(meetings.json) == 16
    first = meetings.json[0]["id"]
    register = client.put(
        f"{API}/monza-brianza/meetings/{first}/register",
        headers=headers,
        json={
            "lines": [
                {"participant_id": members[0].id, "presence": "present"},
                {"participant_id": members[1].id, "presence": "absent"},
            ]
        },
    )
    assert register.status_code == 200 and register.json["status"] == "held"
    too_long = client.put(
        f"{API}/monza-brianza/meetings/{meetings.json[1]['id']}/register",
        headers=headers,
        json={"lines": [{"participant_id": members[0].id, "presence": "present", "hours": "3.00"}]},
    )
    assert too_long.status_code == 422 and too_long.json["code"] == "invalid_hours"
    small = client.post(f"{API}/monza-brianza/groups/{group_id}/start", headers=headers, json={})
    assert small.status_code == 409 and small.json["code"] == "below_minimum_size"


def test_partners_services_reports_and_plugins(app, client, bearer, ctx, person) -> None:
    headers = bearer()
    partners = client.get(f"{API}/monza-brianza/partners", headers=headers).json
    assert {"name": "Comune di Monza", "role": "co_funder"}.items() <= partners[1].items()
    services = client.get(f"{API}/monza-brianza/services", headers=headers).json
    assert services[0]["code"] == "gol-1"
    asked = client.post(
        f"{API}/monza-brianza/reports/provincia-trimestrale/runs",
        headers=headers,
        json={"period": "2026-Q1"},
    )
    assert asked.status_code == 202 and asked.json["status"] in ("queued", "running", "done")
    run = finished_run(app, client, asked, headers)
    assert run["id"] == asked.json["id"] and run["status"] == "done" and run["progress"] == 100
    assert run["result"]["tables"][0]["indicator"] == "participants_by_status"
    assert run["attempts"] == 1 and run["as_of"] == date.today().isoformat()
    xlsx = client.get(f"{API}/monza-brianza/reports/runs/{run['id']}/xlsx", headers=headers)
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    failed = finished_run(
        app,
        client,
        client.post(
            f"{API}/monza-brianza/reports/provincia-trimestrale/runs",
            headers=headers,
            json={"period": "Q1"},
        ),
        headers,
    )
    assert failed["status"] == "failed" and "YYYY-Qn" in failed["error"]
    assert (
        client.get(
            f"{API}/monza-brianza/reports/runs/{failed['id']}/csv", headers=headers
        ).status_code
        == 409
    )
    funder = bearer("funder_viewer")
    assert (
        client.get(f"{API}/monza-brianza/reports/runs/{run['id']}/pdf", headers=funder).status_code
        == 403
    )
    plugins = client.get("/api/v1/plugins/", headers=headers)
    assert {"lecco", "monza-brianza"} <= {p["name"] for p in plugins.json}


def test_openapi_document_is_complete(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    operations = [
        (path, method)
        for path, ops in spec["paths"].items()
        for method in ops
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert len(operations) >= 25
    patch = spec["paths"]["/api/v1/territories/{territory}/participants/{participant_id}"]["patch"]
    assert {"412", "428", "422"} <= set(patch["responses"])
    assert "docs" not in spec["paths"]
    page = client.get("/api/v1/").get_data(as_text=True)
    assert "/api/v1/territories/{territory}/participants/" in page


def test_api_calls_are_audited(client, person, bearer, ctx) -> None:
    from amal.audit.services import entries_for_participant

    participant = person()
    client.get(f"{API}/monza-brianza/participants/{participant.id}", headers=bearer())
    last = entries_for_participant(ctx, participant.id)[-1]
    assert last.action.value == "view" and last.actor == "token:coordinator-monza-brianza"


def test_facilitator_tokens_see_no_one(client, person, bearer, ctx) -> None:
    """A token is not a person: it facilitates no group, so a facilitator token
    sees no participant and no group (facilitators use the web app)."""
    group = create_group(ctx, "monza-brianza", "G", start_date=date(2026, 1, 13))
    member = person()
    enrol(ctx, group.id, member.id)
    generate_plan(ctx, group.id)
    token = bearer("facilitator")
    listing = client.get(f"{API}/monza-brianza/participants/", headers=token)
    assert listing.status_code == 200 and listing.json == []
    assert (
        client.get(f"{API}/monza-brianza/participants/{member.id}", headers=token).status_code
        == 404
    )
    assert client.get(f"{API}/monza-brianza/groups/{group.id}", headers=token).status_code == 404


def test_admin_creates_and_revokes_tokens_in_the_web(client, login, ctx) -> None:
    import re

    from amal.testing import csrf_token

    login(None, "lecco", is_admin=True)
    page = client.post(
        "/admin/tokens",
        data={
            "name": "Piattaforma Dote",
            "territory": "lecco",
            "role": "intake_operator",
            "days": "30",
            "csrf_token": csrf_token(client, "/admin/tokens"),
        },
    ).get_data(as_text=True)
    secret = re.search(r"<code>(amal_[^<]+)</code>", page)[1]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get(f"{API}/lecco/participants/", headers=headers).status_code == 200
    token = ctx.session.query(ApiToken).one()
    client.post(
        f"/admin/tokens/{token.id}/revoke", data={"csrf_token": csrf_token(client, "/admin/tokens")}
    )
    assert client.get(f"{API}/lecco/participants/", headers=headers).status_code == 401
    assert secret not in client.get("/admin/tokens").get_data(as_text=True)


def test_plugins_add_api_blueprints_to_the_openapi_document(tmp_path, amal_database_url) -> None:
    from flask.views import MethodView

    from amal.api import api_blueprint
    from amal.app import create_app
    from amal.plugins import hookimpl

    class SportelloApi:
        @hookimpl
        def amal_api_blueprints(self, api):
            bp = api_blueprint("example_api", __name__, "/example", "Example hours")

            @bp.route("/hours")
            class Hours(MethodView):
                @bp.response(200)
                def get(self):
                    return {"monday": "9-12"}

            return [bp]

    app = create_app(
        tmp_path,
        config_overrides={
            "environment": "testing",
            "database_url": amal_database_url,
            "plugins": ["lecco"],
        },
        extra_plugins=[("sportello", SportelloApi())],
    )
    spec = app.test_client().get("/api/v1/openapi.json").json
    assert "/api/v1/territories/{territory}/example/hours" in spec["paths"]
    assert app.test_client().get("/api/v1/territories/lecco/example/hours").status_code == 401


def test_homogeneous_enrolment_needs_an_override_in_the_api(client, person, bearer, ctx) -> None:
    headers = bearer()
    created = client.post(
        f"{API}/monza-brianza/groups/",
        headers=headers,
        json={"name": "Ex Agile", "composition": "homogeneous", "company_of_origin": "Agile"},
    )
    assert created.status_code == 201, created.json
    outsider = person(last_employer="Pasticceria Rossi")
    url = f"{API}/monza-brianza/groups/{created.json['id']}/enrolments"
    refused = client.post(url, headers=headers, json={"participant_id": outsider.id})
    assert refused.status_code == 409 and refused.json["code"] == "employer_mismatch"
    done = client.post(
        url,
        headers=headers,
        json={"participant_id": outsider.id, "homogeneity_override": "Indotto Agile"},
    )
    assert done.status_code == 201
