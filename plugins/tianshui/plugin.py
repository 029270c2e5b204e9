"""Plugin ``tianshui``: 天水市秦州区大城街道 (seed 000), see README.md.

三段六步 as the region's procedure, 九议 / 九不议 as its catalogue, and the
composition rules of its community and street councils.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.councils.rules import CouncilSnapshot, MemberSnapshot
from core.plugins import PluginManifest, hookimpl
from plugins.tianshui import catalogue, composition, view
from plugins.tianshui.procedure import KEY, TIANSHUI

MANIFEST = PluginManifest(
    name="tianshui",
    title_zh="天水市",
    title_en="Tianshui",
    description="Dacheng street's 2021 plan (seed 000): 三段六步, 九议九不议, council composition rules.",
    settings=composition.SETTINGS,
)


@hookimpl
def yishi_manifest():
    return MANIFEST


@hookimpl
def yishi_procedures():
    return [TIANSHUI]


@hookimpl
def yishi_procedure_for_region(region_code: str, settings: Mapping[str, Any]):
    return KEY


@hookimpl
def yishi_catalogue(region_code: str):
    return list(catalogue.ITEMS)


@hookimpl
def yishi_council_composition_rules(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]):
    return composition.council_violations(council, roster)


@hookimpl
def yishi_topic_view_sections(session, topic, principal):
    return view.topic_section(session, topic)
