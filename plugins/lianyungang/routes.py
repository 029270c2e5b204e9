"""Lianyungang's routes, under ``/api/v1/plugins/lianyungang``. Thin: each calls a service.

The guard checks each handler's action at ``{code}``: ``council.manage`` to
designate a home (at the street or community) and to choose pilots (at the
district), ``council.read`` to list homes, ``stats.read`` for the reports.
"""
from __future__ import annotations

from litestar import get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.errors import not_found
from core.models import Region
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime
from plugins.lianyungang import homes, reports
from plugins.lianyungang.schemas import Designation, PilotChange

READ = {"action": "council.read"}
MANAGE = {"action": "council.manage"}
STATS = {"action": "stats.read"}


@post("/regions/{code:str}/home", opt=MANAGE, status_code=201,
      summary="Designate the council of a street or community as a consultation home (协商民主之家)")
async def designate_home(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                         principal: NamedDependency[Principal],
                         data: JSONBody[Designation | None] = None) -> dict:
    row = await homes.designate(db, runtime.plugins, principal, code, data.designated_on if data else None)
    return homes.home_dict(row.home, row.region_name)


@get("/regions/{code:str}/home", opt=READ, summary="The consultation home at this street or community")
async def home_detail(code: FromPath[str], db: NamedDependency[AsyncSession]) -> dict:
    home = await homes.get_home(db, code)
    if home is None:
        raise not_found("协商民主之家", "consultation home")
    return homes.home_dict(home, (await db.get(Region, code)).name)


@put("/regions/{code:str}/homes/{home_code:str}/pilot", opt=MANAGE,
     summary="Mark or unmark a home of this district or county as a pilot (试点)")
async def home_pilot(code: FromPath[str], home_code: FromPath[str], data: JSONBody[PilotChange],
                     db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                     principal: NamedDependency[Principal]) -> dict:
    row = await homes.set_pilot(db, runtime.plugins, principal, code, home_code, data.is_pilot)
    return homes.home_dict(row.home, row.region_name)


@get("/regions/{code:str}/homes", opt=READ, summary="The consultation homes in this region's subtree")
async def list_homes(code: FromPath[str], db: NamedDependency[AsyncSession],
                     region_scope: NamedDependency[RegionScope], pilot: FromQuery[bool | None] = None,
                     page: FromQuery[int] = 1, page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    return await homes.list_homes(db, region_scope, code, Paging.checked(page, page_size), pilot)


@get("/regions/{code:str}/quarters", opt=STATS,
     summary="Each home's consultation activities in a quarter, and totals per district (每季度一次)")
async def quarter_report(code: FromPath[str], db: NamedDependency[AsyncSession],
                         runtime: NamedDependency[Runtime], region_scope: NamedDependency[RegionScope],
                         year: FromQuery[int | None] = None, quarter: FromQuery[int | None] = None) -> dict:
    return await reports.quarter_report(db, runtime.plugins, region_scope, code,
                                        reports.quarter_asked(year, quarter))


@get("/regions/{code:str}/pilots", opt=STATS, summary="Pilot homes per district or county, against 3–4")
async def pilot_report(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                       region_scope: NamedDependency[RegionScope]) -> dict:
    return await reports.pilot_report(db, runtime.plugins, region_scope, code)


ROUTES = [designate_home, home_detail, home_pilot, list_homes, quarter_report, pilot_report]
