"""Built-in plugin ``core``: the platform's own settings and periodic jobs."""
from __future__ import annotations

from core.plugins import PluginManifest, SettingSpec, hookimpl

MANIFEST = PluginManifest(
    name="core",
    title_zh="议事平台核心",
    title_en="Yishi core",
    description="Settings and jobs every region has.",
    builtin=True,
    settings={
        "display_name": SettingSpec(str, "", "平台显示名称", "name shown in the header"),
        "locale": SettingSpec(str, "zh-CN", "默认语言", "default language", choices=("zh-CN", "en")),
        "notice_days": SettingSpec(int, 7, "公示天数", "days a public notice stays open", minimum=1, maximum=60),
        "quorum_ratio": SettingSpec(float, 0.5, "表决法定人数比例", "share of members needed for a vote",
                                    minimum=0.0, maximum=1.0),
        # Read where it is set, never inherited: each committee has its own size (our default 0: not recorded).
        "cppcc_members": SettingSpec(int, 0, "本级政协委员总数（用于委员进议事会统计）",
                                     "members of this city's or district's CPPCC (for the placement report)",
                                     minimum=0, maximum=100000),
    },
)


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST
