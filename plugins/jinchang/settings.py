"""The Jinchang plugin's settings, with their defaults from seed 002.

The fixed members' numbers are the report's own ("每个村(社区)确定20至30名议事会
固定成员"); the report gives no number for the urgent notice period, the
activity window, a street council's fixed members, or how many stakeholders a
hard matter needs, so those defaults are stated where they are declared.
The composition rule reads them from ``CouncilSnapshot.settings`` and the
六有 check resolves them per region, so both always use the same numbers.
"""
from __future__ import annotations

from core.plugins import SettingSpec

PLUGIN = "jinchang"
PROCEDURE_KEY = "jinchang"

URGENT_NOTICE_DAYS = f"{PLUGIN}.urgent_notice_days"
ACTIVITY_MONTHS = f"{PLUGIN}.activity_months"
HARD_MIN_STAKEHOLDERS = f"{PLUGIN}.hard_min_stakeholders"
FIXED_MIN = f"{PLUGIN}.fixed_min"
FIXED_MAX = f"{PLUGIN}.fixed_max"
STREET_FIXED_MIN = f"{PLUGIN}.street_fixed_min"

# 002: "每个村(社区)确定20至30名议事会固定成员".
COMMUNITY_FIXED_MIN = 20
COMMUNITY_FIXED_MAX = 30

SETTINGS = {
    "urgent_notice_days": SettingSpec(
        int, 3, "急事快议：急事议事决议的公示天数（金昌报道未给出天数，默认 3 天）",
        "urgent matters (急事快议): days an urgent topic's resolution stays on public notice "
        "(the Jinchang report gives no number; default 3)", minimum=1, maximum=30),
    "activity_months": SettingSpec(
        int, 3, "六有“有活动记录”：须在最近几个月内开展过协商活动（报道未给出期限，默认 3 个月为平台默认值）",
        "six haves, activity records: months within which the council must have held a consultation "
        "(the report gives no window; 3 is our default)", minimum=1, maximum=24),
    "hard_min_stakeholders": SettingSpec(
        int, 1, "难事众议：难事协商会议至少邀请的利益相关方（X）人数（报道未给出人数，默认 1 名为平台默认值）",
        "hard matters (难事众议): stakeholder representatives (the X) a hard topic's meeting must invite "
        "at least", minimum=1, maximum=100),
    "fixed_min": SettingSpec(
        int, COMMUNITY_FIXED_MIN, "村（社区）议事会固定成员下限（每个村（社区）确定 20 至 30 名）",
        "fewest fixed members of a village or community council (20 to 30 each)", minimum=1, maximum=200),
    "fixed_max": SettingSpec(
        int, COMMUNITY_FIXED_MAX, "村（社区）议事会固定成员上限（每个村（社区）确定 20 至 30 名）",
        "most fixed members of a village or community council (20 to 30 each)", minimum=1, maximum=200),
    "street_fixed_min": SettingSpec(
        int, 1, "镇（街道）议事会固定成员下限（报道未给出人数，默认至少 1 名）",
        "fewest fixed members of a township or street council (no number in the report; default 1)",
        minimum=1, maximum=200),
}
