"""六有: Jinchang's standard for every street and community council (seed 002).

"各镇(街道)、村(社区)坚持“六有标准”(有场所、有标识、有设施、有制度、有活动记录、
有固定成员)". Each item is read from what the platform holds:

* 有场所 premises: the council's venue is registered (``Council.venue``);
* 有标识 / 有设施 / 有制度: a council document of kind ``signage`` /
  ``facilities`` / ``rules`` on file on the day;
* 有活动记录 activity records: a meeting held (``meetings_held``) or an
  ``activity_record`` document filed within the last
  ``jinchang.activity_months`` months up to the day;
* 有固定成员 fixed members: the fixed members serving on the day,
  ``jinchang.fixed_min``–``fixed_max`` (20–30) for a community
  ("每个村(社区)确定20至30名议事会固定成员"), at least
  ``jinchang.street_fixed_min`` (1) for a street.

The facts are gathered with one grouped query per kind of evidence over a
whole subtree (never one query per council), so the check of one council
and the report over a city are the same code, and the report's cost is a
handful of statements whatever the city's size. Settings are resolved once
per zone: a region that sets one of the numbers below or switches the
plugin, and the subtree's root; every council takes the narrowest zone above it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import months_before
from core.authz.scope import RegionScope
from core.compliance import ComplianceItem, ComplianceResult
from core.consultation.service import meetings_held
from core.councils.categories import FIXED_CATEGORIES, PARTY_SECRETARY
from core.clock import CHINA_TZ
from core.models import Council, CouncilDocument, CouncilMember, CouncilTerm, Region, RegionPlugin, RegionSetting
from core.models.region import subtree_upper_bound
from core.plugins import PluginHost
from core.region_context import RegionContext, region_context
from core.seeds import quote

from plugins.jinchang.settings import ACTIVITY_MONTHS, FIXED_MAX, FIXED_MIN, PLUGIN, STREET_FIXED_MIN

STANDARD = "jinchang.six_haves"
TITLE_ZH = "六有标准"
TITLE_EN = "the six haves"
LEVELS = ("street", "community")
ON_FILE_KINDS = ("signage", "facilities", "rules")
ACTIVITY_KIND = "activity_record"
FIXED = (PARTY_SECRETARY, *FIXED_CATEGORIES)
# The settings the check reads; a region setting any of them starts a zone.
NUMBERS = (ACTIVITY_MONTHS, FIXED_MIN, FIXED_MAX, STREET_FIXED_MIN)

ITEMS = {
    "venue": (quote("002", "有场所"), "premises"),
    "signage": (quote("002", "有标识"), "signage"),
    "facilities": (quote("002", "有设施"), "facilities"),
    "rules": (quote("002", "有制度"), "rules"),
    "activity": (quote("002", "有活动记录"), "activity records"),
    "fixed_members": (quote("002", "有固定成员"), "fixed members"),
}




def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(timezone.utc)


@dataclass(frozen=True)
class Zone:
    """The part of a subtree that resolves the plugin and its numbers alike."""

    enabled: bool
    activity_months: int
    fixed_min: int
    fixed_max: int
    street_fixed_min: int

    def fixed_range(self, level: str) -> tuple[int, int | None]:
        return (self.fixed_min, self.fixed_max) if level == "community" else (self.street_fixed_min, None)


@dataclass(frozen=True)
class CouncilFacts:
    """What the platform holds about one street or community council on a day."""

    region_code: str
    name: str
    level: str
    council_id: int | None
    venue: str
    on_date: date
    activity_months: int
    fixed_min: int
    # None: no upper bound (a street council).
    fixed_max: int | None
    documents: Mapping[str, int] = field(default_factory=dict)
    meetings: int = 0
    activity_records: int = 0
    fixed_members: int = 0

    @property
    def window_start(self) -> date:
        return months_before(self.on_date, self.activity_months)


# -- gathering ------------------------------------------------------------------------

def _where(column, within: str, exact: bool):
    if exact:
        return column == within
    return and_(column >= within, column < subtree_upper_bound(within))


async def _zone(session: AsyncSession, host: PluginHost, code: str) -> Zone:
    context = await region_context(session, host, code)
    return Zone(enabled=context.has(PLUGIN), activity_months=int(context.setting(ACTIVITY_MONTHS)),
                fixed_min=int(context.setting(FIXED_MIN)), fixed_max=int(context.setting(FIXED_MAX)),
                street_fixed_min=int(context.setting(STREET_FIXED_MIN)))


async def zones(session: AsyncSession, host: PluginHost, within: str, exact: bool = False) -> dict[str, Zone]:
    """Zone code → Zone: the subtree's root plus every region inside it that sets
    one of the numbers or switches the plugin."""
    codes = {within}
    if not exact:
        codes.update(await session.scalars(select(RegionSetting.region_code).where(
            RegionSetting.key.in_(NUMBERS), _where(RegionSetting.region_code, within, False))))
        codes.update(await session.scalars(select(RegionPlugin.region_code).where(
            RegionPlugin.plugin == PLUGIN, _where(RegionPlugin.region_code, within, False))))
    return {code: await _zone(session, host, code) for code in sorted(codes)}


def zone_of(code: str, found: Iterable[str]) -> str:
    return max((z for z in found if code.startswith(z)), key=len)


async def _documents_on_file(session: AsyncSession, within: str, exact: bool, end: datetime
                             ) -> dict[str, dict[str, int]]:
    rows = await session.execute(
        select(Council.region_code, CouncilDocument.kind, func.count()).select_from(CouncilDocument)
        .join(Council, Council.id == CouncilDocument.council_id)
        .where(_where(Council.region_code, within, exact), CouncilDocument.kind.in_(ON_FILE_KINDS),
               CouncilDocument.filed_at < end,
               or_(CouncilDocument.withdrawn_at.is_(None), CouncilDocument.withdrawn_at >= end))
        .group_by(Council.region_code, CouncilDocument.kind))
    found: dict[str, dict[str, int]] = {}
    for code, kind, count in rows.all():
        found.setdefault(code, {})[kind] = count
    return found


async def _activity_records(session: AsyncSession, within: str, exact: bool, start: datetime,
                            end: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(Council.region_code, func.count()).select_from(CouncilDocument)
        .join(Council, Council.id == CouncilDocument.council_id)
        .where(_where(Council.region_code, within, exact), CouncilDocument.kind == ACTIVITY_KIND,
               CouncilDocument.filed_at >= start, CouncilDocument.filed_at < end,
               or_(CouncilDocument.withdrawn_at.is_(None), CouncilDocument.withdrawn_at >= end))
        .group_by(Council.region_code))
    return dict(rows.all())


async def _fixed_serving(session: AsyncSession, within: str, exact: bool, on_date: date) -> dict[str, int]:
    """Fixed members serving on ``on_date`` in each council's running term, as
    ``core.councils.service.roster`` counts them: the latest term started by then,
    members joined by then and not yet left."""
    running = (select(CouncilTerm.council_id, func.max(CouncilTerm.number).label("number"))
               .join(Council, Council.id == CouncilTerm.council_id)
               .where(_where(Council.region_code, within, exact), CouncilTerm.starts_on <= on_date)
               .group_by(CouncilTerm.council_id).subquery())
    rows = await session.execute(
        select(Council.region_code, func.count(CouncilMember.id))
        .join(running, running.c.council_id == Council.id)
        .join(CouncilTerm, and_(CouncilTerm.council_id == Council.id, CouncilTerm.number == running.c.number))
        .join(CouncilMember, CouncilMember.term_id == CouncilTerm.id)
        .where(CouncilMember.category.in_(FIXED), CouncilMember.joined_on <= on_date,
               or_(CouncilMember.left_on.is_(None), CouncilMember.left_on > on_date))
        .group_by(Council.region_code))
    return dict(rows.all())


async def gather(session: AsyncSession, host: PluginHost, within: str, on_date: date, *, exact: bool = False,
                 scope: RegionScope | None = None) -> list[CouncilFacts]:
    """The facts of every street and community council at ``within`` (``exact``) or in
    its subtree (narrowed to ``scope``) where the plugin is on, in code order.

    A street or community without a council row is listed too, holding nothing:
    the standard asks every one of them to have a council.
    """
    conditions = [_where(Region.code, within, exact), Region.level.in_(LEVELS), Region.active.is_(True)]
    if scope is not None:
        conditions.append(scope.where(Region.code))
    regions = (await session.execute(
        select(Region.code, Region.name, Region.level, Council.id, Council.venue)
        .outerjoin(Council, Council.region_code == Region.code).where(*conditions)
        .order_by(Region.code))).all()
    if not regions:
        return []
    found_zones = await zones(session, host, within, exact)
    zone_at = {code: found_zones[zone_of(code, found_zones)] for code, *_ in regions}
    zone_at = {code: zone for code, zone in zone_at.items() if zone.enabled}
    end = _local_midnight(on_date + timedelta(days=1))
    documents = await _documents_on_file(session, within, exact, end)
    fixed = await _fixed_serving(session, within, exact, on_date)
    meetings: dict[int, dict[str, int]] = {}
    records: dict[int, dict[str, int]] = {}
    for months in sorted({zone.activity_months for zone in zone_at.values()}):
        start = _local_midnight(months_before(on_date, months))
        meetings[months] = await meetings_held(session, start, end, within=within)
        records[months] = await _activity_records(session, within, exact, start, end)
    facts = []
    for code, name, level, council_id, venue in regions:
        zone = zone_at.get(code)
        if zone is None:
            continue
        low, high = zone.fixed_range(level)
        months = zone.activity_months
        facts.append(CouncilFacts(
            region_code=code, name=name, level=level, council_id=council_id, venue=venue or "", on_date=on_date,
            activity_months=months, fixed_min=low, fixed_max=high, documents=documents.get(code, {}),
            meetings=meetings[months].get(code, 0), activity_records=records[months].get(code, 0),
            fixed_members=fixed.get(code, 0)))
    return facts


# -- judging ----------------------------------------------------------------------------

def _item(key: str, met: bool, zh: str, en: str) -> ComplianceItem:
    title_zh, title_en = ITEMS[key]
    return ComplianceItem(key, title_zh, title_en, met, zh, en)


def assess(facts: CouncilFacts) -> ComplianceResult:
    if facts.council_id is None:
        missing = "尚未设立议事会", "no council has been set up"
        items = tuple(_item(key, False, *missing) for key in ITEMS)
        return ComplianceResult(STANDARD, TITLE_ZH, TITLE_EN, facts.region_code, items)
    items = [_item("venue", bool(facts.venue.strip()),
                   f"议事场所：{facts.venue.strip()}" if facts.venue.strip() else "尚未登记议事场所",
                   f"venue: {facts.venue.strip()}" if facts.venue.strip() else "no venue registered")]
    for kind in ON_FILE_KINDS:
        count = facts.documents.get(kind, 0)
        zh_kind, en_kind = ITEMS[kind]
        items.append(_item(kind, count > 0,
                           f"已存档 {count} 份" if count else f"未存档{zh_kind[1:]}材料（{kind}）",
                           f"{count} document(s) on file" if count else f"no {en_kind} document ({kind}) on file"))
    since, until = facts.window_start.isoformat(), facts.on_date.isoformat()
    items.append(_item(
        "activity", facts.meetings + facts.activity_records > 0,
        f"近 {facts.activity_months} 个月（{since} 至 {until}）召开协商会议 {facts.meetings} 次，"
        f"存档活动记录 {facts.activity_records} 份",
        f"in the last {facts.activity_months} month(s) ({since} to {until}): {facts.meetings} meeting(s) held, "
        f"{facts.activity_records} activity record(s) filed"))
    low, high = facts.fixed_min, facts.fixed_max
    count = facts.fixed_members
    met = count >= low and (high is None or count <= high)
    wanted_zh = f"{low} 至 {high} 人" if high is not None else f"至少 {low} 人"
    wanted_en = f"{low} to {high}" if high is not None else f"at least {low}"
    items.append(_item("fixed_members", met, f"固定成员 {count} 人（应为{wanted_zh}）",
                       f"{count} fixed member(s) (expected {wanted_en})"))
    return ComplianceResult(STANDARD, TITLE_ZH, TITLE_EN, facts.region_code, tuple(items))


async def check_council(context: RegionContext, on_date: date) -> list[ComplianceResult]:
    """The standard at one street or community council (declared in the manifest for
    ``yishi_compliance_checks``)."""
    return [assess(facts) for facts in await gather(context.session, context.plugins, context.region_code,
                                                    on_date, exact=True)]
