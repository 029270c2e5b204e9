"""The core's own behaviour, registered as plugins (trylast, so regions win),
and the plugin manager that holds them beside the installed regional variants.

This is an edge: it knows every feature's hook module. The platform
(``core.plugins``) knows none, so no feature imports back through it.
"""
from __future__ import annotations

from collections.abc import Iterable

import pluggy

from core import hookspecs
from core.builtin import housekeeping, platform
from core.catalogue import generic as generic_catalogue
from core.consultation import plugin as consultation
from core.councils import default_rules
from core.escalation import plugin as escalation_plugin
from core.implementation import plugin as implementation_plugin
from core.notices import plugin as notices_plugin
from core.plugins import PluginHost, entry_point_plugins
from core.procedures import generic as generic_procedure
# Registers the division import job, so a worker on Redis knows it as the app does.
from core.regions import import_job  # noqa: F401

BUILTIN_PLUGINS = [platform, housekeeping, default_rules, generic_procedure, generic_catalogue,
                   consultation, escalation_plugin, notices_plugin, implementation_plugin]


def builtin_plugins() -> list[object]:
    return list(BUILTIN_PLUGINS)


def make_plugin_manager(
    *, load_entry_points: bool = True, extra_plugins: Iterable[object] = ()
) -> PluginHost:
    """A plugin host with the built-ins, the installed variants (``yishi.plugins``
    entry points) and ``extra_plugins`` (a test's own). Never a module global,
    so a test can build its own."""
    pm = pluggy.PluginManager("yishi")
    pm.add_hookspecs(hookspecs)
    for plugin in builtin_plugins():
        pm.register(plugin)
    if load_entry_points:
        for name, plugin in entry_point_plugins():
            if pm.get_plugin(name) is None:
                pm.register(plugin, name=name)
    for plugin in extra_plugins:
        pm.register(plugin)
    pm.check_pending()
    return PluginHost(pm)
