"""Overdue reminders: the responsible party and the council are told of every
open task past its deadline (run by ``core.implementation.jobs``)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.clock import CHINA_TZ
from core.implementation.notify import notify
from core.models import Topic
from core.models.implementation import Task

REMIND_EVERY = timedelta(days=1)


async def remind_overdue(session: AsyncSession, *, every: timedelta = REMIND_EVERY, limit: int = 1000) -> int:
    """Remind the responsible party and the council of every open task past its
    deadline, at most once per ``every``; returns how many tasks were reminded."""
    now = clock.now()
    tasks = (await session.scalars(
        select(Task).where(Task.status == "open", Task.deadline < now,
                           (Task.last_reminded_at.is_(None)) | (Task.last_reminded_at <= now - every))
        .order_by(Task.deadline, Task.id).limit(limit).with_for_update())).all()
    for task in tasks:
        topic = await session.get(Topic, task.topic_id)
        days = (now - task.deadline).days
        shown = task.deadline.astimezone(CHINA_TZ).strftime("%Y-%m-%d")
        await notify(session, region_code=task.region_code, kind="task_overdue", council=True,
                     user_ids=[task.responsible_user_id], topic_id=task.topic_id, task_id=task.id,
                     text_zh=f"落实任务“{task.title}”（议题“{topic.title}”，责任方：{task.responsible_name}）"
                             f"已超过完成期限 {shown}，逾期 {days} 天，当前进度 {task.percent}%",
                     text_en=f"Task \"{task.title}\" (topic \"{topic.title}\", responsible: {task.responsible_name}) "
                             f"passed its deadline {shown}, {days} day(s) overdue, {task.percent}% done",
                     data={"deadline": task.deadline.isoformat(), "days_overdue": days})
        task.last_reminded_at = now
    await session.flush()
    return len(tasks)
