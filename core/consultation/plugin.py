"""Built-in plugin ``consultation``: research, meetings and outcomes behind a topic's actions.

The procedure decides whether an action may be taken; this plugin records
what the action carries and may still refuse it (bad fields → 400, a
resolution without a passed vote → 409), which rolls the whole action back.
Actions are recognised by ``Action.kind`` (so a regional procedure can reuse
them under other keys), falling back to the generic procedure's keys.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.consultation import service
from core.plugins import PluginManifest, SettingSpec, hookimpl
from core.procedures.guards import RESEARCH_PARTS

RESEARCH = "research"
SCHEDULE = "schedule_meeting"
RESOLUTION = "resolution"
_BY_KEY = {"record_research": RESEARCH, "schedule_meeting": SCHEDULE, "record_resolution": RESOLUTION}

MANIFEST = PluginManifest(
    name=service.PLUGIN,
    title_zh="议前调研与协商议事",
    title_en="research, meetings and outcomes",
    description="Research records, consultation meetings (agenda, attendance, minutes, votes) and outcomes.",
    builtin=True,
    settings={
        "plan_notice_days": SettingSpec(int, 0, "议事方案须提前公布的天数（0 为不要求）",
                                        "days before a meeting its plan must be published (0: not required)",
                                        minimum=0, maximum=60),
        # Our default: any research record (the generic rule); 004 and Jinchang set all three.
        "research_parts": SettingSpec(list, [], "协商前议前调研须包含的内容：site_visit（固定成员实地调研）、"
                                      "feasibility（可行性分析）、draft_plan（议事方案）；空为只须有调研记录",
                                      "what the research must include before a meeting: site_visit (fixed members "
                                      "on site), feasibility, draft_plan; empty: any research record",
                                      choices=tuple(RESEARCH_PARTS)),
    },
)


def _what(action) -> str | None:
    return action.kind if action.kind in (RESEARCH, SCHEDULE, RESOLUTION) else _BY_KEY.get(action.key)


async def _on_action(context, topic, what: str, payload: Mapping[str, Any], event, principal) -> None:
    session = context.session
    if what == RESEARCH:
        await service.record_research(session, principal, topic, event, payload)
    elif what == SCHEDULE:
        # The kinds the region's plugins add (Ningbo's estate joint meeting) may be chosen here too.
        await service.schedule_for_topic(session, principal, topic, payload, context=context)
    elif what == RESOLUTION:
        await service.record_outcome(session, principal, topic, event, payload)


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_topic_action_taken(context, topic, action, payload, event, principal):
    what = _what(action)
    if what is None:
        return None
    return _on_action(context, topic, what, payload or {}, event, principal)


@hookimpl(trylast=True)
def yishi_topic_view_sections(session, topic, principal):
    return service.topic_sections(session, topic)
