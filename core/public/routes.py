"""The residents' door over HTTP: no login, so both routes are public and
everything they may reveal is decided in :mod:`core.public.service`."""
from __future__ import annotations

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.clientaddr import client_address
from core.public import service
from core.public.schemas import PublicTopicForm
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime


@post("/public/regions/{code:str}/topics", opt={"public": True}, status_code=201,
      summary="A resident submits a topic without logging in (社会征); answers with a tracking code")
async def submit_topic(code: FromPath[str], request: Request, db: NamedDependency[AsyncSession],
                       runtime: NamedDependency[Runtime], data: JSONBody[PublicTopicForm | None] = None) -> dict:
    return await service.submit(db, code, msgspec.to_builtins(data), client_address(request),
                                plugins=runtime.plugins)


@get("/public/topics/{tracking_code:str}", opt={"public": True},
     summary="Where a publicly submitted topic stands and the council's replies, by tracking code")
async def track_topic(tracking_code: FromPath[str], db: NamedDependency[AsyncSession],
                      runtime: NamedDependency[Runtime]) -> dict:
    return await service.track(db, tracking_code, plugins=runtime.plugins)


@get("/public/regions/{code:str}/topics", opt={"public": True},
     summary="Topics admitted for consultation at a street or community and how the implementation of each "
             "outcome is getting on (公示议题、成果, 反馈落实情况); no proposer is named")
async def admitted_topics(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                          page: FromQuery[int] = 1, page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    region = await service.open_door_region(db, code)
    return {"region_code": region.code, "region_name": region.name,
            **await service.admitted_topics(db, region.code, Paging.checked(page, page_size),
                                            plugins=runtime.plugins)}


ROUTES = [submit_topic, track_topic, admitted_topics]
