"""A region's procedure over HTTP: as JSON, and as its flowchart (议事流程图) in SVG.

The region's procedure is the one new topics there start under: chosen by
the plugins enabled at the region and its ``procedure.key`` setting.
"""
from __future__ import annotations

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import FieldError, not_found, validation_failed
from core.models import Region
from core.procedures.flowchart import LANGUAGES, flowchart_complete, procedure_dict, render_svg
from core.procedures.model import Procedure
from core.public.service import open_door_region
from core.region_context import region_context
from core.runtime import Runtime

READ = {"action": "region.read"}
SVG = "image/svg+xml"


async def region_procedure(db: AsyncSession, runtime: Runtime, code: str) -> Procedure:
    """The procedure new topics of ``code``'s council start under."""
    if await db.get(Region, code) is None:  # pragma: no cover - the guard answers 404 first
        raise not_found("区划", "region")
    return (await region_context(db, runtime.plugins, code)).procedure_for_new_topic()


@get("/regions/{code:str}/procedure", opt=READ,
     summary="The procedure new topics of this region start under: stages, steps, actions, completeness")
async def procedure_json(code: FromPath[str], db: NamedDependency[AsyncSession],
                         runtime: NamedDependency[Runtime]) -> dict:
    procedure = await region_procedure(db, runtime, code)
    problems = flowchart_complete(procedure)
    return {"region_code": code, "procedure": procedure_dict(procedure), "complete": not problems,
            "problems": [p.as_dict() for p in problems]}


@get("/regions/{code:str}/procedure.svg", opt=READ, media_type=SVG,
     summary="The region's procedure as a flowchart (SVG); lang=zh (default) or en")
async def procedure_svg(code: FromPath[str], db: NamedDependency[AsyncSession],
                        runtime: NamedDependency[Runtime], lang: FromQuery[str] = "zh") -> Response:
    if lang not in LANGUAGES:
        raise validation_failed(FieldError("lang", f"语言应为：{'、'.join(LANGUAGES)}",
                                           f"lang must be one of: {', '.join(LANGUAGES)}"))
    procedure = await region_procedure(db, runtime, code)
    return Response(render_svg(procedure, lang), media_type=SVG)



@get("/public/regions/{code:str}/procedure", opt={"public": True},
     summary="A street's or community's procedure as posted for residents: stages, steps and actions "
             "(the flowchart: /c/{code}/procedure.svg)")
async def public_procedure(code: FromPath[str], db: NamedDependency[AsyncSession],
                           runtime: NamedDependency[Runtime]) -> dict:
    region = await open_door_region(db, code)
    return {"region_code": region.code, "procedure": procedure_dict(await region_procedure(db, runtime, region.code))}

ROUTES = [procedure_json, procedure_svg, public_procedure]
