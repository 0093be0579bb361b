"""The Italian catalogue covers every visible string, and what ships compiled
(messages.mo) is what the translators wrote (messages.po)."""

import subprocess
import sys
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).parents[1]
TRANSLATIONS = ROOT / "core" / "amal" / "translations"


def load(path: Path, reader):
    with open(path, "rb") as handle:
        return reader(handle)


def test_every_string_in_the_code_has_an_italian_translation(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            "--omit-header",
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    italian = load(TRANSLATIONS / "it" / "LC_MESSAGES" / "messages.po", read_po)
    missing = [
        m.id for m in load(pot, read_po) if m.id and not (m.id in italian and italian[m.id].string)
    ]
    assert not missing, f"translate these (make translations): {missing}"


def test_compiled_catalogue_matches_the_po_file() -> None:
    po = load(TRANSLATIONS / "it" / "LC_MESSAGES" / "messages.po", read_po)
    mo = load(TRANSLATIONS / "it" / "LC_MESSAGES" / "messages.mo", read_mo)
    assert {m.id: m.string for m in po if m.id} == {m.id: m.string for m in mo if m.id}


def test_enums_sharing_a_value_keep_their_own_labels(app) -> None:
    """ParticipantStatus.ACTIVE and GroupStatus.ACTIVE are both "active" (and
    equal as strings): each must keep its own wording."""
    from amal.groups.models import GroupStatus
    from amal.outcomes.models import OutcomeMoment
    from amal.participants.models import ParticipantStatus
    from amal.reports.vocabulary import italian
    from amal.web.labels import label
    from amal.wellbeing.models import Phase

    with app.test_request_context():
        assert str(label(ParticipantStatus.ACTIVE)) == "attivo"
        assert str(label(GroupStatus.ACTIVE)) == "in corso"
        assert str(label(Phase.END)) == "fine" and str(label(OutcomeMoment.END)) == "fine percorso"
    assert italian(ParticipantStatus.ACTIVE) == "attivo"
    assert italian(GroupStatus.ACTIVE) == "in corso"
