"""The plugin manual keeps up with the code."""

from pathlib import Path

from amal.plugins import hookspecs
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
