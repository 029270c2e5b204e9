"""Which plugins are on at a region, and what its settings resolve to.

A row set at a region applies to its whole subtree unless a narrower region
sets its own (community → street → district → city → plugin default). The
ancestors of a region are the prefixes of its code, so each answer is one
``IN`` query over at most four codes, with no walk up the tree.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, literal, null, select, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import FieldError, validation_failed
from core.models import RegionPlugin, RegionSetting
from core.models.region import ancestor_codes
from core.plugins import PluginHost


def _narrowest_first(rows, code_of) -> list:
    # Longer code = narrower region; the first row seen for a name wins.
    return sorted(rows, key=lambda row: len(code_of(row)), reverse=True)


async def enabled_plugins(session: AsyncSession, host: PluginHost, region_code: str) -> set[str]:
    """Names of the plugins active at ``region_code``: built-ins plus those enabled
    by the narrowest region (itself or an ancestor) that says anything about them."""
    return (await plugins_and_settings(session, host, region_code))[0]


def _enabled(host: PluginHost, rows) -> set[str]:
    manifests = host.manifests()
    decided: dict[str, bool] = {}
    for _code, plugin, enabled in _narrowest_first(rows, lambda row: row[0]):
        decided.setdefault(plugin, enabled)
    enabled = {name for name, manifest in manifests.items() if manifest.builtin}
    # A row naming a plugin that is no longer installed switches nothing on.
    enabled.update(name for name, on in decided.items() if on and name in manifests)
    return enabled


async def plugins_and_settings(session: AsyncSession, host: PluginHost,
                               region_code: str) -> tuple[set[str], dict[str, Any]]:
    """:func:`enabled_plugins` and :func:`resolve_settings` together, in one statement."""
    codes = ancestor_codes(region_code)
    plugin_rows = select(literal("plugin").label("kind"), RegionPlugin.region_code, RegionPlugin.plugin.label("name"),
                         RegionPlugin.enabled, type_coerce(null(), JSON).label("value")
                         ).where(RegionPlugin.region_code.in_(codes))
    setting_rows = select(literal("setting"), RegionSetting.region_code, RegionSetting.key, type_coerce(null(), Boolean),
                          RegionSetting.value).where(RegionSetting.region_code.in_(codes))
    rows = (await session.execute(union_all(plugin_rows, setting_rows))).all()
    enabled = _enabled(host, [(code, name, on) for kind, code, name, on, _v in rows if kind == "plugin"])
    stored = _narrowest_first([(code, name, value) for kind, code, name, _on, value in rows if kind == "setting"],
                              lambda row: row[0])
    return enabled, _resolve(host, stored, all_setting_keys(host))


def _unknown_key(key: str):
    return validation_failed(FieldError("key", f"未知设置项“{key}”", f"unknown setting '{key}'"))


async def _stored_values(session: AsyncSession, region_code: str, keys: list[str] | None) -> list[tuple[str, str, Any]]:
    query = select(RegionSetting.region_code, RegionSetting.key, RegionSetting.value).where(
        RegionSetting.region_code.in_(ancestor_codes(region_code)))
    if keys is not None:
        query = query.where(RegionSetting.key.in_(keys))
    return _narrowest_first((await session.execute(query)).all(), lambda row: row[0])


def _resolve(host: PluginHost, rows: list[tuple[str, str, Any]], keys: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for _code, key, value in rows:
        if key in values or key not in keys:
            continue
        spec = host.setting_spec(key)
        # A stored value that no longer fits the manifest (the plugin changed
        # its type or range since) falls through to a broader one, then to the
        # default, rather than handing a plugin something it cannot use.
        if spec is not None and spec.validate(value) is None:
            values[key] = value
    for key in keys:
        if key not in values:
            values[key] = host.setting_spec(key).default
    return values


async def resolve_setting(session: AsyncSession, host: PluginHost, region_code: str, key: str) -> Any:
    """The value of ``key`` ("<plugin>.<setting>") at ``region_code``."""
    if host.setting_spec(key) is None:
        raise _unknown_key(key)
    rows = await _stored_values(session, region_code, [key])
    return _resolve(host, rows, [key])[key]


def all_setting_keys(host: PluginHost) -> list[str]:
    return sorted(f"{name}.{setting}" for name, manifest in host.manifests().items()
                  for setting in manifest.settings)


async def resolve_settings(session: AsyncSession, host: PluginHost, region_code: str) -> dict[str, Any]:
    """Every setting of every installed plugin, resolved at ``region_code``."""
    return (await plugins_and_settings(session, host, region_code))[1]