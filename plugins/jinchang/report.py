"""六有 over a district or the city: per district, how many councils meet all six,
and a page of councils with how many items each meets.

Every council of the subtree is judged (the district figures need them all)
from the grouped facts of :mod:`plugins.jinchang.six_haves`; the statements
run do not grow with the number of councils.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.errors import ApiError, not_found
from core.models import Region
from core.plugins import PluginHost
from core.region_context import region_context
from core.regions.queries import Paging

from plugins.jinchang import six_haves
from plugins.jinchang.settings import PLUGIN

DISTRICT_DIGITS = 6


async def six_haves_report(session: AsyncSession, host: PluginHost, scope: RegionScope, code: str, on_date: date,
                           paging: Paging, complete: bool | None = None) -> dict[str, Any]:
    region = await session.get(Region, code)
    if region is None:
        raise not_found("区划", "region")
    facts = await six_haves.gather(session, host, code, on_date, scope=scope)
    if not facts and not (await region_context(session, host, code)).has(PLUGIN):
        raise ApiError(404, "standard_not_in_force", "本区划未实行金昌“六有”标准",
                       "the Jinchang six-haves standard is not in force in this region")
    judged = [(f, six_haves.assess(f)) for f in facts]

    districts: dict[str, dict[str, int]] = {}
    for f, result in judged:
        if len(f.region_code) < DISTRICT_DIGITS:
            continue
        tally = districts.setdefault(f.region_code[:DISTRICT_DIGITS], {"councils": 0, "complete": 0})
        tally["councils"] += 1
        tally["complete"] += int(result.complete)
    names = dict((await session.execute(
        select(Region.code, Region.name).where(Region.code.in_(list(districts))))).all()) if districts else {}

    listed = [(f, r) for f, r in judged if complete is None or r.complete == complete]
    page = listed[paging.offset:paging.offset + paging.page_size]
    return {
        "region_code": code,
        "standard": six_haves.STANDARD,
        "title_zh": six_haves.TITLE_ZH,
        "title_en": six_haves.TITLE_EN,
        "on": on_date.isoformat(),
        "councils": len(judged),
        "complete": sum(1 for _f, r in judged if r.complete),
        "districts": [{"code": d, "name": names.get(d, ""), **tally} for d, tally in sorted(districts.items())],
        "items": [{"region_code": f.region_code, "name": f.name, "level": f.level, "council_id": f.council_id,
                   "met": r.met_count, "total": len(r.items), "complete": r.complete,
                   "missing": [i.key for i in r.items if not i.met]} for f, r in page],
        "total": len(listed),
        "page": paging.page,
        "page_size": paging.page_size,
    }
