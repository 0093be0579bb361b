"""Text with NUL characters cannot be stored by PostgreSQL: refused, not a 500."""

from amal.accounts.models import Role
from amal.accounts.services import create_token
from amal.testing import csrf_token


def test_api_refuses_nul_characters_naming_the_field(client, ctx) -> None:
    _, secret = create_token(ctx, "t", "monza-brianza", Role.COORDINATOR)
    response = client.post(
        "/api/v1/territories/monza-brianza/groups/",
        headers={"Authorization": f"Bearer {secret}"},
        json={"name": "G", "company_of_origin": "\x00"},
    )
    assert response.status_code == 422
    assert "company_of_origin" in response.json["errors"]["json"]


def test_web_forms_refuse_nul_characters(client, login) -> None:
    login("coordinator", "lecco")
    url = "/t/lecco/groups/new"
    response = client.post(
        url,
        data={
            "name": "G\x00",
            "composition": "heterogeneous",
            "facilitator": "0",
            "csrf_token": csrf_token(client, url),
        },
    )
    assert response.status_code == 400
