"""The plugin's name and the settings that tune its rules (seed 001)."""
from __future__ import annotations

from core.plugins import SettingSpec

NAME = "ningbo"
MIN_CATEGORIES = f"{NAME}.min_member_categories"
MEETING_MONTHS = f"{NAME}.meeting_months"
MIN_EVALUATIONS = f"{NAME}.min_evaluation_reports"

SETTINGS = {
    # 001 §二(一) names the subjects; read against 1+7+X they are its seven
    # fixed kinds (the party secretary counts with the party organisation).
    "min_member_categories": SettingSpec(
        int, 7, "“主体多元”：议事会现任固定成员至少涵盖的类别数（1+7+X 的七类，党组织书记计入党组织）",
        "diverse members: distinct fixed-member kinds of 1+7+X the current roster must span "
        "(the party secretary counts with the party organisation)", minimum=1, maximum=7),
    "meeting_months": SettingSpec(
        int, 3, "“常态议事”：最近几个月内须至少召开一次协商会议",
        "meets regularly: at least one meeting held within this many months", minimum=1, maximum=24),
    "min_evaluation_reports": SettingSpec(
        int, 1, "办结前须附加的评估报告（居务监督委员会或第三方评估机构）份数",
        "evaluation reports (supervisory committee or third party) a topic needs before it is closed",
        minimum=1, maximum=10),
}
