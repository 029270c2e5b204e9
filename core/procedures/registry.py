"""Every procedure version the plugins supply, validated on collection.

A topic stores its procedure's key and version and is always read back
against that exact declaration; a newer version serves new topics only.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from weakref import WeakKeyDictionary

from core.errors import ApiError
from core.plugins import PluginHost
from core.procedures.model import Procedure, ProcedureError, validate_procedure


class ProcedureRegistry:
    def __init__(self, procedures: Iterable[Procedure]):
        self._by_version: dict[tuple[str, int], Procedure] = {}
        for procedure in procedures:
            if not isinstance(procedure, Procedure):
                raise ProcedureError(repr(procedure), ["is not a Procedure"])
            validate_procedure(procedure)
            ident = (procedure.key, procedure.version)
            if ident in self._by_version:
                raise ProcedureError(procedure.ident, ["supplied twice"])
            self._by_version[ident] = procedure

    def get(self, key: str, version: int) -> Procedure:
        try:
            return self._by_version[(key, version)]
        except KeyError:
            raise LookupError(f"procedure {key}@{version} is not installed") from None

    def latest(self, key: str) -> Procedure:
        versions = [p for (k, _), p in self._by_version.items() if k == key]
        if not versions:
            raise LookupError(f"procedure {key!r} is not installed")
        return max(versions, key=lambda p: p.version)

    def versions(self, key: str) -> list[int]:
        return sorted(v for (k, v) in self._by_version if k == key)

    def keys(self) -> list[str]:
        return sorted({k for k, _ in self._by_version})


# Per host, with the plugin set it was built from; a test's host dies with its registry.
_REGISTRIES: "WeakKeyDictionary[PluginHost, tuple[frozenset[int], ProcedureRegistry]]" = WeakKeyDictionary()


def procedure_registry(host: PluginHost) -> ProcedureRegistry:
    """The registry for ``host``'s plugins, rebuilt when the set of plugins changes.

    Collected from every installed plugin, not only those a region enables:
    a topic keeps its procedure even if the region later switches plugins.
    """
    plugins = frozenset(map(id, host.pm.get_plugins()))
    cached = _REGISTRIES.get(host)
    if cached is not None and cached[0] == plugins:
        return cached[1]
    registry = ProcedureRegistry(p for found in host.hook.yishi_procedures() for p in (found or ()))
    _REGISTRIES[host] = (plugins, registry)
    return registry


def procedure_for_region(host: PluginHost, region_code: str, enabled: Iterable[str],
                         settings: Mapping[str, Any]) -> Procedure:
    """The latest version of the procedure the region's plugins and settings choose.

    A ``procedure.key`` set for the region wins over every plugin, so a
    district can keep the generic procedure inside a city that has its own;
    only while it is empty do the plugins choose.
    """
    from core.procedures.generic import PROCEDURE_SETTING

    key = settings.get(PROCEDURE_SETTING) or host.hooks_for(enabled).yishi_procedure_for_region(
        region_code=region_code, settings=settings)
    try:
        return procedure_registry(host).latest(key)
    except LookupError:
        raise ApiError(409, "procedure_unknown", f"本区划配置的议事程序“{key}”未安装",
                       f"the procedure '{key}' configured for this region is not installed") from None
