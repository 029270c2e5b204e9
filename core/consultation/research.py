"""Research before consultation (议前调研): its record, and the rule that no topic
goes to an agenda, a vote or a resolution without it (不调研不协商)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.principal import Principal
from core.clock import CHINA_TZ
from core.consultation.fields import MAX_NAME, MAX_PLACE, MAX_TEXT, choice_field, day_field, id_list_field
from core.consultation.queries import serving_at
from core.councils.categories import is_fixed
from core.consultation.views import research_dict
from core.errors import FieldError, conflict, validation_failed
from core.fields import text_field
from core.models import Topic, TopicEvent
from core.models.consultation import RESEARCH_METHODS, Research
from core.procedures.guards import NO_RESEARCH, research_part_counter

NOT_ALLOWED = "action_not_allowed"


def _actor_name(principal: Principal | None) -> str:
    if principal is None:
        return "system"
    return (principal.display_name or principal.username)[:MAX_NAME]


async def first_research_at(session: AsyncSession, topic_ids: Iterable[int]) -> dict[int, datetime]:
    """When each topic's first research was recorded; a topic without research is absent.

    不调研不协商 holds on every path to a decision: an agenda, a vote and a
    resolution all ask this, not only the procedure's scheduling action.
    """
    ids = list(topic_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Research.topic_id, func.min(Research.recorded_at))
                                 .where(Research.topic_id.in_(ids)).group_by(Research.topic_id))
    return {topic_id: at for topic_id, at in rows}


async def require_research(session: AsyncSession, topic: Topic) -> datetime:
    """When the topic's first research was recorded; 409 if it has none."""
    researched = (await first_research_at(session, [topic.id])).get(topic.id)
    if researched is None:
        raise conflict(NOT_ALLOWED, NO_RESEARCH.zh, NO_RESEARCH.en)
    return researched


async def _site_visit(session: AsyncSession, topic: Topic, payload: Mapping[str, Any],
                      errors: list[FieldError]) -> tuple[list[dict], date | None, str]:
    """Who went (fixed members of the topic's council serving that day), when and where; all or nothing."""
    ids = id_list_field(payload.get("visitors"), "visitors", "实地调研人员", "visitors", errors)
    place = text_field(payload, "visited_place", MAX_PLACE, errors, zh="调研地点", en="visited_place")
    given = payload.get("visited_on") not in (None, "")
    if not ids and not place and not given:
        return [], None, ""
    day = day_field(payload.get("visited_on"), "visited_on", "调研日期", "visited_on", errors)
    if day is not None and day > clock.today():
        errors.append(FieldError("visited_on", "调研日期不能晚于今天", "visited_on cannot be in the future"))
    if not ids:
        errors.append(FieldError("visitors", "请选择参加实地调研的固定成员",
                                 "visitors: name the fixed members who went"))
    if not place:
        errors.append(FieldError("visited_place", "请填写调研地点", "visited_place is required"))
    if day is None or not ids:
        return [], None, place
    serving = await serving_at(session, topic.region_code,
                               datetime.combine(day, time(12), tzinfo=CHINA_TZ))
    visitors = []
    for member_id in ids:
        member = serving.get(member_id)
        if member is None or not is_fixed(member.category):
            errors.append(FieldError("visitors", f"成员 {member_id} 不是本议事会当天在任的固定成员",
                                     f"member {member_id} is not a fixed member of this council on that day"))
        else:
            visitors.append({"member_id": member.id, "name": member.name})
    return visitors, day, place


async def record_research(session: AsyncSession, principal: Principal | None, topic: Topic,
                          event: TopicEvent | None, payload: Mapping[str, Any]) -> Research:
    """The research record of a ``record_research`` action.

    ``payload``: method (one of site_visit / survey / interviews, or a list
    of them), findings (required), draft_plan (议事方案), feasibility (可行性分析),
    the site visit: visitors (ids of the council's fixed members who went),
    visited_on (a date, not in the future) and visited_place, all three or none;
    attachments (ids).

    The parts it has (site_visit, feasibility, draft_plan) are flagged on the
    topic's counters, where the procedure's guard finds them (``consultation.research_parts``).
    """
    errors: list[FieldError] = []
    raw = payload.get("method", payload.get("methods"))
    raw = [raw] if isinstance(raw, str) else raw
    methods: list[str] = []
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError("method", f"请选择调研方式：{'、'.join(RESEARCH_METHODS)}",
                                 f"method is required, one or more of: {', '.join(RESEARCH_METHODS)}"))
    else:
        for value in raw:
            if (choice_field(value, RESEARCH_METHODS, "method", "调研方式", "method", errors)
                    and value not in methods):
                methods.append(value)
    findings = text_field(payload, "findings", MAX_TEXT, errors, required=True, zh="调研发现", en="findings")
    draft_plan = text_field(payload, "draft_plan", MAX_TEXT, errors, zh="议事方案", en="draft_plan")
    feasibility = text_field(payload, "feasibility", MAX_TEXT, errors, zh="可行性分析", en="feasibility")
    visitors, visited_on, visited_place = await _site_visit(session, topic, payload, errors)
    attachments = id_list_field(payload.get("attachments"), "attachments", "附件", "attachments", errors)
    if errors:
        raise validation_failed(*errors)
    research = Research(topic_id=topic.id, event_id=event.id if event else None, methods=methods, findings=findings,
                        draft_plan=draft_plan, feasibility=feasibility, visitors=visitors, visited_on=visited_on,
                        visited_place=visited_place, attachments=attachments,
                        recorded_by_user_id=principal.user_id if principal else None,
                        recorded_by_name=_actor_name(principal), recorded_at=clock.now())
    # A flag per part some record of the topic has (set once: a later record changes nothing).
    present = {"site_visit": bool(visitors), "feasibility": bool(feasibility), "draft_plan": bool(draft_plan)}
    new = [research_part_counter(p) for p, has in present.items() if has]
    if any(not (topic.counters or {}).get(name) for name in new):
        topic.counters = {**(topic.counters or {}), **{name: 1 for name in new}}
    session.add(research)
    await session.flush()
    await record(session, actor=principal, action="research.create", object_type="research", object_id=research.id,
                 region_code=topic.region_code, before=None, after=research_dict(research))
    return research
