"""The plugin's name, its procedure's key and its settings (seed 004).

The report gives no number for the 六有 room standard ("按照“六有”标准建立协商议事室")
nor a head count of the fixed members ("xx名政协委员…作为固定成员"), so both
numbers below are the platform's defaults and say so.
"""
from __future__ import annotations

from core.plugins import SettingSpec

PLUGIN = "four_visits_six_steps"
PROCEDURE_KEY = "four_visits_six_steps"

ACTIVITY_MONTHS = f"{PLUGIN}.activity_months"
FIXED_MIN = f"{PLUGIN}.fixed_min"
CHAIR = f"{PLUGIN}.chair"
# Who chairs: 004's deputy secretary, or 000's party secretary where a county keeps that.
CHAIRS = ("deputy_secretary", "party_secretary")

SETTINGS = {
    "chair": SettingSpec(
        str, "deputy_secretary", "由谁担任协商议事会主席：deputy_secretary 社区党委副书记（004）或 party_secretary 党组织书记（000）",
        "who chairs the council: deputy_secretary, the party committee's deputy secretary (004), or "
        "party_secretary, the party secretary (000)", choices=CHAIRS),
    "activity_months": SettingSpec(
        int, 3, "六有“有活动记录”：须在最近几个月内开展过协商活动（报告未给出期限，3 个月为平台默认值）",
        "six haves, activity records: months within which the council must have held a consultation "
        "(the report gives no window; 3 is our default)", minimum=1, maximum=24),
    "fixed_min": SettingSpec(
        int, 8, "六有“有固定成员”：社区议事会固定成员下限（报告写作“xx名”，默认 8 名即“1+7”，为平台默认值）",
        "six haves, fixed members: fewest fixed members of a community council (the report says \"xx\"; "
        "8, the \"1+7\", is our default)", minimum=1, maximum=200),
}
