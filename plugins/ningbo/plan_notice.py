"""提前公示协商方案: the consultation plan on the public notice board (seed 001 §二(四)).

Publishing the plan (``publish_plan``) posts it as a notice of kind ``plan``
(``core.models.notice.Notice.kind``) on the board of the topic's council, beside the
results notices: the meeting's time, place and plan, for
``consultation.plan_notice_days`` days (3 in Ningbo's tenant file, our
default), or until the meeting starts where a region asks no days. It takes
no objections (the procedure has none before the consultation), and gives
way when the consultation's results go on notice.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.principal import Principal
from core.clock import CHINA_TZ
from core.consultation.service import PLAN_NOTICE_SETTING
from core.models import Topic, TopicEvent
from core.models.consultation import Meeting
from core.models.notice import Notice
from core.notices import service as notices
from core.region_context import RegionContext
from core.seeds import quote
from plugins.ningbo.models import PlanNotice

PLAN = "plan"
RULE = quote("001", "提前公示协商方案,并向协商主体通报协商内容及相关信息")


def notice_text(topic: Topic, meeting: Meeting) -> str:
    # What the board shows to anyone: the meeting and its plan, never a person's contact.
    shown = meeting.starts_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
    return (f"协商方案公示：议题“{topic.title}”的协商会议定于 {shown}（北京时间）在{meeting.place or '线上'}召开。"
            f"协商方案：{meeting.plan}")


async def post(context: RegionContext, topic: Topic, meeting: Meeting, event: TopicEvent,
               principal: Principal | None) -> Notice:
    """Post the meeting's plan on the board; an earlier plan notice of the topic still open is withdrawn."""
    days = int(context.setting(PLAN_NOTICE_SETTING) or 0)
    closes_at = event.at + timedelta(days=days) if days > 0 else max(meeting.starts_at, event.at)
    notice = await notices.post_notice(context.session, topic, event, PLAN, text=notice_text(topic, meeting),
                                       closes_at=closes_at, principal=principal)
    context.session.add(PlanNotice(notice_id=notice.id, meeting_id=meeting.id))
    await context.session.flush()
    return notice


async def section(session: AsyncSession, topic: Topic) -> list[dict]:
    """The topic's plan notices, for its ``ningbo`` section (the core's ``notices`` are its results)."""
    return await notices.topic_notices(session, topic, full_contact=False, kind=PLAN)


async def give_way(session: AsyncSession, topic: Topic, principal: Principal | None) -> None:
    """The results are on notice now: the plan's notice, its meeting held, is closed (not
    withdrawn: it stays among the board's recent notices)."""
    still_open = (await session.scalars(select(Notice).where(Notice.topic_id == topic.id, Notice.kind == PLAN,
                                                             Notice.status == "open"))).all()
    for notice in still_open:
        notice.status = "closed"
        notice.closed_at = clock.now()
        await record(session, actor=principal, action="notice.close", object_type="notice", object_id=notice.id,
                     region_code=notice.region_code, before={"status": "open"},
                     after={"status": "closed", "kind": PLAN, "why": "results_on_notice"})
    if still_open:
        await session.flush()
