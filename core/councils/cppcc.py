"""CPPCC members in the councils (政协委员进议事会).

Seed 003 §三: "乡镇村的以县区政协委员参加为主,街道社区的以区政协委员参加为主,市政协委员可按照市县区属地所在参加相关活动";
seed 002: "金昌将换届后的522名市、县(区)政协委员全部下沉乡镇(街道)". A member records the
committee they sit on (``cppcc_level``); the placement report of a city or a
district counts the members of its own committee serving in the councils of its
subtree against the committee's size (setting ``core.cppcc_members``, read
where it is set: each committee has its own), and names the councils with none.

A person without an account is counted by name: the roster holds no other key.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import today
from core.errors import FieldError, validation_failed
from core.models import Council, CouncilMember, CouncilTerm, Region, RegionSetting
from core.models.region import RegionLevel, subtree_upper_bound
from core.regions.queries import Paging

CPPCC_LEVELS: dict[str, tuple[str, str]] = {
    "city": ("市政协委员", "member of the city CPPCC"),
    "district": ("县区政协委员", "member of the district or county CPPCC"),
}
TOTAL_SETTING = "core.cppcc_members"
REPORT_LEVELS = {RegionLevel.city.value: "city", RegionLevel.district.value: "district"}


def level_errors(is_cppcc: bool, level: str) -> list[FieldError]:
    if not level:
        return []
    if level not in CPPCC_LEVELS:
        return [FieldError("cppcc_level", f"未知政协委员层级“{level}”，可选：{', '.join(CPPCC_LEVELS)}",
                           f"unknown CPPCC level '{level}', expected one of: {', '.join(CPPCC_LEVELS)}")]
    if not is_cppcc:
        return [FieldError("cppcc_level", "只有政协委员才有委员层级", "only a CPPCC member has a CPPCC level")]
    return []


def _in(column, code: str):
    return and_(column >= code, column < subtree_upper_bound(code))


def _serving(on: date):
    return and_(CouncilMember.joined_on <= on, or_(CouncilMember.left_on.is_(None), CouncilMember.left_on > on),
                CouncilTerm.starts_on <= on, or_(CouncilTerm.ends_on.is_(None), CouncilTerm.ends_on >= on))


async def _placed(session: AsyncSession, root: str, level: str, on: date) -> int:
    people = (await session.execute(
        select(CouncilMember.user_id, CouncilMember.name).distinct()
        .join(CouncilTerm, CouncilTerm.id == CouncilMember.term_id)
        .join(Council, Council.id == CouncilTerm.council_id)
        .where(_in(Council.region_code, root), CouncilMember.is_cppcc.is_(True),
               CouncilMember.cppcc_level == level, _serving(on)))).all()
    return len({user_id if user_id is not None else name for user_id, name in people})


async def _total(session: AsyncSession, code: str) -> int | None:
    value = await session.scalar(select(RegionSetting.value).where(RegionSetting.region_code == code,
                                                                   RegionSetting.key == TOTAL_SETTING))
    return value if isinstance(value, int) and value > 0 else None


async def placement_report(session: AsyncSession, region: Region, paging: Paging,
                           on: date | None = None) -> dict[str, Any]:
    """Members of the region's own CPPCC placed in its councils, per district for a city,
    and a page of the street and community councils without any CPPCC member."""
    if region.level not in REPORT_LEVELS:
        raise validation_failed(FieldError("code", "委员进议事会统计按市或县区出具",
                                           "the placement report is made for a city or a district"))
    on = on or today()
    level = REPORT_LEVELS[region.level]

    async def committee(code: str, committee_level: str) -> dict[str, Any]:
        placed = await _placed(session, code, committee_level, on)
        total = await _total(session, code)
        return {"level": committee_level, "level_zh": CPPCC_LEVELS[committee_level][0],
                "level_en": CPPCC_LEVELS[committee_level][1], "placed": placed, "total": total,
                "unplaced": (total - placed) if total is not None and total >= placed else None}

    with_cppcc = (select(Council.id).join(CouncilTerm, CouncilTerm.council_id == Council.id)
                  .join(CouncilMember, CouncilMember.term_id == CouncilTerm.id)
                  .where(CouncilMember.is_cppcc.is_(True), _serving(on)))
    without = (select(Council.region_code, Region.name, Region.level)
               .join(Region, Region.code == Council.region_code)
               .where(_in(Council.region_code, region.code), Council.id.not_in(with_cppcc),
                      Region.level.in_((RegionLevel.street.value, RegionLevel.community.value)),
                      Region.active.is_(True)))
    councils = await session.scalar(select(func.count()).select_from(Council).join(
        Region, Region.code == Council.region_code).where(
        _in(Council.region_code, region.code),
        Region.level.in_((RegionLevel.street.value, RegionLevel.community.value)), Region.active.is_(True)))
    missing = await session.scalar(select(func.count()).select_from(without.subquery()))
    rows = (await session.execute(without.order_by(Council.region_code).offset(paging.offset)
                                  .limit(paging.page_size))).all()
    answer: dict[str, Any] = {
        "region": {"code": region.code, "name": region.name, "level": region.level}, "on": on.isoformat(),
        "committee": await committee(region.code, level),
        "councils": councils or 0, "councils_without_cppcc": missing or 0,
        "without": {"items": [{"code": code, "name": name, "level": lvl} for code, name, lvl in rows],
                    "total": missing or 0, "page": paging.page, "page_size": paging.page_size},
    }
    if region.level == RegionLevel.city.value:
        districts = (await session.scalars(select(Region).where(Region.parent_code == region.code,
                                                                Region.active.is_(True))
                                           .order_by(Region.code))).all()
        answer["districts"] = [{"code": d.code, "name": d.name, "committee": await committee(d.code, "district")}
                               for d in districts]
    return answer
