"""Ningbo's routes, mounted under ``/api/v1/plugins/ningbo``. Thin: each calls a service."""
from __future__ import annotations

from datetime import date

import msgspec
from litestar import delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.clock import today
from core.regions.queries import DEFAULT_PAGE_SIZE, Paging
from core.runtime import Runtime
from plugins.ningbo import demonstration, estate_joint
from plugins.ningbo.report import five_haves_report
from plugins.ningbo.schemas import DemonstrationPointForm, EstateParties


@get("/regions/{code:str}/five-haves", opt={"action": "stats.read"},
     summary="五个有 per district and community of a district or the city, with 001's milestones")
async def five_haves(code: FromPath[str], db: NamedDependency[AsyncSession], runtime: NamedDependency[Runtime],
                     region_scope: NamedDependency[RegionScope], on: FromQuery[date | None] = None,
                     page: FromQuery[int] = 1, page_size: FromQuery[int] = DEFAULT_PAGE_SIZE,
                     incomplete_only: FromQuery[bool] = False) -> dict:
    return await five_haves_report(db, runtime.plugins, region_scope, code, on or today(),
                                   Paging.checked(page, page_size), incomplete_only=incomplete_only)


@get("/regions/{code:str}/demonstration-points", opt={"action": "council.read"},
     summary="The demonstration points (示范观察点) designated in a district")
async def list_points(code: FromPath[str], db: NamedDependency[AsyncSession]) -> dict:
    await demonstration.require_district(db, code)
    return {"items": [demonstration.point_dict(p, n) for p, n in await demonstration.points_within(db, code)]}


@post("/regions/{code:str}/demonstration-points", opt={"action": "council.manage"}, status_code=201,
      summary="Designate a community of the district as a demonstration point: {community, designated_on?}")
async def designate(code: FromPath[str], db: NamedDependency[AsyncSession], principal: NamedDependency[Principal],
                    data: JSONBody[DemonstrationPointForm | None] = None) -> dict:
    return await demonstration.designate(db, principal, code, msgspec.to_builtins(data))


@delete("/regions/{code:str}/demonstration-points/{community:str}", opt={"action": "council.manage"},
        status_code=200, summary="Withdraw a community's designation as a demonstration point")
async def undesignate(code: FromPath[str], community: FromPath[str], db: NamedDependency[AsyncSession],
                      principal: NamedDependency[Principal]) -> dict:
    return await demonstration.undesignate(db, principal, code, community)


@get("/regions/{code:str}/meetings/{meeting_id:int}/estate-parties", opt={"action": "meeting.read"},
     summary="Who speaks for the four parties of a housing-estate joint meeting, and who is missing")
async def estate_parties(code: FromPath[str], meeting_id: FromPath[int], db: NamedDependency[AsyncSession]) -> dict:
    meeting = await estate_joint.load_meeting(db, code, meeting_id)
    return await estate_joint.parties_view(db, meeting)


@put("/regions/{code:str}/meetings/{meeting_id:int}/estate-parties", opt={"action": "meeting.manage"},
     summary="Say which participants speak for the residents' committee, owners' committee, property company "
             "and street property office")
async def set_estate_parties(code: FromPath[str], meeting_id: FromPath[int], db: NamedDependency[AsyncSession],
                             principal: NamedDependency[Principal],
                             data: JSONBody[EstateParties | None] = None) -> dict:
    meeting = await estate_joint.load_meeting(db, code, meeting_id)
    await estate_joint.set_parties(db, principal, meeting, msgspec.to_builtins(data))
    return await estate_joint.parties_view(db, meeting)


ROUTES = [five_haves, list_points, designate, undesignate, estate_parties, set_estate_parties]
