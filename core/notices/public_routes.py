"""The public notice board over HTTP: no login, never a contact in full."""
from __future__ import annotations

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.clientaddr import client_address
from core.notices import service
from core.notices.schemas import ObjectionForm
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime


@get("/public/regions/{code:str}/notices", opt={"public": True},
     summary="A region's notice board: open and recent notices, with objections and answers")
async def region_notices(code: FromPath[str], db: NamedDependency[AsyncSession], page: FromQuery[int] = 1,
                         page_size: FromQuery[int] = DEFAULT_PAGE_SIZE,
                         include_closed: FromQuery[bool] = True) -> dict:
    return await service.public_board(db, code, Paging.checked(page, page_size), include_closed=include_closed)


@get("/public/notices/{notice_id:int}", opt={"public": True}, summary="One public notice")
async def notice_detail(notice_id: FromPath[int], db: NamedDependency[AsyncSession]) -> dict:
    return await service.public_notice(db, notice_id)


@post("/public/notices/{notice_id:int}/objections", opt={"public": True}, status_code=201,
      summary="Object to a notice during its period (name and contact required; shown masked)")
async def object_to_notice(notice_id: FromPath[int], request: Request, db: NamedDependency[AsyncSession],
                           runtime: NamedDependency[Runtime], data: JSONBody[ObjectionForm | None] = None) -> dict:
    # The body as sent: the service names an unknown field along with the missing ones (ObjectionForm).
    objection = await service.submit_objection(db, runtime.plugins, notice_id, await request.json(),
                                               client=client_address(request))
    return service.objection_view(objection)


ROUTES = [region_notices, notice_detail, object_to_notice]
