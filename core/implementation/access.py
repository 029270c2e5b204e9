"""Who may work on a topic's implementation: its topic is reached at the
council's region or at a community it affects; a task also by its responsible
party."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.errors import ApiError, forbidden
from core.models import Topic
from core.models.implementation import Task
from core.topics import service as topics
from core.topics.affected import affected_codes
from core.topics.service import topic_not_found

MANAGE = "task.manage"
PROGRESS = "task.progress"
SUPERVISE = "supervision.write"
RATE = "evaluation.rate"
REPORT = "evaluation.report"


def task_not_found() -> ApiError:
    return ApiError(404, "not_found", "落实任务不存在", "task not found")


async def load_topic(session: AsyncSession, principal: Principal, topic_id: int, authorizer: Authorizer, *,
                     for_update: bool = False) -> tuple[Topic, list[str]]:
    """The topic if the caller may read it (the topics' own rule, in the query),
    with the communities it affects."""
    if not isinstance(topic_id, int):
        raise topic_not_found()
    topic = await topics.load_topic(session, principal, topic_id, authorizer=authorizer, for_update=for_update)
    return topic, await affected_codes(session, topic.id)


def _allowed_any(authorizer: Authorizer, principal: Principal, action: str, codes: Iterable[str]) -> bool:
    return any(authorizer.allowed(principal, action, code) for code in codes)


def require(authorizer: Authorizer, principal: Principal, action: str, codes: Iterable[str], zh: str,
            en: str) -> None:
    if not _allowed_any(authorizer, principal, action, codes):
        raise forbidden(zh, en)


async def load_task(session: AsyncSession, principal: Principal, task_id: int,
                    authorizer: Authorizer) -> tuple[Task, Topic]:
    task = await session.get(Task, task_id) if isinstance(task_id, int) else None
    if task is None:
        raise task_not_found()
    try:
        topic, _ = await load_topic(session, principal, task.topic_id, authorizer, for_update=True)
    except ApiError:
        # The responsible party follows their own task even without a role there.
        if task.responsible_user_id != principal.user_id:
            raise task_not_found() from None
        topic = await session.scalar(select(Topic).where(Topic.id == task.topic_id).with_for_update())
    return task, topic


def may_work_on(authorizer: Authorizer, principal: Principal, task: Task, action: str) -> bool:
    return task.responsible_user_id == principal.user_id or authorizer.allowed(principal, action, task.region_code)
