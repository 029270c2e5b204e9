"""Plugin ``jinchang``: 金昌市 (Jinchang), from the 2022 report (seed 002).

六步议事法 with 不调研不协商 and 急事快议, the three matters not consulted on,
大事大议 / 小事小议 / 急事快议 / 难事众议, "1+7+X" with 20–30 fixed members,
and the 六有 venue standard with its report over a district or the city.
See README.md.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.escalation.service import plugin_host_of
from core.plugins import PluginManifest, hookimpl

from plugins.jinchang import catalogue, composition, scale_rules, six_haves
from plugins.jinchang.procedure import JINCHANG
from plugins.jinchang.routes import ROUTES
from plugins.jinchang.settings import PLUGIN, PROCEDURE_KEY, SETTINGS

MANIFEST = PluginManifest(
    name=PLUGIN,
    title_zh="金昌市",
    title_en="Jinchang",
    description="Jinchang (seed 002): the six-step procedure with the urgent fast track, the three matters not "
                "consulted on, rules by the topic's scale, 1+7+X with 20–30 fixed members, and the six-haves "
                "venue standard with its district and city report.",
    settings=SETTINGS,
)


@hookimpl
def yishi_manifest():
    return MANIFEST


@hookimpl
def yishi_procedures():
    return [JINCHANG]


@hookimpl
def yishi_procedure_for_region(region_code: str, settings: Mapping[str, Any]):
    return PROCEDURE_KEY


@hookimpl
def yishi_catalogue(region_code: str):
    return list(catalogue.ITEMS)


@hookimpl
def yishi_council_composition_rules(council, roster):
    return composition.check(council, roster)


@hookimpl
def yishi_topic_action_taken(session, topic, action, payload):
    if action.kind != scale_rules.SCHEDULE_KIND:
        return None
    return scale_rules.check_meeting(session, topic, payload or {})


@hookimpl
async def yishi_topic_view_sections(session, topic):
    return {PLUGIN: await scale_rules.view_section(session, topic)}


@hookimpl
def yishi_compliance_checks(session, region_code: str, level: str, on_date):
    if level not in six_haves.LEVELS:
        return None
    return six_haves.check_council(session, plugin_host_of(session), region_code, on_date)


@hookimpl
def yishi_routes():
    return list(ROUTES)
