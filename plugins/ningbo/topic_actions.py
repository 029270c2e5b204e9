"""What Ningbo's own actions record, and what its procedure requires that the
engine's guards cannot see.

A guard reads only the topic's counters and timers. The meeting's plan and
the evaluation reports live in their own tables and the core keeps no
counter for them, so they are handled here, inside the action's
transaction: refusing raises, and the whole action is rolled back. The
manifest runs them after the built-ins have recorded what the action
carries (``on_action_recorded``). Reserved matters and the residents'
meeting are :mod:`plugins.ningbo.assembly`'s.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.principal import Principal
from core.consultation import service as consultation
from core.clock import CHINA_TZ
from core.errors import conflict
from core.implementation.notify import notify
from core.models import CouncilMember, Topic, TopicEvent
from core.models.consultation import Meeting, MeetingParticipant, MeetingTopic
from core.models.implementation import EvaluationReport
from core.region_context import RegionContext
from core.topics.presence import has_rows
from plugins.ningbo import assembly, plan_notice
from plugins.ningbo.procedure import KEY
from plugins.ningbo.settings import MIN_EVALUATIONS

PLAN_PUBLISHED = "ningbo.plan_published"


async def publish_plan(session: AsyncSession, context: RegionContext, principal: Principal, topic: Topic,
                       payload: Mapping[str, Any], event: TopicEvent) -> Meeting:
    """提前公示协商方案并通报协商主体: publish the plan of the topic's coming meeting,
    post it on the public notice board and tell the invited members who have accounts.

    A plan already published through the meetings API keeps its time (how
    many days ahead it went out is what ``consultation.plan_notice_days``
    judges); ``payload["plan"]`` publishes a revised plan now. The board's
    notice opens now either way (:mod:`plugins.ningbo.plan_notice`).
    """
    meeting = await session.scalar(
        select(Meeting).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
        .where(MeetingTopic.topic_id == topic.id, Meeting.status != "closed")
        .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(1))
    if meeting is None:
        raise conflict("no_meeting", "本议题尚未安排协商会议，无法公示协商方案",
                       "no meeting is scheduled for this topic, so there is no plan to publish")
    revised = (payload or {}).get("plan")
    if meeting.plan_published_at is None or revised:
        await consultation.publish_plan(session, principal, meeting, {"plan": revised} if revised else {})
    notice = await plan_notice.post(context, topic, meeting, event, principal)
    shown = meeting.starts_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    invited = await session.scalars(
        select(CouncilMember.user_id).join(MeetingParticipant, MeetingParticipant.member_id == CouncilMember.id)
        .where(MeetingParticipant.meeting_id == meeting.id, MeetingParticipant.invited.is_(True),
               CouncilMember.user_id.is_not(None)))
    await notify(session, region_code=topic.region_code, kind=PLAN_PUBLISHED, user_ids=list(invited),
                 topic_id=topic.id, data={"meeting_id": meeting.id},
                 text_zh=f"协商会议将于 {shown} 在{meeting.place or '线上'}召开，议题“{topic.title}”。协商方案：{meeting.plan}",
                 text_en=f"The consultation on \"{topic.title}\" meets at {shown} (China time), "
                         f"{meeting.place or 'online'}. Plan: {meeting.plan}")
    event.data = {**(event.data or {}), "meeting_id": meeting.id,
                  "plan_published_at": meeting.plan_published_at.isoformat(), "plan_notice_id": notice.id}
    await session.flush()
    return meeting


async def require_evaluation(context: RegionContext, topic: Topic) -> None:
    """追踪监督、评估评议: no closing before the evaluation reports are attached."""
    shown = await evaluation_section(context, topic)
    have, wanted = shown["evaluation_reports"], shown["evaluation_reports_required"]
    if have < wanted:
        raise conflict("evaluation_missing",
                       f"办结前须完成评估评议：已附评估报告 {have} 份，至少须 {wanted} 份"
                       "（居务监督委员会或第三方评估机构）",
                       f"evaluate before closing: {have} evaluation report(s) attached, {wanted} required "
                       "(supervisory committee or third-party evaluator)")


async def evaluation_section(context: RegionContext, topic: Topic) -> dict[str, Any]:
    """What closing waits for, shown beside the actions (it is no guard, so the
    topic's blocked actions cannot say it)."""
    wanted = int(context.setting(MIN_EVALUATIONS))
    have = 0
    if await has_rows(context.session, topic.id, EvaluationReport.__table__):
        have = await context.session.scalar(select(func.count()).select_from(EvaluationReport)
                                            .where(EvaluationReport.topic_id == topic.id)) or 0
    return {"evaluation_reports": have, "evaluation_reports_required": wanted, "evaluated": have >= wanted}


async def view_section(context: RegionContext, topic: Topic) -> dict[str, Any] | None:
    """The ``ningbo`` section of a topic under Ningbo's procedure."""
    if topic.procedure_key != KEY:
        return None
    return {**await evaluation_section(context, topic), **await assembly.section(context.session, topic),
            "plan_notices": await plan_notice.section(context.session, topic)}
