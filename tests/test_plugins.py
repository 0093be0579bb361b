import inspect
import types

import pytest

from amal.errors import PluginError
from amal.plugins import GroupPolicy, TerritoryDefinition, hookimpl, hookspecs
from amal.plugins.manager import PluginHost


def plugin(name: str, **functions) -> types.SimpleNamespace:
    return types.SimpleNamespace(__name__=name, **functions)


def test_enabled_but_missing_plugin_stops_startup_with_advice() -> None:
    with pytest.raises(PluginError) as error:
        PluginHost(["no-such-territory"])
    message = str(error.value)
    assert "'no-such-territory' is enabled" in message
    assert "not installed" in message and "pip install" in message
    assert "lecco" in message  # lists what is installed


def test_unknown_hook_names_the_plugin() -> None:
    @hookimpl
    def amal_territorys():  # misspelt
        return []

    with pytest.raises(PluginError, match=r"'typo-plugin' implements 'amal_territorys'"):
        PluginHost(extra=[("typo-plugin", plugin("typo", amal_territorys=amal_territorys))])


def test_hook_with_wrong_arguments_names_the_plugin() -> None:
    @hookimpl
    def amal_group_policy(territory, group_size):
        return None

    with pytest.raises(PluginError, match=r"'bad-args'.*does not match the specification"):
        PluginHost(extra=[("bad-args", plugin("bad", amal_group_policy=amal_group_policy))])


def test_territory_defined_twice_is_refused() -> None:
    @hookimpl
    def amal_territories():
        return [TerritoryDefinition("lecco", "Lecco bis", "Lombardia", "LC")]

    with pytest.raises(PluginError, match="'lecco' is defined by both 'lecco' and 'copy'"):
        PluginHost(["lecco"], extra=[("copy", plugin("copy", amal_territories=amal_territories))])


def test_configured_territory_without_plugin_is_refused() -> None:
    with pytest.raises(PluginError, match="'lecco' is configured but no enabled plugin"):
        PluginHost(["monza-brianza"], territories=["lecco"])


def test_policy_comes_from_the_territory_plugin_else_defaults() -> None:
    @hookimpl
    def amal_territories():
        return [TerritoryDefinition("bare", "Bare", "Lombardia", "MI")]

    host = PluginHost(
        ["monza-brianza", "lecco"],
        extra=[("bare", plugin("bare", amal_territories=amal_territories))],
    )
    assert host.group_policy("monza-brianza").max_meetings == 18
    assert host.group_policy("lecco").opening_info_meeting is True
    assert host.group_policy("bare") == GroupPolicy()  # 10-15 people, 16 meetings, 14 days


def test_describe_lists_versions_and_hooks() -> None:
    infos = {info.name: info for info in PluginHost(["monza-brianza", "lecco"]).describe()}
    assert infos["lecco"].distribution == "amal-lecco"
    assert infos["lecco"].version == "0.1.0"
    assert "amal_territories" in infos["lecco"].hooks
    assert infos["amal.plugins.defaults"].builtin


def test_every_hook_is_documented_with_its_arguments() -> None:
    specs = [f for name, f in vars(hookspecs).items() if name.startswith("amal_")]
    assert len(specs) >= 14
    for spec in specs:
        doc = inspect.getdoc(spec) or ""
        assert len(doc) > 60, f"{spec.__name__} needs a real docstring"
        assert "alled" in doc, f"{spec.__name__}: say when it is called"
        for argument in inspect.signature(spec).parameters:
            assert f"``{argument}``" in doc or argument in doc, (
                f"{spec.__name__}: document argument {argument!r}"
            )
