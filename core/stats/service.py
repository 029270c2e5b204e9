"""A region's figures: topics by step and status, consultations held,
topics resolved and how long resolution took, open notices, overdue tasks.

The topic figures are read from the per-region totals kept in the same
transaction as every change to a topic (core/models/rollup.py): a few dozen
rows for the region asked about, whatever the number of topics, so a city
costs what a community does. The two figures that depend on the clock
(notices open now, tasks overdue now) are counts over an index holding only
open notices / open tasks in region order.

The subtree is ``[code, next prefix)`` on the owning council's region code,
narrowed by the caller's :class:`RegionScope` (a community chair asking about
a street still sees only their own community): when the scope covers the
whole subtree the subtree's own totals are read, otherwise the totals of the
scope's few regions inside it are added up.

Resolution time is counted in whole days (rounded down) from submission to
the topic's first history entry with the status closed; the median is the
middle one of those (the mean of the middle two for an even count).

To add a figure from the totals, write ``def figure(totals, subtree) -> value``
and list it in :data:`TOTALS_FIGURES`; one that needs its own query,
``async def figure(session, subtree) -> value`` in :data:`QUERY_FIGURES`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import clock
from core.authz.scope import RegionScope
from core.models.implementation import Task
from core.models.notice import Notice
from core.models.region import subtree_upper_bound
from core.models.rollup import ACTION, CLOSED, DAYS, STATUS, STEP, TopicRollup, has_pending, settle
from core.plugins import PluginHost
from core.procedures.registry import procedure_registry

READ = "stats.read"
# The generic procedure's resolution action; procedures that mark their own
# with kind "resolution" are found through the registry as well.
RESOLUTION_KIND = "resolution"
DEFAULT_RESOLUTION_ACTIONS = ("record_resolution",)


@dataclass(frozen=True)
class Subtree:
    """The regions a figure counts: ``region_code``'s subtree within the caller's scope."""

    region_code: str
    scope: RegionScope
    resolution_actions: tuple[str, ...] = DEFAULT_RESOLUTION_ACTIONS

    def where(self, column) -> ColumnElement[bool]:
        return and_(column >= self.region_code, column < subtree_upper_bound(self.region_code),
                    self.scope.where(column))

    def rollup_regions(self) -> tuple[list[str], list[str]]:
        """(regions whose whole subtree counts, regions whose own topics alone count).

        The scope's prefixes and codes do not overlap (RegionScope drops a
        prefix inside another and a code inside a prefix), so neither do these.
        """
        code, scope = self.region_code, self.scope
        if scope.everything or any(code.startswith(prefix) for prefix in scope.prefixes):
            return [code], []
        return ([prefix for prefix in scope.prefixes if prefix.startswith(code)],
                [single for single in scope.codes if single.startswith(code)])


def resolution_actions(plugins: PluginHost) -> tuple[str, ...]:
    keys = set(DEFAULT_RESOLUTION_ACTIONS)
    registry = procedure_registry(plugins)
    for key in registry.keys():
        for version in registry.versions(key):
            procedure = registry.get(key, version)
            for step in procedure.steps:
                keys.update(action.key for action in step.actions if action.kind == RESOLUTION_KIND)
    return tuple(sorted(keys))


@dataclass
class Totals:
    """The subtree's totals: figure → item → total (items with a total of 0 left out)."""

    figures: dict[str, dict[str, int]] = field(default_factory=dict)

    def of(self, figure: str) -> dict[str, int]:
        return self.figures.get(figure, {})


async def load_totals(session: AsyncSession, subtree: Subtree) -> Totals:
    if has_pending(session):
        # This transaction changed topics: its own changes count, as a scan would have seen them.
        await session.run_sync(settle)
    whole, own_only = subtree.rollup_regions()
    terms = []
    if whole:
        terms.append(TopicRollup.region_code.in_(whole))
    if own_only:
        terms.append(and_(TopicRollup.region_code.in_(own_only), TopicRollup.own.is_(True)))
    totals = Totals()
    if not terms:
        return totals
    rows = await session.execute(
        select(TopicRollup.figure, TopicRollup.item, func.sum(TopicRollup.total))
        .where(or_(*terms)).group_by(TopicRollup.figure, TopicRollup.item)
        .order_by(TopicRollup.figure, TopicRollup.item))
    for figure, item, total in rows.all():
        if total:
            totals.figures.setdefault(figure, {})[item] = int(total)
    return totals


# -- the figures -----------------------------------------------------------------

def topics_total(totals: Totals, _subtree: Subtree) -> int:
    return sum(totals.of(STATUS).values())


def topics_by_step(totals: Totals, _subtree: Subtree) -> dict[str, int]:
    return dict(sorted(totals.of(STEP).items()))


def topics_by_status(totals: Totals, _subtree: Subtree) -> dict[str, int]:
    return dict(sorted(totals.of(STATUS).items()))


def consultations_held(totals: Totals, subtree: Subtree) -> int:
    """Resolutions recorded (协商议事 held and concluded), counting a reconsultation again."""
    actions = totals.of(ACTION)
    return sum(actions.get(key, 0) for key in subtree.resolution_actions)


def topics_resolved(totals: Totals, _subtree: Subtree) -> int:
    return totals.of(STATUS).get(CLOSED, 0)


def median_days_to_resolution(totals: Totals, _subtree: Subtree) -> float | None:
    """Median whole days from submission to closing over resolved topics; None when none is resolved."""
    histogram = sorted((int(days), n) for days, n in totals.of(DAYS).items())
    count = sum(n for _days, n in histogram)
    if count == 0:
        return None
    # 0-based positions of the middle one (odd count) or the middle two (even count).
    wanted = sorted({(count - 1) // 2, count // 2})
    found: list[int] = []
    seen = 0
    for days, n in histogram:
        while wanted and wanted[0] < seen + n:
            found.append(days)
            wanted.pop(0)
        seen += n
    return round(sum(found) / len(found), 2)


async def open_notices(session: AsyncSession, subtree: Subtree) -> int:
    """Notices whose objection period is running now (an index on status, region, closing time)."""
    return await session.scalar(
        select(func.count()).select_from(Notice)
        .where(Notice.status == "open", subtree.where(Notice.region_code), Notice.closes_at >= clock.now())) or 0


async def overdue_tasks(session: AsyncSession, subtree: Subtree) -> int:
    """Open implementation tasks past their deadline (an index on status, region, deadline)."""
    return await session.scalar(
        select(func.count()).select_from(Task)
        .where(Task.status == "open", subtree.where(Task.region_code), Task.deadline < clock.now())) or 0


TotalsFigure = Callable[[Totals, Subtree], Any]
QueryFigure = Callable[[AsyncSession, Subtree], Awaitable[Any]]
TOTALS_FIGURES: dict[str, TotalsFigure] = {
    "topics_total": topics_total,
    "topics_by_step": topics_by_step,
    "topics_by_status": topics_by_status,
    "consultations_held": consultations_held,
    "topics_resolved": topics_resolved,
    "median_days_to_resolution": median_days_to_resolution,
}
QUERY_FIGURES: dict[str, QueryFigure] = {
    "open_notices": open_notices,
    "overdue_tasks": overdue_tasks,
}


async def region_stats(session: AsyncSession, scope: RegionScope, region_code: str, *,
                       plugins: PluginHost) -> dict[str, Any]:
    """Every figure for ``region_code``'s subtree as far as ``scope`` reaches."""
    subtree = Subtree(region_code, scope, resolution_actions(plugins))
    figures: dict[str, Any] = {"region_code": region_code, "as_of": clock.now().isoformat()}
    totals = await load_totals(session, subtree)
    for name, figure in TOTALS_FIGURES.items():
        figures[name] = figure(totals, subtree)
    for name, query in QUERY_FIGURES.items():
        figures[name] = await query(session, subtree)
    return figures
