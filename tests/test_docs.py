"""The plugin manual keeps up with the code."""

from dataclasses import fields
from pathlib import Path

from amal.plugins import hookspecs
from amal.plugins.definitions import GroupPolicy
from amal.reports.indicators import INDICATORS

ROOT = Path(__file__).parents[1]
MANUAL = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def test_every_hook_is_in_the_manual() -> None:
    hooks = [name for name in vars(hookspecs) if name.startswith("amal_")]
    missing = [name for name in hooks if f"`{name}(" not in MANUAL]
    assert not missing, f"document these hooks in docs/plugins.md: {missing}"


def test_every_indicator_is_in_the_manual() -> None:
    missing = [name for name in INDICATORS if f"`{name}`" not in MANUAL]
    assert not missing, f"document these indicators in docs/plugins.md: {missing}"


def test_readme_links_the_manual() -> None:
    assert "docs/plugins.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_group_policy_field_is_documented() -> None:
    """A new policy field (e.g. the follow-up schedule) is explained to plugin authors."""
    doc = hookspecs.amal_group_policy.__doc__ or ""
    names = [f.name for f in fields(GroupPolicy)]
    assert not [n for n in names if f"`{n}`" not in MANUAL], "document in docs/plugins.md"
    assert not [n for n in names if f"``{n}``" not in doc], "document in hookspecs.py"


def test_every_outcome_category_is_in_the_staff_manual() -> None:
    from amal.outcomes.models import OutcomeCategory
    from amal.reports.vocabulary import italian

    manual = (ROOT / "docs" / "manual.md").read_text(encoding="utf-8")
    missing = [c for c in OutcomeCategory if italian(c) not in manual]
    assert not missing, f"document these outcome categories in docs/manual.md: {missing}"
