"""The Jinchang plugin's settings and the document's fixed numbers.

Seed 002 gives no number for the urgent notice period, the activity window,
or how many stakeholders a hard matter needs, so those are settings with a
default. The 20–30 fixed members are the document's own numbers
("每个村(社区)确定20至30名议事会固定成员"); they stay constants because a
composition rule is handed no settings (see README, "core gaps").
"""
from __future__ import annotations

from core.plugins import SettingSpec

PLUGIN = "jinchang"
PROCEDURE_KEY = "jinchang"

URGENT_NOTICE_DAYS = f"{PLUGIN}.urgent_notice_days"
ACTIVITY_MONTHS = f"{PLUGIN}.activity_months"
HARD_MIN_STAKEHOLDERS = f"{PLUGIN}.hard_min_stakeholders"

# 002: "每个村(社区)确定20至30名议事会固定成员".
COMMUNITY_FIXED_MIN = 20
COMMUNITY_FIXED_MAX = 30
# A street council has no number in 002; 有固定成员 asks for at least one.
STREET_FIXED_MIN = 1

SETTINGS = {
    "urgent_notice_days": SettingSpec(
        int, 3, "急事快议：急事议事决议的公示天数（金昌报道未给出天数，默认 3 天）",
        "urgent matters (急事快议): days an urgent topic's resolution stays on public notice "
        "(the Jinchang report gives no number; default 3)", minimum=1, maximum=30),
    "activity_months": SettingSpec(
        int, 3, "六有“有活动记录”：须在最近几个月内开展过协商活动（默认 3 个月）",
        "six haves, activity records: months within which the council must have held a consultation "
        "(default 3)", minimum=1, maximum=24),
    "hard_min_stakeholders": SettingSpec(
        int, 1, "难事众议：难事协商会议至少邀请的利益相关方（X）人数",
        "hard matters (难事众议): stakeholder representatives (the X) a hard topic's meeting must invite "
        "at least", minimum=1, maximum=100),
}
