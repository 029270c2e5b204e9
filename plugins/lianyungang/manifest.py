"""Plugin ``lianyungang``: 连云港市政协 2019 opinion on extending consultative democracy
to the grassroots (seed 003). See README.md for each rule and where it comes from.

The variant supplies no procedure or catalogue of its own: consultation
homes (协商民主之家) with their composition and standard, the quarterly
activity job, the city CPPCC's special committees and the city matters
they coordinate in the homes, demo homes and committees, its routes, and
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
                "pilots per county, matters crossing districts or involving city departments kept in the home "
                "and coordinated by the city CPPCC's special committee, whose members and the city departments "
                "join the consultation.",
    settings=SETTINGS,
    composition_rules=(composition.home_rules,),
    # A matter crossing districts stays in its home instead of going to the city.
    escalation_target=city_matters.keep_at_home,
    compliance=(ComplianceStandard(compliance.STANDARD, ("street", "community"), compliance.check_home_standard),),
    view_sections={NAME: city_matters.view_section},
    # Before the built-ins record the admission: a bad city-matter field refuses it with nothing written.
    on_action_taken=(ActionReaction(city_matters.on_admit, kinds=("screen_admit",)),),
    # After the consultation built-in has made or found the meeting: the committee and departments are invited.
    on_action_recorded=(ActionReaction(city_matters.on_meeting_scheduled, kinds=("schedule_meeting",)),),
    demo_seed=demo.seed_homes,
    routes=ROUTES,
    scheduled_jobs=(jobs.SCHEDULE,),
    models=models,
    migrations=Path(__file__).with_name("migrations"),
)

PLUGIN = variant_plugin(VARIANT)
