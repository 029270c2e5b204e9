"""The residents' door over HTTP: no login, so both routes are public and
everything they may reveal is decided in :mod:`core.public.service`."""
from __future__ import annotations

import msgspec
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.clientaddr import client_address
from core.public import service
from core.public.schemas import PublicTopicForm
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


ROUTES = [submit_topic, track_topic]
