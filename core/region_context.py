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

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from core.catalogue import Catalogue, catalogue_for_region
from core.models import RegionPlugin, RegionSetting
from core.plugins import PluginHost, RegionHooks
from core.procedures.model import Procedure
from core.procedures.registry import ProcedureRegistry, procedure_for_region, procedure_registry
from core.tenants.settings import plugins_and_settings, resolve_setting


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
    """The region's context, read once per transaction (an action's answer reuses the action's)."""
    memo: dict[tuple[int, str], RegionContext] = session.sync_session.info.setdefault(_MEMO, {})
    found = memo.get((id(plugins), region_code))
    if found is not None and found.session is session:
        return found
    enabled, settings = await plugins_and_settings(session, plugins, region_code)
    context = RegionContext(session=session, plugins=plugins, region_code=region_code, enabled=frozenset(enabled),
                            settings=settings, hooks=plugins.hooks_for(enabled))
    memo[(id(plugins), region_code)] = context
    return context


# Contexts read in this transaction; forgotten when it ends or writes a plugin or setting row.
_MEMO = "yishi.region_contexts"
_SOURCES = frozenset({RegionPlugin.__tablename__, RegionSetting.__tablename__})


def _forget(session: Session) -> None:
    session.info.pop(_MEMO, None)


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush_context, _instances) -> None:
    if any(isinstance(obj, (RegionPlugin, RegionSetting))
           for obj in (*session.new, *session.dirty, *session.deleted)):
        _forget(session)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and \
            getattr(state.statement.table, "name", None) in _SOURCES:
        _forget(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    # A savepoint's too: it may have taken a settings change with it.
    _forget(session)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        _forget(session)
