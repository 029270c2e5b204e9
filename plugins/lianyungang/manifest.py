"""Plugin ``lianyungang``: 连云港市政协 2019 opinion on extending consultative democracy
to the grassroots (seed 003). See README.md for each rule and where it comes from.

The variant supplies no procedure or catalogue of its own: consultation
homes (协商民主之家) with their composition and standard, the quarterly
activity job, matters taken up at the city, demo homes, its routes, and
its tables with their alembic branch.
"""
from __future__ import annotations

from pathlib import Path

from core.plugins import ActionReaction, ComplianceStandard, Variant, variant_plugin
from plugins.lianyungang import city_matters, compliance, composition, demo, jobs, models
from plugins.lianyungang.routes import ROUTES
from plugins.lianyungang.settings import NAME, SETTINGS

VARIANT = Variant(
    name=NAME,
    title_zh="连云港市政协协商民主之家",
    title_en="Lianyungang CPPCC consultation homes",
    description="协商民主之家 in townships, villages, streets and communities (seed 003): at least 3 CPPCC "
                "members and a head, one consultation activity per quarter with reminders and flags, 3–4 "
                "pilots per county, matters crossing districts or involving city departments coordinated by "
                "the city CPPCC's special committee.",
    settings=SETTINGS,
    composition_rules=(composition.home_rules,),
    escalation_target=city_matters.city_target,
    compliance=(ComplianceStandard(compliance.STANDARD, ("street", "community"), compliance.check_home_standard),),
    view_sections={NAME: city_matters.view_section},
    # Before the built-ins: a topic flagged as involving city departments is at
    # the city before the core's escalation looks for the lowest common council.
    on_action_taken=(ActionReaction(city_matters.on_admit, kinds=("screen_admit",)),),
    demo_seed=demo.seed_homes,
    routes=ROUTES,
    scheduled_jobs=(jobs.SCHEDULE,),
    models=models,
    migrations=Path(__file__).with_name("migrations"),
)

PLUGIN = variant_plugin(VARIANT)
