"""Reading the region tree over HTTP. The guard has already answered 404/403
for a ``{code}`` the caller cannot reach; the queries apply the scope again."""
from __future__ import annotations

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.errors import not_found
from core.authz.principal import Principal
from core.regions import queries, units
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging

READ = {"action": "region.read"}


@get("/regions/{code:str}", opt=READ, summary="One region, with the number of its children")
async def region_detail(code: FromPath[str], db: NamedDependency[AsyncSession],
                        region_scope: NamedDependency[RegionScope]) -> dict:
    region = await queries.get_region(db, region_scope, code)
    if region is None:
        raise not_found("区划", "region")
    return region


@get("/regions/{code:str}/children", opt=READ, summary="A region's children, paginated")
async def region_children(code: FromPath[str], db: NamedDependency[AsyncSession],
                          region_scope: NamedDependency[RegionScope], page: FromQuery[int] = 1,
                          page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    return await queries.list_children(db, region_scope, code, Paging.checked(page, page_size))


@get("/regions", opt=READ, summary="Search regions in reach by name or code prefix")
async def region_search(db: NamedDependency[AsyncSession], region_scope: NamedDependency[RegionScope],
                        q: FromQuery[str | None] = None, page: FromQuery[int] = 1,
                        page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    paging = Paging.checked(page, page_size)
    return await queries.search_regions(db, region_scope, q, paging)


# The street office keeps its councils, those of its enterprises and institutions too.
COUNCIL_READ = {"action": "council.read"}
COUNCIL_MANAGE = {"action": "council.manage"}


@get("/regions/{code:str}/units", opt=COUNCIL_READ,
     summary="The councils of enterprises and institutions under a street (企事业单位协商议事会)")
async def street_units(code: FromPath[str], db: NamedDependency[AsyncSession]) -> dict:
    return {"items": [units.unit_dict(u) for u in await units.street_units(db, code)]}


@post("/regions/{code:str}/units", opt=COUNCIL_MANAGE,
      summary="Attach an enterprise's or institution's council to the street; it is scoped under the street")
async def create_street_unit(code: FromPath[str], data: JSONBody[units.UnitData], db: NamedDependency[AsyncSession],
                             principal: NamedDependency[Principal]) -> dict:
    return units.unit_dict(await units.create_unit(db, code, data, actor=principal))


ROUTES = [region_detail, region_children, region_search, street_units, create_street_unit]
