"""Consultation homes (协商民主之家): designating a council as one, pilots, listing.

Seed 003 §三: "在乡镇村设立'政协村民协商民主之家'，在街道社区设立'政协市民协商民主之家'".
Which of the two a home is follows from its division: a township (a 9-digit
code named …镇 or …乡) or a village (a 12-digit code named …村委会) gets a
villagers' home; a street or a community a citizens' home.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core import audit
from core.authz.principal import Principal
from core.authz.scope import RegionScope
from core.councils import service as councils
from core.errors import FieldError, conflict, not_found, validation_failed
from core.models import Region
from core.models.region import RegionLevel, subtree_upper_bound
from core.plugins import PluginHost
from core.region_context import region_context
from core.regions.queries import Paging
from plugins.lianyungang.models import Home
from plugins.lianyungang.settings import NAME, PILOTS_MAX

VILLAGERS = "villagers"
CITIZENS = "citizens"
KIND_TITLES = {
    VILLAGERS: ("政协村民协商民主之家", "CPPCC villagers' consultation home"),
    CITIZENS: ("政协市民协商民主之家", "CPPCC citizens' consultation home"),
}
HOME_LEVELS = (RegionLevel.street.value, RegionLevel.community.value)
# The committee a community's official name ends with; the home is named
# after the place (东园社区, 白塔村), not after its committee.
_COMMITTEE_SUFFIXES = (("村民委员会", "村"), ("村委会", "村"), ("居民委员会", ""), ("居委会", ""))


def home_kind(code: str, name: str) -> str:
    """村民 for townships and villages, 市民 for streets and communities."""
    if len(code) == 9 and name.endswith(("镇", "乡")):
        return VILLAGERS
    if len(code) == 12 and name.endswith(("村委会", "村民委员会")):
        return VILLAGERS
    return CITIZENS


def place_name(region_name: str) -> str:
    for suffix, keep in _COMMITTEE_SUFFIXES:
        if region_name.endswith(suffix) and len(region_name) > len(suffix):
            return region_name[: -len(suffix)] + keep
    return region_name


def home_name(region_name: str, kind: str) -> tuple[str, str]:
    zh, en = KIND_TITLES[kind]
    place = place_name(region_name)
    return f"{place}{zh}", f"{en} of {place}"


def home_dict(home: Home, region_name: str) -> dict[str, Any]:
    kind_zh, kind_en = KIND_TITLES[home.kind]
    name_zh, name_en = home_name(region_name, home.kind)
    return {"id": home.id, "region_code": home.region_code, "region_name": region_name,
            "council_id": home.council_id, "kind": home.kind, "kind_zh": kind_zh, "kind_en": kind_en,
            "name": name_zh, "name_en": name_en, "is_pilot": home.is_pilot,
            "designated_on": home.designated_on.isoformat(),
            "designated_by_user_id": home.designated_by_user_id}


@dataclass(frozen=True)
class HomeRow:
    """A home with its region's name, as the reports and the job read it."""

    home: Home
    region_name: str

    @property
    def name(self) -> str:
        return home_name(self.region_name, self.home.kind)[0]

    @property
    def name_en(self) -> str:
        return home_name(self.region_name, self.home.kind)[1]


async def get_home(session: AsyncSession, region_code: str) -> Home | None:
    return await session.scalar(select(Home).where(Home.region_code == region_code))


def _in_subtree(column, code: str):
    return (column >= code) & (column < subtree_upper_bound(code))


async def homes_within(session: AsyncSession, code: str, *, scope: RegionScope | None = None,
                       pilot: bool | None = None) -> list[HomeRow]:
    """The homes in ``code``'s subtree (narrowed to ``scope``), by region code."""
    query = (select(Home, Region.name).join(Region, Region.code == Home.region_code)
             .where(_in_subtree(Home.region_code, code)))
    if scope is not None:
        query = query.where(scope.where(Home.region_code))
    if pilot is not None:
        query = query.where(Home.is_pilot.is_(pilot))
    rows = await session.execute(query.order_by(Home.region_code))
    return [HomeRow(home, name) for home, name in rows.all()]


async def designate(session: AsyncSession, plugins: PluginHost, principal: Principal | None, code: str,
                    designated_on: date | None = None) -> HomeRow:
    """Designate the council of a street or community as a home; the council takes the home's name."""
    # Locking the region row serialises two designations of the same place.
    region = await session.scalar(select(Region).where(Region.code == code).with_for_update())
    if region is None:
        raise not_found("区划", "region")
    if region.level not in HOME_LEVELS:
        raise validation_failed(FieldError(
            "code", "协商民主之家设在乡镇村和街道社区：请选择街道（乡镇）或社区（村）",
            "consultation homes are set up in townships, villages, streets and communities: "
            "choose a street or a community"))
    today = clock.today()
    designated_on = designated_on or today
    if designated_on > today:
        raise validation_failed(FieldError("designated_on", "设立日期不能晚于今天",
                                           "the designation date cannot be in the future"))
    if not (await region_context(session, plugins, code)).has(NAME):
        raise conflict("lianyungang_not_enabled", f"{region.name}未启用连云港协商民主之家功能",
                       f"the Lianyungang consultation homes are not enabled at {region.name}")
    if await get_home(session, code) is not None:
        raise conflict("home_exists", f"{region.name}已设立协商民主之家",
                       f"{region.name} already has a consultation home")
    kind = home_kind(region.code, region.name)
    council = await councils.ensure_council(session, code, actor=principal)
    home = Home(region_code=code, council_id=council.id, kind=kind, is_pilot=False, designated_on=designated_on,
                designated_by_user_id=principal.user_id if principal else None)
    session.add(home)
    await session.flush()
    row = HomeRow(home, region.name)
    await councils.update_council(session, council, actor=principal, name=row.name)
    await audit.record(session, actor=principal, action="lianyungang.home.designate", object_type="lianyungang_home",
                       object_id=home.id, region_code=code, after=home_dict(home, region.name))
    return row


async def pilots_in(session: AsyncSession, district_code: str) -> int:
    return await session.scalar(select(func.count()).select_from(Home).where(
        _in_subtree(Home.region_code, district_code), Home.is_pilot.is_(True))) or 0


async def set_pilot(session: AsyncSession, plugins: PluginHost, principal: Principal | None, district_code: str,
                    home_code: str, is_pilot: bool) -> HomeRow:
    """Mark or unmark a home of the district as a pilot (试点); at most ``pilots_max`` per district."""
    # Locking the district row keeps two markings from both taking the last place.
    district = await session.scalar(select(Region).where(Region.code == district_code).with_for_update())
    if district is None:
        raise not_found("区划", "region")
    if district.level != RegionLevel.district.value:
        raise validation_failed(FieldError("code", "试点由县区确定：请选择县区",
                                           "pilots are chosen by a district or county: choose one"))
    home = await get_home(session, home_code) if home_code.startswith(district_code) else None
    if home is None:
        raise not_found("协商民主之家", "consultation home")
    region_name = await session.scalar(select(Region.name).where(Region.code == home_code))
    if home.is_pilot == is_pilot:
        return HomeRow(home, region_name)
    if is_pilot:
        most = int((await region_context(session, plugins, district_code)).setting(PILOTS_MAX))
        already = await pilots_in(session, district_code)
        if already >= most:
            raise conflict("pilots_full",
                           f"{district.name}已有试点协商民主之家 {already} 个，每个县区试点不超过 {most} 个",
                           f"{district.name} already has {already} pilot homes; a district or county pilots "
                           f"at most {most}")
    before = home_dict(home, region_name)
    home.is_pilot = is_pilot
    await session.flush()
    await audit.record(session, actor=principal, action="lianyungang.home.pilot", object_type="lianyungang_home",
                       object_id=home.id, region_code=home_code, before=before, after=home_dict(home, region_name))
    return HomeRow(home, region_name)


async def list_homes(session: AsyncSession, scope: RegionScope, code: str, paging: Paging,
                     pilot: bool | None = None) -> dict[str, Any]:
    conditions = [_in_subtree(Home.region_code, code), scope.where(Home.region_code)]
    if pilot is not None:
        conditions.append(Home.is_pilot.is_(pilot))
    total = await session.scalar(select(func.count()).select_from(Home).where(*conditions))
    rows = await session.execute(select(Home, Region.name).join(Region, Region.code == Home.region_code)
                                 .where(*conditions).order_by(Home.region_code)
                                 .offset(paging.offset).limit(paging.page_size))
    return {"items": [home_dict(home, name) for home, name in rows.all()], "total": total or 0,
            "page": paging.page, "page_size": paging.page_size}
