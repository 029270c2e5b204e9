"""五个有 over a district or the whole city, with 001's two milestones.

"到2017年底,每个区县(市)确立1个社区协商示范观察点;到2018年底,全市社区协商
基本实现“五个有”的工作目标" (seed 001 §一). Per district: its communities, how
many have all five, its demonstration points (each with whether it has all
five itself) and where each milestone stands on the day checked; then the
communities one page at a time with their count of the five.

Everything comes from :func:`plugins.ningbo.five_haves.community_evidence`,
a fixed handful of grouped queries over the subtree.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.errors import FieldError, not_found, validation_failed
from core.models import Region
from core.plugins import PluginHost
from core.regions.queries import Paging
from core.seeds import quote
from plugins.ningbo.demonstration import points_within
from plugins.ningbo.five_haves import STANDARD, TITLE, community_evidence, judge, result_summary

POINT_DEADLINE = date(2017, 12, 31)
ALL_DEADLINE = date(2018, 12, 31)
STATUS_LABELS = {
    "met": ("已达成", "met"),
    "met_late": ("逾期达成", "met after the deadline"),
    "pending": ("尚未达成（未到期）", "not yet met (before the deadline)"),
    "overdue": ("未达成（已逾期）", "not met (deadline passed)"),
}


def _status(achieved_on: date | None, deadline: date, on_date: date) -> dict[str, Any]:
    if achieved_on is not None:
        status = "met" if achieved_on <= deadline else "met_late"
    else:
        status = "overdue" if on_date > deadline else "pending"
    zh, en = STATUS_LABELS[status]
    return {"deadline": deadline.isoformat(), "status": status, "status_zh": zh, "status_en": en,
            "achieved_on": achieved_on.isoformat() if achieved_on else None}


def _standing(holds: bool, deadline: date, on_date: date) -> dict[str, Any]:
    """A state judged on the day checked (when it first held is not recorded:
    ask with ``on`` set to the deadline to see whether it held by then)."""
    status = "met" if holds else ("overdue" if on_date > deadline else "pending")
    zh, en = STATUS_LABELS[status]
    return {"deadline": deadline.isoformat(), "status": status, "status_zh": zh, "status_en": en,
            "judged_on": on_date.isoformat()}


async def _report_root(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:  # pragma: no cover - the guard answers 404 first
        raise not_found("区划", "region")
    if region.level not in ("city", "district"):
        raise validation_failed(FieldError("code", "“五个有”报表按区县（市）或全市统计，请使用区县或市的区划代码",
                                           "the five-haves report is for a district or the city: use its code"))
    return region


async def five_haves_report(session: AsyncSession, host: PluginHost, scope: RegionScope, code: str,
                            on_date: date, paging: Paging, *, incomplete_only: bool = False) -> dict[str, Any]:
    region = await _report_root(session, code)
    evidence = [e for e in await community_evidence(session, host, code, on_date) if scope.contains(e.code)]
    results = {e.code: judge(e) for e in evidence}
    names = {e.code: e.name for e in evidence}
    if region.level == "district":
        districts = [(region.code, region.name)]
    else:
        districts = [(c, n) for c, n in (await session.execute(
            select(Region.code, Region.name).where(Region.parent_code == code, Region.level == "district",
                                                   Region.active.is_(True)).order_by(Region.code))).all()]
    points = [(p, n) for p, n in await points_within(session, code, until=on_date) if scope.contains(p.region_code)]

    rows = []
    for district, name in districts:
        mine = [r for c, r in results.items() if c.startswith(district)]
        complete = sum(1 for r in mine if r.complete)
        own_points = [(p, n) for p, n in points if p.region_code.startswith(district)]
        shown_points = []
        for point, point_name in own_points:
            result = results.get(point.region_code)
            shown_points.append({"region_code": point.region_code, "name": point_name,
                                 "designated_on": point.designated_on.isoformat(),
                                 "met": result.met_count if result else None,
                                 "complete": result.complete if result else None})
        first = min((p.designated_on for p, _ in own_points), default=None)
        everywhere = bool(mine) and complete == len(mine)
        rows.append({
            "code": district, "name": name, "communities": len(mine), "complete": complete,
            "demonstration_points": shown_points,
            "milestones": {
                "demonstration_point": {"title_zh": quote("001", "到2017年底,每个区县(市)确立1个社区协商示范观察点"),
                                        "title_en": "one demonstration point per district by the end of 2017",
                                        **_status(first, POINT_DEADLINE, on_date)},
                "five_haves_everywhere": {"title_zh": quote("001", "到2018年底,全市社区协商基本实现“五个有”的工作目标"),
                                          "title_en": "the five haves in every community by the end of 2018",
                                          **_standing(everywhere, ALL_DEADLINE, on_date)},
            },
        })

    listed = [r for r in results.values() if not (incomplete_only and r.complete)]
    page = listed[paging.offset:paging.offset + paging.page_size]
    return {
        "region_code": code, "level": region.level, "standard": STANDARD, "title_zh": TITLE[0], "title_en": TITLE[1],
        "on": on_date.isoformat(),
        "totals": {"communities": len(results), "complete": sum(1 for r in results.values() if r.complete),
                   "districts": len(rows),
                   "districts_with_point": sum(1 for d in rows if d["demonstration_points"])},
        "districts": rows,
        "communities": {
            "items": [{"code": r.region_code, "name": names[r.region_code], "district_code": r.region_code[:6],
                       "street_code": r.region_code[:9], **result_summary(r)} for r in page],
            "total": len(listed), "page": paging.page, "page_size": paging.page_size,
        },
    }
