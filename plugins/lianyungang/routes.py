"""Lianyungang's routes, under ``/api/v1/plugins/lianyungang``. Thin: each calls a service.

The guard checks each handler's action at ``{code}``: ``council.manage`` to
designate a home (at the street or community), to choose pilots (at the
district) and to manage the special committees (at the city),
``council.read`` to list homes and committees, ``stats.read`` for the
reports, ``escalation.read`` for a committee's inbox (at the city, like the
core's escalation inbox). A committee is named by the ``committee_id``
query parameter, so every path parameter stays one the isolation sweep
knows. The city-matter route has no ``{code}``: the service checks the
topic's own region (404 if the caller cannot read it, 403 if they may not
run its meetings).
"""
from __future__ import annotations

import msgspec
from litestar import delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.errors import not_found
from core.models import Region
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime
from plugins.lianyungang import city_matters, committees, homes, reports
from plugins.lianyungang.schemas import CityMatterForm, CommitteeForm, Designation, PilotChange

READ = {"action": "council.read"}
MANAGE = {"action": "council.manage"}
STATS = {"action": "stats.read"}
INBOX = {"action": "escalation.read"}


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


@get("/regions/{code:str}/committees", opt=READ,
     summary="The city CPPCC's special committees (专门委员会), their members, and which one each catalogue item goes to")
async def list_committees(code: FromPath[str], db: NamedDependency[AsyncSession],
                          runtime: NamedDependency[Runtime]) -> dict:
    return await committees.list_committees(db, runtime.plugins, code)


@post("/regions/{code:str}/committees", opt=MANAGE, status_code=201,
      summary="Set up a special committee of the city CPPCC with its categories and members")
async def create_committee(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                           principal: NamedDependency[Principal], data: JSONBody[CommitteeForm | None] = None) -> dict:
    return await committees.create_committee(db, runtime.plugins, principal, code, msgspec.to_builtins(data))


@put("/regions/{code:str}/committees", opt=MANAGE,
     summary="Change a special committee (?committee_id=): its name, categories or members")
async def update_committee(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                           principal: NamedDependency[Principal], data: JSONBody[CommitteeForm | None] = None,
                           committee_id: FromQuery[int | None] = None) -> dict:
    return await committees.update_committee(db, runtime.plugins, principal, code, committee_id,
                                             msgspec.to_builtins(data))


@delete("/regions/{code:str}/committees", opt=MANAGE, status_code=204,
        summary="Remove a special committee (?committee_id=); its matters keep its name")
async def delete_committee(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                           principal: NamedDependency[Principal], committee_id: FromQuery[int | None] = None) -> None:
    await committees.delete_committee(db, runtime.plugins, principal, code, committee_id)


@get("/regions/{code:str}/committee-matters", opt=INBOX,
     summary="A committee's inbox (?committee_id=): the city matters it coordinates, with their home and status")
async def committee_inbox(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                          committee_id: FromQuery[int | None] = None, page: FromQuery[int] = 1,
                          page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    return await committees.inbox(db, runtime.plugins, code, committee_id, Paging.checked(page, page_size))


@put("/topics/{topic_id:int}/city-matter",
     opt={"action": city_matters.MEETING_MANAGE},
     summary="The topic involves city departments: name them and, optionally, the coordinating committee")
async def set_city_matter(topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                          runtime: NamedDependency[Runtime], principal: NamedDependency[Principal],
                          data: JSONBody[CityMatterForm | None] = None) -> dict:
    authorizer = await get_authorizer(runtime)
    return await city_matters.set_matter(db, runtime.plugins, authorizer, principal, topic_id,
                                         msgspec.to_builtins(data) if data is not None else {})


ROUTES = [designate_home, home_detail, home_pilot, list_homes, quarter_report, pilot_report, list_committees,
          create_committee, update_committee, delete_committee, committee_inbox, set_city_matter]
