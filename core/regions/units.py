"""Councils of enterprises and institutions (企事业单位) under a street.

Seed 002: "逐步向企事业单位延伸". Such a council is not a division: it has no
official code. It is kept as a region one level below its street with a code
the platform assigns, the street's nine digits and 901–999, a range the
national division codes never use (their village-level part runs 001–599),
so everything scoped by code prefix (roster, topics, standards, statistics,
who may see what) places it under its street and nowhere else. A division
import leaves it alone.
"""
from __future__ import annotations

from typing import Annotated, Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.errors import ApiError, FieldError, not_found, validation_failed
from core.models import Region
from core.models.region import RegionLevel

UNIT_KINDS: dict[str, tuple[str, str]] = {
    "enterprise": ("企业", "enterprise"),
    "institution": ("事业单位", "public institution"),
}
FIRST_NUMBER, LAST_NUMBER = 901, 999


class UnitData(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(max_length=100)]
    kind: str


def unit_dict(region: Region) -> dict[str, Any]:
    label = UNIT_KINDS.get(region.unit_kind, (region.unit_kind, region.unit_kind))
    return {"code": region.code, "name": region.name, "street_code": region.parent_code, "kind": region.unit_kind,
            "kind_zh": label[0], "kind_en": label[1], "active": region.active}


async def street_units(session: AsyncSession, street_code: str) -> list[Region]:
    return list(await session.scalars(select(Region).where(Region.parent_code == street_code,
                                                           Region.unit_kind != "").order_by(Region.code)))


async def create_unit(session: AsyncSession, street_code: str, data: UnitData, *, actor: Any) -> Region:
    """Attach an enterprise's or institution's council to the street; answers its region."""
    street = await session.get(Region, street_code)
    if street is None:
        raise not_found("区划", "region")
    if street.level != RegionLevel.street.value:
        raise validation_failed(FieldError("code", "企事业单位协商议事会只能设在街道（乡镇）之下",
                                           "an enterprise or institution council sits under a street"))
    errors = []
    name = data.name.strip()
    if not name:
        errors.append(FieldError("name", "请填写单位名称", "the unit's name is required"))
    if data.kind not in UNIT_KINDS:
        allowed = "、".join(f"{key}（{zh}）" for key, (zh, _) in UNIT_KINDS.items())
        errors.append(FieldError("kind", f"未知单位类别“{data.kind}”，可选：{allowed}",
                                 f"unknown kind '{data.kind}', expected one of: {', '.join(UNIT_KINDS)}"))
    if name and await session.scalar(select(func.count()).select_from(Region).where(
            Region.parent_code == street_code, Region.name == name)):
        errors.append(FieldError("name", f"{street.name}下已有“{name}”", f"{street.name} already has '{name}'"))
    if errors:
        raise validation_failed(*errors)
    taken = await session.scalar(select(func.max(Region.code)).where(
        Region.parent_code == street_code, Region.code >= f"{street_code}{FIRST_NUMBER}"))
    number = int(taken[-3:]) + 1 if taken else FIRST_NUMBER
    if number > LAST_NUMBER:
        raise ApiError(409, "units_full", f"{street.name}下的企事业单位议事会已达上限",
                       f"{street.name} has no unit code left")
    unit = Region(code=f"{street_code}{number}", name=name, level=RegionLevel.community.value,
                  parent_code=street_code, city_code=street.city_code, active=True, unit_kind=data.kind)
    session.add(unit)
    await session.flush()
    await audit.record(session, actor=actor, action="region.unit.create", object_type="region", object_id=unit.code,
                       region_code=unit.code, after=unit_dict(unit))
    return unit
