"""Similar topics of sibling communities: linking them when a topic is created,
and the staff's view of them with the suggestion to escalate together."""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.principal import Principal
from core.escalation import similarity
from core.escalation.regions import lowest_common_ancestor, region_names
from core.topics.affected import affected_codes, affected_codes_of
from core.escalation.staff import reaches, staff_at
from core.models import Topic, TopicRegion
from core.models.escalation import TopicLink
from core.models.region import subtree_upper_bound
from core.topics.presence import has_rows, watch

watch(TopicLink.__table__, "topic_id", "similar_topic_id")

# Enough to cover a street's open topics; older ones are rarely the match.
MAX_CANDIDATES = 500


async def link_similar_topics(session: AsyncSession, topic: Topic) -> list[TopicLink]:
    """Link ``topic`` to open topics of the other communities in its streets
    that read alike (``similarity.THRESHOLD``)."""
    affected = await affected_codes(session, topic.id)
    streets = sorted({code[:9] for code in affected if len(code) == 12})
    if not streets:
        return []
    in_streets = or_(*[(TopicRegion.region_code >= street) & (TopicRegion.region_code < subtree_upper_bound(street))
                       for street in streets])
    candidate_ids = (select(TopicRegion.topic_id)
                     .where(in_streets, TopicRegion.region_code.not_in(affected)).distinct())
    candidates = (await session.execute(
        select(Topic.id, Topic.title, Topic.description)
        .where(Topic.id.in_(candidate_ids), Topic.id != topic.id, Topic.status == "open")
        .order_by(Topic.id.desc()).limit(MAX_CANDIDATES))).all()
    if not candidates:
        return []
    mine = similarity.topic_vector(topic.title, topic.description)
    now = clock.now()
    links = []
    for other_id, title, description in candidates:
        score = similarity.cosine(mine, similarity.topic_vector(title, description))
        if score >= similarity.THRESHOLD:
            links.append(TopicLink(topic_id=topic.id, similar_topic_id=other_id, score=round(score, 4),
                                   created_at=now))
    session.add_all(links)
    await session.flush()
    return links


async def similar_section(session: AsyncSession, topic: Topic, principal: Principal | None) -> dict[str, Any] | None:
    """The linked topics and the suggestion to escalate, for staff only."""
    if not staff_at(principal, topic.region_code):
        return None
    rows = []
    if await has_rows(session, topic.id, TopicLink.__table__, "topic_id", "similar_topic_id"):
        rows = (await session.execute(
            select(TopicLink, Topic).join(Topic, or_(
                (TopicLink.topic_id == topic.id) & (Topic.id == TopicLink.similar_topic_id),
                (TopicLink.similar_topic_id == topic.id) & (Topic.id == TopicLink.topic_id)))
            .where(or_(TopicLink.topic_id == topic.id, TopicLink.similar_topic_id == topic.id))
            .order_by(TopicLink.score.desc()))).all()
    others = [(link, other) for link, other in rows if other.id != topic.id]
    other_regions = await affected_codes_of(session, [o.id for _, o in others])
    names = await region_names(session, {c for codes in other_regions.values() for c in codes}
                               | {o.origin_region_code for _, o in others})
    links = []
    for link, other in others:
        codes = other_regions[other.id]
        # Only what the caller could reach anyway is named: a community's
        # chair learns that a neighbour has a like topic, not what it says.
        shown = reaches(principal, [other.region_code, *codes])
        links.append({"topic_id": other.id, "title": other.title if shown else None,
                      "score": link.score, "status": other.status, "region_code": other.region_code,
                      "affected_regions": [{"code": c, "name": names.get(c, "")} for c in codes],
                      "escalated": other.region_code != other.origin_region_code})
    section: dict[str, Any] = {"links": links, "suggestion": None}
    open_links = [link for link in links if link["status"] == "open"]
    if open_links and topic.status == "open":
        mine = await affected_codes(session, topic.id)
        together = {*mine, *(region["code"] for link in open_links for region in link["affected_regions"])}
        target = lowest_common_ancestor(together)
        target_name = (await region_names(session, [target])).get(target, target) if target else ""
        section["suggestion"] = {
            "escalate_to": target,
            "affected_regions": sorted(together - set(mine)),
            "text_zh": f"同一街道其他社区有 {len(open_links)} 个相似议题，建议上移至{target_name}协商议事会统一协商。",
            "text_en": f"{len(open_links)} similar open topic(s) in other communities of the same street: "
                       f"consider moving this topic up to the council of {target_name} to consult on them together.",
        }
    return section
