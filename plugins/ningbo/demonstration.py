"""Demonstration points (社区协商示范观察点), seed 001 §一 and §三(五).

"到2017年底，每个区县(市)确立1个社区协商示范观察点": a district designates
communities of its own as demonstration points. A point counts for the
milestone from the day it was designated; whether it has all five of
五个有 itself is reported beside it.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit.service import record
from core.authz.principal import Principal
from core.clock import today
from core.errors import ApiError, FieldError, conflict, not_found, validation_failed
from core.fields import request_body
from core.models import Region
from core.models.region import subtree_upper_bound
from plugins.ningbo.models import DemonstrationPoint


def point_dict(point: DemonstrationPoint, name: str = "") -> dict[str, Any]:
    return {"region_code": point.region_code, "name": name, "designated_on": point.designated_on.isoformat(),
            "designated_by_user_id": point.designated_by_user_id}


async def require_district(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:  # pragma: no cover - the guard answers 404 first
        raise not_found("区划", "region")
    if region.level != "district":
        raise validation_failed(FieldError("code", "示范观察点由区县（市）确立，请在区县一级操作",
                                           "demonstration points are designated by a district: use a district code"))
    return region


async def points_within(session: AsyncSession, root: str, until: date | None = None
                        ) -> list[tuple[DemonstrationPoint, str]]:
    """Points in ``root``'s subtree (designated by ``until`` when given), with the community's name."""
    query = (select(DemonstrationPoint, Region.name).join(Region, Region.code == DemonstrationPoint.region_code)
             .where(DemonstrationPoint.region_code >= root,
                    DemonstrationPoint.region_code < subtree_upper_bound(root)))
    if until is not None:
        query = query.where(DemonstrationPoint.designated_on <= until)
    rows = await session.execute(query.order_by(DemonstrationPoint.designated_on, DemonstrationPoint.region_code))
    return [(point, name) for point, name in rows.all()]


def _designated_on(raw: Any, errors: list[FieldError]) -> date:
    if raw is None or raw == "":
        return today()
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        day = None
    if day is None:
        errors.append(FieldError("designated_on", "确立日期应为日期，如 2017-12-20",
                                 "designated_on must be a date such as 2017-12-20"))
        return today()
    if day > today():
        errors.append(FieldError("designated_on", f"确立日期 {day.isoformat()} 晚于今天",
                                 f"designated_on {day.isoformat()} is in the future"))
    return day


async def designate(session: AsyncSession, principal: Principal, district_code: str, data: Any) -> dict[str, Any]:
    """Designate ``data["community"]`` (a community of the district) as of
    ``data["designated_on"]`` (default today, never in the future)."""
    await require_district(session, district_code)
    data = request_body(data, required=True)
    errors: list[FieldError] = []
    code = data.get("community")
    region = None
    if not isinstance(code, str) or not code.strip():
        errors.append(FieldError("community", "请填写社区（村）的区划代码", "community (a community's code) is required"))
    else:
        code = code.strip()
        region = await session.get(Region, code)
        if region is None or region.level != "community":
            errors.append(FieldError("community", f"{code[:20]} 不是社区（村）的区划代码",
                                     f"{code[:20]} is not a community's code"))
            region = None
        elif not code.startswith(district_code):
            errors.append(FieldError("community", f"{region.name}（{code}）不在本区县（{district_code}）内",
                                     f"{code} is not inside district {district_code}"))
            region = None
    day = _designated_on(data.get("designated_on"), errors)
    if errors:
        raise validation_failed(*errors)
    if await session.scalar(select(DemonstrationPoint.id).where(DemonstrationPoint.region_code == code)):
        raise conflict("already_designated", f"{region.name} 已是示范观察点", f"{code} is already a demonstration point")
    point = DemonstrationPoint(region_code=code, designated_on=day, designated_by_user_id=principal.user_id)
    session.add(point)
    await session.flush()
    shown = point_dict(point, region.name)
    await record(session, actor=principal, action="ningbo.demonstration_point.designate",
                 object_type="ningbo_demonstration_point", object_id=point.id, region_code=code, after=shown)
    return shown


async def undesignate(session: AsyncSession, principal: Principal, district_code: str,
                      community: str) -> dict[str, Any]:
    await require_district(session, district_code)
    point = await session.scalar(select(DemonstrationPoint).where(DemonstrationPoint.region_code == community))
    if point is None or not community.startswith(district_code):
        raise ApiError(404, "not_found", f"本区县没有示范观察点 {community[:20]}",
                       f"{community[:20]} is not a demonstration point of this district")
    region = await session.get(Region, community)
    shown = point_dict(point, region.name if region else "")
    await session.delete(point)
    await session.flush()
    await record(session, actor=principal, action="ningbo.demonstration_point.undesignate",
                 object_type="ningbo_demonstration_point", object_id=point.id, region_code=community, before=shown)
    return shown


# The day the demo's points were designated: within 2017, as 001 asked.
DEMO_DESIGNATED_ON = date(2017, 12, 20)


async def seed_demo_points(session: AsyncSession, council_regions: list[str]) -> int:
    """One demonstration point per demo district: its first seeded community."""
    firsts: dict[str, str] = {}
    for code in sorted(council_regions):
        if len(code) == 12:
            firsts.setdefault(code[:6], code)
    for code in firsts.values():
        session.add(DemonstrationPoint(region_code=code, designated_on=DEMO_DESIGNATED_ON))
    await session.flush()
    return len(firsts)
