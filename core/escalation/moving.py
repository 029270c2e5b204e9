"""Escalation upward (上移): choosing where a topic belongs and moving it there.

A topic whose affected communities span more than one community belongs to
the council of their lowest common ancestor (DOMAIN.md §5: two communities →
the street, two streets → the district, two districts → the city), unless a
plugin names another target (``yishi_escalation_target``). It moves there
when admitted at screening, or when staff ask (``request_escalation``), and
the source communities keep reading it (``core.topics.service.load_topic``).

Access follows the topic service: no ``{code}`` in a topic's routes, so the
topic's own region decides: 404 if the caller cannot read the topic, 403 if
they may read but not do this, 409 if the topic's state forbids it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.councils.service import default_council_name, ensure_council, get_council
from core.fields import request_body
from core.errors import FieldError, conflict, forbidden, validation_failed
from core.escalation.regions import is_upward, region_names
from core.topics.affected import affected_changed, affected_codes
from core.models import Region, Topic, TopicFeedback, TopicRegion
from core.models.escalation import Escalation
from core.plugins import PluginHost
from core.region_context import RegionContext, region_context
from core.topics.service import MAX_TEXT, community_codes, load_topic
from core.topics.transitions import Actor, actor_name, append_event, store_state
from core.procedures.model import TopicState

ESCALATION_READ = "escalation.read"
ESCALATION_MANAGE = "escalation.manage"

ESCALATE = "escalate"


def escalation_target(context: RegionContext, topic: Topic, affected: Iterable[str]) -> str:
    """Where the topic belongs given its affected communities: a plugin's answer,
    else the lowest common ancestor (the built-in plugin answers last).
    ``context``: the topic's region."""
    target = context.hooks.yishi_escalation_target(topic_region_code=topic.region_code,
                                                   affected_region_codes=tuple(sorted(set(affected))),
                                                   category=topic.category)
    return target or topic.region_code


async def move_topic(session: AsyncSession, topic: Topic, target: str, *, principal: Principal | None,
                     trigger: str, reason: str, affected: list[str]) -> Escalation:
    """Hand the topic to the council of ``target``: the record, the topic's new
    owner, its history, the proposer's feedback and the audit entry."""
    region = await session.get(Region, target)
    if region is None or region.city_code != topic.region_code[:4]:
        raise conflict("escalation_target_unknown", f"上移目标区划 {target} 不存在或不在本市",
                       f"the escalation target {target} does not exist or is in another city")
    council = await ensure_council(session, target, actor=principal)
    now = clock.now()
    origin = topic.region_code
    escalation = Escalation(topic_id=topic.id, from_region_code=origin, to_region_code=target, trigger=trigger,
                            reason=reason, source_region_codes=list(affected), at=now,
                            by_user_id=principal.user_id if principal else None, by_name=actor_name(principal))
    session.add(escalation)
    topic.region_code = target
    topic.updated_at = now
    await session.flush()
    append_event(session, topic, Actor.of(principal), ESCALATE,
                 from_step=topic.step, note=reason, at=now,
                 data={"from_region": origin, "to_region": target, "trigger": trigger,
                       "escalation_id": escalation.id})
    if topic.proposer_user_id is not None or topic.proposer_name:
        session.add(TopicFeedback(
            topic_id=topic.id, recipient_user_id=topic.proposer_user_id, recipient_name=topic.proposer_name,
            # The reason says why (several communities, city departments, a staff member's request).
            text_zh=f"您提出的议题“{topic.title}”已上移至{council.name}协商。原因：{reason}",
            text_en=f"Your topic \"{topic.title}\" has moved up to {council.name} for consultation. "
                    f"Reason: {reason}",
            created_at=now))
    await session.flush()
    await record(session, actor=principal, action="topic.escalate", object_type="topic", object_id=topic.id,
                 region_code=target, before={"region_code": origin},
                 after={"region_code": target, "council_id": council.id, "trigger": trigger, "reason": reason,
                        "affected_regions": list(affected), "escalation_id": escalation.id})
    return escalation


async def escalate_on_admit(context: RegionContext, topic: Topic,
                            principal: Principal | None) -> Escalation | None:
    """At screening: move an admitted topic that spans communities; else nothing."""
    session = context.session
    affected = await affected_codes(session, topic.id)
    target = escalation_target(context, topic, affected)
    if not is_upward(target, topic.region_code):
        return None
    names = await region_names(session, affected)
    reason = "涉及" + "、".join(names.get(code, code) for code in affected)
    return await move_topic(session, topic, target, principal=principal, trigger="admit", reason=reason,
                            affected=affected)


FORWARD_UPWARD = "forward_upward"


async def forward_rejected(context: RegionContext, topic: Topic, event, principal: Principal | None
                           ) -> Escalation | None:
    """A rejection routed 提请上级协商 (超出职能权限: beyond this council's authority)
    hands the topic to the council one level up, to be screened there afresh
    under that region's procedure; the community keeps reading it."""
    if (event.data or {}).get("route") != FORWARD_UPWARD:
        return None
    session = context.session
    region = await session.get(Region, topic.region_code)
    if region is None or region.parent_code is None or region.level == "city":
        raise conflict("no_higher_council", "本级已是市级，无上级议事会可提请",
                       "there is no higher council to forward this topic to")
    target = region.parent_code
    council = await get_council(session, region.code)
    council_name = council.name if council is not None else default_council_name(region)
    above = await context.of(target)
    procedure = above.procedure_for_new_topic()
    topic.procedure_key, topic.procedure_version = procedure.key, procedure.version
    store_state(topic, TopicState(step=procedure.initial_step, status="open", counters={}, timers={}))
    cited = (event.data or {}).get("catalogue_item")
    item = context.catalogue.get(cited) if cited else None
    reason = f"{council_name}不予协商" + (f"（{item.text_zh}）" if item else "") + "，提请上级协商"
    if event.note:
        reason += f"。说明：{event.note}"
    affected = await affected_codes(session, topic.id)
    return await move_topic(session, topic, target, principal=principal, trigger="forward", reason=reason,
                            affected=affected or [region.code])


async def _more_affected(session: AsyncSession, topic: Topic, raw: Any, known: list[str],
                         errors: list[FieldError]) -> list[str]:
    """Communities the caller adds to those the topic affects (same city only)."""
    if raw is None:
        return []
    return await community_codes(session, raw, topic.region_code[:4], errors, known=known)


def _reason(data: Mapping[str, Any], errors: list[FieldError]) -> str:
    value = data.get("reason")
    if not isinstance(value, str) or not value.strip():
        errors.append(FieldError("reason", "请说明上移理由", "say why the topic moves up"))
        return ""
    if len(value.strip()) > MAX_TEXT:
        errors.append(FieldError("reason", f"上移理由不得超过 {MAX_TEXT} 字",
                                 f"reason must be at most {MAX_TEXT} characters"))
    return value.strip()


async def request_escalation(session: AsyncSession, principal: Principal, topic_id: int,
                             data: Mapping[str, Any] | None, *, plugins: PluginHost,
                             authorizer: Authorizer) -> Escalation:
    """Staff move a topic up: ``reason`` (required) and, optionally,
    ``affected_regions``, communities it also concerns (e.g. those of the
    similar topics the platform linked). The target is the plugins' answer
    or the lowest common ancestor; a topic that spans nothing wider than
    its council answers 409."""
    data = request_body(data)
    topic = await load_topic(session, principal, topic_id, authorizer=authorizer, for_update=True)
    if not authorizer.allowed(principal, ESCALATION_MANAGE, topic.region_code):
        raise forbidden("您不能上移此议题", "you may not move this topic up")
    errors: list[FieldError] = []
    reason = _reason(data, errors)
    known = await affected_codes(session, topic.id)
    added = await _more_affected(session, topic, data.get("affected_regions"), known, errors)
    if errors:
        raise validation_failed(*errors)
    if topic.status != "open":
        raise conflict("topic_not_open", "议题已办结或不予协商，不能上移",
                       "the topic is closed or rejected and cannot move up")
    affected = sorted({*known, *added})
    target = escalation_target(await region_context(session, plugins, topic.region_code), topic, affected)
    if not is_upward(target, topic.region_code):
        raise conflict("escalation_not_needed", "议题涉及的社区都在本议事会辖区内，无需上移；如涉及其他社区，请一并填写",
                       "every community this topic affects is within this council; name the other "
                       "communities it concerns to move it up")
    session.add_all(TopicRegion(topic_id=topic.id, region_code=code) for code in added)
    affected_changed(session, topic.id)
    await session.flush()
    return await move_topic(session, topic, target, principal=principal, trigger="request", reason=reason,
                            affected=affected)
