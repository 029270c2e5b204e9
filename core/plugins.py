"""Finding, registering and consulting plugins.

A plugin manager is built by :func:`make_plugin_manager` (never a module
global, so a test can build its own). Built-in behaviour comes from the
``core.builtin`` plugins; regional variants come from the ``yishi.plugins``
entry-point group and are enabled per region by tenant configuration.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

import pluggy

from core import hookspecs

hookimpl = pluggy.HookimplMarker("yishi")

ENTRY_POINT_GROUP = "yishi.plugins"
# Key under which a Runtime's sessions carry its PluginHost (``session.info``).
PLUGINS_INFO_KEY = "yishi.plugins"


@dataclass(frozen=True)
class SettingSpec:
    """One setting a plugin accepts, with its type and default."""

    type: type
    default: Any
    description_zh: str
    description_en: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    # "catalogue_item": the value (a string, each item of a list, or each key
    # of a table) names catalogue items; the tenant loader checks that they
    # exist in the catalogue of the region the setting is made at.
    refers_to: str | None = None

    def referenced(self, value: Any) -> list[str]:
        """The names ``value`` refers to, for a spec with ``refers_to``."""
        if self.refers_to is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [str(key) for key in value]
        if isinstance(value, list):
            return [str(item) for item in value]
        return []

    def validate(self, value: Any) -> tuple[str, str] | None:
        """Return (zh, en) describing what is wrong with ``value``, or None."""
        expected = self.type
        ok = isinstance(value, expected) and not (expected in (int, float) and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            names = {int: ("整数", "an integer"), float: ("数字", "a number"), str: ("文本", "a string"),
                     bool: ("布尔值", "true or false"), list: ("列表", "a list"), dict: ("表", "a table")}
            zh, en = names.get(expected, (expected.__name__, expected.__name__))
            return f"应为{zh}，实际为 {value!r}", f"must be {en}, got {value!r}"
        if self.choices is not None and value not in self.choices:
            allowed = "、".join(map(str, self.choices))
            return f"应为以下之一：{allowed}", f"must be one of: {', '.join(map(str, self.choices))}"
        if self.minimum is not None and value < self.minimum:
            return f"不得小于 {self.minimum}", f"must be at least {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"不得大于 {self.maximum}", f"must be at most {self.maximum}"
        return None


@dataclass(frozen=True)
class PluginManifest:
    name: str
    title_zh: str
    title_en: str
    description: str = ""
    settings: dict[str, SettingSpec] = field(default_factory=dict)
    # Built-ins are on everywhere and cannot be switched off by a tenant.
    builtin: bool = False


def builtin_plugins() -> list[object]:
    from core.builtin import BUILTIN_PLUGINS

    return list(BUILTIN_PLUGINS)


def entry_point_plugins() -> list[tuple[str, object]]:
    return [(ep.name, ep.load()) for ep in entry_points(group=ENTRY_POINT_GROUP)]


def import_plugin_models() -> None:
    """Import every installed plugin so the tables it declares join the metadata."""
    entry_point_plugins()


class PluginHost:
    """The plugin manager plus the per-region view of it."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._manifests: dict[str, PluginManifest] | None = None

    @property
    def hook(self):
        return self.pm.hook

    def manifests(self) -> dict[str, PluginManifest]:
        if self._manifests is None:
            found: dict[str, PluginManifest] = {}
            for plugin in self.pm.get_plugins():
                impl = getattr(plugin, "yishi_manifest", None)
                if impl is None:
                    continue
                manifest = impl()
                if manifest.name in found:
                    raise ValueError(f"two plugins are named {manifest.name!r}")
                found[manifest.name] = manifest
            self._manifests = found
        return self._manifests

    def plugin_named(self, name: str) -> object | None:
        for plugin in self.pm.get_plugins():
            impl = getattr(plugin, "yishi_manifest", None)
            if impl is not None and impl().name == name:
                return plugin
        return None

    def hooks_for(self, enabled: Iterable[str]) -> "RegionHooks":
        """Hook callers that consult only the built-ins and the ``enabled`` plugins."""
        return RegionHooks(self, frozenset(enabled))

    def setting_spec(self, key: str) -> SettingSpec | None:
        plugin, _, name = key.partition(".")
        manifest = self.manifests().get(plugin)
        return manifest.settings.get(name) if manifest else None


class RegionHooks:
    def __init__(self, host: PluginHost, enabled: frozenset[str]):
        self._host = host
        manifests = host.manifests()
        self._excluded = [
            host.plugin_named(name)
            for name, manifest in manifests.items()
            if not manifest.builtin and name not in enabled
        ]

    def __getattr__(self, hook_name: str):
        if not hook_name.startswith("yishi_"):
            raise AttributeError(hook_name)
        return self._host.pm.subset_hook_caller(hook_name, remove_plugins=self._excluded)


def make_plugin_manager(
    *, load_entry_points: bool = True, extra_plugins: Iterable[object] = ()
) -> PluginHost:
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
