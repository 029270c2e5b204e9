"""The home standard (``lianyungang.home``, seed 003 §三 and §五), checked at a designated home:
at least 3 CPPCC members, one head who is a CPPCC member, an activity this quarter."""
from __future__ import annotations

from datetime import date

from core.compliance import ComplianceItem, ComplianceResult
from core.councils import service as councils
from core.models import Region
from core.region_context import RegionContext
from plugins.lianyungang.composition import HEAD
from plugins.lianyungang.homes import get_home, home_name
from plugins.lianyungang.quarters import Quarter, activities_in
from plugins.lianyungang.settings import MIN_ACTIVITIES, MIN_CPPCC_MEMBERS

STANDARD = "lianyungang.home"


async def check_home_standard(context: RegionContext, on_date: date) -> list[ComplianceResult] | None:
    session, region_code = context.session, context.region_code
    home = await get_home(session, region_code)
    if home is None:
        return None
    council = await councils.get_council(session, region_code)
    term = await councils.current_term(session, council, on_date) if council else None
    members = await councils.roster(session, term, on_date) if term else []

    fewest = int(context.setting(MIN_CPPCC_MEMBERS))
    cppcc = sum(1 for m in members if m.is_cppcc)
    cppcc_item = ComplianceItem(
        "cppcc_members", f"至少 {fewest} 名政协委员参加", f"at least {fewest} CPPCC members",
        cppcc >= fewest, f"政协委员 {cppcc} 人", f"{cppcc} CPPCC members")

    heads = [m for m in members if m.role_in_council == HEAD]
    head_ok = len(heads) == 1 and heads[0].is_cppcc
    if not heads:
        seen_zh, seen_en = "未指定负责人", "no head designated"
    elif len(heads) > 1:
        seen_zh, seen_en = f"指定了 {len(heads)} 名负责人", f"{len(heads)} heads designated"
    else:
        head = heads[0]
        seen_zh = f"负责人：{head.name}" + ("（政协委员）" if head.is_cppcc else "（不是政协委员）")
        seen_en = f"head: {head.name}" + (" (CPPCC member)" if head.is_cppcc else " (not a CPPCC member)")
    head_item = ComplianceItem("head_designated", "指定一名政协委员作为负责人",
                               "one CPPCC member designated head", head_ok, seen_zh, seen_en)

    quarter = Quarter.of(on_date)
    required = int(context.setting(MIN_ACTIVITIES))
    held = (await activities_in(session, quarter, region_code, until=on_date)).get(region_code, 0)
    activity_item = ComplianceItem(
        "quarterly_activity", "每季度开展一次协商议事活动", "one consultation activity each quarter",
        held >= required,
        f"{quarter.label_zh}截至 {on_date.isoformat()} 已开展 {held} 次，至少 {required} 次",
        f"{held} held in {quarter.label_en} up to {on_date.isoformat()}, at least {required} required")

    region = await session.get(Region, region_code)
    name_zh, name_en = home_name(region.name, home.kind)
    return [ComplianceResult(STANDARD, f"{name_zh}建设要求", f"consultation home standard: {name_en}",
                             region_code, (cppcc_item, head_item, activity_item))]
