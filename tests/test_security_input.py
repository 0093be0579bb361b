"""Issue 12 #3 (input), #6, #8, #9, #10, #17, #19: what requests may carry."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from amal.accounts.models import Role
from amal.accounts.services import create_token, create_user
from amal.cli import cli
from amal.consent.services import publish_notice
from amal.errors import DomainError
from amal.groups.models import Group
from amal.groups.services import create_group
from amal.participants.models import Participant
from amal.participants.services import register_candidate
from amal.testing import TEST_PASSWORD, csrf_token, valid_fiscal_code

API = "/api/v1/territories"


@pytest.fixture
def bearer(ctx):  # type: ignore[no-untyped-def]
    def make(territory: str = "monza-brianza", role: str = "coordinator") -> dict[str, str]:
        _, secret = create_token(ctx, f"t-{territory}-{role}", territory, Role(role))
        return {"Authorization": f"Bearer {secret}"}

    return make


# --- 3. control characters at input ------------------------------------------------------


@pytest.mark.parametrize("bad", ["\x07", "\x1b[31m", "\x85", "\u202e"])
def test_api_refuses_control_characters_naming_the_field(client, bearer, bad: str) -> None:
    response = client.post(
        f"{API}/monza-brianza/groups/", headers=bearer(), json={"name": f"Gruppo{bad}A"}
    )
    assert response.status_code == 422
    assert "name" in response.json["errors"]["json"]


def test_web_forms_refuse_control_characters(client, login, ctx) -> None:
    login("coordinator", "lecco")
    url = "/t/lecco/groups/new"
    response = client.post(
        url,
        data={
            "name": "Gruppo\x07",
            "composition": "heterogeneous",
            "facilitator": "0",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert response.status_code == 400
    assert "caratteri di controllo" in response.get_data(as_text=True)
    assert ctx.session.scalar(select(Group)) is None


def test_tabs_and_line_breaks_are_text(ctx) -> None:
    group = create_group(ctx, "lecco", "Gruppo", location="Via Roma 1\r\n\tpiano terra")
    assert group.location.endswith("piano terra")


def test_every_other_way_in_is_guarded_at_the_database_session(ctx) -> None:
    """The CLI and any service call: refused at flush, before PostgreSQL sees it."""
    with pytest.raises(DomainError) as error:
        create_group(ctx, "lecco", "Gruppo\x07")
    assert error.value.code == "invalid_characters"
    assert error.value.details["field"] == "name"


def test_cli_refuses_control_characters(
    tmp_path: Path, amal_database_url: str, monkeypatch
) -> None:
    (tmp_path / "amal.toml").write_text('[instance]\nplugins = ["lecco"]\n', encoding="utf-8")
    monkeypatch.setenv("AMAL_DATABASE_URL", amal_database_url)
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["--instance", str(tmp_path), "init", "--generate-password"]).exit_code
        == 0
    )
    result = runner.invoke(
        cli,
        ["--instance", str(tmp_path), "user", "create", "eve\x1b[2J", "--password", "x" * 12],
    )
    assert result.exit_code == 1
    assert "control characters" in result.output


# --- 6. integers beyond what the database stores -----------------------------------------

TOO_BIG = 3_000_000_000


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/participants/?page=100000000000000000", None),
        ("post", "/groups/1/enrolments", {"participant_id": TOO_BIG}),
        ("post", "/groups/", {"name": "G", "facilitator_ids": [TOO_BIG]}),
    ],
)
def test_api_integers_out_of_range_are_422(client, bearer, method, path, body) -> None:
    create_group_response = client.post(
        f"{API}/monza-brianza/groups/", headers=bearer(), json={"name": "G0"}
    )
    assert create_group_response.status_code == 201
    path = path.replace("/groups/1/", f"/groups/{create_group_response.json['id']}/")
    response = getattr(client, method)(f"{API}/monza-brianza{path}", headers=bearer(), json=body)
    assert response.status_code == 422, response.json


def test_openapi_documents_the_integer_bounds(client) -> None:
    spec = client.get("/api/v1/openapi.json").json
    enrolment = spec["components"]["schemas"]["Enrolment"]["properties"]["participant_id"]
    assert enrolment["maximum"] == 2**31 - 1


@pytest.mark.parametrize(
    "query",
    [
        "/t/lecco/participants/?group=3000000000",
        "/t/lecco/participants/?page=100000000000000000",
        "/t/lecco/audit/?participant=3000000000",
        "/t/lecco/audit/?before=3000000000",
    ],
)
def test_web_filters_out_of_range_are_no_crash(client, login, query: str) -> None:
    login("coordinator", "lecco")
    assert client.get(query).status_code == 200


# --- 8. body size and nesting -------------------------------------------------------------


def test_a_body_beyond_the_limit_is_413_problem(client, bearer, app) -> None:
    """The probe's 200 MB body was parsed in full; the default limit is 2 MB."""
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    limit = 3 * 1024 * 1024
    response = client.post(
        f"{API}/monza-brianza/groups/",
        headers={**bearer(), "Content-Type": "application/json"},
        data=b'{"name": "' + b"x" * limit + b'"}',
    )
    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"


def test_deeply_nested_json_is_400_problem(client, bearer) -> None:
    depth = 100_000
    response = client.post(
        f"{API}/monza-brianza/groups/",
        headers={**bearer(), "Content-Type": "application/json"},
        data=b"[" * depth + b"]" * depth,
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"


def test_a_form_beyond_the_limit_is_413(client, login, app) -> None:
    login("coordinator", "lecco")
    url = "/t/lecco/groups/new"
    token = csrf_token(client, url)
    response = client.post(url, data={"name": "x" * (3 * 1024 * 1024), "csrf_token": token})
    assert response.status_code == 413


# --- 9, 10. facilitators -----------------------------------------------------------------


def facilitator(ctx, name: str, territory: str, role: Role = Role.FACILITATOR):  # type: ignore[no-untyped-def]
    return create_user(ctx, name, TEST_PASSWORD, roles=[(territory, role)])


def test_duplicate_facilitator_ids_are_one_facilitator(client, bearer, ctx) -> None:
    """#9: [2, 2] was a unique violation (500)."""
    anna = facilitator(ctx, "anna", "monza-brianza")
    response = client.post(
        f"{API}/monza-brianza/groups/",
        headers=bearer(),
        json={"name": "G", "facilitator_ids": [anna.id, anna.id]},
    )
    assert response.status_code == 201
    group = ctx.session.get(Group, response.json["id"])
    assert [u.id for u in group.facilitators] == [anna.id]


def test_facilitators_must_belong_to_the_territory_with_that_role(client, bearer, ctx) -> None:
    """#10: a Monza token attached the Lecco facilitator and the instance admin;
    404 against 422 told which user ids exist."""
    lecco = facilitator(ctx, "luca", "lecco")
    coordinator = facilitator(ctx, "carla", "monza-brianza", Role.COORDINATOR)
    admin = create_user(ctx, "root", TEST_PASSWORD, is_admin=True)
    answers = []
    for user_id in (lecco.id, coordinator.id, admin.id, 999_999):
        response = client.post(
            f"{API}/monza-brianza/groups/",
            headers=bearer(),
            json={"name": "G", "facilitator_ids": [user_id]},
        )
        answers.append((response.status_code, response.json["code"]))
    assert set(answers) == {(422, "invalid_facilitator")}  # one answer: nothing revealed
    assert ctx.session.scalar(select(Group)) is None


# --- 17. search wildcards ------------------------------------------------------------------


@pytest.mark.parametrize("q", ["%", "_", "\\"])
def test_search_wildcards_are_letters(client, bearer, ctx, person, q: str) -> None:
    # Search matches the start of a word: a name starting with the character is
    # found, the other person is not (a wildcard would match both).
    special = "Per_cento%" if q == "\\" else f"{q}Percento"
    person("monza-brianza")
    person("monza-brianza", last_name=special)
    response = client.get(
        f"{API}/monza-brianza/participants/", headers=bearer(), query_string={"q": q}
    )
    assert response.status_code == 200
    expected = [] if q == "\\" else [special]
    assert [p["last_name"] for p in response.json] == expected


# --- 19. duplicates only inside the territory ----------------------------------------------


def test_registering_tells_nothing_about_other_territories(client, login, ctx) -> None:
    """A Lecco coordinator registering a person known only in Monza was told
    'this person may already be registered'."""
    code = valid_fiscal_code("VRDLGU75C41F704")
    register_candidate(
        ctx, "monza-brianza", first_name="Luigia", last_name="Verdi", fiscal_code=code
    )
    publish_notice(ctx, "lecco", "1.0", "Informativa")
    login("coordinator", "lecco")
    url = "/t/lecco/participants/new"
    response = client.post(
        url,
        data={
            "first_name": "Luigia",
            "last_name": "Verdi",
            "fiscal_code": code,
            "consents": "processing",
            "employment_status": "dismissed",
            "gender": "",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert response.status_code == 302
    assert "già registrata" not in client.get(response.headers["Location"]).get_data(as_text=True)
    territories = ctx.session.scalars(
        select(Participant.territory_code).where(Participant.fiscal_code == code)
    ).all()
    assert sorted(territories) == ["lecco", "monza-brianza"]
