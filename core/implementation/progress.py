"""Working on a task: progress reports (percent, text, photos) and completion,
which may move the topic on once no task is left open."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.errors import FieldError, conflict, forbidden, validation_failed
from core.fields import text_field
from core.implementation.access import MANAGE, PROGRESS, load_task, may_work_on
from core.implementation.fields import MAX_TEXT, attachment_ids, int_field
from core.fields import request_body
from core.implementation.guards import TASKS_OPEN
from core.implementation.phase import procedure_of, waiting_on_tasks
from core.implementation.tasks import bump_open_tasks
from core.models.implementation import ProgressUpdate, Task
from core.plugins import PluginHost
from core.topics import service as topics
from core.topics.service import actor_name


async def add_progress(session: AsyncSession, principal: Principal, task_id: int, data: Any, *,
                       authorizer: Authorizer) -> ProgressUpdate:
    """Report progress: ``percent`` (0–100), ``text``, ``attachment_ids`` (photos)."""
    data = request_body(data)
    task, topic = await load_task(session, principal, task_id, authorizer)
    if not may_work_on(authorizer, principal, task, PROGRESS):
        raise forbidden("您不能报告此任务的进展", "you may not report progress on this task")
    if task.status != "open":
        raise conflict("task_done", "任务已完成，不能再报告进展", "the task is completed; no more progress reports")
    errors: list[FieldError] = []
    percent = int_field(data, "percent", 0, 100, errors, zh="完成进度", en="percent")
    text = text_field(data, "text", MAX_TEXT, errors, zh="进展说明", en="text", required=True)
    attachments = await attachment_ids(session, data, errors)
    if errors:
        raise validation_failed(*errors)
    update = ProgressUpdate(task_id=task.id, percent=percent, text=text, attachment_ids=attachments,
                            author_user_id=principal.user_id, author_name=actor_name(principal),
                            created_at=clock.now())
    session.add(update)
    before = task.percent
    task.percent = percent
    task.updated_at = clock.now()
    await session.flush()
    await record(session, actor=principal, action="task.progress", object_type="task", object_id=task.id,
                 region_code=task.region_code, before={"percent": before},
                 after={"percent": percent, "text": text, "attachment_ids": attachments})
    return update


async def complete_task(session: AsyncSession, principal: Principal, task_id: int, data: Any, *,
                        plugins: PluginHost, authorizer: Authorizer) -> Task:
    """Mark a task completed (``note`` says how). With ``close_topic`` true and
    no task left open, the topic moves on with the same note through the
    action its step was waiting on the tasks for: the generic procedure's
    ``close``, which tells the proposer (件件有回音), or a regional
    procedure's move to its evaluation step (Ningbo's 追踪监督、评估评议)."""
    data = request_body(data)
    task, topic = await load_task(session, principal, task_id, authorizer)
    if not may_work_on(authorizer, principal, task, MANAGE):
        raise forbidden("您不能办结此任务", "you may not complete this task")
    if task.status != "open":
        raise conflict("task_done", "任务已完成", "the task is already completed")
    errors: list[FieldError] = []
    note = text_field(data, "note", MAX_TEXT, errors, zh="完成情况", en="note", required=True)
    attachments = await attachment_ids(session, data, errors)
    close_topic = data.get("close_topic", False)
    if not isinstance(close_topic, bool):
        errors.append(FieldError("close_topic", "close_topic 应为 true 或 false", "close_topic must be true or false"))
    if errors:
        raise validation_failed(*errors)
    now = clock.now()
    session.add(ProgressUpdate(task_id=task.id, percent=100, text=note, attachment_ids=attachments,
                               author_user_id=principal.user_id, author_name=actor_name(principal), created_at=now))
    task.status = "done"
    task.percent = 100
    task.completed_at = now
    task.updated_at = now
    bump_open_tasks(topic, -1)
    await session.flush()
    await record(session, actor=principal, action="task.complete", object_type="task", object_id=task.id,
                 region_code=task.region_code, before={"status": "open"}, after={"status": "done", "note": note})
    if close_topic and not topic.counters.get(TASKS_OPEN):
        onward = waiting_on_tasks(procedure_of(plugins, topic), topic)
        if onward is not None:
            await topics.perform_action(session, principal, topic.id, onward, {"note": note}, plugins=plugins,
                                        authorizer=authorizer)
    return task
