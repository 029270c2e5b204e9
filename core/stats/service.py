"""A region's figures: topics by step and status, consultations held,
topics resolved and how long resolution took, open notices, overdue tasks.

Each figure is one small function running aggregate SQL over the subtree;
no topic row is loaded into Python, so the cost does not grow with a city's
history. The subtree is ``[code, next prefix)`` on the owning council's
region code, narrowed by the caller's :class:`RegionScope` (a community
chair asking about a street still sees only their own community).

To add a figure, write ``async def figure(session, subtree) -> value`` and
list it in :data:`FIGURES`.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core import clock
from core.authz.scope import RegionScope
from core.models import Topic, TopicEvent
from core.models.implementation import Task
from core.models.notice import Notice
from core.models.region import subtree_upper_bound
from core.plugins import PluginHost
from core.procedures.registry import procedure_registry

READ = "stats.read"
CLOSED = "closed"
# The generic procedure's resolution action; procedures that mark their own
# with kind "resolution" are found through the registry as well.
RESOLUTION_KIND = "resolution"
DEFAULT_RESOLUTION_ACTIONS = ("record_resolution",)
SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class Subtree:
    """The regions a figure counts: ``region_code``'s subtree within the caller's scope."""

    region_code: str
    scope: RegionScope
    resolution_actions: tuple[str, ...] = DEFAULT_RESOLUTION_ACTIONS

    def where(self, column) -> ColumnElement[bool]:
        return and_(column >= self.region_code, column < subtree_upper_bound(self.region_code),
                    self.scope.where(column))


def resolution_actions(plugins: PluginHost) -> tuple[str, ...]:
    keys = set(DEFAULT_RESOLUTION_ACTIONS)
    registry = procedure_registry(plugins)
    for key in registry.keys():
        for version in registry.versions(key):
            procedure = registry.get(key, version)
            for step in procedure.steps:
                keys.update(action.key for action in step.actions if action.kind == RESOLUTION_KIND)
    return tuple(sorted(keys))


# -- the figures -----------------------------------------------------------------

async def topics_total(session: AsyncSession, subtree: Subtree) -> int:
    return await session.scalar(select(func.count()).select_from(Topic)
                                .where(subtree.where(Topic.region_code))) or 0


async def _grouped(session: AsyncSession, subtree: Subtree, column) -> dict[str, int]:
    rows = await session.execute(select(column, func.count()).where(subtree.where(Topic.region_code))
                                 .group_by(column).order_by(column))
    return {key: count for key, count in rows.all()}


async def topics_by_step(session: AsyncSession, subtree: Subtree) -> dict[str, int]:
    return await _grouped(session, subtree, Topic.step)


async def topics_by_status(session: AsyncSession, subtree: Subtree) -> dict[str, int]:
    return await _grouped(session, subtree, Topic.status)


async def consultations_held(session: AsyncSession, subtree: Subtree) -> int:
    """Resolutions recorded (协商议事 held and concluded), counting a reconsultation again."""
    return await session.scalar(
        select(func.count()).select_from(TopicEvent).join(Topic, Topic.id == TopicEvent.topic_id)
        .where(subtree.where(Topic.region_code), TopicEvent.action.in_(subtree.resolution_actions))) or 0


async def topics_resolved(session: AsyncSession, subtree: Subtree) -> int:
    return await session.scalar(select(func.count()).select_from(Topic)
                                .where(subtree.where(Topic.region_code), Topic.status == CLOSED)) or 0


def _resolution_days(subtree: Subtree, dialect: str):
    """One row per resolved topic: days from submission to the event that closed it."""
    closed = (select(Topic.created_at.label("created_at"), func.min(TopicEvent.at).label("closed_at"))
              .join(TopicEvent, TopicEvent.topic_id == Topic.id)
              .where(subtree.where(Topic.region_code), Topic.status == CLOSED, TopicEvent.status == CLOSED)
              .group_by(Topic.id, Topic.created_at).subquery())
    if dialect == "postgresql":
        days = func.extract("epoch", closed.c.closed_at - closed.c.created_at) / SECONDS_PER_DAY
    else:
        # SQLite keeps UTC datetimes as ISO text, which julianday() reads.
        days = func.julianday(closed.c.closed_at) - func.julianday(closed.c.created_at)
    return select(days.label("days")).subquery()


async def median_days_to_resolution(session: AsyncSession, subtree: Subtree) -> float | None:
    """Median days from submission to closing over resolved topics; None when none is resolved."""
    dialect = session.bind.dialect.name
    durations = _resolution_days(subtree, dialect)
    if dialect == "postgresql":
        value = await session.scalar(select(func.percentile_cont(0.5).within_group(durations.c.days)))
    else:
        # No percentile function: the middle one (odd count) or the mean of
        # the middle two (even count), picked by ORDER BY ... LIMIT/OFFSET.
        n = await session.scalar(select(func.count()).select_from(durations)) or 0
        if n == 0:
            return None
        middle = (select(durations.c.days).order_by(durations.c.days)
                  .limit(1 if n % 2 else 2).offset((n - 1) // 2).subquery())
        value = await session.scalar(select(func.avg(middle.c.days)))
    return None if value is None else round(float(value), 2)


async def open_notices(session: AsyncSession, subtree: Subtree) -> int:
    """Notices whose objection period is running now."""
    return await session.scalar(
        select(func.count()).select_from(Notice)
        .where(subtree.where(Notice.region_code), Notice.status == "open", Notice.closes_at >= clock.now())) or 0


async def overdue_tasks(session: AsyncSession, subtree: Subtree) -> int:
    """Open implementation tasks past their deadline."""
    return await session.scalar(
        select(func.count()).select_from(Task)
        .where(subtree.where(Task.region_code), Task.status == "open", Task.deadline < clock.now())) or 0


Figure = Callable[[AsyncSession, Subtree], Awaitable[Any]]
FIGURES: dict[str, Figure] = {
    "topics_total": topics_total,
    "topics_by_step": topics_by_step,
    "topics_by_status": topics_by_status,
    "consultations_held": consultations_held,
    "topics_resolved": topics_resolved,
    "median_days_to_resolution": median_days_to_resolution,
    "open_notices": open_notices,
    "overdue_tasks": overdue_tasks,
}


async def region_stats(session: AsyncSession, scope: RegionScope, region_code: str, *,
                       plugins: PluginHost) -> dict[str, Any]:
    """Every figure for ``region_code``'s subtree as far as ``scope`` reaches."""
    subtree = Subtree(region_code, scope, resolution_actions(plugins))
    figures = {"region_code": region_code, "as_of": clock.now().isoformat()}
    for name, figure in FIGURES.items():
        figures[name] = await figure(session, subtree)
    return figures
