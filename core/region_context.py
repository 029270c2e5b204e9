"""What one region runs with: its enabled plugins, its settings, the hooks they
answer, its catalogue and the procedure a new topic there follows.

Services and hook implementations take region-specific behaviour from a
``RegionContext`` (or, for one setting read across many regions,
:func:`setting_at`) and nowhere else. It is built once per region a piece of
work touches (``region_context``) and handed down, so one action resolves
plugins and settings once, and hook implementations receive it as their
``context`` argument instead of recovering the plugin host from a session.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.catalogue import Catalogue, catalogue_for_region
from core.plugins import PluginHost, RegionHooks
from core.procedures.model import Procedure
from core.procedures.registry import ProcedureRegistry, procedure_for_region, procedure_registry
from core.tenants.settings import enabled_plugins, resolve_setting, resolve_settings


@dataclass(eq=False)
class RegionContext:
    session: AsyncSession
    plugins: PluginHost
    region_code: str
    enabled: frozenset[str]
    settings: Mapping[str, Any]
    hooks: RegionHooks
    _catalogue: Catalogue | None = field(default=None, init=False, repr=False)

    def setting(self, key: str) -> Any:
        """The value of ``key`` ("<plugin>.<setting>") in force here."""
        return self.settings[key]

    def has(self, plugin: str) -> bool:
        return plugin in self.enabled

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = catalogue_for_region(self.plugins, self.region_code, self.enabled)
        return self._catalogue

    @property
    def procedures(self) -> ProcedureRegistry:
        """Every installed procedure: a topic keeps its own version wherever it goes."""
        return procedure_registry(self.plugins)

    def procedure_for_new_topic(self) -> Procedure:
        return procedure_for_region(self.plugins, self.region_code, self.enabled, self.settings)

    async def of(self, region_code: str) -> "RegionContext":
        """The context of another region, in the same session and plugin host."""
        if region_code == self.region_code:
            return self
        return await region_context(self.session, self.plugins, region_code)


async def setting_at(session: AsyncSession, plugins: PluginHost, region_code: str, key: str) -> Any:
    """One setting in force at ``region_code``, for a loop over many regions
    that needs nothing else of them (one query, where a context takes two)."""
    return await resolve_setting(session, plugins, region_code, key)


async def region_context(session: AsyncSession, plugins: PluginHost, region_code: str) -> RegionContext:
    enabled = frozenset(await enabled_plugins(session, plugins, region_code))
    settings = await resolve_settings(session, plugins, region_code)
    return RegionContext(session=session, plugins=plugins, region_code=region_code, enabled=enabled,
                         settings=settings, hooks=plugins.hooks_for(enabled))
