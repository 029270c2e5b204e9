"""The site's home: a resident finds their community by name; a logged-in user their regions."""
from __future__ import annotations

from litestar import Request, get
from litestar.response import Template
from litestar.di import NamedDependency
from litestar.params import FromQuery
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from admin_ui.web import render, signed_in
from core.authz.roles import ROLE_LABELS
from core.escalation.regions import region_names
from core.models import Region
from core.models.region import RegionLevel

SEARCH_LIMIT = 20
_PUBLIC_LEVELS = (RegionLevel.street.value, RegionLevel.community.value)


async def search_public_regions(db: AsyncSession, query: str) -> list[dict]:
    """Streets and communities whose name holds ``query`` (or whose code starts with it), with
    their parents' names so that two 幸福社区 of different cities can be told apart."""
    query = query.strip()[:40]
    if not query:
        return []
    condition = Region.code.startswith(query) if query.isdigit() else Region.name.contains(query, autoescape=True)
    rows = (await db.scalars(select(Region).where(condition, Region.active.is_(True),
                                                  Region.level.in_(_PUBLIC_LEVELS))
                             .order_by(Region.code).limit(SEARCH_LIMIT))).all()
    parents = await region_names(db, {r.code[:n] for r in rows for n in (4, 6, 9) if len(r.code) > n})
    return [{"code": r.code, "name": r.name, "level": r.level,
             "parents": [parents[r.code[:n]] for n in (4, 6, 9) if len(r.code) > n and r.code[:n] in parents]}
            for r in rows]


@get("/", opt={"public": True}, include_in_schema=False)
async def home_page(request: Request, db: NamedDependency[AsyncSession], q: FromQuery[str | None] = None) -> Template:
    principal = await signed_in(request, db)
    places = []
    if principal is not None:
        names = await region_names(db, {code for _, code in principal.grants if code})
        places = [{"code": code, "name": names.get(code, code), "role_zh": ROLE_LABELS[role][0],
                   "role_en": ROLE_LABELS[role][1]} for role, code in principal.grants if code]
    return await render(request, db, "home.html", q=q or "", found=await search_public_regions(db, q or ""),
                        places=places)


PAGES = [home_page]
