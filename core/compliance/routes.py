"""A region's standing against the regional standards, over HTTP."""
from __future__ import annotations

from datetime import date

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from core.compliance.service import check_region
from core.errors import not_found
from core.models import Region
from core.runtime import Runtime


@get("/regions/{code:str}/compliance", opt={"action": "council.read"},
     summary="The regional standards (五个有, 六有, …) checked at this region's council")
async def region_compliance(code: FromPath[str], db: NamedDependency[AsyncSession],
                            runtime: NamedDependency[Runtime], on: FromQuery[date | None] = None) -> dict:
    region = await db.get(Region, code)
    if region is None:
        raise not_found("区划", "region")
    results = await check_region(db, runtime.plugins, region, on)
    return {"region_code": code, "items": [r.as_dict() for r in results]}


ROUTES = [region_compliance]
