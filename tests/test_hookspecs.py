"""The plugin contract is its docstrings: every hook must document itself."""
from __future__ import annotations

import inspect

import pluggy
import pytest

from core import hookspecs
from core.plugins import hookimpl
from core.builtin import make_plugin_manager

HOOKS = {
    name: fn
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if hasattr(fn, "yishi_spec")
}


def test_hooks_are_declared_with_the_project_prefix():
    assert HOOKS, "core.hookspecs declares no hooks"
    assert all(name.startswith("yishi_") for name in HOOKS)


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_documents_arguments_return_and_firstresult(name):
    fn = HOOKS[name]
    doc = inspect.getdoc(fn) or ""
    assert doc, f"{name} has no docstring"
    assert "Arguments:" in doc, f"{name}: say which arguments it gets ('Arguments: none.' if none)"
    assert "Return:" in doc, f"{name}: say what an implementation returns"
    for argument in inspect.signature(fn).parameters:
        assert argument in doc, f"{name}: argument {argument!r} is not described"
    if not inspect.signature(fn).parameters:
        assert "Arguments: none" in doc, f"{name} takes no arguments; say so"

    firstresult = fn.yishi_spec.get("firstresult", False)
    if firstresult:
        assert "firstresult" in doc and "not firstresult" not in doc, f"{name} is firstresult: say so"
    else:
        assert "not firstresult" in doc, f"{name} collects every answer: say 'not firstresult'"


class Misspelled:
    """Implements a hook that does not exist (``yishi_scheduled_job``, missing the s)."""

    @hookimpl
    def yishi_scheduled_job(self):
        return []


def test_check_pending_catches_an_implementation_without_spec():
    host = make_plugin_manager(load_entry_points=False)
    host.pm.check_pending()  # the built-ins are all valid
    host.pm.register(Misspelled(), name="misspelled")
    with pytest.raises(pluggy.PluginValidationError, match="yishi_scheduled_job"):
        host.pm.check_pending()
    host.pm.unregister(name="misspelled")
    host.pm.check_pending()


def test_the_factory_refuses_a_plugin_implementing_an_unknown_hook():
    with pytest.raises(pluggy.PluginValidationError):
        make_plugin_manager(load_entry_points=False, extra_plugins=[Misspelled()])


def test_the_variant_adapter_takes_each_hooks_arguments_as_documented():
    """``core.plugins.VariantPlugin`` answers hooks for every declared variant:
    each of its implementations takes exactly its hook's arguments, so a
    declaration's callables get whatever the contract offers."""
    from core.plugins import VariantPlugin

    implemented = {name: fn for name, fn in inspect.getmembers(VariantPlugin, inspect.isfunction)
                   if name.startswith("yishi_")}
    assert {"yishi_manifest", "yishi_procedures", "yishi_topic_action_taken", "yishi_topic_action_recorded"} \
        <= set(implemented)
    for name, fn in implemented.items():
        assert name in HOOKS, name
        assert list(inspect.signature(fn).parameters)[1:] == list(inspect.signature(HOOKS[name]).parameters), name
