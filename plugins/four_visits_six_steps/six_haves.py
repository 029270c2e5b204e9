"""六有: the standard the community's consultation room is built to (seed 004 §一).

"按照“六有”标准建立协商议事室". The report does not list the six; they are
taken from Jinchang's report (seed 002: "有场所、有标识、有设施、有制度、有活动记录、
有固定成员"), the same city as the demo county, so the items are 002's words
and their reading here is inferred. The standard is this plugin's own rather
than Jinchang's: ``plugins.jinchang.six_haves`` answers only where the
``jinchang`` plugin is on, with its own key and its 20–30 fixed members, and
its evidence queries are private to it. Checked at community councils (the
report's room is a community's), one council at a time:

* 有场所: the council's venue is registered (``Council.venue``: the room);
* 有标识 / 有设施 / 有制度: a council document of kind ``signage`` /
  ``facilities`` / ``rules`` on file on the day;
* 有活动记录: a meeting held, or an ``activity_record`` document filed, within
  the last ``four_visits_six_steps.activity_months`` months up to the day;
* 有固定成员: at least ``four_visits_six_steps.fixed_min`` fixed members
  serving on the day (the report's "xx名": 8, the "1+7", is our default).
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import months_before
from core.clock import CHINA_TZ
from core.compliance import ComplianceItem, ComplianceResult
from core.consultation.service import meetings_held, serving_at
from core.councils.categories import is_fixed
from core.models import Council, CouncilDocument
from core.region_context import RegionContext
from core.seeds import quote

from plugins.four_visits_six_steps.settings import ACTIVITY_MONTHS, FIXED_MIN, PLUGIN

STANDARD = f"{PLUGIN}.six_haves"
TITLE_ZH = "协商议事室“六有”标准"
TITLE_EN = "the six haves of the consultation room"
LEVELS = ("community",)
STANDARD_TEXT = quote("004", "按照“六有”标准建立协商议事室")
ON_FILE_KINDS = ("signage", "facilities", "rules")
ACTIVITY_KIND = "activity_record"

ITEMS = {
    "venue": (quote("002", "有场所"), "premises"),
    "signage": (quote("002", "有标识"), "signage"),
    "facilities": (quote("002", "有设施"), "facilities"),
    "rules": (quote("002", "有制度"), "rules"),
    "activity": (quote("002", "有活动记录"), "activity records"),
    "fixed_members": (quote("002", "有固定成员"), "fixed members"),
}




def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), CHINA_TZ).astimezone(timezone.utc)


def _on_file(end: datetime):
    return (CouncilDocument.filed_at < end,
            or_(CouncilDocument.withdrawn_at.is_(None), CouncilDocument.withdrawn_at >= end))


async def _documents(session: AsyncSession, council_id: int, end: datetime) -> dict[str, int]:
    rows = await session.execute(
        select(CouncilDocument.kind, func.count()).where(
            CouncilDocument.council_id == council_id, CouncilDocument.kind.in_(ON_FILE_KINDS), *_on_file(end))
        .group_by(CouncilDocument.kind))
    return dict(rows.all())


async def _activity_records(session: AsyncSession, council_id: int, start: datetime, end: datetime) -> int:
    return await session.scalar(select(func.count()).select_from(CouncilDocument).where(
        CouncilDocument.council_id == council_id, CouncilDocument.kind == ACTIVITY_KIND,
        CouncilDocument.filed_at >= start, *_on_file(end))) or 0


def _item(key: str, met: bool, zh: str, en: str) -> ComplianceItem:
    title_zh, title_en = ITEMS[key]
    return ComplianceItem(key, title_zh, title_en, met, zh, en)


def _result(code: str, items) -> ComplianceResult:
    return ComplianceResult(STANDARD, TITLE_ZH, TITLE_EN, code, tuple(items))


async def assess(context: RegionContext, on_date: date) -> ComplianceResult:
    """The six at the community of ``context`` on ``on_date``."""
    session, code = context.session, context.region_code
    council = await session.scalar(select(Council).where(Council.region_code == code))
    if council is None:
        return _result(code, (_item(key, False, "尚未设立议事会", "no council has been set up") for key in ITEMS))
    end = _start_of(on_date + timedelta(days=1))
    months = int(context.setting(ACTIVITY_MONTHS))
    since = months_before(on_date, months)
    start = _start_of(since)
    venue = (council.venue or "").strip()
    items = [_item("venue", bool(venue), f"协商议事室：{venue}" if venue else "尚未登记协商议事室（议事场所）",
                   f"room: {venue}" if venue else "no consultation room (venue) registered")]
    documents = await _documents(session, council.id, end)
    for kind in ON_FILE_KINDS:
        count = documents.get(kind, 0)
        items.append(_item(kind, count > 0, f"已存档 {count} 份" if count else f"未存档 {kind} 材料",
                           f"{count} document(s) on file" if count else f"no {kind} document on file"))
    held = (await meetings_held(session, start, end, within=code)).get(code, 0)
    records = await _activity_records(session, council.id, start, end)
    items.append(_item(
        "activity", held + records > 0,
        f"近 {months} 个月（{since.isoformat()} 至 {on_date.isoformat()}）召开协商会议 {held} 次，存档活动记录 {records} 份",
        f"in the last {months} month(s) ({since.isoformat()} to {on_date.isoformat()}): {held} meeting(s) held, "
        f"{records} activity record(s) filed"))
    # Midday, so the China day is on_date whatever the server's zone.
    serving = await serving_at(session, code, datetime.combine(on_date, time(12), CHINA_TZ))
    fixed = sum(1 for member in serving.values() if is_fixed(member.category))
    low = int(context.setting(FIXED_MIN))
    items.append(_item("fixed_members", fixed >= low, f"固定成员 {fixed} 人（至少 {low} 人）",
                       f"{fixed} fixed member(s) (at least {low})"))
    return _result(code, items)


async def check_council(context: RegionContext, on_date: date) -> list[ComplianceResult]:
    """The standard at one community council (``yishi_compliance_checks``)."""
    return [await assess(context, on_date)]
