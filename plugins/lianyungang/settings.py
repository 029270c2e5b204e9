"""The plugin's name and settings (``lianyungang.<setting>``), defaults from seed 003."""
from __future__ import annotations

from core.plugins import SettingSpec

NAME = "lianyungang"

MIN_CPPCC_MEMBERS = f"{NAME}.min_cppcc_members"
REMIND_DAYS_BEFORE = f"{NAME}.remind_days_before"
MIN_ACTIVITIES = f"{NAME}.min_activities_per_quarter"
PILOTS_MIN = f"{NAME}.pilots_min"
PILOTS_MAX = f"{NAME}.pilots_max"
SPECIAL_COMMITTEES = f"{NAME}.special_committees"

# The city CPPCC's special committees (专门委员会) by catalogue item. The seed
# says a committee "相对应" (matching the matter) coordinates, without a table:
# this default is a configuration over the generic catalogue, not the seed's.
DEFAULT_COMMITTEES = {
    "generic.yi.1": "社会和法制委员会",      # 公益事业兴办
    "generic.yi.2": "社会和法制委员会",      # 困难群体救助
    "generic.yi.3": "教科卫体委员会",        # 医疗卫生教育等民生保障
    "generic.yi.4": "社会和法制委员会",      # 治安维护
    "generic.yi.5": "人口资源环境委员会",    # 环境整治
    "generic.yi.6": "城乡建设委员会",        # 公共设施维护
    "generic.yi.7": "城乡建设委员会",        # 道路交通管理
}

SETTINGS = {
    "min_cppcc_members": SettingSpec(
        int, 3, "每个协商民主之家至少安排的政协委员人数", "fewest CPPCC members in each consultation home",
        minimum=1, maximum=50),
    "remind_days_before": SettingSpec(
        int, 15, "季度末前多少天提醒尚未开展协商议事活动的协商民主之家（原文未规定提醒，默认 15 天为平台默认值）",
        "days before a quarter ends to remind a home that has held no activity yet (the seed sets no reminder; "
        "15 is our default)", minimum=1, maximum=80),
    "min_activities_per_quarter": SettingSpec(
        int, 1, "每个协商民主之家每季度至少开展的协商议事活动次数",
        "consultation activities each home holds at least once a quarter", minimum=1, maximum=30),
    "pilots_min": SettingSpec(
        int, 3, "每个县区试点协商民主之家的最少个数", "fewest pilot homes per district or county",
        minimum=0, maximum=100),
    "pilots_max": SettingSpec(
        int, 4, "每个县区试点协商民主之家的最多个数", "most pilot homes per district or county",
        minimum=1, maximum=100),
    "special_committees": SettingSpec(
        dict, DEFAULT_COMMITTEES, "议事目录条目 → 协调该类市级事项的市政协专门委员会",
        "catalogue item code → the city CPPCC special committee that coordinates such city matters",
        refers_to="catalogue_item"),
}
