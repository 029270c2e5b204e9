"""Stats over HTTP: the guard checks ``stats.read`` at ``{code}``; the
figures are restricted to the caller's scope as well."""
from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.runtime import Runtime
from core.stats import service


@get("/regions/{code:str}/stats", opt={"action": service.READ},
     summary="Figures for a region's subtree: topics by step and status, consultations, resolution time, "
             "open notices, overdue tasks")
async def region_stats(code: FromPath[str], db: NamedDependency[AsyncSession],
                       region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime]) -> dict:
    return await service.region_stats(db, region_scope, code, plugins=runtime.plugins)


ROUTES = [region_stats]
