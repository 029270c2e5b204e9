"""Setting a topic's implementation tasks (谁负责、谁执行: who is responsible,
what they do, by when), and the topic's ``tasks_open`` counter that mirrors
its open tasks so the procedure's guards can see them."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.errors import FieldError, conflict, validation_failed
from core.fields import text_field
from core.implementation.access import MANAGE, load_topic, require
from core.implementation.fields import MAX_NAME, MAX_TEXT, MAX_TITLE, deadline_field
from core.fields import request_body
from core.implementation.guards import TASKS_OPEN
from core.implementation.phase import implementing, procedure_of
from core.models import Topic, User
from core.models.implementation import Task
from core.plugins import PluginHost


def bump_open_tasks(topic: Topic, delta: int) -> None:
    counters = dict(topic.counters or {})
    counters[TASKS_OPEN] = max(int(counters.get(TASKS_OPEN, 0)) + delta, 0)
    # A new dict, so the JSON column is seen as changed.
    topic.counters = counters
    topic.updated_at = clock.now()


async def create_task(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
                      plugins: PluginHost, authorizer: Authorizer) -> Task:
    """Set a task on a topic being implemented.

    ``data``: title, measures, responsible_name, responsible_user_id
    (optional: a user who is then reminded directly), deadline (ISO date or
    datetime, in the future).
    """
    data = request_body(data)
    topic, _ = await load_topic(session, principal, topic_id, authorizer, for_update=True)
    require(authorizer, principal, MANAGE, [topic.region_code], "您不能为此议题安排落实任务",
            "you may not set tasks on this topic")
    if topic.status != "open" or not implementing(procedure_of(plugins, topic), topic):
        raise conflict("not_implementing", "议题尚未进入“跟踪落实”步骤（或已结束），不能安排落实任务",
                       "tasks are set while the topic is at the 'implement and track' step")
    errors: list[FieldError] = []
    title = text_field(data, "title", MAX_TITLE, errors, zh="任务名称", en="title", required=True)
    measures = text_field(data, "measures", MAX_TEXT, errors, zh="具体措施", en="measures")
    responsible = text_field(data, "responsible_name", MAX_NAME, errors, zh="责任方", en="responsible_name",
                             required=True)
    deadline = deadline_field(data.get("deadline"), errors)
    responsible_user_id = data.get("responsible_user_id")
    if responsible_user_id is not None and (
            not isinstance(responsible_user_id, int) or await session.get(User, responsible_user_id) is None):
        errors.append(FieldError("responsible_user_id", "责任人账号不存在", "no such user"))
    if errors:
        raise validation_failed(*errors)
    now = clock.now()
    task = Task(topic_id=topic.id, region_code=topic.region_code, title=title, measures=measures,
                responsible_name=responsible, responsible_user_id=responsible_user_id, deadline=deadline,
                percent=0, status="open", created_by_user_id=principal.user_id, created_at=now, updated_at=now)
    session.add(task)
    bump_open_tasks(topic, +1)
    await session.flush()
    await record(session, actor=principal, action="task.create", object_type="task", object_id=task.id,
                 region_code=topic.region_code, before=None,
                 after={"topic_id": topic.id, "title": title, "responsible_name": responsible,
                        "responsible_user_id": responsible_user_id, "deadline": deadline.isoformat()})
    return task
