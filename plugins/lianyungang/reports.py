"""Reports over a district or the city: each home's activities in a quarter
(seed 003 §五 建立长效机制), and pilot coverage per district (§五 注重试点推广).

Both are narrowed to the caller's ``RegionScope``, as the core's stats are.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.scope import RegionScope
from core.errors import FieldError, not_found, validation_failed
from core.models import Region
from core.models.region import RegionLevel, subtree_upper_bound
from core.plugins import PluginHost
from core.region_context import region_context, setting_at
from plugins.lianyungang.homes import home_dict, homes_within
from plugins.lianyungang.models import QuarterCheck
from plugins.lianyungang.quarters import Quarter, activities_in, is_due
from plugins.lianyungang.settings import MIN_ACTIVITIES, PILOTS_MAX, PILOTS_MIN

REPORT_LEVELS = (RegionLevel.city.value, RegionLevel.district.value)
MIN_YEAR, MAX_YEAR = 2019, 2100

STATUS_LABELS = {
    "met": ("已达标", "met"),
    "missed": ("未达标", "missed"),
    "in_progress": ("本季度尚未达标", "not met yet this quarter"),
    "not_due": ("本季度设立，下季度起计", "designated during the quarter; counted from the next"),
}
COVERAGE_LABELS = {
    "below": ("试点不足", "too few pilots"),
    "within": ("符合要求", "within the range"),
    "above": ("试点过多", "too many pilots"),
}


async def report_region(session: AsyncSession, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None:
        raise not_found("区划", "region")
    if region.level not in REPORT_LEVELS:
        raise validation_failed(FieldError("code", "报表按县区或全市统计：请选择县区或市",
                                           "reports cover a district or county, or the city: choose one"))
    return region


def quarter_asked(year: int | None, quarter: int | None) -> Quarter:
    """The quarter a caller asks for; the running one for what they leave out."""
    current = Quarter.of(clock.today())
    errors = []
    if year is not None and not MIN_YEAR <= year <= MAX_YEAR:
        errors.append(FieldError("year", f"年份须在 {MIN_YEAR} 到 {MAX_YEAR} 之间",
                                 f"year must be between {MIN_YEAR} and {MAX_YEAR}"))
    if quarter is not None and not 1 <= quarter <= 4:
        errors.append(FieldError("quarter", "季度须为 1 到 4", "quarter must be 1 to 4"))
    if errors:
        raise validation_failed(*errors)
    return Quarter(year if year is not None else current.year, quarter if quarter is not None else current.number)


def _labelled(status: str, labels: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {"status": status, "status_zh": labels[status][0], "status_en": labels[status][1]}


def _district_totals() -> dict[str, int]:
    return {"homes": 0, "due": 0, "met": 0, "missed": 0, "in_progress": 0, "activities": 0}


async def quarter_report(session: AsyncSession, plugins: PluginHost, scope: RegionScope, code: str,
                         quarter: Quarter) -> dict[str, Any]:
    region = await report_region(session, code)
    ended = clock.today() > quarter.last_day
    rows = await homes_within(session, code, scope=scope)
    held = await activities_in(session, quarter, code)
    flagged = set(await session.scalars(select(QuarterCheck.home_id).where(
        QuarterCheck.region_code >= code, QuarterCheck.region_code < subtree_upper_bound(code),
        QuarterCheck.year == quarter.year, QuarterCheck.quarter == quarter.number,
        QuarterCheck.kind == "flag")))
    district_names = dict((await session.execute(select(Region.code, Region.name).where(
        Region.code.in_({r.home.region_code[:6] for r in rows})))).all()) if rows else {}
    homes, districts = [], {}
    for row in rows:
        home = row.home
        required = int(await setting_at(session, plugins, home.region_code, MIN_ACTIVITIES))
        count = held.get(home.region_code, 0)
        due = is_due(home, quarter)
        met = count >= required
        status = "not_due" if not due else "met" if met else "missed" if ended else "in_progress"
        homes.append({**home_dict(home, row.region_name), "activities": count, "required": required, "due": due,
                      "met": met, **_labelled(status, STATUS_LABELS), "flagged": home.id in flagged})
        district = home.region_code[:6]
        totals = districts.setdefault(district, {"code": district, "name": district_names.get(district, ""),
                                                 **_district_totals()})
        totals["homes"] += 1
        totals["activities"] += count
        if due:
            totals["due"] += 1
            totals[status] += 1
    overall = _district_totals()
    for totals in districts.values():
        for key in overall:
            overall[key] += totals[key]
    return {"region": {"code": region.code, "name": region.name, "level": region.level},
            "quarter": {"year": quarter.year, "quarter": quarter.number, "label_zh": quarter.label_zh,
                        "label_en": quarter.label_en, "first_day": quarter.first_day.isoformat(),
                        "last_day": quarter.last_day.isoformat(), "ended": ended},
            "homes": homes, "districts": sorted(districts.values(), key=lambda d: d["code"]), "totals": overall}


async def _districts_of(session: AsyncSession, region: Region, scope: RegionScope) -> list[Region]:
    if region.level == RegionLevel.district.value:
        return [region]
    return list(await session.scalars(select(Region).where(
        Region.parent_code == region.code, Region.level == RegionLevel.district.value,
        scope.where(Region.code)).order_by(Region.code)))


async def pilot_report(session: AsyncSession, plugins: PluginHost, scope: RegionScope,
                       code: str) -> dict[str, Any]:
    """Per district: its pilot homes and whether their number is within ``pilots_min``–``pilots_max``."""
    region = await report_region(session, code)
    districts = []
    for district in await _districts_of(session, region, scope):
        context = await region_context(session, plugins, district.code)
        fewest, most = int(context.setting(PILOTS_MIN)), int(context.setting(PILOTS_MAX))
        homes = await homes_within(session, district.code, scope=scope)
        pilots = [r for r in homes if r.home.is_pilot]
        status = "below" if len(pilots) < fewest else "above" if len(pilots) > most else "within"
        districts.append({
            "code": district.code, "name": district.name, "homes": len(homes), "pilots": len(pilots),
            "pilots_min": fewest, "pilots_max": most, "within": status == "within",
            **_labelled(status, COVERAGE_LABELS),
            "detail_zh": f"{district.name}试点协商民主之家 {len(pilots)} 个，要求 {fewest}~{most} 个",
            "detail_en": f"{district.name}: {len(pilots)} pilot homes, {fewest}–{most} required",
            "pilot_homes": [home_dict(r.home, r.region_name) for r in pilots]})
    return {"region": {"code": region.code, "name": region.name, "level": region.level}, "districts": districts,
            "totals": {"districts": len(districts), "within": sum(1 for d in districts if d["within"]),
                       "pilots": sum(d["pilots"] for d in districts)}}
