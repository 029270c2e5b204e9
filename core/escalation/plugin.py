"""Built-in plugin ``escalation``: moving topics that span communities up to
the lowest common council, linking similar topics of sibling communities,
and the "escalation" and "similar" sections of a topic's view.

Its ``yishi_escalation_target`` is ``trylast`` so that a regional plugin's
target wins where it is enabled.
"""
from __future__ import annotations

from core.escalation import service
from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(
    name="escalation",
    title_zh="议题上移与相似议题",
    title_en="Escalation upward and similar topics",
    description="Topics spanning communities move to the lowest common council; similar topics of "
                "sibling communities are linked with a suggestion to escalate; upward reports.",
    builtin=True,
)


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_escalation_target(topic_region_code, affected_region_codes):
    # The owning council is part of the span: a street's topic about one of
    # its communities stays at the street.
    return service.lowest_common_ancestor([topic_region_code, *affected_region_codes])


@hookimpl(trylast=True)
def yishi_topic_action_taken(context, topic, action, event, principal):
    if action.kind == "screen_admit":
        return service.escalate_on_admit(context, topic, principal)
    if action.kind == "screen_reject":
        return service.forward_rejected(context, topic, event, principal)
    return None


@hookimpl(trylast=True)
def yishi_topic_created(session, topic):
    return service.link_similar_topics(session, topic)


@hookimpl(trylast=True)
async def yishi_topic_view_sections(session, topic, principal):
    sections = {"escalation": await service.escalation_section(session, topic, principal)}
    similar = await service.similar_section(session, topic, principal)
    if similar is not None:
        sections["similar"] = similar
    return sections
