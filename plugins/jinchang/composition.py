""""1+7+X" with 20–30 fixed members, for community councils (seed 002).

The generic rule (core.councils.default_rules) already names a missing "1"
or one of the seven kinds; this adds the report's numbers. Too few fixed
members is a remark, so a council can be seated member by member; more than
30 is refused. The "X" (stakeholders, departments, experts) are per topic
and never count. Residents' representatives are recommended by their
village group or grid, so one without a grid on record is remarked on.
"""
from __future__ import annotations

from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation, fixed_members

from plugins.jinchang.settings import COMMUNITY_FIXED_MAX, COMMUNITY_FIXED_MIN, FIXED_MAX, FIXED_MIN

FIXED_MIN_RULE = "jinchang.fixed_min"
FIXED_MAX_RULE = "jinchang.fixed_max"
RESIDENT_GRID_RULE = "jinchang.resident_grid"


def check(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    if council.kind != "community":
        return []
    low = int(council.setting(FIXED_MIN, COMMUNITY_FIXED_MIN))
    high = int(council.setting(FIXED_MAX, COMMUNITY_FIXED_MAX))
    fixed = fixed_members(roster)
    found: list[Violation] = []
    if len(fixed) < low:
        found.append(Violation(
            FIXED_MIN_RULE,
            f"固定成员 {len(fixed)} 人，少于 {low} 人（每个村（社区）确定 {low} 至 {high} 名议事会固定成员）",
            f"{len(fixed)} fixed members, fewer than {low} (each village or community has {low} to {high} "
            "fixed members)"))
    if len(fixed) > high:
        found.append(Violation(
            FIXED_MAX_RULE,
            f"固定成员 {len(fixed)} 人，超过 {high} 人（每个村（社区）确定 {low} 至 {high} 名议事会固定成员）",
            f"{len(fixed)} fixed members, more than {high} (each village or community has {low} to {high} "
            "fixed members)", blocking=True))
    ungridded = [m.name for m in fixed if m.category == "resident" and not m.grid.strip()]
    if ungridded:
        names = "、".join(ungridded)
        found.append(Violation(
            RESIDENT_GRID_RULE,
            f"居民代表须由村民小组（社区网格）推荐，以下代表未登记所在网格：{names}",
            f"residents' representatives are recommended by their village group or grid; no grid is "
            f"recorded for: {', '.join(ungridded)}"))
    return found
