"""The "escalation" section of a topic's view: where it came from, its moves and
upward reports, and for staff the invitees of a joint meeting."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.principal import Principal
from core.escalation.joint import joint_meeting_invitees
from core.escalation.regions import region_names
from core.topics.affected import affected_codes
from core.escalation.reports import report_dict
from core.escalation.staff import staff_at
from core.models import Topic
from core.models.escalation import Escalation, UpwardReport
from core.topics.presence import has_rows, watch

watch(Escalation.__table__)
watch(UpwardReport.__table__)

TRIGGER_LABELS = {"admit": ("受理时上移", "moved up at screening"), "request": ("应申请上移", "moved up on request"),
                  "forward": ("不予协商，提请上级协商", "not consulted here, forwarded to the council above")}


async def escalation_section(session: AsyncSession, topic: Topic, principal: Principal | None) -> dict[str, Any]:
    moves, reports = [], []
    if await has_rows(session, topic.id, Escalation.__table__):
        moves = (await session.scalars(select(Escalation).where(Escalation.topic_id == topic.id)
                                       .order_by(Escalation.id))).all()
    if await has_rows(session, topic.id, UpwardReport.__table__):
        reports = (await session.scalars(select(UpwardReport).where(UpwardReport.topic_id == topic.id)
                                         .order_by(UpwardReport.id))).all()
    affected = await affected_codes(session, topic.id)
    names = await region_names(session, {*affected, topic.origin_region_code, topic.region_code,
                                         *(m.from_region_code for m in moves)})
    section: dict[str, Any] = {
        "escalated": bool(moves),
        "origin_region": {"code": topic.origin_region_code, "name": names.get(topic.origin_region_code, "")},
        "current_region": {"code": topic.region_code, "name": names.get(topic.region_code, "")},
        "source_regions": [{"code": c, "name": names.get(c, "")} for c in affected],
        "moves": [{"from_region_code": m.from_region_code, "to_region_code": m.to_region_code,
                   "trigger": m.trigger, "trigger_zh": TRIGGER_LABELS[m.trigger][0],
                   "trigger_en": TRIGGER_LABELS[m.trigger][1], "reason": m.reason, "at": m.at.isoformat(),
                   "by_name": m.by_name} for m in moves],
        "upward_reports": [report_dict(r) for r in reports],
    }
    if len(affected) > 1 and staff_at(principal, topic.region_code):
        section["joint_meeting_invitees"] = await joint_meeting_invitees(session, topic)
    return section
