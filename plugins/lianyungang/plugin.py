"""Plugin ``lianyungang``: 连云港市政协 2019 opinion on extending consultative democracy
to the grassroots (seed 003). See README.md for each rule and where it comes from."""
from __future__ import annotations

from core.plugins import hookimpl
from plugins.lianyungang import city_matters, compliance, composition, demo, jobs, routes
from plugins.lianyungang import models  # noqa: F401  (the tables join the metadata for migrations)
from plugins.lianyungang.settings import MANIFEST


@hookimpl
def yishi_manifest():
    return MANIFEST


@hookimpl
def yishi_routes():
    return list(routes.ROUTES)


@hookimpl
def yishi_scheduled_jobs():
    return [jobs.SCHEDULE]


@hookimpl
def yishi_council_composition_rules(council, roster):
    return composition.home_rules(council, roster)


@hookimpl
def yishi_compliance_checks(session, region_code, level, on_date):
    if level not in ("street", "community"):
        return None
    return compliance.check_home_standard(session, region_code, on_date)


@hookimpl
def yishi_escalation_target(topic_region_code, affected_region_codes):
    return city_matters.city_target(topic_region_code, affected_region_codes)


# First, so that a topic flagged as involving city departments is at the city
# before the core's escalation looks for the lowest common council.
@hookimpl(tryfirst=True)
def yishi_topic_action_taken(session, topic, action, payload, principal):
    if action.kind != "screen_admit":
        return None
    return city_matters.on_admit(session, topic, payload, principal)


@hookimpl
async def yishi_topic_view_sections(session, topic):
    return {"lianyungang": await city_matters.view_section(session, topic)}


@hookimpl
def yishi_demo_seeded(session, city_code, council_regions, seed):
    return demo.seed_homes(session, city_code, council_regions, seed)
