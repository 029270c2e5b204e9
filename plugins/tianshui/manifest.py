"""Plugin ``tianshui``: 天水市秦州区大城街道 (seed 000), see README.md.

三段六步 as the region's procedure, 九议 / 九不议 as its catalogue, the
composition rules of its community and street councils, and the topic
view section showing the stages and the items a screening cited.
"""
from __future__ import annotations

from core.plugins import Variant, variant_plugin
from plugins.tianshui import catalogue, composition, view
from plugins.tianshui.procedure import KEY, TIANSHUI

VARIANT = Variant(
    name="tianshui",
    title_zh="天水市",
    title_en="Tianshui",
    description="Dacheng street's 2021 plan (seed 000): 三段六步, 九议九不议, council composition rules.",
    settings=composition.SETTINGS,
    procedures=(TIANSHUI,),
    default_procedure=KEY,
    catalogue=catalogue.ITEMS,
    composition_rules=(composition.council_violations,),
    view_sections={"tianshui": view.topic_section},
)

PLUGIN = variant_plugin(VARIANT)
