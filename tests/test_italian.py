"""Italian throughout: every page of the URL map (tests/page_map.py) and every
report file (XLSX, CSV, PDF text) in Italian shows no English. Two nets:

- the catalogue: an English source string (msgid) whose Italian differs, shown
  as-is, is a string that missed its translation (a label built outside
  gettext, a stored English value, an enum's raw name);
- a list of English words that no Italian page should contain.

What a person reads is checked: text, and the attributes a screen reader or a
tooltip reads out (aria-label, title, placeholder, alt, button values)."""

from __future__ import annotations

import csv
import io
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from openpyxl import load_workbook
from page_map import ENGLISH_PAGES, USERNAME, page_data, page_user, pages
from test_access_matrix import OTHER, OWN, SAMPLE_PERIOD, world  # noqa: F401  (fixture)

from amal.reports.engine import definitions
from amal.runtime import state
from amal.services import Context
from amal.testing import TEST_PASSWORD, csrf_token

CATALOGUE = Path(__file__).parents[1] / "core/amal/translations/it/LC_MESSAGES/messages.po"
# Whole words that are English and not Italian (nor names, nor AMAL's loanwords
# such as report, partner, follow-up, token, dashboard is translated).
ENGLISH = {
    "the", "and", "with", "without", "already", "exists", "create", "update", "delete",
    "participant", "participants", "group", "groups", "meeting", "meetings", "quarter",
    "semester", "custom", "project", "Well-Being", "Index", "attendance", "status", "none",
    "None", "True", "False", "Dashboard", "Save", "Cancel", "Submit", "Date", "Name", "User",
    "referral", "referrals", "consent", "outcome", "who5", "WHO5", "rosenberg", "entry", "end",
    "planned", "held", "cancelled", "active", "forming", "concluded", "present", "absent",
    "excused", "candidate", "screened", "admitted", "waitlisted", "enrolled", "dropped_out",
}  # fmt: skip
# Catalogue strings too short or too common to be told from Italian text.
SHORT = 2  # words: single English words are the list's job


class Reader(HTMLParser):
    """The text a person reads (or hears) on a page."""

    SPOKEN = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        values = dict(attrs)
        self.parts += [values[a] or "" for a in self.SPOKEN if a in values]
        if tag == "input" and values.get("type") in ("submit", "button"):
            self.parts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


# Between separate texts (cells, elements): a word at the end of one and the
# start of the next is no repetition.
APART = " | "


def readable(html: str) -> str:
    reader = Reader()
    reader.feed(html)
    return APART.join(" ".join(part.split()) for part in reader.parts if part.strip())


def catalogue_leaks() -> list[tuple[str, re.Pattern[str]]]:
    """(msgid, pattern) for English strings of several words whose Italian differs."""
    with open(CATALOGUE, "rb") as handle:
        catalogue = read_po(handle)
    found = []
    for message in catalogue:
        source, italian = message.id, message.string
        if not source or isinstance(source, tuple) or not italian or source == italian:
            continue
        # The longest fixed part between placeholders is what would show.
        part = max(re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}", source), key=len).strip(" .:,;")
        if len(part.split()) >= SHORT and len(part) >= 8:
            found.append((source, re.compile(r"(?<!\w)" + re.escape(part) + r"(?!\w)")))
    return found


def english_in(
    text: str, leaks: list[tuple[str, re.Pattern[str]]], repeats: bool = True
) -> list[str]:
    found = [f"msgid {source!r}" for source, pattern in leaks if pattern.search(text)]
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_-]*", text))
    found += [f"word {w!r}" for w in sorted(words & ENGLISH)]
    if not repeats:
        return found
    # A word put before a name that already has it ("Gruppo Gruppo Monza").
    found += [f"repeated {w!r}" for w in sorted(set(re.findall(r"\b([A-Z][a-z]{3,}) \1\b", text)))]
    return found


def pdf_text(content: bytes) -> str:
    """The text of an fpdf2 document written in a core font: the strings its
    (compressed) content streams show with Tj."""
    shown = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            data = stream
        shown += re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", data)
    return " ".join(re.sub(rb"\\(.)", rb"\1", s).decode("latin-1") for s in shown)


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_every_page_is_in_italian(app, client, ctx: Context, world) -> None:  # noqa: F811
    page_user(ctx)
    contact_id = page_data(ctx, world)
    client.post(
        "/login",
        data={"username": USERNAME, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    leaks = catalogue_leaks()
    assert len(leaks) > 200, "the catalogue was not read"
    problems = []
    walked = pages(app, world, contact_id)
    for entry in walked:
        if entry.endpoint in ENGLISH_PAGES:
            continue
        response = client.get(entry.url)
        assert response.status_code == 200, f"{entry.url}: {response.status_code}"
        if response.mimetype != "text/html":
            continue  # a download (PDF, CSV, XLSX, minutes): report files are checked below
        found = english_in(readable(response.get_data(as_text=True)), leaks)
        problems += [f"{entry.endpoint} ({entry.url}): {f}" for f in found]
    assert len(walked) > 25
    assert not problems, "English in the Italian interface:\n" + "\n".join(problems)


@pytest.mark.parametrize("amal_database_url", ["sqlite"], indirect=True)
def test_every_report_file_is_in_italian(app, client, ctx: Context, world) -> None:  # noqa: F811
    page_user(ctx)
    client.post(
        "/login",
        data={"username": USERNAME, "password": TEST_PASSWORD, "csrf_token": csrf_token(client)},
    )
    leaks = catalogue_leaks()
    problems = []
    checked = 0
    for territory in (OWN, OTHER):
        for report in definitions(state(app).plugins, territory).values():
            period = SAMPLE_PERIOD[report.period_kind]
            for fmt in report.formats:
                url = f"/t/{territory}/reports/{report.code}/download.{fmt}?period={period}"
                response = client.get(url)
                assert response.status_code == 200, f"{url}: {response.status_code}"
                text = file_text(fmt, response.data)
                # A PDF's text runs together: "Gruppo" then "Gruppo Sud" is a label and its value.
                found = english_in(text, leaks, repeats=fmt != "pdf")
                problems += [f"{url}: {f}" for f in found]
                checked += 1
    assert checked >= 4
    assert not problems, "English in the Italian report files:\n" + "\n".join(problems)


def file_text(fmt: str, content: bytes) -> str:
    """The words of a report file (addresses, such as a violation's link to the
    page that fixes it, are not words)."""
    return re.sub(r"https?://\S+", "", _file_text(fmt, content))


def _file_text(fmt: str, content: bytes) -> str:
    if fmt == "pdf":
        return pdf_text(content)
    if fmt == "csv":
        rows = csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";")
        return APART.join(APART.join(row) for row in rows)
    workbook = load_workbook(io.BytesIO(content))
    cells = [sheet.title for sheet in workbook.worksheets] + [
        value
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if isinstance(value, str)
    ]
    return APART.join(cells)


# Codes that never reach a web page in a service's English words, and why.
NOT_SHOWN_BY_CODE = {
    "already_exists": "amal territory new (CLI)",
    "invalid_code": "amal territory new (CLI)",
    "invalid_name": "amal territory new (CLI)",
    "invalid_province": "amal territory new (CLI)",
    "invalid_credentials": "the login page says it in its own words",
    "employer_mismatch": "the group page asks for the reason in its own words",
    "not_eligible": "amal.web.errors.domain_message lists the reasons",
    "not_found": "API and CLI (the web answers 404)",
    "unknown_field": "API (the web's forms have fixed fields)",
    "unknown_instrument": "API (the web's URL is checked first)",
    "unknown_item": "API (the web's form has the instrument's items)",
    "unknown_report": "API and CLI (the web answers 404)",
    "bulk_refused": "the participants list names each person refused and why",
    "import_refused": "the import page lists each row's problems",
    "holiday": "amal.web.errors.domain_message names the day and the holiday",
    "meeting_on_holiday": "amal.web.errors.domain_message names the holiday",
    "phase_out_of_order": "amal.web.errors.domain_message names the other phase and its day",
    "too_young": "amal.web.errors.domain_message names the territory's minimum age",
    "merge_refused": "amal.web.errors.domain_message says why (MERGE_REFUSALS)",
    "unreadable_file": "the import page words it (participants.web.IMPORT_ERRORS)",
    "too_many_rows": "the import page words it (participants.web.IMPORT_ERRORS)",
    "missing_columns": "the import page words it (participants.web.IMPORT_ERRORS)",
}


def test_every_domain_error_has_italian_words_on_the_web() -> None:
    """A service's error reaches a page through amal.web.errors.MESSAGES; a
    code missing there shows its English message to Italian staff."""
    from amal.web.errors import MESSAGES

    core = Path(__file__).parents[1] / "core" / "amal"
    raised = {
        code
        for path in core.rglob("*.py")
        for code in re.findall(r'DomainError\(\s*"(\w+)"', path.read_text(encoding="utf-8"))
    }
    missing = sorted(raised - MESSAGES.keys() - NOT_SHOWN_BY_CODE.keys())
    assert not missing, f"add an Italian message to amal.web.errors.MESSAGES for {missing}"
