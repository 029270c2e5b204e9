"""Plugin ``jinchang``: 金昌市 (Jinchang), from the 2022 report (seed 002). See README.md.

六步议事法 with 不调研不协商 and 急事快议 made the region's procedure, the
three matters not consulted on, 大事大议 / 小事小议 / 急事快议 / 难事众议
checked when a meeting is scheduled and shown on the topic, "1+7+X" with
20–30 fixed members, and the 六有 venue standard with its report over a
district or the city.
"""
from __future__ import annotations

from core.plugins import ActionReaction, ComplianceStandard, Variant, variant_plugin
from plugins.jinchang import catalogue, composition, scale_rules, six_haves
from plugins.jinchang.procedure import JINCHANG
from plugins.jinchang.routes import ROUTES
from plugins.jinchang.settings import PLUGIN as NAME, PROCEDURE_KEY, SETTINGS

VARIANT = Variant(
    name=NAME,
    title_zh="金昌市",
    title_en="Jinchang",
    description="Jinchang (seed 002): the six-step procedure with the urgent fast track, the three matters not "
                "consulted on, rules by the topic's scale, 1+7+X with 20–30 fixed members, and the six-haves "
                "venue standard with its district and city report.",
    settings=SETTINGS,
    procedures=(JINCHANG,),
    default_procedure=PROCEDURE_KEY,
    catalogue=catalogue.ITEMS,
    composition_rules=(composition.check,),
    compliance=(ComplianceStandard(six_haves.STANDARD, six_haves.LEVELS, six_haves.check_council),),
    view_sections={NAME: scale_rules.view_section},
    # Before the consultation built-in records the meeting: a refusal leaves nothing written.
    on_action_taken=(ActionReaction(scale_rules.check_meeting, kinds=(scale_rules.SCHEDULE_KIND,)),),
    routes=ROUTES,
)

PLUGIN = variant_plugin(VARIANT)
