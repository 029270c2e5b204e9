"""Plugin ``four_visits_six_steps``: a county community's 四进访民情、六步促协商 (seed 004). See README.md.

The 六步议事程序 with 不调研不协商 made the region's procedure, the seven areas
consulted on and the seven not, the topic-selection standard checked when a
topic is admitted together with the form of 社会征 it came by, the deputy
party secretary in the chair with the fixed members the report names, and the
六有 room standard at community councils.
"""
from __future__ import annotations

from core.plugins import ActionReaction, ComplianceStandard, Variant, variant_plugin
from plugins.four_visits_six_steps import catalogue, composition, intake, six_haves
from plugins.four_visits_six_steps.procedure import FOUR_VISITS_SIX_STEPS
from plugins.four_visits_six_steps.settings import PLUGIN as NAME, PROCEDURE_KEY, SETTINGS

VARIANT = Variant(
    name=NAME,
    title_zh="四进访民情、六步促协商",
    title_en="Four visits, six steps",
    description="A county community's practice (seed 004): the six-step procedure with no consultation "
                "without research, seven areas consulted on and seven not, the topic-selection standard and "
                "the forms of public collection at admission, the deputy party secretary in the chair, and the "
                "six-haves consultation room.",
    settings=SETTINGS,
    procedures=(FOUR_VISITS_SIX_STEPS,),
    default_procedure=PROCEDURE_KEY,
    catalogue=catalogue.ITEMS,
    composition_rules=(composition.check,),
    compliance=(ComplianceStandard(six_haves.STANDARD, six_haves.LEVELS, six_haves.check_council),),
    view_sections={NAME: intake.view_section},
    # Any procedure: the standard is the region's way of choosing topics, not its procedure's.
    # Before the built-ins act on the admission (escalation, feedback): a refusal rolls all of it back.
    on_action_taken=(ActionReaction(intake.check_admission, kinds=(intake.ADMIT_KIND,)),),
)

PLUGIN = variant_plugin(VARIANT)
