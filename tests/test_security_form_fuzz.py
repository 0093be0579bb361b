"""Every form of the URL map, posted with hostile text in every field: never a
5xx, never stored control characters, never the text echoed as live HTML."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from sqlalchemy import String, select
from test_access_matrix import OWN, url_for_rule, world  # noqa: F401 (world is a fixture)

from amal.db import Base
from amal.testing import csrf_token
from amal.text import has_forbidden

HOSTILE = {
    "nul": "a\x00b",
    "control": "Gruppo\x07\x1b[2J\x85",
    "rtl": "Rossi\u202egpj.exe",
    "formula": '=HYPERLINK("http://evil.example/","x")',
    "html": '<script>alert("amal")</script><img src=x onerror=alert(1)>',
}
HUGE = 10 * 1024 * 1024  # a 10 MB field, sent raw (encoding it per form is slow)


class FormFields(HTMLParser):
    """The fields of a page's forms: name -> a valid default (first option, value)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self.text_fields: set[str] = set()
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and self._select not in self.fields:
            self.fields[self._select] = a.get("value") or ""
        elif tag in {"input", "textarea"} and name and name != "csrf_token":
            kind = a.get("type", "text")
            self.fields.setdefault(name, a.get("value") or "")
            if tag == "textarea" or kind in {"text", "search", "email", "tel", "password"}:
                self.text_fields.add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def forms_of(client, url: str) -> FormFields:  # type: ignore[no-untyped-def]
    parser = FormFields()
    response = client.get(url)
    if response.status_code == 200 and response.mimetype == "text/html":
        parser.feed(response.get_data(as_text=True))
    return parser


def stored_control_characters(session) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String):
                for value in session.scalars(select(column)):
                    if isinstance(value, str) and has_forbidden(value):
                        found.append(f"{table.name}.{column.name}")
    return found


@pytest.mark.parametrize("who", ["coordinator", "admin"])
def test_every_form_with_hostile_text(app, client, login, world, ctx, who: str) -> None:  # noqa: F811
    if who == "admin":
        login(None, OWN, is_admin=True)
    else:
        login("coordinator", OWN)
    posts = []
    every_text_field: set[str] = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint in {"static", "accounts.logout"}:
            continue
        if "POST" in rule.methods:
            url = url_for_rule(rule, OWN, world)
            page = forms_of(client, url) if "GET" in rule.methods else FormFields()
            every_text_field |= page.text_fields
            posts.append((url, page))
    assert len(posts) > 15
    token = csrf_token(client, "/account/password")
    for url, page in posts:
        # POST-only actions take fields from the pages that hold their forms.
        text_fields = page.text_fields or every_text_field
        for label, value in HOSTILE.items():
            data = {**page.fields, **dict.fromkeys(text_fields, value)}
            data["csrf_token"] = token
            response = client.post(url, data=data)
            where = f"{url} {label}: {response.status_code}"
            assert response.status_code < 500, where
            body = response.get_data(as_text=True)
            assert "<script>alert(" not in body and "<img src=x" not in body, where
        field = sorted(text_fields)[0] if text_fields else "name"
        huge = client.post(
            url,
            data=f"csrf_token={token}&{field}=".encode() + b"x" * HUGE,
            content_type="application/x-www-form-urlencoded",
        )
        assert huge.status_code == 413, f"{url} huge: {huge.status_code}"
    ctx.session.expire_all()
    assert stored_control_characters(ctx.session) == []
