"""Meetings over HTTP. Thin: each handler calls the service.

``/regions/{code}/meetings`` is checked by the app's guard at the council's
region. ``/meetings/{id}`` routes carry no ``{code}``: the guard only makes
sure the caller is logged in and the service checks the meeting's own
region (404 if the caller cannot read it, 403 if they may not manage it).
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
from core.consultation import service
from core.consultation.schemas import Attendance, MeetingForm, Minutes, PlanPublication, VoteRecord
from core.errors import FieldError, validation_failed
from core.models.consultation import MEETING_STATUSES
from core.region_context import region_context
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime

READ = {"action": service.READ}
MANAGE = {"action": service.MANAGE}


async def _view(db: AsyncSession, runtime: Runtime, meeting) -> dict:
    context = await region_context(db, runtime.plugins, meeting.region_code)
    return await service.meeting_view(db, meeting, context=context)


async def _managed(db: AsyncSession, runtime: Runtime, principal: Principal, meeting_id: int):
    authorizer = await get_authorizer(runtime)
    return await service.load_meeting(db, principal, meeting_id, authorizer=authorizer, action=service.MANAGE,
                                      for_update=True)


async def _plan_notice_days(db: AsyncSession, runtime: Runtime, region_code: str) -> int:
    context = await region_context(db, runtime.plugins, region_code)
    return int(context.setting(service.PLAN_NOTICE_SETTING))


@post("/regions/{code:str}/meetings", opt=MANAGE, status_code=201, summary="Schedule a meeting of the council")
async def create_meeting(code: FromPath[str], db: NamedDependency[AsyncSession],
                         principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                         data: JSONBody[MeetingForm | None] = None) -> dict:
    context = await region_context(db, runtime.plugins, code)
    meeting = await service.create_meeting(db, principal, code, msgspec.to_builtins(data), context=context)
    return await service.meeting_view(db, meeting, context=context)


@get("/regions/{code:str}/meetings", opt=READ,
     summary="Meetings of the councils in a region's subtree, latest first")
async def list_meetings(code: FromPath[str], db: NamedDependency[AsyncSession],
                        region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime],
                        status: FromQuery[str | None] = None, page: FromQuery[int] = 1,
                        page_size: FromQuery[int] = DEFAULT_PAGE_SIZE) -> dict:
    if status is not None and status not in MEETING_STATUSES:
        raise validation_failed(FieldError("status", f"状态应为：{'、'.join(MEETING_STATUSES)}",
                                           f"status must be one of: {', '.join(MEETING_STATUSES)}"))
    context = await region_context(db, runtime.plugins, code)
    return await service.list_meetings(db, region_scope, code, Paging.checked(page, page_size), status=status,
                                       context=context)


@get("/meetings/{meeting_id:int}", opt=READ,
     summary="A meeting: agenda, participants, plan, attendance, minutes and votes")
async def meeting_detail(meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                         principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    authorizer = await get_authorizer(runtime)
    meeting = await service.load_meeting(db, principal, meeting_id, authorizer=authorizer)
    return await _view(db, runtime, meeting)


@post("/meetings/{meeting_id:int}/publish-plan", opt=MANAGE, status_code=200,
      summary="Publish the meeting's plan (议事方案) in advance")
async def publish_plan(meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                       principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                       data: JSONBody[PlanPublication | None] = None) -> dict:
    meeting = await _managed(db, runtime, principal, meeting_id)
    await service.publish_plan(db, principal, meeting, msgspec.to_builtins(data))
    return await _view(db, runtime, meeting)


@post("/meetings/{meeting_id:int}/attendance", opt=MANAGE, status_code=200,
      summary="Record who attended: present = [{member_id} | {name}]")
async def attendance(meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                     principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                     data: JSONBody[Attendance | None] = None) -> dict:
    meeting = await _managed(db, runtime, principal, meeting_id)
    await service.record_attendance(db, principal, meeting, msgspec.to_builtins(data),
                                    plan_notice_days=await _plan_notice_days(db, runtime, meeting.region_code))
    return await _view(db, runtime, meeting)


@post("/meetings/{meeting_id:int}/minutes", opt=MANAGE, status_code=200,
      summary="Append speakers and their points to the minutes")
async def minutes(meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                  principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                  data: JSONBody[Minutes | None] = None) -> dict:
    meeting = await _managed(db, runtime, principal, meeting_id)
    await service.add_minutes(db, principal, meeting, msgspec.to_builtins(data))
    return await _view(db, runtime, meeting)


@post("/meetings/{meeting_id:int}/votes", opt=MANAGE, status_code=200,
      summary="Record the vote on an agenda topic (by member, or tallies); quorum is judged here")
async def votes(meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                principal: NamedDependency[Principal], runtime: NamedDependency[Runtime],
                data: JSONBody[VoteRecord | None] = None) -> dict:
    meeting = await _managed(db, runtime, principal, meeting_id)
    context = await region_context(db, runtime.plugins, meeting.region_code)
    await service.record_vote(db, principal, meeting, msgspec.to_builtins(data),
                              quorum_ratio=float(context.setting(service.QUORUM_SETTING)),
                              plan_notice_days=int(context.setting(service.PLAN_NOTICE_SETTING)))
    return await _view(db, runtime, meeting)


@post("/meetings/{meeting_id:int}/close", opt=MANAGE, status_code=200, summary="Close the meeting's record")
async def close(meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                principal: NamedDependency[Principal], runtime: NamedDependency[Runtime]) -> dict:
    meeting = await _managed(db, runtime, principal, meeting_id)
    await service.close_meeting(db, principal, meeting)
    return await _view(db, runtime, meeting)


ROUTES = [create_meeting, list_meetings, meeting_detail, publish_plan, attendance, minutes, votes, close]
