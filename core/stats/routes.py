"""Stats over HTTP: the guard checks ``stats.read`` at ``{code}``; the
figures are restricted to the caller's scope as well."""
from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.runtime import Runtime
from core.stats import children, service


@get("/regions/{code:str}/stats", opt={"action": service.READ},
     summary="Figures for a region's subtree: topics by step and status, consultations, resolution time, "
             "open notices, overdue tasks")
async def region_stats(code: FromPath[str], db: NamedDependency[AsyncSession],
                       region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime]) -> dict:
    return await service.region_stats(db, region_scope, code, plugins=runtime.plugins)


@get("/regions/{code:str}/stats/children", opt={"action": service.READ},
     summary="The figures of /stats for each child region (one row per district, street or community below)")
async def region_children_stats(code: FromPath[str], db: NamedDependency[AsyncSession],
                                region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime]) -> dict:
    return {"region_code": code,
            "items": await children.child_stats(db, region_scope, code, plugins=runtime.plugins)}


@get("/regions/{code:str}/stats/period", opt={"action": service.READ},
     summary="What happened in a region's subtree between two days (from, to; default this year): topics "
             "submitted by channel and month, consultations held by month, escalations by level, objections")
async def region_period_stats(code: FromPath[str], db: NamedDependency[AsyncSession],
                              region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime],
                              from_: Annotated[str | None, QueryParameter(name="from")] = None,
                              to: FromQuery[str | None] = None) -> dict:
    period = children.period_asked(from_, to)
    return await children.period_stats(db, region_scope, code, period.first, period.last, plugins=runtime.plugins,
                                       child_length=children.child_code_length(code))


ROUTES = [region_stats, region_children_stats, region_period_stats]
