"""Reaching a meeting, and what its state allows.

Meetings are reached two ways: under a region (``/regions/{code}/meetings``,
checked by the app's guard) and by id (``/meetings/{id}``), where
:func:`load_meeting` loads it within the caller's scope, as the topic service
does: a caller who cannot read it gets the 404 of a missing meeting.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.clock import CHINA_TZ
from core.errors import ApiError, conflict, forbidden, not_found
from core.models.consultation import Meeting

READ = "meeting.read"
MANAGE = "meeting.manage"
PLAN_NOTICE_SETTING = "consultation.plan_notice_days"


def meeting_not_found() -> ApiError:
    return not_found("会议", "meeting")


async def load_meeting(session: AsyncSession, principal: Principal, meeting_id: int, *, authorizer: Authorizer,
                       action: str = READ, for_update: bool = False) -> Meeting:
    """The meeting if the caller may read it (else 404) and take ``action`` at its region (else 403).

    The caller's scope is part of the query, so a meeting out of reach is never loaded."""
    query = select(Meeting).where(Meeting.id == meeting_id,
                                  authorizer.scope(principal, READ).where(Meeting.region_code))
    if for_update:
        # Two recorders of one meeting must not both judge the same attendance.
        query = query.with_for_update()
    meeting = await session.scalar(query)
    if meeting is None:
        raise meeting_not_found()
    if action != READ and not authorizer.allowed(principal, action, meeting.region_code):
        raise forbidden("您不能管理此会议", "you may not manage this meeting")
    return meeting


def require_open(meeting: Meeting) -> None:
    if meeting.status == "closed":
        raise conflict("meeting_closed", "会议已结束，不能再修改", "the meeting is closed; it can no longer change")


def require_started(meeting: Meeting) -> None:
    if clock.now() < meeting.starts_at:
        shown = meeting.starts_at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        raise conflict("meeting_not_started", f"会议尚未开始（{shown} 开始）",
                       f"the meeting has not started yet (starts {shown} China time)")


def require_plan_notice(meeting: Meeting, notice_days: int) -> None:
    """Where the region requires the plan in advance (公布议事方案, ``PLAN_NOTICE_SETTING``),
    hold no meeting without it."""
    if notice_days <= 0:
        return
    due = meeting.starts_at - timedelta(days=notice_days)
    if meeting.plan_published_at is None or meeting.plan_published_at > due:
        shown = due.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M")
        raise conflict("plan_not_published",
                       f"议事方案须在会前 {notice_days} 天（{shown} 前）公布，本次会议未按时公布",
                       f"the plan must be published {notice_days} day(s) before the meeting "
                       f"(by {shown} China time); it was not")
