"""Reading a meeting's stored parts: its agenda, participants and votes, and the
council members serving on its day."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import CHINA_TZ
from core.councils.service import current_term, get_council, roster
from core.models import CouncilMember, Region
from core.models.consultation import Meeting, MeetingParticipant, MeetingTopic, Vote


def _local_day(moment: datetime) -> date:
    return moment.astimezone(CHINA_TZ).date()


async def serving_members(session: AsyncSession, meeting: Meeting) -> dict[int, CouncilMember]:
    """Members of the meeting's council serving on its day, by id."""
    return await serving_at(session, meeting.region_code, meeting.starts_at)


async def serving_at(session: AsyncSession, region_code: str, moment: datetime) -> dict[int, CouncilMember]:
    """Members of the council of ``region_code`` serving on the (China) day of ``moment``, by id."""
    council = await get_council(session, region_code)
    day = _local_day(moment)
    term = await current_term(session, council, day) if council else None
    return {m.id: m for m in await roster(session, term, day)} if term else {}


async def participants(session: AsyncSession, meeting: Meeting) -> list[MeetingParticipant]:
    return list(await session.scalars(select(MeetingParticipant).where(MeetingParticipant.meeting_id == meeting.id)
                                      .order_by(MeetingParticipant.id)))


async def agenda_ids(session: AsyncSession, meeting: Meeting) -> list[int]:
    return list(await session.scalars(select(MeetingTopic.topic_id).where(MeetingTopic.meeting_id == meeting.id)
                                      .order_by(MeetingTopic.position, MeetingTopic.topic_id)))


async def votes_of(session: AsyncSession, meeting: Meeting) -> list[Vote]:
    return list(await session.scalars(select(Vote).where(Vote.meeting_id == meeting.id).order_by(Vote.id)))


async def meetings_held_below(session: AsyncSession, parent_code: str, since: datetime,
                              until: datetime) -> dict[str, int]:
    """Meetings held (closed) between ``since`` and ``until`` by each council directly under
    ``parent_code``, in one grouped statement (a street's communities at a glance)."""
    rows = (await session.execute(
        select(Meeting.region_code, func.count()).join(Region, Region.code == Meeting.region_code)
        .where(Region.parent_code == parent_code, Meeting.status == "closed", Meeting.starts_at >= since,
               Meeting.starts_at < until)
        .group_by(Meeting.region_code))).all()
    return dict(rows)
