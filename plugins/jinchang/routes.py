"""The plugin's HTTP routes, mounted under ``/api/v1/plugins/jinchang``."""
from __future__ import annotations

from datetime import date

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.clock import today
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime

from plugins.jinchang.report import six_haves_report


@get("/regions/{code:str}/six-haves", opt={"action": "stats.read"},
     summary="六有: per district, councils meeting all six; a page of councils with the items each meets")
async def six_haves(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                    region_scope: NamedDependency[RegionScope], on: FromQuery[date | None] = None,
                    complete: FromQuery[bool | None] = None, page: FromQuery[int] = 1,
                    page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    return await six_haves_report(db, runtime.plugins, region_scope, code, on or today(),
                                  Paging.checked(page, page_size), complete)


ROUTES = [six_haves]
