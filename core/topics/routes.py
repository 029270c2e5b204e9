"""Topics over HTTP. Thin: each handler calls the service.

The region routes carry ``{code}`` and are checked by the app's guard. The
topic routes do not: the guard only makes sure the caller is logged in, and
the service checks the topic's own region with the authorizer (404 if the
caller cannot read it, 403 if their roles may not take the action, 409 if
the topic's state forbids it).
"""
from __future__ import annotations

import msgspec
from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.enforcer import get_authorizer
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime
from core.topics import service
from core.topics.schemas import TopicAction, TopicForm
from core.topics.service import TopicFilters


@post("/regions/{code:str}/topics", opt={"action": service.CREATE}, status_code=201,
      summary="Submit a topic to the council of a region")
async def create_topic(code: FromPath[str], data: JSONBody[TopicForm], db: NamedDependency[AsyncSession],
                       principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    authorizer = await get_authorizer(runtime)
    topic = await service.create_topic(db, principal, code, msgspec.to_builtins(data), plugins=runtime.plugins,
                                       authorizer=authorizer)
    return await service.topic_view(db, principal, topic.id, plugins=runtime.plugins, authorizer=authorizer)


@get("/regions/{code:str}/topics", opt={"action": service.READ},
     summary="Topics of the councils in a region's subtree, newest first")
async def list_topics(code: FromPath[str], db: NamedDependency[AsyncSession],
                      region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime],
                      step: FromQuery[str | None] = None, status: FromQuery[str | None] = None,
                      channel: FromQuery[str | None] = None, category: FromQuery[str | None] = None,
                      page: FromQuery[int] = 1, page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    return await service.list_topics(db, region_scope, code, TopicFilters(step, status, channel, category),
                                     Paging.checked(page, page_size), plugins=runtime.plugins)


@get("/topics/{topic_id:int}", opt={"action": service.READ},
     summary="A topic: current stage and step, the caller's actions now, and its history")
async def topic_detail(topic_id: FromPath[int], db: NamedDependency[AsyncSession],
                       principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    authorizer = await get_authorizer(runtime)
    return await service.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer)


@post("/topics/{topic_id:int}/actions/{action:str}", opt={"action": service.ACT}, status_code=200,
      summary="Take an action of the topic's procedure")
async def topic_action(topic_id: FromPath[int], action: FromPath[str], db: NamedDependency[AsyncSession],
                       principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                       data: JSONBody[TopicAction | None] = None) -> dict:
    authorizer = await get_authorizer(runtime)
    topic = await service.perform_action(db, principal, topic_id, action, msgspec.to_builtins(data),
                                         plugins=runtime.plugins, authorizer=authorizer)
    return await service.topic_view(db, principal, topic_id, plugins=runtime.plugins, authorizer=authorizer,
                                    acted_on=topic)


ROUTES = [create_topic, list_topics, topic_detail, topic_action]
