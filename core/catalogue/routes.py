"""The catalogue in force at a region (议事目录: 九议/九不议, 三个不予协商, 应商必商),
for the council that screens against it and, at a street or community, for
the residents who read it on the wall (公示上墙, 002)."""
from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from core.catalogue import KINDS, ROUTES as REJECTION_ROUTES, Catalogue
from core.public.service import open_door_region
from core.runtime import Runtime
from core.region_context import region_context

READ = {"action": "region.read"}
KIND_LABELS = {"admissible": ("可以协商的事项", "matters that may be consulted"),
               "excluded": ("不予协商的事项", "matters not to be consulted")}


def catalogue_dict(region_code: str, catalogue: Catalogue) -> dict:
    """Items by kind, each with its number and its verbatim text, and the route a rejection citing it takes."""
    kinds = []
    for kind in KINDS:
        items = []
        for item in catalogue.of_kind(kind):
            route = REJECTION_ROUTES.get(item.route) if item.route else None
            items.append({**item.as_dict(),
                          "route": {"key": item.route, "title_zh": route[0], "title_en": route[1]} if route else None})
        zh, en = KIND_LABELS[kind]
        kinds.append({"kind": kind, "title_zh": zh, "title_en": en, "items": items})
    return {"region_code": region_code, "kinds": kinds}


@get("/regions/{code:str}/catalogue", opt=READ,
     summary="The catalogue in force at a region: the items that may and may not be consulted, numbered, verbatim")
async def catalogue_route(code: FromPath[str], db: NamedDependency[AsyncSession],
                          runtime: NamedDependency[Runtime]) -> dict:
    return catalogue_dict(code, (await region_context(db, runtime.plugins, code)).catalogue)


@get("/public/regions/{code:str}/catalogue", opt={"public": True},
     summary="A street's or community's catalogue as posted for residents (no login)")
async def public_catalogue_route(code: FromPath[str], db: NamedDependency[AsyncSession],
                                 runtime: NamedDependency[Runtime]) -> dict:
    region = await open_door_region(db, code)
    return catalogue_dict(region.code, (await region_context(db, runtime.plugins, region.code)).catalogue)


ROUTES = [catalogue_route, public_catalogue_route]
