"""Where each setting and plugin in force at a region comes from, and changing what one region sets.

What is in force is decided by :mod:`core.tenants.settings` alone (narrowest region first, a stored
value that no longer fits the manifest passed over); this module only finds which region's row
that answer came from, so the pages and ``yishi tenants show`` can say "set here", "inherited from
海曙区" or "plugin default". A value is written here only after the checks a tenant file's value
passes (:meth:`core.plugins.SettingSpec.validate`, and for a setting naming catalogue items, the
catalogue in force at the region), so a refused value writes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.changes import record_setting_change
from core.errors import FieldError, validation_failed
from core.models import RegionPlugin, RegionSetting
from core.models.region import ancestor_codes
from core.plugins import PluginHost, PluginManifest, SettingSpec
from core.region_context import region_context
from core.tenants.settings import _narrowest_first, _unknown_key, plugins_and_settings

VALUE_FIELD = "value"


@dataclass(frozen=True)
class SettingInForce:
    key: str
    plugin: str
    spec: SettingSpec
    value: Any
    # The code of the region whose row gives the value; None: the plugin's default.
    source: str | None


@dataclass(frozen=True)
class PluginInForce:
    name: str
    manifest: PluginManifest
    enabled: bool
    # The code of the region whose row switches it on or off here; None for a built-in
    # (always on) or a plugin no region up the tree mentions (off).
    source: str | None


def _same(a: Any, b: Any) -> bool:
    # 1 == 1.0 == True in Python, but a setting's JSON type matters to its reader.
    return type(a) is type(b) and a == b


async def _rows(session: AsyncSession, model, name_column, value_column, region_code: str) -> list[tuple]:
    result = await session.execute(select(model.region_code, name_column, value_column)
                                   .where(model.region_code.in_(ancestor_codes(region_code))))
    return _narrowest_first(result.all(), lambda row: row[0])


async def settings_in_force(session: AsyncSession, host: PluginHost, region_code: str) -> dict[str, SettingInForce]:
    """Every setting of every installed plugin at ``region_code``: its value and the region it is set at.

    The first row, narrowest first, that holds the value in force is the one resolution took:
    a narrower row holding another value was passed over, and one holding the same value (of the
    same type) would have been taken itself.
    """
    _enabled, values = await plugins_and_settings(session, host, region_code)
    rows = await _rows(session, RegionSetting, RegionSetting.key, RegionSetting.value, region_code)
    found: dict[str, SettingInForce] = {}
    for key, value in values.items():
        source = next((code for code, name, stored in rows if name == key and _same(stored, value)), None)
        found[key] = SettingInForce(key, key.partition(".")[0], host.setting_spec(key), value, source)
    return found


async def plugins_in_force(session: AsyncSession, host: PluginHost, region_code: str) -> list[PluginInForce]:
    """Every installed plugin, on or off at ``region_code``, with the region that decides it; built-ins first."""
    enabled, _values = await plugins_and_settings(session, host, region_code)
    rows = await _rows(session, RegionPlugin, RegionPlugin.plugin, RegionPlugin.enabled, region_code)
    found = []
    for name, manifest in host.manifests().items():
        on = name in enabled
        source = None if manifest.builtin else next(
            (code for code, plugin, switched in rows if plugin == name and switched == on), None)
        found.append(PluginInForce(name, manifest, on, source))
    return sorted(found, key=lambda p: (not p.manifest.builtin, not p.enabled, p.name))


def _refused(key: str, *problems: tuple[str, str]):
    return validation_failed(*(FieldError(VALUE_FIELD, zh, en) for zh, en in problems),
                             zh=f"设置项“{key}”的值有误，未保存", en=f"the value of {key} is invalid; nothing was saved")


async def check_setting(session: AsyncSession, host: PluginHost, region_code: str, key: str, value: Any) -> None:
    """Refuse a value a tenant file could not set at ``region_code``: an unknown key, a wrong type, a
    value out of range or not among the choices, or a catalogue item not in the catalogue in force there."""
    spec = host.setting_spec(key)
    if spec is None:
        raise _unknown_key(key)
    wrong = spec.validate(value)
    if wrong:
        raise _refused(key, wrong)
    if spec.refers_to == "catalogue_item":
        catalogue = (await region_context(session, host, region_code)).catalogue
        missing = [name for name in spec.referenced(value) if catalogue.get(name) is None]
        if missing:
            raise _refused(key, *((f"议事目录中没有条目“{name}”（区划 {region_code}）",
                                   f"'{name}' is not an item of the catalogue in force at {region_code}")
                                  for name in missing))


async def _stored(session: AsyncSession, region_code: str, key: str) -> RegionSetting | None:
    return await session.scalar(select(RegionSetting).where(RegionSetting.region_code == region_code,
                                                            RegionSetting.key == key))


async def set_setting(session: AsyncSession, host: PluginHost, region_code: str, key: str, value: Any, *,
                      actor: Any) -> bool:
    """Set ``key`` at ``region_code`` (its subtree inherits it) after :func:`check_setting`; audited.
    Returns whether anything changed."""
    await check_setting(session, host, region_code, key, value)
    row = await _stored(session, region_code, key)
    if row is not None and _same(row.value, value):
        return False
    before = None if row is None else row.value
    if row is None:
        session.add(RegionSetting(region_code=region_code, key=key, value=value))
    else:
        # An UPDATE statement rather than the attribute: a JSON column does not see a value
        # changed in place, and this also tells the region contexts of the transaction to forget.
        await session.execute(update(RegionSetting).where(RegionSetting.region_code == region_code,
                                                          RegionSetting.key == key).values(value=value))
    await session.flush()
    await record_setting_change(session, actor=actor, region_code=region_code, key=key, before=before, after=value)
    return True


async def clear_setting(session: AsyncSession, host: PluginHost, region_code: str, key: str, *,
                        actor: Any) -> bool:
    """Remove what ``region_code`` sets for ``key``, so it inherits again; audited. Returns whether
    there was a value to remove."""
    if host.setting_spec(key) is None:
        raise _unknown_key(key)
    row = await _stored(session, region_code, key)
    if row is None:
        return False
    before = row.value
    await session.execute(delete(RegionSetting).where(RegionSetting.region_code == region_code,
                                                      RegionSetting.key == key))
    await record_setting_change(session, actor=actor, region_code=region_code, key=key, before=before, after=None)
    return True
